"""Daily row usage per grant (``row_usage``): what the policy's daily quota is checked against.

The usage of today (days in UTC+8, as in ``hub.policy.data``) goes into each
decision's input as ``context.rows_used_today`` (grant id → rows), so the policies
see it at once and the policy data (and with it the compiled bundle and the decision
cache) does not change with every delivery.

``UsageLedger`` keeps that count for one API process.  For each grant it adds up:

- the rows the store held when this process last read it (every ``ttl_s``: other
  processes' deliveries are seen with that lag);
- rows this process wrote to the store since that read;
- rows delivered but not written yet (one background writer upserts them every
  ``period_s``, so deliveries do not compete with the audit writer for the store);
- rows reserved by requests in flight: a request reserves its page size right
  after its decision and settles with the rows it actually delivered.

So within a process the quota is exact, for back-to-back and for concurrent
requests: the exchange reads the usage, decides and reserves under one lock.
Writes and reads of the store are serialised, so a read includes exactly the
writes that finished before it and the two never count the same rows.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from typing import Any, cast

from sqlalchemy import Table, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.exc import SQLAlchemyError

from hub.errors import Unavailable
from hub.policy.data import today
from hub.store.db import Store
from hub.store.models import RowUsage

_T = cast(Table, RowUsage.__table__)
log = logging.getLogger(__name__)

Key = tuple[str, str, str]  # (holder, grant id, day)


class UsageUnavailable(Unavailable):
    """Row usage could not be read or recorded; the request is refused."""

    title = "row usage unavailable"


def holder(subject_id: str) -> str:
    """The ``row_usage.partner_id`` of a subject: its id without the kind (``hz-xihu-jw``)."""
    return subject_id.split(":", 1)[-1]


def record(store: Store, holder_id: str, grant_id: str, day: str, rows: int) -> None:
    """Add ``rows`` to ``day``'s usage of ``grant_id`` by ``holder_id`` (one upsert)."""
    values: dict[str, Any] = {"partner_id": holder_id, "grant_id": grant_id, "day": day, "rows": rows}
    insert = sqlite_insert if store.engine.dialect.name == "sqlite" else pg_insert
    stmt = insert(_T).values(**values)
    stmt = stmt.on_conflict_do_update(index_elements=["partner_id", "grant_id", "day"],
                                      set_={"rows": _T.c.rows + stmt.excluded.rows})
    try:
        with store.session() as session:
            session.execute(stmt)
    except SQLAlchemyError as exc:
        raise UsageUnavailable(f"row usage for grant `{grant_id}` not recorded: {exc}") from None


def read_day(store: Store, day: str) -> Counter[Key]:
    """Every holder's usage per grant on ``day``."""
    try:
        with store.session() as session:
            rows = session.execute(select(RowUsage.partner_id, RowUsage.grant_id, RowUsage.rows)
                                   .where(RowUsage.day == day)).all()
    except SQLAlchemyError as exc:
        raise UsageUnavailable(f"row usage of {day} not readable: {exc}") from None
    return Counter({(p, g, day): int(n) for p, g, n in rows})


@dataclass(frozen=True)
class Reservation:
    """Rows held for one request in flight, until ``settle`` or ``release``."""

    key: Key
    rows: int


class UsageLedger:
    """Today's rows per grant for one process (see the module docstring)."""

    def __init__(self, store: Store, *, ttl_s: float = 1.0, period_s: float = 1.0) -> None:
        self.store = store
        self.ttl_s = ttl_s
        self.period_s = period_s
        self.failing = False
        self._lock = threading.Lock()  # the counters below
        self._io = threading.Lock()  # store reads and writes, one at a time
        self._stored: Counter[Key] = Counter()  # as of the last read of the store
        self._read_day = ""
        self._read_at = float("-inf")
        self._written: Counter[Key] = Counter()  # written by this process since that read
        self._pending: Counter[Key] = Counter()  # delivered, not written yet
        self._reserved: Counter[Key] = Counter()  # held by requests in flight
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    # --- reading ------------------------------------------------------------------------

    def used_today(self, subject_id: str, now: datetime) -> dict[str, int]:
        """Rows used today by ``subject_id``, per grant id (only grants with usage)."""
        day = today(now)
        self._refresh(day)
        who = holder(subject_id)
        with self._lock:
            total = self._stored + self._written + self._pending + self._reserved
        return {grant: rows for (h, grant, d), rows in total.items() if h == who and d == day}

    def _refresh(self, day: str) -> None:
        if day == self._read_day and time.monotonic() - self._read_at < self.ttl_s:
            return
        with self._io:
            if day == self._read_day and time.monotonic() - self._read_at < self.ttl_s:
                return  # another thread read it meanwhile
            stored = read_day(self.store, day)
            with self._lock:
                self._stored, self._written = stored, Counter()
                self._read_day, self._read_at = day, time.monotonic()

    # --- counting -------------------------------------------------------------------------

    def reserve(self, subject_id: str, grant_id: str, rows: int, now: datetime) -> Reservation:
        """Hold ``rows`` of ``grant_id``'s quota for a request about to run."""
        reservation = Reservation((holder(subject_id), grant_id, today(now)), max(0, rows))
        with self._lock:
            self._reserved[reservation.key] += reservation.rows
        return reservation

    def release(self, reservation: Reservation) -> None:
        """Give back a reservation whose request delivered nothing."""
        with self._lock:
            self._reserved[reservation.key] -= reservation.rows
            if self._reserved[reservation.key] <= 0:
                del self._reserved[reservation.key]

    @contextmanager
    def given_back_on_failure(self, reservation: Reservation | None) -> Iterator[None]:
        """Release ``reservation`` if the block raises: its request delivered nothing."""
        try:
            yield
        except BaseException:
            if reservation is not None:
                self.release(reservation)
            raise

    def settle(self, reservation: Reservation, rows: int) -> None:
        """Count the ``rows`` a request delivered in place of its reservation (written within ``period_s``)."""
        with self._lock:
            self._reserved[reservation.key] -= reservation.rows
            if self._reserved[reservation.key] <= 0:
                del self._reserved[reservation.key]
            if rows:
                self._pending[reservation.key] += rows
            if self._thread is None:
                self._thread = threading.Thread(target=self._run, name="row-usage", daemon=True)
                self._thread.start()

    # --- writing --------------------------------------------------------------------------

    def flush(self) -> None:
        """Write every pending count now (kept for the next attempt if the store fails)."""
        with self._io:
            # Move pending to written in one step (a concurrent ``used_today`` must never see
            # the rows in neither), and take back what fails.  A store read cannot interleave
            # (``_io``).
            with self._lock:
                pending, self._pending = self._pending, Counter()
                self._written.update(pending)
            for key, rows in list(pending.items()):
                try:
                    record(self.store, key[0], key[1], key[2], rows)
                except UsageUnavailable:
                    log.exception("row usage flush failed; retrying")
                    self.failing = True
                    unwritten = +pending  # the keys not written yet (written ones are zeroed)
                    with self._lock:
                        self._written.subtract(unwritten)
                        self._written = +self._written
                        self._pending.update(unwritten)
                    return
                pending[key] = 0
            self.failing = False

    def _run(self) -> None:
        while not self._stop.wait(self.period_s):
            self.flush()

    def close(self) -> None:
        """Stop the writer after a last flush."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=10)
        self.flush()
