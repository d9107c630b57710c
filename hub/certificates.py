"""Partner client certificates (mutual TLS): registering them and binding tokens to them.

A partner that connects with a client certificate has it registered here by
thumbprint (``x5t#S256``: base64url SHA-256 of the DER, RFC 8705 §3.1).  At
``/oauth/token`` a connection's certificate must be one registered to the client that
authenticates (never another partner's, never an unregistered one), and a client with
a registered certificate must present one; the access token then carries
``cnf: {"x5t#S256": …}``.  Every later request with that token must come over a
connection presenting the same certificate (``check_binding``), so a token copied
off a partner's machine is worthless without its private key.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from cryptography import x509
from cryptography.hazmat.primitives.serialization import Encoding
from sqlalchemy import select
from sqlalchemy.orm import Session

from hub.errors import BadRequest
from hub.events import CERT_REGISTERED, AuditEvent, EventSink
from hub.store.models import ClientCertificate
from hub.tokens import TokenRejected
from hub.transport import certificate_thumbprint


@dataclass(frozen=True)
class Registered:
    thumbprint: str
    client_id: str
    subject: str
    not_after: datetime


def register_certificate(session: Session, sink: EventSink, client_id: str, pem: bytes) -> Registered:
    """Bind the PEM certificate to ``client_id`` (a partner); ``BadRequest`` naming the problem."""
    try:
        cert = x509.load_pem_x509_certificate(pem)
    except ValueError as exc:
        raise BadRequest(f"not a PEM X.509 certificate: {exc}") from None
    thumb = certificate_thumbprint(cert.public_bytes(Encoding.DER))
    found = session.get(ClientCertificate, thumb)
    if found is not None and found.client_id != client_id:
        raise BadRequest("this certificate is already registered to another client")
    not_after = cert.not_valid_after_utc
    if found is None:
        session.add(ClientCertificate(thumbprint=thumb, client_id=client_id,
                                      subject_dn=cert.subject.rfc4514_string()[:512], not_after=not_after,
                                      created_at=datetime.now(UTC)))
        session.flush()
        sink(session, AuditEvent(CERT_REGISTERED, subject=client_id, action="register", decision="ok",
                                 details={"x5t#S256": thumb, "not_after": not_after.isoformat()}))
    return Registered(thumb, client_id, cert.subject.rfc4514_string(), not_after)


def certificates_of(session: Session, client_id: str) -> set[str]:
    """Thumbprints of the client's current certificates."""
    rows = session.scalars(select(ClientCertificate.thumbprint).where(
        ClientCertificate.client_id == client_id, ClientCertificate.revoked_at.is_(None)))
    return set(rows)


def bind_at_token(session: Session, client_id: str, thumbprint: str | None) -> dict[str, str] | None:
    """The ``cnf`` claim of a token issued to ``client_id`` over a connection presenting ``thumbprint``.

    Refuses (``TokenRejected``) another client's or an unregistered certificate, and no
    certificate when the client has one registered.
    """
    registered = certificates_of(session, client_id)
    if thumbprint is None:
        if registered:
            raise TokenRejected("certificate_required", stage="assertion", subject=client_id)
        return None
    if thumbprint not in registered:
        owner = session.get(ClientCertificate, thumbprint)
        reason = "certificate_of_another_client" if owner is not None else "certificate_not_registered"
        raise TokenRejected(reason, stage="assertion", subject=client_id)
    return {"x5t#S256": thumbprint}


def check_binding(claims: dict[str, object], thumbprint: str | None) -> None:
    """A certificate-bound token must arrive over a connection presenting that certificate."""
    cnf = claims.get("cnf")
    if cnf is None:
        return
    bound = cnf.get("x5t#S256") if isinstance(cnf, dict) else None
    if not isinstance(bound, str) or bound != thumbprint:
        raise TokenRejected("certificate_mismatch", stage="access", subject=str(claims.get("sub")))
