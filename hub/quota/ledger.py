"""The quota ledger: a grant's daily row budget charged in the metadata store.

Issue 26: the budget two officers approved holds whatever the deployment looks like.
Rows are charged **before they leave**, in the store, by one atomic statement that every
API process shares (``reserve``):

- ``quota_days`` holds, per (grant, day), the rows ``charged`` — delivered, or held by a
  request in flight — and the ``budget``; the charge is one conditional upsert whose
  ``WHERE charged + n <= budget`` makes any number of processes together stop exactly at
  the budget (PostgreSQL: one statement, a CTE that also records the reservation;
  SQLite: the upsert and the reservation in one write transaction);
- ``quota_reservations`` remembers each charge by ``request_id`` until the audit log
  confirms its delivery (``hub.quota.reconcile``): a reservation whose delivery record
  reached the audit log counts as used even if its process died before settling it; one
  with no delivery record is given back once its lease has expired.

A page that does not fit in what is left of the budget is refused whole (``QuotaExceeded``,
a 403 whose reason names the budget, the rows charged and the rows asked for): a partner
asks for fewer rows or waits for the next day.  Truncating the page instead would hand
out a short page the partner did not ask for and that its cursor would have to explain.

The request flow (``hub.exchange.service``): decide (cached) → ``reserve`` the page's
rows → build the page → ``Hold.begin_append`` (refuses once the lease is too short for
the audit append to finish inside it) → append the decision and delivery records → settle
with the rows delivered.  ``Hold`` gives the reservation back if the request fails
before the append began and leaves it to reconciliation if the append may have landed.

The ledger commits without waiting for its own flush to disk (PostgreSQL
``synchronous_commit=off``; SQLite ``synchronous=NORMAL`` in WAL mode), so a charge costs a
round trip, not an fsync (``bench/quota.py``: an fsync here is ≈ 4 ms, longer than the rest
of a cached request).  Nothing the budget depends on is weakened by it: the store's log is
written in order, and every delivery record is appended later with a synchronous commit
(the audit log), which flushes the log through it — so whenever a delivery is durable,
the charge made before it is too.  What a crash of the database host itself can lose are
charges whose delivery never got recorded (rows that never left) and give-backs
(over-charges, which reconciliation makes again from the reservation rows).  A crash of an
API process loses nothing: its commits are in the database server's hands.

**Leases** (issue 13: the charge was ≈ 10 % of a cached 100-row request's CPU and one
store write per request).  When a grant's budget is large beside the page, a process
charges a chunk of rows once — a reservation like any other, whose ``request_id`` is the
lease's id (``lease:…``) — and hands pages out of it in memory; each delivery record names
its lease (``details.quota_lease``).  A lease is charged by the same conditional statement,
so the processes together still never hold more than the budget; it takes at most
``LEASE_ROWS`` and at most 1/``LEASE_SHARE`` of the day's budget, and only when it holds
``LEASE_PAGES`` pages or more — a small budget (the two-officer-approved 100 rows a day of a
case check) is charged page by page, exactly as before.  A lease hands out pages for at
most ``LEASE_USE_S``; the process then closes it, giving back what no page took, as soon as
its pages in flight are settled (the sweeper looks every period), so rows a lease holds
come back to the other processes within ``LEASE_USE_S`` + the sweep period.  A page that
does not fit in its process's lease retires that lease at once and is charged on its own.
A killed process's lease is closed by reconciliation after its expiry like any
reservation: the rows its delivery records name stay charged, the rest are given back.

Days are local (UTC+8, Asia/Shanghai has no daylight saving) and come from an injected
clock, so tests never depend on the wall clock.
"""

from __future__ import annotations

import logging
import os
import re
import socket
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager, nullcontext
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

from sqlalchemy import Engine, create_engine, event, text
from sqlalchemy.exc import SQLAlchemyError

from hub import inline, metrics
from hub.errors import Forbidden, SettingsError, Unavailable
from hub.policy.decision import Quota
from hub.store.db import SQLITE_BUSY_TIMEOUT_S, SQLITE_POOL_SIZE, Store, sqlite_path, sqlite_write_lock

log = logging.getLogger(__name__)
CST = timezone(timedelta(hours=8), "UTC+8")
#: Reconciliation gives back an expired reservation only this long after its expiry, so
#: API hosts whose clocks disagree by less than this never release a live one early.
CLOCK_SKEW_S = 1.0
LEASE_PREFIX = "lease:"  # the request_id of a lease's reservation row
LEASE_ROWS = 100_000  # the most rows one lease takes …
LEASE_SHARE = 32  # … and at most this share (1/N) of the day's budget …
LEASE_PAGES = 4  # … and a lease only when it holds at least this many pages of the request
LEASE_USE_S = 2.0  # how long a lease hands out pages before it is closed


def is_lease(request_id: str) -> bool:
    """Whether a reservation row is a lease (``hub.quota.ledger``'s module docstring)."""
    return request_id.startswith(LEASE_PREFIX)


_last_day: tuple[int, str] = (-1 << 62, "")  # (day number in UTC+8, its date): every request asks


def quota_day(now: datetime) -> str:
    """The quota day of ``now``: its date in UTC+8 (YYYY-MM-DD); naive times are UTC."""
    global _last_day
    if now.tzinfo is None:
        now = now.replace(tzinfo=UTC)
    number = int((now.timestamp() + 8 * 3600) // 86400)
    found = _last_day
    if found[0] != number:
        found = _last_day = (number, now.astimezone(CST).strftime("%Y-%m-%d"))
    return found[1]


def utc_now() -> datetime:
    return datetime.now(UTC)


class QuotaExceeded(Forbidden):
    """The page does not fit in what is left of the grant's daily budget (403)."""

    title = "daily row budget exhausted"

    def __init__(self, quota: Quota, day: str, charged: int, rows: int) -> None:
        reason = (f"rule quota: grant `{quota.grant}` daily budget of {quota.max_rows_per_day} rows on {day}: "
                  f"{charged} charged, {rows} more requested")
        super().__init__(reason, grant=quota.grant, day=day)
        self.reasons = [reason]


class LedgerUnavailable(Unavailable):
    """The quota ledger could not charge or settle; no rows leave (503)."""

    title = "quota ledger unavailable"


@dataclass(frozen=True)
class Reservation:
    """Rows charged for ``request_id`` against ``grant`` on ``day``."""

    request_id: str
    grant: str
    day: str
    rows: int
    deadline: float  # monotonic: the last moment the delivery's audit append may begin
    lease: str | None = None  # the lease the rows come from (None: charged for this request alone)


@dataclass(eq=False)
class _Lease:
    """Rows this process charged once and hands out to pages in memory."""

    id: str
    grant: str
    day: str
    rows: int
    deadline: float  # as a reservation's: no delivery append from it may begin later
    use_until: float  # monotonic: no new page is drawn from it after this
    taken: int = 0  # rows held by pages in flight or delivered
    delivered: int = 0  # rows of settled deliveries
    inflight: int = 0  # pages drawn and not yet settled or released
    retired: bool = False  # no more pages: closed once nothing is in flight
    uncertain: bool = False  # a page's append failed after it began: reconciliation closes it
    closed: bool = False

    def fits(self, rows: int, now: float) -> bool:
        return not self.retired and now < self.use_until and self.taken + rows <= self.rows


@dataclass(eq=False)
class _Charge:
    """One queued SQLite charge and, once written, its outcome."""

    params: dict[str, Any]
    done: threading.Event = field(default_factory=threading.Event)
    lead: bool = False
    result: tuple[bool, int] | None = None
    error: BaseException | None = None


def holder_id() -> str:
    """This process, as reservations name it: ``host:pid:nonce``."""
    return f"{socket.gethostname()[:60]}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


# --- statements ---------------------------------------------------------------------------

# The statements run on the driver's own connection (from the ledger engine's pool), not
# through SQLAlchemy: a charge is then ≈ 30 µs on SQLite and one ≈ 70 µs round trip on
# PostgreSQL instead of 160 / 300-370 µs (bench/quota.py).  Written with ``:name``
# parameters; ``_for`` turns them into psycopg's ``%(name)s`` for PostgreSQL.

# The charge: one conditional upsert; it returns a row only when the rows fit in the budget.
_UPSERT = (
    "INSERT INTO quota_days AS q (grant_id, day, budget, charged) "
    "SELECT CAST(:grant AS VARCHAR), CAST(:day AS VARCHAR), CAST(:budget AS BIGINT), CAST(:rows AS BIGINT) "
    "WHERE CAST(:rows AS BIGINT) <= CAST(:budget AS BIGINT) "
    "ON CONFLICT (grant_id, day) DO UPDATE SET charged = q.charged + excluded.charged, budget = excluded.budget "
    "WHERE q.charged + excluded.charged <= excluded.budget "
)
_RECORD = ("INSERT INTO quota_reservations (request_id, grant_id, day, rows, holder, created_at, expires_at) ")
# PostgreSQL: the charge and the reservation in one statement (one round trip, autocommit).
PG_RESERVE = ("WITH charged AS (" + _UPSERT + "RETURNING q.grant_id) " + _RECORD  # noqa: S608 - constants
              + "SELECT :rid, :grant, :day, :rows, :holder, :created, :expires FROM charged RETURNING request_id")
# SQLite: the same two writes in one write transaction.
SQLITE_CHARGE = _UPSERT + "RETURNING charged"
SQLITE_RECORD = _RECORD + "VALUES (:rid, :grant, :day, :rows, :holder, :created, :expires)"
# Give back ``rows - delivered`` of one reservation and close it (PostgreSQL: one statement).
PG_CLOSE = ("WITH r AS (DELETE FROM quota_reservations WHERE request_id = :rid RETURNING grant_id, day, rows) "
            "UPDATE quota_days AS q SET charged = q.charged - (r.rows - :delivered) FROM r "
            "WHERE q.grant_id = r.grant_id AND q.day = r.day")
SQLITE_DELETE = "DELETE FROM quota_reservations WHERE request_id = :rid RETURNING grant_id, day, rows"
SQLITE_GIVE_BACK = "UPDATE quota_days SET charged = charged - :give WHERE grant_id = :grant AND day = :day"
CHARGED = "SELECT charged FROM quota_days WHERE grant_id = :grant AND day = :day"
#: For SQLAlchemy callers (reconciliation).
GIVE_BACK = text(SQLITE_GIVE_BACK)
_PARAM = re.compile(r":([a-z_][a-z0-9_]*)")


def _for(dialect: str, statement: str) -> str:
    return _PARAM.sub(r"%(\1)s", statement) if dialect == "postgresql" else statement


def _sqlite_instant(moment: datetime) -> str:
    """An instant as ``UtcDateTime`` stores it on SQLite (naive UTC, SQLAlchemy's format)."""
    return moment.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S.%f")


# --- the ledger ---------------------------------------------------------------------------


def ledger_engine(store: Store) -> Engine:
    """The store's database, with commits that do not wait for their own flush (see above).

    SQLite connections are in driver autocommit mode (the ledger says BEGIN IMMEDIATE
    itself); PostgreSQL connections autocommit (every ledger write is one statement).
    """
    url = store.engine.url
    if url.get_backend_name() == "sqlite":
        if sqlite_path(url.render_as_string(hide_password=False)) is None:
            raise SettingsError("the quota ledger needs a SQLite file or a PostgreSQL store, not an in-memory one")
        engine = create_engine(url, connect_args={"timeout": SQLITE_BUSY_TIMEOUT_S},
                               pool_size=SQLITE_POOL_SIZE, max_overflow=SQLITE_POOL_SIZE)

        def pragmas(dbapi_conn: Any, _record: Any) -> None:
            dbapi_conn.isolation_level = None
            for pragma in (f"busy_timeout={SQLITE_BUSY_TIMEOUT_S * 1000}", "journal_mode=WAL",
                           "synchronous=NORMAL"):
                dbapi_conn.execute(f"PRAGMA {pragma}")

        event.listen(engine, "connect", pragmas)
        return engine
    return create_engine(url, pool_pre_ping=True, pool_size=10, max_overflow=30, isolation_level="AUTOCOMMIT",
                         connect_args={"options": "-c synchronous_commit=off"})


class Ledger:
    """Charges pages against daily budgets in one metadata store (see the module docstring)."""

    def __init__(self, store: Store, *, lease_s: float, append_bound_s: float,
                 clock: Callable[[], datetime] = utc_now, monotonic: Callable[[], float] = time.monotonic,
                 holder: str | None = None, leasing: bool = True) -> None:
        if lease_s <= append_bound_s + 1:
            raise SettingsError(f"HUB_QUOTA_LEASE_S: {lease_s} s must exceed the audit append bound "
                                f"({append_bound_s:.0f} s, from HUB_AUDIT_LOCK_TIMEOUT_S) by more than 1 s")
        self.store = store
        self.lease_s = lease_s
        self.append_bound_s = append_bound_s
        self.clock = clock
        self.monotonic = monotonic
        self.holder = holder or holder_id()
        self.leasing = leasing
        self._leases: dict[tuple[str, str], _Lease] = {}  # (grant, day) → the lease pages are drawn from
        self._lease_ids: dict[str, _Lease] = {}  # every lease not closed yet, by id
        self._acquiring: dict[tuple[str, str], threading.Lock] = {}
        self._no_lease_until: dict[tuple[str, str], float] = {}  # (grant, day) → when to try a lease again
        self._lease_lock = threading.Lock()
        self.dialect = store.engine.dialect.name
        self.engine = ledger_engine(store)
        self._driver_error: type[Exception] = self.engine.dialect.loaded_dbapi.Error
        self._sql = {name: _for(self.dialect, sql) for name, sql in
                     (("reserve", PG_RESERVE), ("close", PG_CLOSE), ("charged", CHARGED))}
        self._queued: list[_Charge] = []  # SQLite: charges waiting for the leader (``_combined``)
        self._queued_lock = threading.Lock()
        self._leading = False
        self._confirmed: list[str] = []  # settled full pages whose reservation rows are still there
        self._confirmed_lock = threading.Lock()
        # SQLite has one writer at a time and a waiting connection backs off in sleeps of 1, 2,
        # 5, 10… ms: the ledger's own writes queue on a lock in the process instead.
        # The lock is the one the audit writer holds around its batches on the same file
        # (``sqlite_write_lock``), so a charge never waits in SQLite's busy handler behind it.
        self._writes: AbstractContextManager[Any] = (
            sqlite_write_lock(store.engine.url.render_as_string(hide_password=False))
            if self.dialect == "sqlite" else nullcontext())

    def dispose(self) -> None:
        """Close the ledger's connections."""
        self.engine.dispose()

    def reserve(self, request_id: str, quota: Quota, rows: int, now: datetime | None = None) -> Reservation:
        """Charge ``rows`` for ``request_id`` against ``quota`` (``QuotaExceeded`` if they do not fit).

        From this process's lease of the grant's day when one holds them (or can be taken);
        otherwise charged for this request alone.
        """
        now = now or self.clock()
        started = self.monotonic()
        day = quota_day(now)
        if self.leasing:
            found = self._from_lease(request_id, quota, rows, day, now, started)
            if found is not None:
                metrics.QUOTA_RESERVATIONS.labels("charged").inc()
                return found
        charged, current = self._charge_rows(request_id, quota, rows, day, now)
        if not charged:
            metrics.QUOTA_RESERVATIONS.labels("refused").inc()
            raise QuotaExceeded(quota, day, current, rows)
        metrics.QUOTA_RESERVATIONS.labels("charged").inc()
        return Reservation(request_id, quota.grant, day, rows,
                           deadline=started + self.lease_s - self.append_bound_s)

    def _charge_rows(self, request_id: str, quota: Quota, rows: int, day: str, now: datetime) -> tuple[bool, int]:
        """Charge ``rows`` under ``request_id`` in the store: (charged, rows charged now when refused)."""
        inline.check("quota ledger write")
        expires = now + timedelta(seconds=self.lease_s)
        sqlite = self.dialect == "sqlite"
        params = {"rid": request_id, "grant": quota.grant, "day": day, "rows": rows,
                  "budget": quota.max_rows_per_day, "holder": self.holder,
                  "created": _sqlite_instant(now) if sqlite else now,
                  "expires": _sqlite_instant(expires) if sqlite else expires}
        try:
            return (self._combined(params) if sqlite else self._write(lambda cur: self._charge(cur, params)))
        except (SQLAlchemyError, self._driver_error) as exc:
            metrics.QUOTA_RESERVATIONS.labels("error").inc()
            raise LedgerUnavailable(f"quota ledger: no charge for grant `{quota.grant}`: "
                                    f"{type(exc).__name__}") from None

    # --- leases ---------------------------------------------------------------------------

    def lease_size(self, quota: Quota, rows: int) -> int | None:
        """The rows a lease for pages of ``rows`` takes under ``quota``; None: charge page by page."""
        size = min(LEASE_ROWS, quota.max_rows_per_day // LEASE_SHARE)
        return size if size >= LEASE_PAGES * rows else None

    def _take(self, lease: _Lease, request_id: str, rows: int) -> Reservation:
        lease.taken += rows
        lease.inflight += 1
        return Reservation(request_id, lease.grant, lease.day, rows, deadline=lease.deadline, lease=lease.id)

    def _from_lease(self, request_id: str, quota: Quota, rows: int, day: str, now: datetime,
                    started: float) -> Reservation | None:
        """``rows`` from this process's lease of (grant, day), leasing anew if needed; None: no lease."""
        key = (quota.grant, day)
        size = self.lease_size(quota, rows)
        if size is not None and self._no_lease_until.get(key, float("-inf")) > started:
            size = None  # a lease of this size was refused a moment ago: page by page for now
        with self._lease_lock:
            lease = self._leases.get(key)
            if lease is not None and lease.fits(rows, started):
                return self._take(lease, request_id, rows)
            inline.check("quota lease to take")
            done = self._retire(key) if lease is not None else None
            acquiring = self._acquiring.setdefault(key, threading.Lock()) if size is not None else None
        if done is not None:
            self._close_lease(done)
        if acquiring is None or size is None:
            return None
        with acquiring:  # one lease charge per (grant, day) at a time; the others wait for it
            with self._lease_lock:
                lease = self._leases.get(key)
                if lease is not None and lease.fits(rows, self.monotonic()):
                    return self._take(lease, request_id, rows)
            lease_id = LEASE_PREFIX + uuid.uuid4().hex
            charged, _ = self._charge_rows(lease_id, quota, size, day, now)
            if not charged:  # not that much left: page by page, without asking again for a while
                self._no_lease_until[key] = self.monotonic() + LEASE_USE_S
                return None
            lease = _Lease(lease_id, quota.grant, day, size, deadline=started + self.lease_s - self.append_bound_s,
                           use_until=min(started + LEASE_USE_S, started + self.lease_s - self.append_bound_s))
            with self._lease_lock:
                self._leases[key] = self._lease_ids[lease_id] = lease
                if lease.fits(rows, self.monotonic()):
                    return self._take(lease, request_id, rows)
            return None

    def _retire(self, key: tuple[str, str]) -> _Lease | None:
        """Hand no more pages out of the lease of ``key`` (lock held); the lease if it can be closed now."""
        lease = self._leases.pop(key, None)
        if lease is None:
            return None
        lease.retired = True
        return lease if self._closable(lease) else None

    @staticmethod
    def _closable(lease: _Lease) -> bool:
        if lease.retired and lease.inflight == 0 and not lease.closed and not lease.uncertain:
            lease.closed = True
            return True
        return False

    def _close_lease(self, lease: _Lease) -> None:
        """Give back what no page of ``lease`` took (its delivery records keep the rest charged)."""
        with self._lease_lock:
            self._lease_ids.pop(lease.id, None)
        self.close(Reservation(lease.id, lease.grant, lease.day, lease.rows, lease.deadline), lease.delivered)

    def _returned(self, reservation: Reservation, delivered: int | None) -> None:
        """A page of a lease settled with ``delivered`` rows (None: released unused, or uncertain)."""
        with self._lease_lock:
            lease = self._lease_ids.get(reservation.lease or "")
            if lease is None:
                return
            lease.inflight -= 1
            if delivered is None:
                lease.taken -= reservation.rows
            elif delivered < 0:  # the append may have landed: only the audit log can tell
                lease.uncertain = True
            else:
                lease.delivered += delivered
                lease.taken -= max(0, reservation.rows - delivered)
            done = lease if self._closable(lease) else None
        if done is not None:
            self._close_lease(done)

    def retire_leases(self, *, every: bool = False) -> int:
        """Retire leases past their use (all with ``every``) and close those idle; how many closed."""
        now = self.monotonic()
        with self._lease_lock:
            done = [self._retire(key) for key, lease in list(self._leases.items())
                    if every or now >= lease.use_until]
            done += [lease for lease in self._lease_ids.values() if self._closable(lease)]
        closing = [lease for lease in done if lease is not None]
        for lease in closing:
            self._close_lease(lease)
        return len(closing)

    def _charge(self, cur: Any, params: dict[str, Any]) -> tuple[bool, int]:
        """Run the charge: (charged and recorded, rows charged now when refused)."""
        if self.dialect == "postgresql":
            charged = cur.execute(self._sql["reserve"], params).fetchone() is not None
        else:
            charged = cur.execute(SQLITE_CHARGE, params).fetchone() is not None
            if charged:
                cur.execute(SQLITE_RECORD, params)
        if charged:
            return True, 0
        found = cur.execute(self._sql["charged"], params).fetchone()
        return False, int(found[0]) if found else 0

    def _combined(self, params: dict[str, Any]) -> tuple[bool, int]:
        """SQLite: ``_charge`` for ``params``, in one write transaction with the charges waiting beside it.

        The charges of one process queue here, and one thread at a time (the leader) writes
        everything queued in one ``BEGIN IMMEDIATE`` … ``COMMIT``, each charge under its own
        savepoint, in arrival order — the same statements, so the same outcome, as one
        transaction each.  Without it, concurrent requests handed a lock from thread to
        thread, each hand-over waiting for the interpreter lock behind the event loop: a
        convoy that capped a server at a few hundred charges a second (``BENCHMARKS.md``).
        """
        mine = _Charge(params)
        with self._queued_lock:
            self._queued.append(mine)
            if not self._leading:
                self._leading = mine.lead = True
        if not mine.lead:
            mine.done.wait()  # charged by a leader, or made the leader
        if mine.lead:
            self._lead()
        if mine.error is not None:
            raise mine.error
        assert mine.result is not None
        return mine.result

    def _lead(self) -> None:
        """Write the queued charges in one transaction; hand the lead on to the next one queued."""
        with self._queued_lock:
            batch, self._queued = self._queued, []

        def work(cur: Any) -> None:
            for charge in batch:
                cur.execute("SAVEPOINT charge")
                try:
                    charge.result = self._charge(cur, charge.params)
                except self._driver_error as exc:
                    cur.execute("ROLLBACK TO charge")
                    charge.error = exc
                cur.execute("RELEASE charge")

        failure: BaseException | None = None
        try:
            self._write(work)
        except BaseException as exc:  # the transaction failed: no charge of the batch stands
            failure = exc
            for charge in batch:
                charge.result, charge.error = None, exc
        finally:
            with self._queued_lock:
                if self._queued:
                    self._queued[0].lead = True
                    self._queued[0].done.set()
                else:
                    self._leading = False
            for charge in batch:
                charge.done.set()
        if failure is not None and not isinstance(failure, Exception):
            raise failure  # KeyboardInterrupt and the like: not the ledger's to swallow

    def _write(self, work: Callable[[Any], Any]) -> Any:
        """Run ``work(cursor)`` as one write on a pooled driver connection.

        SQLite: inside BEGIN IMMEDIATE … COMMIT (rolled back on failure), one writer of this
        process at a time.  PostgreSQL: autocommit, each statement its own transaction.
        """
        with self._writes:
            raw = self.engine.raw_connection()
            try:
                cur = raw.cursor()
                if self.dialect != "sqlite":
                    return work(cur)
                cur.execute("BEGIN IMMEDIATE")
                try:
                    result = work(cur)
                except BaseException:
                    cur.execute("ROLLBACK")
                    raise
                cur.execute("COMMIT")
                return result
            finally:
                raw.close()

    def close(self, reservation: Reservation, delivered: int) -> None:
        """Give back what ``reservation`` charged beyond ``delivered`` rows, and close it."""
        params = {"rid": reservation.request_id, "delivered": delivered}

        def work(cur: Any) -> None:
            if self.dialect == "postgresql":
                cur.execute(self._sql["close"], params)
                return
            found = cur.execute(SQLITE_DELETE, params).fetchone()
            if found is not None:
                cur.execute(SQLITE_GIVE_BACK, {"give": found[2] - delivered, "grant": found[0], "day": found[1]})

        try:
            self._write(work)
        except (SQLAlchemyError, self._driver_error) as exc:
            # Nothing is lost: reconciliation closes it from the audit log after its lease.
            log.warning("quota reservation %s not closed (%s); reconciliation will",
                        reservation.request_id, type(exc).__name__)

    def settle(self, reservation: Reservation, delivered: int) -> None:
        """The delivery record of ``reservation`` is durable with ``delivered`` rows.

        A short page gives back the rows it did not use at once.  A full page changes no
        count: its reservation row is deleted with others by ``flush_confirmed`` (the
        background sweep) — and if this process dies first, reconciliation finds its
        delivery record and confirms it.
        """
        if reservation.lease is not None:
            self._returned(reservation, delivered)
        elif delivered < reservation.rows:
            self.close(reservation, delivered)
        else:
            with self._confirmed_lock:
                self._confirmed.append(reservation.request_id)

    def flush_confirmed(self) -> int:
        """Delete the reservation rows of settled full pages (one statement per 500); how many."""
        with self._confirmed_lock:
            confirmed, self._confirmed = self._confirmed, []
        if not confirmed:
            return 0

        def work(cur: Any) -> None:
            for start in range(0, len(confirmed), 500):
                chunk = confirmed[start:start + 500]
                marks = ", ".join(f":r{i}" for i in range(len(chunk)))
                statement = f"DELETE FROM quota_reservations WHERE request_id IN ({marks})"  # noqa: S608 - marks only
                cur.execute(_for(self.dialect, statement), {f"r{i}": rid for i, rid in enumerate(chunk)})

        try:
            self._write(work)
        except (SQLAlchemyError, self._driver_error) as exc:  # kept for the next flush (reconciliation would too)
            log.warning("confirmed quota reservations not deleted (%s); retrying", type(exc).__name__)
            with self._confirmed_lock:
                self._confirmed[:0] = confirmed
            return 0
        return len(confirmed)

    def release(self, reservation: Reservation) -> None:
        """Nothing was, or ever will be, delivered for ``reservation``: give it all back."""
        if reservation.lease is not None:
            self._returned(reservation, None)
        else:
            self.close(reservation, 0)

    @contextmanager
    def hold(self, reservation: Reservation | None) -> Iterator[Hold]:
        """Guard a request's reservation: given back on failure unless the append began."""
        held = Hold(self, reservation)
        try:
            yield held
        except BaseException:
            if reservation is not None and not held.settled:
                if not held.appending:
                    self.release(reservation)
                elif reservation.lease is not None:  # its record may have landed: the lease waits for
                    self._returned(reservation, -1)  # reconciliation against the audit log
            raise


@dataclass
class Hold:
    """One request's reservation while its page is built and recorded."""

    ledger: Ledger
    reservation: Reservation | None
    appending: bool = field(default=False)
    settled: bool = field(default=False)

    def begin_append(self) -> None:
        """Call just before appending the delivery record: refuse if the lease is too short.

        After this, a failure leaves the reservation to reconciliation (the record may have
        landed), which needs the append to finish inside the lease: hence the deadline.
        """
        res = self.reservation
        if res is not None and self.ledger.monotonic() > res.deadline:
            raise LedgerUnavailable(f"quota reservation of request `{res.request_id}` is too old to "
                                    f"deliver within its {self.ledger.lease_s:.0f} s lease; retry")
        self.appending = True

    def abandon(self) -> None:
        """The delivery's append failed after it began: its record may have landed, so the
        reservation is left to reconciliation against the audit log (a lease included)."""
        if self.reservation is not None and not self.settled and self.reservation.lease is not None:
            self.ledger._returned(self.reservation, -1)
        self.settled = True

    def settle(self, delivered: int) -> None:
        """The delivery record is durable with ``delivered`` rows."""
        if self.reservation is not None and not self.settled:
            if delivered > self.reservation.rows:
                log.error("request %s delivered %d rows on a reservation of %d",
                          self.reservation.request_id, delivered, self.reservation.rows)
            self.ledger.settle(self.reservation, delivered)
        self.settled = True
