"""Client identities: partners and officers as OAuth2 clients with their public keys.

A partner system (对接平台) or an officer (数据负责人 / 安全员) is an OAuth2 client
``partner:ID`` or ``officer:ID`` that authenticates with a ``private_key_jwt``
assertion (``hub.tokens``) signed by a key registered here.  Registration stores
the row and the public key (``client_keys``, kid = RFC 7638 thumbprint); the hub
never stores a private key.  A partner is registered by the operator with an audit
event in the same transaction; an officer only through ``hub.officers`` (a one-time
bootstrap, then enrolment signed by two officers), which calls ``add_officer``.
``load_subject`` turns a client id back into the ``Subject`` the API and the
policy decision point work with.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from jwt.algorithms import ECAlgorithm, OKPAlgorithm
from sqlalchemy import select
from sqlalchemy.orm import Session

from hub.errors import BadRequest, Conflict
from hub.events import PARTNER_KEY_ADDED, PARTNER_REGISTERED, AuditEvent, EventSink
from hub.keys import b64url
from hub.store.models import ClientKey, Officer, Partner, Suspension

KINDS = ("partner", "officer")
ROLES = ("owner", "security")
_ID = re.compile(r"[a-z0-9][a-z0-9._-]{0,63}")
PURPOSE = re.compile(r"[a-z0-9][a-z0-9_-]{0,63}")
_JURISDICTION = re.compile(r"[1-9][0-9]{5}")


class IdentityError(BadRequest):
    """A registration input is invalid; the message names the field."""

    title = "invalid identity"


class DuplicateClient(Conflict):
    """The partner, officer or public key is already registered."""

    title = "already registered"


@dataclass(frozen=True)
class Subject:
    """An authenticated client as the API and the policy point see it (DESIGN.md §4)."""

    id: str  # partner:ID | officer:ID
    kind: str  # partner | officer
    clearance: int = 0  # 授权等级 (partners only)
    jurisdiction: str = ""  # 管辖区划 administrative code (partners only)
    purposes: tuple[str, ...] = ()
    suspended: bool = False
    role: str | None = None  # owner | security (officers only)
    owner_of: str | None = None  # provider an owner officer speaks for

    def policy_input(self) -> dict[str, Any]:
        """The ``subject`` member of a policy decision input."""
        return {"id": self.id, "kind": self.kind, "clearance": self.clearance,
                "jurisdiction": self.jurisdiction, "purposes": list(self.purposes),
                "suspended": self.suspended, "role": self.role, "owner_of": self.owner_of}


@dataclass(frozen=True)
class PublicKey:
    """A client public key ready to store: its algorithm, PEM and thumbprint kid."""

    kid: str
    algorithm: str  # EdDSA | ES256
    pem: str


@dataclass(frozen=True)
class Registration:
    """What registering a client produced; ``private_pem`` only when the hub generated it."""

    client_id: str
    kid: str
    private_pem: bytes | None = field(default=None, repr=False)


def client_id(kind: str, local_id: str) -> str:
    return f"{kind}:{local_id}"


def split_client_id(value: str) -> tuple[str, str] | None:
    """``partner:ID`` → ``("partner", "ID")``; ``None`` when malformed."""
    kind, sep, local = value.partition(":")
    if not sep or kind not in KINDS or not _ID.fullmatch(local):
        return None
    return kind, local


def generate_private_key() -> Ed25519PrivateKey:
    return Ed25519PrivateKey.generate()


def private_pem(key: Ed25519PrivateKey) -> bytes:
    return key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                             serialization.NoEncryption())


def public_key(pem: bytes) -> PublicKey:
    """Parse a client public key (Ed25519 or EC P-256); raise ``IdentityError`` otherwise."""
    try:
        key = serialization.load_pem_public_key(pem)
    except (ValueError, TypeError):
        raise IdentityError("public key is not a PEM SubjectPublicKeyInfo") from None
    members: tuple[str, ...]
    if isinstance(key, Ed25519PublicKey):
        jwk = OKPAlgorithm.to_jwk(key, as_dict=True)
        members, algorithm = ("crv", "kty", "x"), "EdDSA"
    elif isinstance(key, ec.EllipticCurvePublicKey) and isinstance(key.curve, ec.SECP256R1):
        jwk = ECAlgorithm.to_jwk(key, as_dict=True)
        members, algorithm = ("crv", "kty", "x", "y"), "ES256"
    else:
        raise IdentityError("public key must be Ed25519 or EC P-256")
    canonical = json.dumps({m: jwk[m] for m in members}, separators=(",", ":"), sort_keys=True)
    kid = b64url(hashlib.sha256(canonical.encode()).digest())
    out = key.public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
    return PublicKey(kid=kid, algorithm=algorithm, pem=out.decode("ascii"))


def write_private_key(path: Path, pem: bytes) -> None:
    """Write a private key with mode 0600; refuse to overwrite an existing file."""
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        raise IdentityError(f"key file `{path}` already exists; choose another --key-out") from None
    with os.fdopen(fd, "wb") as fh:
        fh.write(pem)


def _check_local_id(kind: str, local_id: str) -> None:
    if not _ID.fullmatch(local_id):
        raise IdentityError(f"{kind} id `{local_id}` must be 1-64 of a-z 0-9 . _ - "
                            "starting with a letter or digit")


def check_jurisdiction(code: str) -> str:
    """A 6-digit administrative code (province codes end in 0000, cities in 00)."""
    if not _JURISDICTION.fullmatch(code):
        raise IdentityError(f"jurisdiction `{code}` must be a 6-digit administrative code, e.g. 330106")
    return code


def check_purposes(purposes: list[str]) -> list[str]:
    """Purposes are non-empty, lower-case slugs (e.g. ``case-verification``), deduplicated."""
    if not purposes:
        raise IdentityError("at least one --purpose is required")
    for purpose in purposes:
        if not PURPOSE.fullmatch(purpose):
            raise IdentityError(f"purpose `{purpose}` must be a lower-case slug like case-verification")
    return list(dict.fromkeys(purposes))


def _resolve_key(public_pem: bytes | None) -> tuple[PublicKey, bytes | None]:
    if public_pem is not None:
        return public_key(public_pem), None
    private = generate_private_key()
    pub = private.public_key().public_bytes(serialization.Encoding.PEM,
                                            serialization.PublicFormat.SubjectPublicKeyInfo)
    return public_key(pub), private_pem(private)


def _add_key(session: Session, cid: str, key: PublicKey, now: datetime) -> None:
    if session.get(ClientKey, key.kid) is not None:
        raise DuplicateClient("this public key is already registered for a client; use a new key pair")
    session.add(ClientKey(kid=key.kid, client_id=cid, algorithm=key.algorithm,
                          public_key_pem=key.pem, created_at=now))


def register_partner(session: Session, sink: EventSink, partner_id: str, *, clearance: int,
                     jurisdiction: str, purposes: list[str], name: str = "",
                     public_pem: bytes | None = None) -> Registration:
    """Register a partner and its key (generated unless ``public_pem`` is given)."""
    _check_local_id("partner", partner_id)
    if not 1 <= clearance <= 5:
        raise IdentityError(f"clearance {clearance} must be between 1 and 5")
    check_jurisdiction(jurisdiction)
    purposes = check_purposes(purposes)
    if session.get(Partner, partner_id) is not None:
        raise DuplicateClient(f"partner `{partner_id}` is already registered")
    key, private = _resolve_key(public_pem)
    now, cid = datetime.now(UTC), client_id("partner", partner_id)
    session.add(Partner(id=partner_id, name=name, clearance=clearance, jurisdiction=jurisdiction,
                        purposes=purposes, suspended=False, created_at=now))
    _add_key(session, cid, key, now)
    session.flush()
    sink(session, AuditEvent(PARTNER_REGISTERED, subject=cid, action="register", decision="ok",
                             details={"clearance": clearance, "jurisdiction": jurisdiction,
                                      "purposes": purposes, "kid": key.kid}))
    return Registration(cid, key.kid, private)


def add_partner_key(session: Session, sink: EventSink, partner_id: str, *,
                    public_pem: bytes | None = None) -> Registration:
    """Register a new key for a partner (after a forced rotation); generated unless ``public_pem``
    is given.  The partner's other keys stay as they are; a lockdown stays until two officers lift it."""
    if session.get(Partner, partner_id) is None:
        raise IdentityError(f"partner `{partner_id}` is not registered")
    key, private = _resolve_key(public_pem)
    cid = client_id("partner", partner_id)
    _add_key(session, cid, key, datetime.now(UTC))
    session.flush()
    sink(session, AuditEvent(PARTNER_KEY_ADDED, subject=cid, action="register", decision="ok",
                             details={"kid": key.kid}))
    return Registration(cid, key.kid, private)


def _check_provider(session: Session | None, sink: EventSink | None, owner_of: str | None) -> None:
    """An owner officer speaks for a registered provider (``hub.providers``; declared ones register)."""
    from hub import providers

    if not owner_of:
        known = set(providers.declared()) | (providers.codes(session) if session is not None else set())
        raise IdentityError(f"an owner officer needs --owner-of PROVIDER (one of {', '.join(sorted(known))})")
    if session is None:
        return
    try:
        providers.require(session, owner_of, sink)
    except providers.UnknownProvider as exc:
        raise IdentityError(f"--owner-of: {exc}") from None


def check_officer(officer_id: str, role: str, owner_of: str | None, session: Session | None = None,
                  sink: EventSink | None = None) -> None:
    """Validate an officer's id, role and provider; ``IdentityError`` naming the field.

    With a ``session`` the provider must be registered (a provider an installed
    connector declares is registered now, through ``sink``).
    """
    _check_local_id("officer", officer_id)
    if role not in ROLES:
        raise IdentityError(f"role `{role}` must be one of {', '.join(ROLES)}")
    if role == "owner":
        _check_provider(session, sink, owner_of)
    if role == "security" and owner_of is not None:
        raise IdentityError("a security officer speaks for no provider; drop --owner-of")


def check_new_officer(session: Session, officer_id: str, key: PublicKey) -> None:
    """Refuse an officer id or public key that is already registered."""
    if session.get(Officer, officer_id) is not None:
        raise DuplicateClient(f"officer `{officer_id}` is already registered")
    if session.get(ClientKey, key.kid) is not None:
        raise DuplicateClient("this public key is already registered for a client; use a new key pair")


def add_officer(session: Session, officer_id: str, *, role: str, owner_of: str | None, key: PublicKey,
                now: datetime) -> Officer:
    """Store an officer and its public key.  Only ``hub.officers`` calls this, after the
    enrolment statements verified; it records the audit event with them."""
    check_officer(officer_id, role, owner_of)
    check_new_officer(session, officer_id, key)
    officer = Officer(id=officer_id, role=role, owner_of=owner_of, active=True, created_at=now)
    session.add(officer)
    _add_key(session, client_id("officer", officer_id), key, now)
    session.flush()
    return officer


def active_keys(session: Session, cid: str) -> list[ClientKey]:
    """The unrevoked public keys registered for client ``cid``."""
    rows = session.scalars(select(ClientKey).where(ClientKey.client_id == cid,
                                                   ClientKey.revoked_at.is_(None)))
    return list(rows)


def _partner_subject(session: Session, partner: Partner, cid: str) -> Subject:
    lockdown = session.scalar(select(Suspension.id).where(
        Suspension.partner_id == partner.id, Suspension.lifted_at.is_(None)).limit(1))
    return Subject(id=cid, kind="partner", clearance=partner.clearance,
                   jurisdiction=partner.jurisdiction, purposes=tuple(partner.purposes or ()),
                   suspended=bool(partner.suspended) or lockdown is not None)


def load_subject(session: Session, cid: str) -> Subject | None:
    """The subject behind client id ``cid`` as stored now; ``None`` when unknown.

    An inactive officer is returned with ``suspended=True`` so callers refuse it.
    """
    parts = split_client_id(cid)
    if parts is None:
        return None
    kind, local = parts
    if kind == "partner":
        partner = session.get(Partner, local)
        return None if partner is None else _partner_subject(session, partner, cid)
    officer = session.get(Officer, local)
    if officer is None:
        return None
    return Subject(id=cid, kind="officer", suspended=not officer.active, role=officer.role,
                   owner_of=officer.owner_of)
