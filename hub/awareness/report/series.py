"""The figures the security check charts, read from the audit log and the alerts.

Days are UTC+8 calendar days (the hub's working time zone) over the last ``days``.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import UTC, datetime, timedelta

from sqlalchemy import func, select

from hub.awareness.observations import CST
from hub.events import DATA_DECISION, DATA_DELIVERY
from hub.store.db import Store
from hub.store.models import Alert, AuditRecord


def day_labels(now: datetime, days: int) -> list[str]:
    """``YYYY-MM-DD`` of the last ``days`` days (UTC+8), oldest first."""
    today = now.astimezone(CST).date()
    return [(today - timedelta(days=i)).isoformat() for i in range(days - 1, -1, -1)]


def _day(ts: str) -> str:
    return datetime.fromisoformat(ts).astimezone(CST).date().isoformat()


def rows_per_partner(store: Store, now: datetime, days: int) -> dict[str, dict[str, int]]:
    """partner → day → rows delivered."""
    since = (now - timedelta(days=days)).astimezone(UTC).isoformat(timespec="microseconds")
    out: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    with store.session() as session:
        for ts, subject, rows in session.execute(
                select(AuditRecord.ts, AuditRecord.subject, AuditRecord.rows)
                .where(AuditRecord.event == DATA_DELIVERY, AuditRecord.ts >= since)):
            if subject and rows:
                out[str(subject).split(":", 1)[-1]][_day(str(ts))] += int(rows)
    return {k: dict(v) for k, v in out.items()}


def denials_per_day(store: Store, now: datetime, days: int) -> dict[str, int]:
    """day → denied data requests."""
    since = (now - timedelta(days=days)).astimezone(UTC).isoformat(timespec="microseconds")
    out: dict[str, int] = defaultdict(int)
    with store.session() as session:
        for (ts,) in session.execute(select(AuditRecord.ts).where(AuditRecord.event == DATA_DECISION,
                                                                  AuditRecord.decision == "deny",
                                                                  AuditRecord.ts >= since)):
            out[_day(str(ts))] += 1
    return dict(out)


def alerts_by_kind(store: Store, now: datetime, days: int) -> dict[str, int]:
    """kind → alerts first seen in the period."""
    since = (now - timedelta(days=days)).astimezone(UTC).isoformat(timespec="microseconds")
    with store.session() as session:
        rows = session.execute(select(Alert.kind, func.count()).where(Alert.first_seen >= since)
                               .group_by(Alert.kind))
        return {str(k): int(n) for k, n in rows}
