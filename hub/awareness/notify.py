"""The alert webhook: an outbox in the store and a sender that retries with backoff.

When an alert is raised or escalated at or above ``HUB_AWARENESS_WEBHOOK_MIN_SEVERITY``,
a message is queued (``alert_notifications``) in the transaction that records the alert,
so it is neither lost nor sent for an alert that was rolled back.  ``Webhook.deliver``
POSTs each queued message as JSON to ``HUB_AWARENESS_WEBHOOK_URL`` with

    X-Hub-Signature-256: sha256=<hex HMAC-SHA256 of the exact body, keyed by HUB_AWARENESS_WEBHOOK_SECRET>
    X-Hub-Delivery: <message id>   (the same on every retry, so the receiver can drop repeats)

and retries a failure (connection error, timeout, any non-2xx answer) up to
``HUB_AWARENESS_WEBHOOK_ATTEMPTS`` times, waiting ``backoff x 2^n`` seconds between tries.
A message that still fails is marked failed with the last error (``hub alerts list``
shows the alerts either way).
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import httpx
from sqlalchemy import select
from sqlalchemy.orm import Session

from hub.awareness.alerts import as_dict
from hub.awareness.thresholds import rank
from hub.store.db import Store
from hub.store.models import Alert, AlertNotification

log = logging.getLogger(__name__)
SIGNATURE_HEADER = "X-Hub-Signature-256"


def enqueue(session: Session, alert: Alert, how: str, now: datetime) -> AlertNotification:
    """Queue a message about ``alert`` (``how``: new | escalated) in the caller's transaction."""
    note = AlertNotification(alert_id=alert.id, payload={}, attempts=0, created_at=now, last_error="")
    session.add(note)
    session.flush()
    note.payload = {"delivery": f"n-{note.id}", "event": f"alert.{how}", "queued_at": now.isoformat(),
                    "alert": as_dict(alert)}
    return note


def wanted(alert: Alert, min_severity: str) -> bool:
    return rank(alert.severity) >= rank(min_severity)


def body_of(payload: dict[str, Any]) -> bytes:
    """The exact bytes sent (and signed)."""
    return json.dumps(payload, ensure_ascii=False, sort_keys=True, separators=(",", ":")).encode("utf-8")


def signature(secret: bytes, body: bytes) -> str:
    """The ``X-Hub-Signature-256`` value of ``body``."""
    return "sha256=" + hmac.new(secret, body, hashlib.sha256).hexdigest()


@dataclass
class Webhook:
    """Sends queued messages to one URL (``sleep`` is injectable so tests wait on nothing)."""

    url: str
    secret: bytes
    attempts: int = 5
    backoff_s: float = 1.0
    timeout_s: float = 5.0
    sleep: Callable[[float], None] = time.sleep
    client: httpx.Client = field(default_factory=lambda: httpx.Client(timeout=5.0))

    def close(self) -> None:
        """Close the HTTP connections."""
        self.client.close()

    def __enter__(self) -> Webhook:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()

    def post(self, payload: dict[str, Any]) -> tuple[bool, int, str]:
        """POST one message with retries; ``(delivered, attempts made, last error)``."""
        body = body_of(payload)
        headers = {"Content-Type": "application/json", SIGNATURE_HEADER: signature(self.secret, body),
                   "X-Hub-Delivery": str(payload.get("delivery", ""))}
        error = ""
        for attempt in range(1, self.attempts + 1):
            try:
                answer = self.client.post(self.url, content=body, headers=headers, timeout=self.timeout_s)
                if 200 <= answer.status_code < 300:
                    return True, attempt, ""
                error = f"HTTP {answer.status_code}"
            except httpx.HTTPError as exc:
                error = f"{type(exc).__name__}: {exc}"
            if attempt < self.attempts:
                self.sleep(self.backoff_s * 2 ** (attempt - 1))
        return False, self.attempts, error

    def deliver(self, store: Store, limit: int = 100) -> int:
        """Send every queued message (oldest first); return how many were delivered."""
        with store.session() as session:
            queued = [(n.id, dict(n.payload)) for n in session.scalars(
                select(AlertNotification).where(AlertNotification.delivered_at.is_(None),
                                                AlertNotification.failed_at.is_(None))
                .order_by(AlertNotification.id).limit(limit))]
        delivered = 0
        for note_id, payload in queued:
            ok, attempts, error = self.post(payload)
            with store.session() as session:
                note = session.get(AlertNotification, note_id)
                if note is None:
                    continue
                note.attempts += attempts
                note.last_error = error
                if ok:
                    note.delivered_at = datetime.now(UTC)
                    delivered += 1
                else:
                    note.failed_at = datetime.now(UTC)
                    log.warning("alert webhook gave up on %s after %d attempts: %s", payload.get("delivery"),
                                attempts, error)
        return delivered
