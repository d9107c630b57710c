"""The ledger beside the audit log: figures per grant and day, and the check of both.

``grant_days`` puts side by side, for each grant and quota day: the approved budget (the
grant's ``max_rows_per_day``), the ledger's charged rows and open reservations, and the
rows the audit log's delivery records say went out.  Each delivery record names its quota
day (``details.quota_day``, written by the exchange); a record without one is counted on
the UTC+8 date of its ``ts``.  ``problems`` names any grant-day where the audit's
delivered rows exceed the approved budget, or where the ledger disagrees with the audit
log (charged ≠ delivered + rows still held by open reservations without a delivery).
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import select

from hub.events import DATA_DELIVERY
from hub.quota.ledger import is_lease, quota_day
from hub.quota.reconcile import delivered_rows
from hub.store.db import Store
from hub.store.models import AuditRecord, Grant, QuotaDay, QuotaReservation

Key = tuple[str, str]  # (grant id, day)


@dataclass
class GrantDay:
    """One grant's figures on one quota day."""

    grant: str
    day: str
    approved: int | None = None  # the grant's max_rows_per_day (None: no such grant)
    charged: int = 0  # the ledger: delivered or held
    open_rows: int = 0  # held by open reservations with no delivery record yet
    open_count: int = 0
    unconfirmed: int = 0  # charged by open reservations whose delivery is recorded, beyond it
    delivered: int = 0  # the audit log's delivery records
    problems: list[str] = field(default_factory=list)

    def check(self) -> None:
        """Name what does not add up (fills ``problems``)."""
        if self.approved is not None and self.delivered > self.approved:
            self.problems.append(f"delivered {self.delivered} rows, over the approved budget of {self.approved}")
        expected = self.delivered + self.open_rows + self.unconfirmed
        if self.charged != expected:
            self.problems.append(f"ledger charged {self.charged} rows, audit log accounts for {expected} "
                                 f"({self.delivered} delivered + {self.open_rows + self.unconfirmed} held)")


def charged(store: Store, day: str) -> dict[str, int]:
    """The ledger's rows charged per grant on quota day ``day`` (delivered or held)."""
    with store.session() as session:
        rows = session.execute(select(QuotaDay.grant_id, QuotaDay.charged).where(QuotaDay.day == day))
        return {grant: int(n) for grant, n in rows}


def _delivery_day(ts: str, details: object) -> str:
    day = details.get("quota_day") if isinstance(details, dict) else None
    return day if isinstance(day, str) else quota_day(datetime.fromisoformat(ts))


def audit_delivered(store: Store, grant: str | None = None) -> Counter[Key]:
    """Rows per (grant, quota day) in the audit log's delivery records."""
    query = (select(AuditRecord.grant, AuditRecord.rows, AuditRecord.ts, AuditRecord.details)
             .where(AuditRecord.event == DATA_DELIVERY, AuditRecord.grant.is_not(None)))
    if grant is not None:
        query = query.where(AuditRecord.grant == grant)
    totals: Counter[Key] = Counter()
    with store.session() as session:
        for grant_id, rows, ts, details in session.execute(query.execution_options(yield_per=5000)):
            totals[(grant_id, _delivery_day(ts, details))] += int(rows or 0)
    return totals


def grant_days(store: Store, grant: str | None = None, day: str | None = None) -> list[GrantDay]:
    """Every grant-day the ledger or the audit log knows of (filtered), with its problems."""
    found: dict[Key, GrantDay] = {}

    def at(key: Key) -> GrantDay:
        return found.setdefault(key, GrantDay(*key))

    for key, rows in audit_delivered(store, grant).items():
        at(key).delivered = rows
    with store.session() as session:
        ledger = select(QuotaDay.grant_id, QuotaDay.day, QuotaDay.charged)
        held = select(QuotaReservation.request_id, QuotaReservation.grant_id, QuotaReservation.day,
                      QuotaReservation.rows)
        if grant is not None:
            ledger, held = ledger.where(QuotaDay.grant_id == grant), held.where(QuotaReservation.grant_id == grant)
        for grant_id, day_, charged in session.execute(ledger):
            at((grant_id, day_)).charged = int(charged)
        reservations = session.execute(held).all()
        budgets = dict(session.execute(select(Grant.id, Grant.max_rows_per_day)).all())
    leases = {r.request_id: r.grant_id for r in reservations if is_lease(r.request_id)}
    recorded = delivered_rows(store, [r.request_id for r in reservations if r.request_id not in leases], leases)
    for rid, grant_id, day_, rows in reservations:
        figures = at((grant_id, day_))
        if rid in recorded:
            figures.unconfirmed += rows - recorded[rid]
        else:
            figures.open_rows += rows
            figures.open_count += 1
    result = [g for key, g in sorted(found.items()) if day is None or key[1] == day]
    for figures in result:
        figures.approved = budgets.get(figures.grant)
        figures.check()
    return result
