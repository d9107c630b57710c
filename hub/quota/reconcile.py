"""Reconciliation: open reservations closed against the audit log, the source of truth.

A reservation (``hub.quota.ledger``) stays open until one of two things is known:

- the audit log holds a delivery record for its ``request_id``: the reservation is
  **confirmed** — the rows that record delivered stay charged (whatever happened to the
  process that served it), the rest of the reservation is given back;
- (a **lease**, ``lease:…``: only once its lease has expired — its delivery records, those
  naming it in ``details.quota_lease``, are many and none says the lease is done)
- its lease has expired (``expires_at`` + ``CLOCK_SKEW_S``) and the audit log holds no
  delivery record for it: it is **released** — all its rows are given back.  A serving
  process never begins a delivery append later than ``lease − append bound`` after
  reserving (``Hold.begin_append``), so once the lease is over no delivery record for it
  can still land: the bound within which a crashed process's reservation is freed is
  the lease (``HUB_QUOTA_LEASE_S``, 60 s by default) plus the sweep period.

Each reservation is closed exactly once (one ``DELETE … RETURNING`` decides who closes
it), so any number of processes may reconcile at the same time.  Every API process
sweeps in the background (``Sweeper``): it deletes the rows of its own settled full pages
(it knows their delivery records are durable: no audit lookup) and reconciles the
expired reservations of any process; ``hub quota verify`` reconciles everything before
it compares, and a refused reservation reconciles its own grant and day first.
"""

from __future__ import annotations

import logging
import threading
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import cast

from sqlalchemy import Table, delete, select
from sqlalchemy.exc import SQLAlchemyError

from hub import metrics
from hub.events import DATA_DELIVERY
from hub.quota.ledger import CLOCK_SKEW_S, GIVE_BACK, Ledger, LedgerUnavailable, is_lease, utc_now
from hub.store.db import Store
from hub.store.models import AuditRecord, QuotaReservation

log = logging.getLogger(__name__)
_R = cast(Table, QuotaReservation.__table__)


@dataclass
class Reconciled:
    """What one reconciliation pass did."""

    confirmed: int = 0
    released: int = 0
    rows_returned: int = 0
    still_open: int = 0

    def add(self, other: Reconciled) -> None:
        self.confirmed += other.confirmed
        self.released += other.released
        self.rows_returned += other.rows_returned
        self.still_open = other.still_open


def delivered_rows(store: Store, request_ids: list[str], leases: dict[str, str] | None = None) -> dict[str, int]:
    """Rows each request delivered according to the audit log's delivery records; for each lease
    in ``leases`` (lease id → grant), the rows of the delivery records naming it."""
    found: Counter[str] = Counter()
    with store.session() as session:
        for start in range(0, len(request_ids), 500):
            chunk = request_ids[start:start + 500]
            query = (select(AuditRecord.request_id, AuditRecord.rows)
                     .where(AuditRecord.event == DATA_DELIVERY, AuditRecord.request_id.in_(chunk)))
            for request_id, rows in session.execute(query):
                if request_id is not None:
                    found[request_id] += int(rows or 0)
        if leases:
            # only a lease that outlived its process, or `hub quota show|verify`, comes here
            query = (select(AuditRecord.rows, AuditRecord.details)
                     .where(AuditRecord.event == DATA_DELIVERY, AuditRecord.grant.in_(sorted(set(leases.values())))))
            for count, details in session.execute(query.execution_options(yield_per=5000)):
                named = details.get("quota_lease") if isinstance(details, dict) else None
                if isinstance(named, str) and named in leases:
                    found[named] += int(count or 0)
    return dict(found)


def _batch(store: Store, now: datetime, grant: str | None, day: str | None, size: int,
           expired_only: bool) -> Reconciled:
    # The time is read before the audit log: a lease over by then has no delivery still to come.
    expired_before = now - timedelta(seconds=CLOCK_SKEW_S)
    query = select(_R.c.request_id, _R.c.grant_id, _R.c.expires_at).order_by(_R.c.expires_at).limit(size)
    if grant is not None:
        query = query.where(_R.c.grant_id == grant)
    if day is not None:
        query = query.where(_R.c.day == day)
    if expired_only:
        query = query.where(_R.c.expires_at <= expired_before)
    with store.session() as session:
        candidates = [(rid, grant_id, expires) for rid, grant_id, expires in session.execute(query)]  # aware
    leases = {rid: grant_id for rid, grant_id, _ in candidates if is_lease(rid)}
    delivered = delivered_rows(store, [rid for rid, _, _ in candidates if rid not in leases], leases)
    closable = [rid for rid, _, expires in candidates
                if (rid in delivered and rid not in leases) or expires <= expired_before]
    done = Reconciled(still_open=len(candidates) - len(closable))
    if not closable:
        return done
    give: Counter[tuple[str, str]] = Counter()
    with store.engine.begin() as conn:
        closed = conn.execute(delete(_R).where(_R.c.request_id.in_(closable))
                              .returning(_R.c.request_id, _R.c.grant_id, _R.c.day, _R.c.rows)).all()
        for rid, grant_id, day_, rows in closed:
            kept = delivered.get(rid, 0)
            give[(grant_id, day_)] += rows - kept
            if rid in delivered:
                done.confirmed += 1
            else:
                done.released += 1
        if give:
            conn.execute(GIVE_BACK, [{"give": n, "grant": g, "day": d} for (g, d), n in give.items()])
    done.rows_returned = sum(give.values())
    metrics.QUOTA_RECONCILED.labels("confirmed").inc(done.confirmed)
    metrics.QUOTA_RECONCILED.labels("released").inc(done.released)
    return done


def reconcile(store: Store, now: datetime | None = None, *, grant: str | None = None, day: str | None = None,
              batch: int = 2000, expired_only: bool = False) -> Reconciled:
    """Close every closable reservation (of ``grant`` on ``day`` if given; only those whose lease
    is over with ``expired_only``); see the module docstring."""
    now = now or utc_now()
    total = Reconciled()
    try:
        while True:
            done = _batch(store, now, grant, day, batch, expired_only)
            total.add(done)
            if done.confirmed + done.released == 0 or done.confirmed + done.released + done.still_open < batch:
                return total
    except SQLAlchemyError as exc:
        raise LedgerUnavailable(f"quota reconciliation failed: {type(exc).__name__}: {exc}") from None


class Sweeper:
    """One API process's background sweep, every ``period_s``: its own settled reservations
    deleted, then every expired reservation reconciled."""

    def __init__(self, ledger: Ledger, period_s: float, clock: Callable[[], datetime] = utc_now) -> None:
        self.ledger, self.store, self.period_s, self.clock = ledger, ledger.store, period_s, clock
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()

    def start(self) -> None:
        """Start the sweep thread if it is not running."""
        with self._lock:
            if self._thread is None:
                self._thread = threading.Thread(target=self._run, name="quota-sweeper", daemon=True)
                self._thread.start()

    def _run(self) -> None:
        while not self._stop.wait(self.period_s):
            self.sweep()

    def sweep(self) -> None:
        """One pass (a failure is logged and retried next period)."""
        try:
            self.ledger.retire_leases()
            self.ledger.flush_confirmed()
            reconcile(self.store, self.clock(), expired_only=True)
        except Exception as exc:  # noqa: BLE001 - a failed sweep is retried next period
            # One line per failed pass: a store outage would otherwise print a traceback
            # every period for as long as it lasts.
            log.warning("quota reconciliation sweep failed (retried in %.1f s): %s", self.period_s, exc)

    def stop(self) -> None:
        """Stop the sweep thread."""
        self._stop.set()
        thread = self._thread
        if thread is not None:
            thread.join(timeout=10)
        try:  # leases closed: their unused rows go back now, not at their expiry
            self.ledger.retire_leases(every=True)
        except Exception as exc:  # noqa: BLE001 - reconciliation closes them after their expiry
            log.warning("quota leases not closed at shutdown (%s); reconciliation will", exc)
        self.ledger.flush_confirmed()
