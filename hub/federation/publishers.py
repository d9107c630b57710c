"""Trusted model publishers (可信模型发布方): other hubs whose signed packages this hub accepts.

How a hub learns another hub's key: two of its officers register it.  Each signs a
``trust`` statement (``hub.statements``) over the same terms — the publisher's name,
Chinese name, public identity keys (``kid``, ``x``) and the URL its revocations are
served at — taken from the publisher's identity document (``/.well-known/hub-identity.json``
or ``hub federation identity --json``) and checked against its fingerprint over another
channel.  The first signature waits; the second, by another officer with another key,
registers the publisher (``hub.officers.cosign``), with both statements in the audit
record.  Registering again (after the publisher rotated its key) replaces the keys.  A
security officer withdraws the trust alone (``distrust``: a tightening takes one
signature, as a lockdown does); packages and revocations of a withdrawn publisher are
refused from then on.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from hub import officers
from hub.audit.errors import EvidenceError
from hub.audit.pubkeys import jwk_public_key
from hub.errors import Forbidden, NotFound
from hub.events import (
    FEDERATION_PUBLISHER_DISTRUSTED,
    FEDERATION_PUBLISHER_TRUSTED,
    AuditEvent,
    EventSink,
)
from hub.federation.errors import FederationError, PublisherRefused
from hub.federation.identity import check_name, fingerprint
from hub.officers import signed_details
from hub.store.models import TrustedPublisher

MAX_URL = 512


def target(hub: str) -> str:
    """The statement target of a publisher registration."""
    return f"publisher:{hub}"


def _keys(doc: dict[str, Any]) -> list[dict[str, str]]:
    raw = doc.get("keys")
    if not isinstance(raw, list) or not raw:
        raise FederationError("the identity document lists no public keys")
    keys = []
    for jwk in raw:
        if not isinstance(jwk, dict) or not isinstance(jwk.get("kid"), str):
            raise FederationError("the identity document holds a key without `kid`")
        try:
            jwk_public_key(jwk)
        except EvidenceError as exc:
            raise FederationError(f"the identity document's key is unusable: {exc}") from None
        keys.append({"kty": "OKP", "crv": "Ed25519", "kid": jwk["kid"], "x": jwk["x"]})
    return sorted(keys, key=lambda k: k["kid"])


def read_identity(text: str) -> dict[str, Any]:
    """A peer's identity document (JSON) checked for shape and fingerprint."""
    try:
        doc = json.loads(text)
    except ValueError as exc:
        raise FederationError(f"the identity document is not JSON: {exc}") from None
    if not isinstance(doc, dict) or not isinstance(doc.get("hub"), str):
        raise FederationError("the identity document names no `hub`")
    check_name(doc["hub"])
    keys = _keys(doc)
    if doc.get("fingerprint") not in (None, fingerprint(doc["hub"], keys)):
        raise FederationError(f"the identity document of `{doc['hub']}` does not match its own fingerprint")
    return doc


def terms(doc: dict[str, Any], url: str | None) -> dict[str, Any]:
    """What the two officers sign: name, Chinese name, keys, URL and the fingerprint."""
    if url is not None and (len(url) > MAX_URL or not url.startswith(("http://", "https://"))):
        raise FederationError(f"publisher URL `{url[:80]}` must be an http(s) URL of at most {MAX_URL} characters")
    keys = _keys(doc)
    return {"hub": doc["hub"], "name_zh": str(doc.get("name_zh") or ""), "keys": keys,
            "url": url.rstrip("/") if url else None, "fingerprint": fingerprint(doc["hub"], keys)}


def trust(session: Session, sink: EventSink, doc: dict[str, Any], url: str | None, statement: str, *,
          now: datetime | None = None, signer: str | None = None) -> TrustedPublisher | None:
    """One officer's signature on registering publisher ``doc``; registered at the second (another
    officer, another key) and returned, ``None`` while the first waits."""
    moment = now or datetime.now(UTC)
    agreed = terms(doc, url)
    signed = officers.accept(session, statement, actions=("trust",), target=target(agreed["hub"]), terms=agreed,
                             now=moment, signer=signer, pending=True)
    rows = officers.cosign(session, signed, moment)
    if rows is None:
        officers.pending_event(session, sink, signed)
        return None
    publisher = session.get(TrustedPublisher, agreed["hub"]) or TrustedPublisher(hub=agreed["hub"])
    publisher.name_zh, publisher.keys, publisher.url = agreed["name_zh"], agreed["keys"], agreed["url"]
    publisher.registered_at, publisher.statements = moment, [r.id for r in rows]
    publisher.revoked_at = publisher.revoked_by = None
    session.add(publisher)
    session.flush()
    sink(session, AuditEvent(FEDERATION_PUBLISHER_TRUSTED, subject=signed.subject, action="trust", decision="ok",
                             details={**signed_details(target(agreed["hub"]), agreed, rows),
                                      "publisher": agreed["hub"]}))
    return publisher


def distrust_terms(hub: str) -> dict[str, Any]:
    return {"hub": hub}


def distrust(session: Session, sink: EventSink, hub: str, statement: str, *, now: datetime | None = None,
             signer: str | None = None) -> TrustedPublisher:
    """A security officer withdraws the trust in ``hub`` at once (its packages are refused from now on)."""
    publisher = active(session, hub)
    moment = now or datetime.now(UTC)
    agreed = distrust_terms(hub)
    signed = officers.accept(session, statement, actions=("distrust",), target=target(hub), terms=agreed,
                             now=moment, signer=signer)
    if signed.officer.role != "security":
        raise Forbidden(f"only security officers withdraw a publisher's trust; `{signed.officer.id}` is "
                        f"{signed.officer.role}")
    publisher.revoked_at, publisher.revoked_by = moment, signed.subject
    sink(session, AuditEvent(FEDERATION_PUBLISHER_DISTRUSTED, subject=signed.subject, action="distrust",
                             decision="ok", reasons=[signed.note] if signed.note else [],
                             details={**signed_details(target(hub), agreed, [signed.row]), "publisher": hub}))
    return publisher


def active(session: Session, hub: str) -> TrustedPublisher:
    """The trusted publisher ``hub``; ``PublisherRefused`` if it is unknown or withdrawn."""
    publisher = session.get(TrustedPublisher, hub)
    if publisher is None:
        raise PublisherRefused(f"hub `{hub}` is not a trusted model publisher here: two officers register it "
                               f"first (`hub federation trust {hub} --identity FILE --key …`)")
    if publisher.revoked_at is not None:
        raise PublisherRefused(f"hub `{hub}` is no longer a trusted model publisher here (withdrawn by "
                               f"{publisher.revoked_by} at {publisher.revoked_at.isoformat()})")
    return publisher


def get(session: Session, hub: str) -> TrustedPublisher:
    """The publisher ``hub`` whatever its state; ``NotFound`` otherwise."""
    publisher = session.get(TrustedPublisher, hub)
    if publisher is None:
        raise NotFound(f"no publisher `{hub}` is registered", publisher=hub)
    return publisher


def list_all(session: Session) -> list[TrustedPublisher]:
    """Every registered publisher, withdrawn ones included, by name."""
    return list(session.scalars(select(TrustedPublisher).order_by(TrustedPublisher.hub)))
