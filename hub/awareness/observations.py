"""The audit stream as the detectors read it: records after a ``seq``, in order.

Detectors never read the wall clock for their windows: an ``Observation`` carries the
record's own ``ts`` (parsed once), so a replay, a simulator running days in minutes
and a test all see the same windows.  Records are read through the audit log's public
query (``hub.audit.query``), a page at a time.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from typing import Any

from hub.audit.query import MAX_LIMIT, query
from hub.audit.record import AuditRecordView
from hub.store.db import Store

CST = timezone(timedelta(hours=8), "UTC+8")


@dataclass(frozen=True)
class Observation:
    """One audit record, with its time parsed."""

    seq: int
    ts: str
    at: datetime
    event: str
    subject: str | None = None
    dataset: str | None = None
    decision: str | None = None
    rows: int | None = None
    client_ip: str | None = None
    grant: str | None = None
    reasons: tuple[str, ...] = ()
    details: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def of(cls, record: AuditRecordView) -> Observation:
        details = record.details if isinstance(record.details, dict) else {}
        return cls(seq=record.seq, ts=record.ts, at=datetime.fromisoformat(record.ts), event=record.event,
                   subject=record.subject, dataset=record.dataset, decision=record.decision, rows=record.rows,
                   client_ip=record.client_ip, grant=record.grant, reasons=tuple(record.reasons or ()),
                   details=details)

    @property
    def epoch(self) -> float:
        return self.at.timestamp()

    @property
    def partner_or_officer(self) -> bool:
        """Whether the subject is a partner or an officer (the clients the detectors profile)."""
        return bool(self.subject) and str(self.subject).startswith(("partner:", "officer:"))

    @property
    def local_hour(self) -> int:
        """Hour of day in UTC+8 (the hub's working time zone)."""
        return self.at.astimezone(CST).hour


def after(store: Store, seq: int, limit: int) -> list[Observation]:
    """Up to ``limit`` records after ``seq``, in seq order."""
    out: list[Observation] = []
    while len(out) < limit:
        page = query(store, after_seq=seq, limit=min(MAX_LIMIT, limit - len(out)))
        out.extend(Observation.of(r) for r in page)
        if len(page) < MAX_LIMIT:
            break
        seq = page[-1].seq
    return out


def window(store: Store, since: datetime, upto_seq: int) -> Iterator[Observation]:
    """Records with ``ts >= since`` and ``seq <= upto_seq``, in seq order (to rebuild windows)."""
    after_seq: int | None = None
    while True:
        page = query(store, since=since.isoformat(), after_seq=after_seq, limit=MAX_LIMIT)
        for record in page:
            if record.seq > upto_seq:
                return
            yield Observation.of(record)
        if len(page) < MAX_LIMIT:
            return
        after_seq = page[-1].seq
