"""The audit log: durable, hash-chained appends with group commit.

``AuditLog.append(event)`` hands the event to one writer thread and waits; the
writer drains every queued event into one transaction (group commit), so a commit's
fsync is shared by all appends that arrived while the previous one ran.
``append_many(events)`` appends several events of one caller in the same batch, one
after another, all or none (a data delivery's decision and delivery records).  An append
returns only when its record is durable, and raises ``AuditUnavailable`` when it
cannot be (disk full, store locked past the timeout, store unreachable): callers
refuse the request (fail closed).  ``sink(session, event)`` appends inside the
caller's transaction instead, so a workflow change and its event commit together.

On SQLite the writer keeps the head it last committed and appends a batch in one
autocommit statement after it (``chain.extend_at_head``); if another writer got in first,
the primary key refuses that statement and the writer extends the chain the ordinary way.  After a commit it
wakes the batch's callers one after another (``hub.audit.pending``).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import queue
import threading
import time
from contextlib import AbstractContextManager
from typing import Any

from sqlalchemy import Connection, Engine, create_engine, event
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from hub.audit import pending as handoff
from hub.audit import receipts
from hub.audit.chain import Link, checkpoint_if_due, extend, extend_at_head, extend_prepared
from hub.audit.checkpoints import CheckpointPolicy
from hub.audit.errors import AuditUnavailable
from hub.audit.health import WriterHealth
from hub.audit.pending import Pending
from hub.audit.record import AuditRecordView, Prepared, event_fields
from hub.errors import HubError
from hub.events import AUDIT_RECOVERED, AuditEvent
from hub.keys import HubKey, KeyStore
from hub.settings import Settings
from hub.store.db import Store, sqlite_write_lock

log = logging.getLogger(__name__)


def append_bound_s(lock_timeout_s: float) -> float:
    """The longest an append can take to become durable or fail, with this lock timeout.

    A caller waits this long; a batch is then committed or failed within the writer's lock
    timeout.  The quota ledger sizes its leases on it (``hub.quota.ledger``).
    """
    return lock_timeout_s * 2 + 5


def writer_engine(store: Store, lock_timeout_s: float) -> Engine:
    """A private engine for the writer: same database, its own lock timeout."""
    url = store.engine.url
    if url.get_backend_name() == "sqlite":
        engine = create_engine(url, connect_args={"timeout": lock_timeout_s})

        def pragmas(dbapi_conn: Any, _record: Any) -> None:
            dbapi_conn.isolation_level = None  # no implicit BEGIN: the writer says when (extend_at_head)
            for pragma in ("journal_mode=WAL", "synchronous=FULL",
                           f"busy_timeout={int(lock_timeout_s * 1000)}"):
                dbapi_conn.execute(f"PRAGMA {pragma}")

        event.listen(engine, "connect", pragmas)
        return engine
    options = f"-c lock_timeout={int(lock_timeout_s * 1000)}"
    return create_engine(url, pool_pre_ping=True, pool_size=2,
                         connect_args={"options": options, "connect_timeout": max(1, int(lock_timeout_s))})


class AuditLog:
    """The tamper-evident audit log of one metadata store."""

    def __init__(self, store: Store, keys: KeyStore, *, policy: CheckpointPolicy | None = None,
                 lock_timeout_s: float = 5.0, max_batch: int = 2000, linger_s: float = 0.008,
                 hash_name: str = "sha256") -> None:
        self.store = store
        self.hash_name = hash_name  # the chain's hash: sha256, or sm3 under the gm suite
        self.keys = keys
        self.policy = policy or CheckpointPolicy()
        self.lock_timeout_s = lock_timeout_s
        self.max_batch = max_batch
        self.linger_s = linger_s
        self.engine = writer_engine(store, lock_timeout_s)
        self._is_sqlite = self.engine.dialect.name == "sqlite"
        # SQLite: the quota ledger's charges queue on the same lock (see ``sqlite_write_lock``).
        self._writes: AbstractContextManager[Any] = (
            sqlite_write_lock(self.engine.url.render_as_string(hide_password=False))
            if self._is_sqlite else contextlib.nullcontext())
        self._start_lock = threading.Lock()
        self.health = WriterHealth()  # the last append's outcome, for /readyz
        self._reset()

    @classmethod
    def from_settings(cls, store: Store, settings: Settings, **kwargs: Any) -> AuditLog:
        """An audit log configured from ``settings`` (checkpoint period, key directory)."""
        policy = CheckpointPolicy(settings.audit_checkpoint_every, settings.audit_checkpoint_seconds)
        kwargs.setdefault("hash_name", settings.suite.hash_name)
        kwargs.setdefault("lock_timeout_s", settings.audit_lock_timeout_s)
        kwargs.setdefault("linger_s", settings.audit_linger_ms / 1000)
        return cls(store, KeyStore.from_settings(settings), policy=policy, **kwargs)

    def _reset(self) -> None:
        self._pid = os.getpid()
        self._conn: Connection | None = None
        self._head: tuple[int, str] | None = None  # (seq, hash) this writer last committed
        self._time_check_at = 0.0
        self._last_batch = 1
        self._lingering = False
        self._filled = threading.Event()
        self._queue: queue.SimpleQueue[Pending | None] = queue.SimpleQueue()
        self._thread: threading.Thread | None = None

    def signing_key(self) -> HubKey:
        """The current audit signing key."""
        return self.keys.current("audit")

    # --- appending ----------------------------------------------------------------

    def append(self, event: AuditEvent) -> AuditRecordView:
        """Append ``event``; return its record once durable, else raise ``AuditUnavailable``."""
        return self.append_many([event])[0]

    def append_many(self, events: list[AuditEvent]) -> list[AuditRecordView]:
        """Append ``events`` together: one after another in one group-committed batch, or none.

        Returns their records, in order, once durable; raises ``AuditUnavailable`` otherwise.
        (A data delivery appends its decision and delivery records this way: one write.)
        """
        if not events:
            return []
        pending = Pending(*(Prepared.of(e, self.hash_name) for e in events))
        self._submit(pending)
        woken = False
        try:
            woken = pending.done.acquire(timeout=self._wait_s())
        finally:  # pass the wake-up on to the next caller of the batch (see hub.audit.pending)
            if woken:
                handoff.wake(pending.next)
            else:
                handoff.abandon(pending)
        if not woken:
            self.health.failed("append not durable in time")
            raise AuditUnavailable(f"audit append not durable within {self._wait_s():.0f} s")
        if pending.error is not None:
            raise pending.error
        return pending.views()

    async def append_async(self, event: AuditEvent) -> AuditRecordView:
        """``append`` for asyncio callers: awaits durability without blocking the loop."""
        return (await self.append_many_async([event]))[0]

    async def append_many_async(self, events: list[AuditEvent]) -> list[AuditRecordView]:
        """``append_many`` for asyncio callers."""
        if not events:
            return []
        loop = asyncio.get_running_loop()
        waiter: asyncio.Future[list[AuditRecordView]] = loop.create_future()
        self._submit(Pending(*(Prepared.of(e, self.hash_name) for e in events), waiter=waiter))
        deadline = loop.call_later(self._wait_s(), self._expire, waiter)
        try:
            return await waiter
        finally:
            deadline.cancel()

    def _expire(self, waiter: asyncio.Future[list[AuditRecordView]]) -> None:
        """An asyncio append's deadline passed before its batch was durable: fail it (503, no rows)."""
        if not waiter.done():
            self.health.failed("append not durable in time")
            waiter.set_exception(AuditUnavailable(f"audit append not durable within {self._wait_s():.0f} s"))

    def append_in(self, session: Session, event: AuditEvent) -> AuditRecordView:
        """Append ``event`` inside ``session``'s transaction (durable when it commits)."""
        fields = event_fields(event)
        session.flush()  # the caller's own changes fail as themselves, not as the audit log
        try:
            records = extend(session, [fields], self.signing_key, self.policy, hash_name=self.hash_name)
        except (SQLAlchemyError, OSError, HubError) as exc:
            self.health.failed(str(exc))
            raise AuditUnavailable(f"audit append failed: {exc}") from exc
        return AuditRecordView.from_mapping(records[0])

    def sink(self, session: Session, event: AuditEvent) -> None:
        """The ``EventSink``: record ``event`` in the caller's transaction."""
        self.append_in(session, event)

    def ready(self) -> bool:
        """True unless the last append failed; while failing, one real append tests the way back.

        The probe records ``audit.recovered`` (with when the outage began), so it writes
        only after a failure, and at most one probe runs at a time.
        """
        since = self.health.failed_since
        if since is None:
            return True
        if not self.health.probing.acquire(blocking=False):
            return False
        try:
            self.append(AuditEvent(AUDIT_RECOVERED, decision="ok",
                                   details={"failed_since": since, "error": self.health.last_error or ""}))
            return True
        except HubError:
            return False
        finally:
            self.health.probing.release()

    def issue_receipt(self, record: AuditRecordView) -> dict[str, Any]:
        """A signed receipt for a delivery record (see ``hub.audit.receipts``)."""
        return receipts.issue_receipt(record, self.signing_key())

    def get_receipt(self, request_id: str) -> dict[str, Any]:
        """The receipt of the delivery of ``request_id`` (``NotFound`` if none)."""
        return receipts.get_receipt(self.store, self.signing_key(), request_id)

    def checkpoint_now(self, force: bool = True) -> int | None:
        """Sign a checkpoint at the head now (if it has none); return its seq."""
        try:
            with self.engine.connect() as conn:
                self._begin(conn)
                seq = checkpoint_if_due(conn, self.signing_key, self.policy, force)
                conn.commit()
                return seq
        except (SQLAlchemyError, OSError, HubError) as exc:
            raise AuditUnavailable(f"audit checkpoint failed: {exc}") from exc

    def close(self) -> None:
        """Finish queued appends, stop the writer and release connections."""
        thread = self._thread
        if thread is not None and self._pid == os.getpid():
            self._queue.put(None)
            thread.join()
        self._thread = None
        self.engine.dispose()

    def __enter__(self) -> AuditLog:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()

    # --- the writer ---------------------------------------------------------------

    def _wait_s(self) -> float:
        return append_bound_s(self.lock_timeout_s)

    def _submit(self, pending: Pending) -> None:
        self._ensure_writer()
        self._queue.put(pending)
        if self._lingering and self._queue.qsize() + 1 >= self._last_batch:
            self._filled.set()

    def _ensure_writer(self) -> None:
        if self._thread is not None and self._pid == os.getpid():
            return
        with self._start_lock:
            if self._pid != os.getpid():  # forked: the parent's writer is not ours
                self.engine.dispose(close=False)
                self._reset()
            if self._thread is None:
                self._thread = threading.Thread(target=self._run, name="audit-writer", daemon=True)
                self._thread.start()

    def _run(self) -> None:
        stop = False
        while not stop:
            try:
                first = self._queue.get(timeout=self.policy.seconds)
            except queue.Empty:
                self._timer_checkpoint()
                continue
            batch, stop = self._drain(first)
            if batch:
                self._commit(batch)
        if self._conn is not None:
            with contextlib.suppress(Exception):
                self._conn.close()
            self._conn = None

    def _linger(self) -> None:
        """Give as many callers as the last batch had a moment to queue again (group commit).

        The caller that completes the group wakes the writer (``_submit``), so it neither polls
        nor waits longer than needed.
        """
        self._filled.clear()
        self._lingering = True
        if self._queue.qsize() + 1 < self._last_batch:
            self._filled.wait(self.linger_s)
        self._lingering = False

    def _drain(self, first: Pending | None) -> tuple[list[Pending], bool]:
        if first is not None and self._last_batch > 1:
            self._linger()
        batch: list[Pending] = []
        item, stop = first, False
        while True:
            if item is None:
                stop = True
            elif item.wanted():
                batch.append(item)
            try:
                if len(batch) >= self.max_batch:
                    raise queue.Empty
                item = self._queue.get_nowait()
            except queue.Empty:
                self._last_batch = len(batch)
                return batch, stop

    def _commit(self, batch: list[Pending]) -> None:
        prepared = [event for p in batch for event in p.prepared]
        check_time = time.monotonic() >= self._time_check_at
        try:
            with self._writes:
                done = self._append_at_head(prepared) if not check_time else None
                if done is None:
                    done = self._transaction(lambda c: extend_prepared(
                        c, prepared, self.signing_key, self.policy, locked=self._is_sqlite, check_time=check_time))
        except Exception as exc:  # the writer must survive anything; callers get the cause
            self._head = None
            self.health.failed(str(exc))
            handoff.fail(batch, AuditUnavailable(f"audit append failed on `{self.engine.url!r}`: {exc}"))
            return
        self.health.succeeded()
        ts, links = done
        self._head = (links[-1][0], links[-1][2])
        if check_time:
            self._time_check_at = time.monotonic() + self.policy.seconds / 4
        handoff.finish(batch, ts, links)

    def _append_at_head(self, prepared: list[Prepared]) -> tuple[str, list[Link]] | None:
        """SQLite: append in one statement after the head this writer last wrote (None: not done)."""
        conn = self._conn
        if not self._is_sqlite or self._head is None or conn is None or conn.closed or conn.invalidated:
            return None
        dbapi = conn.connection.driver_connection
        if dbapi is None:
            return None
        try:
            return extend_at_head(dbapi, prepared, self._head, self.policy)
        except BaseException:
            self._conn = None
            with contextlib.suppress(Exception):
                conn.close()
            raise

    def _timer_checkpoint(self) -> None:
        try:
            self._transaction(lambda c: checkpoint_if_due(c, self.signing_key, self.policy))
        except Exception as exc:  # a missed timer checkpoint is retried next period
            log.warning("audit checkpoint failed: %s", exc)

    def _transaction(self, work: Any) -> Any:
        """Run ``work(conn)`` in one write transaction on the writer thread's own connection."""
        conn = self._conn
        if conn is None or conn.closed or conn.invalidated:
            conn = self._conn = self.engine.connect()
        try:
            self._begin(conn)
            result = work(conn)
            conn.commit()
        except BaseException:
            self._conn = None
            with contextlib.suppress(Exception):
                conn.rollback()
                conn.close()
            raise
        return result

    @staticmethod
    def _begin(conn: Connection) -> None:
        if conn.dialect.name == "sqlite":
            conn.exec_driver_sql("BEGIN IMMEDIATE")
