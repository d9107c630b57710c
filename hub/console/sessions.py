"""Console sessions (会话): server-side, with idle and absolute timeouts and a CSRF token.

The browser holds only a random token in an ``HttpOnly``, ``SameSite=Strict`` cookie
(``Secure`` over TLS); the store keeps its SHA-256 with the officer, how it logged in
(the login provider), a CSRF token for the session's forms, and its times.  A session
ends at logout, after ``IDLE`` without a request, or ``ABSOLUTE`` after it opened,
whichever comes first; an ended session never comes back.  The clock is passed in,
so tests move time instead of waiting.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy.orm import Session

from hub.hubid import hub_id
from hub.store.models import ConsoleSession, Officer

COOKIE = "hub_console"
IDLE = timedelta(minutes=30)
ABSOLUTE = timedelta(hours=8)
TOUCH_EVERY = timedelta(seconds=30)  # last_seen_at is written at most this often


@dataclass(frozen=True)
class Current:
    """The officer behind a request's session."""

    officer: Officer
    session_id: str
    csrf: str
    provider: str
    audience: str  # this hub's id: the `aud` of every statement the officer signs here (hub.hubid)

    @property
    def subject(self) -> str:
        return f"officer:{self.officer.id}"

    def csrf_ok(self, offered: str | None) -> bool:
        return bool(offered) and hmac.compare_digest(str(offered), self.csrf)


def _id(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def open_session(session: Session, officer: Officer, provider: str, now: datetime) -> str:
    """Open a session for ``officer``; return the cookie token."""
    token = secrets.token_urlsafe(32)
    session.add(ConsoleSession(id=_id(token), officer_id=officer.id, provider=provider,
                               csrf=secrets.token_urlsafe(32), created_at=now, last_seen_at=now))
    return token


def expiry_reason(row: ConsoleSession, now: datetime) -> str | None:
    """``idle`` or ``absolute`` when the session has timed out at ``now``, else None."""
    if now - row.created_at >= ABSOLUTE:
        return "absolute"
    if now - row.last_seen_at >= IDLE:
        return "idle"
    return None


def resume(session: Session, token: str | None, now: datetime) -> tuple[Current | None, ConsoleSession | None]:
    """The live session of ``token`` (touched), or ``(None, the row this call ended)``:
    the row is returned only when it timed out just now, for the caller to audit."""
    if not token or len(token) > 128:
        return None, None
    row = session.get(ConsoleSession, _id(token))
    if row is None or row.ended_at is not None:
        return None, None
    officer = session.get(Officer, row.officer_id)
    reason = expiry_reason(row, now) or (None if officer and officer.active else "removed")
    if reason:
        row.ended_at, row.end_reason = now, reason
        return None, row
    assert officer is not None
    if now - row.last_seen_at >= TOUCH_EVERY:
        row.last_seen_at = now
    return Current(officer, row.id, row.csrf, row.provider, hub_id(session)), None


def end(session: Session, session_id: str, now: datetime, reason: str = "logout") -> None:
    """End a session (logout)."""
    row = session.get(ConsoleSession, session_id)
    if row is not None and row.ended_at is None:
        row.ended_at, row.end_reason = now, reason
