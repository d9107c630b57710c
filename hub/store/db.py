"""Engine and session helpers for the metadata store.

``open_store(url)`` connects (SQLite in WAL mode, or PostgreSQL), brings the
schema to the Alembic head idempotently (``hub.store.migrate``), and returns a
``Store`` whose ``session()`` is a transactional scope.
"""

from __future__ import annotations

import fcntl
import os
import sqlite3
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session, sessionmaker

SQLITE_BUSY_TIMEOUT_S = 10
SQLITE_POOL_SIZE = 40  # anyio's default worker thread limit


@dataclass
class Store:
    """A connected metadata store."""

    engine: Engine
    sessions: sessionmaker[Session]

    @contextmanager
    def session(self) -> Iterator[Session]:
        """A transaction: commits on success, rolls back on error."""
        with self.sessions.begin() as session:
            yield session

    def dispose(self) -> None:
        """Close every pooled connection."""
        self.engine.dispose()


def _sqlite_pragmas(dbapi_conn, _record) -> None:  # type: ignore[no-untyped-def]
    cur = dbapi_conn.cursor()
    # busy_timeout first: switching a fresh file to WAL needs a lock another
    # process may hold for a moment.
    cur.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_S * 1000}")
    cur.execute("PRAGMA journal_mode=WAL")
    cur.execute("PRAGMA synchronous=FULL")
    cur.execute("PRAGMA foreign_keys=ON")
    cur.close()


def sqlite_path(url: str) -> Path | None:
    """The database file of a SQLite URL; None for other backends and in-memory SQLite."""
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite" or parsed.database in (None, "", ":memory:"):
        return None
    if parsed.query.get("mode") == "memory":
        return None
    return Path(parsed.database)


class WriteLock:
    """The hub's lock for write transactions on one SQLite file: this process's threads, then every
    hub process on the host.

    The hub's two hot writers on one file — the audit writer's batches and the quota
    ledger's charges — hold it around each write transaction.  Without it they would queue
    in SQLite's busy handler, which sleeps 1, 2, 5, 10… ms between tries: within one
    process, and between the worker processes of ``hub serve --workers N``, where it kept
    two workers on two cores from serving more than one did (issue 13).  Here a writer
    waits on a thread lock, then on ``flock`` of ``<store>.write-lock`` beside the file, and
    is woken the moment the holder lets go.  The kernel releases a dead process's ``flock``,
    so a killed worker never leaves it held.  Other writers (hub commands, migrations) do
    not take it and are still kept out by SQLite's own lock and busy timeout.
    """

    def __init__(self, path: Path | None) -> None:
        self._thread_lock = threading.Lock()
        self._lock_path = path.with_name(path.name + ".write-lock") if path is not None else None
        self._fd: int | None = None
        self._pid = 0

    def _file(self) -> int | None:
        if self._lock_path is None:
            return None
        if self._fd is None or self._pid != os.getpid():  # a forked child opens its own description
            try:
                self._fd = os.open(self._lock_path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600)
            except OSError:  # a read-only directory: the thread lock alone, as before
                self._lock_path = None
                return None
            self._pid = os.getpid()
        return self._fd

    def __enter__(self) -> WriteLock:
        self._thread_lock.acquire()
        try:
            fd = self._file()
            if fd is not None:
                fcntl.flock(fd, fcntl.LOCK_EX)  # blocks without the interpreter lock
        except BaseException:
            self._thread_lock.release()
            raise
        return self

    def __exit__(self, *_exc: object) -> None:
        try:
            if self._fd is not None and self._lock_path is not None:
                fcntl.flock(self._fd, fcntl.LOCK_UN)
        finally:
            self._thread_lock.release()


_write_locks: dict[str, WriteLock] = {}
_write_locks_guard = threading.Lock()


def sqlite_write_lock(url: str) -> WriteLock:
    """The hub's write lock of the SQLite file of ``url`` (one per file and process: ``WriteLock``)."""
    path = sqlite_path(url)
    key = str(path.resolve()) if path is not None else url
    with _write_locks_guard:
        found = _write_locks.get(key)
        if found is None:
            found = _write_locks[key] = WriteLock(path.resolve() if path is not None else None)
        return found


def busy_message(exc: BaseException, url: str) -> str | None:
    """The error to show when ``exc`` is SQLite giving up on a lock another connection holds.

    Names the store file and how long it waited (the busy timeout); None for any other error.
    """
    orig = getattr(exc, "orig", exc)
    if not isinstance(orig, sqlite3.OperationalError) or not str(orig).startswith(("database is locked",
                                                                                  "database table is locked")):
        return None
    where = sqlite_path(url) or url
    return (f"the metadata store `{where}` stayed locked by another writer (another hub command, `hub run` "
            f"or `hub serve`) for {SQLITE_BUSY_TIMEOUT_S} s, the most a command waits; nothing was changed: "
            "retry when it has finished")


def make_engine(url: str) -> Engine:
    """Create an engine; SQLite gets WAL, full sync, foreign keys and a busy timeout."""
    if make_url(url).get_backend_name() == "sqlite":
        path = sqlite_path(url)
        if path is not None:
            path.parent.mkdir(parents=True, exist_ok=True)
        # A pool as large as the API's thread pool: SQLite connections are cheap to keep, but
        # opening one (and setting its pragmas) on every request under load is not.
        engine = create_engine(url, connect_args={"timeout": SQLITE_BUSY_TIMEOUT_S},
                               pool_size=SQLITE_POOL_SIZE, max_overflow=SQLITE_POOL_SIZE)
        event.listen(engine, "connect", _sqlite_pragmas)
        return engine
    return create_engine(url, pool_pre_ping=True)


def open_store(url: str, *, migrate: bool = True) -> Store:
    """Connect to the store at ``url`` and upgrade its schema to head."""
    engine = make_engine(url)
    if migrate:
        from hub.store.migrate import upgrade

        try:
            upgrade(engine)
        except BaseException:
            engine.dispose()
            raise
    return Store(engine=engine, sessions=sessionmaker(engine, expire_on_commit=False))
