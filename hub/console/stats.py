"""The overview's figures, read from the audit log and the workflow (no second source of truth).

Deliveries and rows come from ``data.delivery`` records, denials from ``data.decision``
records that denied; they are counted per UTC hour in SQL (``substr(ts, 1, 13)``) and
laid out per hour (24 h) and per day (30 days) in Asia/Shanghai.  Top partners and
datasets are by rows delivered in 30 days.  The chain status is the newest signed
checkpoint, whether its signature verifies with the published audit keys, and its age.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, cast

from sqlalchemy import Table, case, func, select
from sqlalchemy.orm import Session

from hub.audit.checkpoints import signature_problem
from hub.audit.pubkeys import audit_jwks, key_map
from hub.console.i18n import SHANGHAI
from hub.events import DATA_DECISION, DATA_DELIVERY
from hub.keys import KeyStore
from hub.store.models import Application, AuditCheckpoint, AuditRecord, Grant

_A = cast(Table, AuditRecord.__table__)
_CP = cast(Table, AuditCheckpoint.__table__)


@dataclass(frozen=True)
class Series:
    """Labels and the three counts per label."""

    labels: list[str]
    deliveries: list[int]
    denials: list[int]
    rows: list[int]

    def as_dict(self) -> dict[str, Any]:
        return {"labels": self.labels, "deliveries": self.deliveries, "denials": self.denials, "rows": self.rows}


def _utc_hours(session: Session, since: datetime) -> dict[str, tuple[int, int, int]]:
    """UTC hour ``YYYY-MM-DDTHH`` → (deliveries, denials, rows) since ``since``."""
    hour = func.substr(_A.c.ts, 1, 13)
    is_delivery = _A.c.event == DATA_DELIVERY
    is_denial = (_A.c.event == DATA_DECISION) & (_A.c.decision == "deny")
    query = (select(hour, func.sum(case((is_delivery, 1), else_=0)), func.sum(case((is_denial, 1), else_=0)),
                    func.sum(case((is_delivery, func.coalesce(_A.c.rows, 0)), else_=0)))
             .where(_A.c.ts >= since.isoformat(timespec="microseconds"), is_delivery | is_denial).group_by(hour))
    return {str(h): (int(d or 0), int(n or 0), int(r or 0)) for h, d, n, r in session.execute(query)}


def _local_bucket(utc_hour: str, fmt: str) -> str:
    moment = datetime.fromisoformat(utc_hour + ":00:00+00:00")
    return moment.astimezone(SHANGHAI).strftime(fmt)


def _series(counts: dict[str, tuple[int, int, int]], labels: list[str], fmt: str) -> Series:
    totals: dict[str, list[int]] = {label: [0, 0, 0] for label in labels}
    for utc_hour, values in counts.items():
        bucket = totals.get(_local_bucket(utc_hour, fmt))
        if bucket is not None:
            for i, value in enumerate(values):
                bucket[i] += value
    return Series(labels, [totals[k][0] for k in labels], [totals[k][1] for k in labels],
                  [totals[k][2] for k in labels])


def traffic(session: Session, now: datetime) -> tuple[Series, Series]:
    """(per hour, last 24 h) and (per day, last 30 days), in Asia/Shanghai."""
    local = now.astimezone(SHANGHAI)
    counts = _utc_hours(session, now - timedelta(days=30))
    hours = [(local - timedelta(hours=i)).strftime("%m-%d %H:00") for i in range(23, -1, -1)]
    days = [(local - timedelta(days=i)).strftime("%Y-%m-%d") for i in range(29, -1, -1)]
    return _series(counts, hours, "%m-%d %H:00"), _series(counts, days, "%Y-%m-%d")


def top(session: Session, now: datetime, column: str, n: int = 5) -> list[tuple[str, int]]:
    """The ``n`` subjects or datasets with most rows delivered in 30 days."""
    col = _A.c[column]
    query = (select(col, func.sum(_A.c.rows)).where(_A.c.event == DATA_DELIVERY,
                                                    _A.c.ts >= (now - timedelta(days=30)).isoformat())
             .group_by(col).order_by(func.sum(_A.c.rows).desc()).limit(n))
    return [(str(name), int(rows or 0)) for name, rows in session.execute(query)]


def pending(session: Session) -> list[Application]:
    return list(session.scalars(select(Application).where(Application.status == "pending")
                                .order_by(Application.created_at)))


def expiring(session: Session, now: datetime, days: int = 7) -> list[Grant]:
    """Grants in force that end within ``days``."""
    return list(session.scalars(select(Grant).where(Grant.revoked_at.is_(None), Grant.valid_until > now,
                                                    Grant.valid_until <= now + timedelta(days=days))
                                .order_by(Grant.valid_until)))


@dataclass(frozen=True)
class ChainStatus:
    records: int
    checkpoint_seq: int | None
    checkpoint_ts: str | None
    checkpoint_ok: bool
    age_s: float | None


def chain_status(session: Session, keys: KeyStore, now: datetime) -> ChainStatus:
    """The newest checkpoint, whether its signature verifies, and its age."""
    records = int(session.scalar(select(func.max(_A.c.seq))) or 0)
    row = session.execute(select(_CP).order_by(_CP.c.seq.desc()).limit(1)).first()
    if row is None:
        return ChainStatus(records, None, None, False, None)
    cp = dict(row._mapping)
    ok = signature_problem(cp, key_map(audit_jwks(keys)["keys"])) is None
    age = (now - datetime.fromisoformat(str(cp["ts"]))).total_seconds()
    return ChainStatus(records, int(cp["seq"]), str(cp["ts"]), ok, max(0.0, age))


def last_seen(session: Session) -> dict[str, str]:
    """Subject → ts of its latest audit record (partners' last contact)."""
    query = select(_A.c.subject, func.max(_A.c.ts)).where(_A.c.subject.like("partner:%")).group_by(_A.c.subject)
    return {str(s): str(ts) for s, ts in session.execute(query)}

