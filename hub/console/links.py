"""One-time console login links (登录链接), issued only to an officer's signed login statement.

An officer proves itself the way it proves every action (issue 23): it signs a
``login`` statement (``hub.statements``; target ``console``, terms
``login_terms(officer)``) with its own key, and ``issue`` verifies it through
``hub.officers.accept`` — the registered key, not revoked, the officer active, signed
within 300 s, never used before.  Only then is a link made: a random nonce and an
expiry, signed with the hub's console secret (HMAC-SHA256), valid for
``LINK_TTL_S`` (5 minutes) and for one visit.  The store keeps the SHA-256 of the
nonce, never the nonce.  ``redeem`` checks the signature, the expiry and marks the
link used in one conditional UPDATE, so a replayed link finds it used.  Whoever can run
``hub`` but holds no officer key gets no link.  Issuing is audited with the statement
(``console.link_issued``, re-verified by ``hub audit verify``).
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import update
from sqlalchemy.orm import Session

from hub import officers, statements
from hub.audit.canonical import b64url, b64url_decode
from hub.errors import Forbidden
from hub.events import CONSOLE_LINK_ISSUED, AuditEvent, EventSink
from hub.keys import load_secret
from hub.officers import signed_details
from hub.store.models import ConsoleLoginLink, Officer

LINK_TTL_S = 300
TARGET = "console"
PATH = "/console/login/"


class LinkRefused(Forbidden):
    """A login link that opens nothing; the message says why (no secret in it)."""

    title = "login link refused"


@dataclass(frozen=True)
class Link:
    """An issued link: the URL to open and until when."""

    url: str
    officer: str
    expires_at: datetime


def login_terms(officer_id: str) -> dict[str, Any]:
    """What a login statement signs: this officer asks to open the officer console."""
    return {"console": "login", "officer": officer_id}


def sign_login(signer: statements.Signer, officer_id: str, audience: str, now: datetime | None = None) -> str:
    """A login statement for the hub ``audience`` signed by ``signer`` (the CLI and the demo use it)."""
    return statements.sign(signer, officer_id, "login", TARGET, login_terms(officer_id), audience=audience,
                           now=now)


def console_secret(keys_dir: Path) -> bytes:
    """The hub secret that signs login links (``keys/console.secret``, 0600)."""
    return load_secret(keys_dir, "console")


def _mac(secret: bytes, nonce: str, expires: int) -> str:
    return b64url(hmac.new(secret, f"{nonce}.{expires}".encode(), hashlib.sha256).digest())


def _link_id(nonce: str) -> str:
    return hashlib.sha256(nonce.encode()).hexdigest()


def issue(session: Session, sink: EventSink, statement: str, *, secret: bytes, base_url: str,
          now: datetime | None = None) -> Link:
    """Verify a signed login statement and issue a one-time link for its officer."""
    moment = now or datetime.now(UTC)
    parsed = statements.parse(statement)
    officer_id = parsed.officer
    signed = officers.accept(session, statement, actions=("login",), target=TARGET,
                             terms=login_terms(officer_id), now=moment)
    nonce = secrets.token_urlsafe(24)
    expires = moment + timedelta(seconds=LINK_TTL_S)
    session.add(ConsoleLoginLink(id=_link_id(nonce), officer_id=officer_id, statement_id=signed.row.id,
                                 issued_at=moment, expires_at=expires))
    sink(session, AuditEvent(CONSOLE_LINK_ISSUED, subject=signed.subject, action="login", decision="ok",
                             details={**signed_details(TARGET, signed.terms, [signed.row]),
                                      "expires_at": expires.isoformat()}))
    token = f"{nonce}.{int(expires.timestamp())}.{_mac(secret, nonce, int(expires.timestamp()))}"
    return Link(f"{base_url.rstrip('/')}{PATH}{token}", officer_id, expires)


def _read(token: str, secret: bytes) -> tuple[str, int]:
    parts = token.split(".")
    if len(token) > 256 or len(parts) != 3 or not parts[1].isdigit():
        raise LinkRefused("this is not a console login link")
    nonce, expires, mac = parts[0], int(parts[1]), parts[2]
    try:
        b64url_decode(mac)
    except ValueError:
        raise LinkRefused("this is not a console login link") from None
    if not hmac.compare_digest(mac, _mac(secret, nonce, expires)):
        raise LinkRefused("this login link was not issued by this hub, or was altered")
    return nonce, expires


def redeem(session: Session, token: str, *, secret: bytes, now: datetime | None = None) -> Officer:
    """The officer a link opens a session for; ``LinkRefused`` when forged, expired, used or the
    officer was removed.  The link is used up by this call."""
    moment = now or datetime.now(UTC)
    nonce, expires = _read(token, secret)
    if expires <= moment.timestamp():
        raise LinkRefused("this login link has expired (links last 5 minutes): ask for a new one "
                          "with `hub console login --key …`")
    link_id = _link_id(nonce)
    used = session.execute(update(ConsoleLoginLink).where(
        ConsoleLoginLink.id == link_id, ConsoleLoginLink.used_at.is_(None),
        ConsoleLoginLink.expires_at > moment).values(used_at=moment))
    if used.rowcount != 1:  # type: ignore[attr-defined]
        raise LinkRefused("this login link was already used (a link opens one session): ask for a new one")
    link = session.get(ConsoleLoginLink, link_id)
    officer = session.get(Officer, link.officer_id) if link else None
    if officer is None or not officer.active:
        raise LinkRefused("the officer of this login link is no longer enrolled")
    return officer
