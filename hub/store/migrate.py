"""Schema migrations of the metadata store: Alembic, configured in code.

The Alembic environment ships inside the package (``hub/store/migrations``), so an
installed hub needs no ``alembic.ini``.  ``upgrade`` is idempotent and safe to call
at every start, also when several processes start at once: the whole upgrade runs in
one transaction that first takes a lock — a PostgreSQL advisory lock, or SQLite's
write lock (``BEGIN IMMEDIATE``).  A latecomer waits, then finds the schema at head.
Within one process, runs are also serialized by a thread lock: Alembic's ``context``
and ``op`` are process-global proxies, so two threads migrating at once (even two
different stores) would otherwise drive each other's connections.

A model change needs a new migration (tests compare the migrated schema with the
models).  Draft one with ``new_revision("add x to y", "0002")``, then review it.
"""

from __future__ import annotations

import io
import logging
import secrets
import sqlite3
import tempfile
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from importlib import resources
from pathlib import Path

from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from alembic.util import CommandError
from sqlalchemy import Connection, Engine, func, inspect, select, text
from sqlalchemy.exc import DBAPIError

from hub.errors import HubError, Unavailable
from hub.store.models import Base

MIGRATIONS_DIR = Path(str(resources.files("hub.store.migrations")))  # package data, wheel or checkout
# pg_advisory_xact_lock key: b"hub-mig\0" read as a big-endian signed 64-bit integer.
_PG_LOCK_KEY = int.from_bytes(b"hub-mig\0", "big", signed=True)
_PROCESS_LOCK = threading.Lock()
# Another process may hold SQLite's write lock for a whole migration: wait that long.
_SQLITE_MIGRATION_WAIT_MS = 10 * 60 * 1000

# Alembic logs each step at INFO; the hub migrates on every start, quietly.
_alembic_log = logging.getLogger("alembic")
if _alembic_log.level == logging.NOTSET:
    _alembic_log.setLevel(logging.WARNING)


class MigrationError(HubError):
    """The schema cannot be moved to the requested revision; names the revision."""

    title = "schema migration failed"


def alembic_config(connection: Connection | None = None) -> Config:
    """An Alembic config pointing at the packaged migrations (and a shared connection)."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    config.attributes["connection"] = connection
    return config


def head() -> str:
    """The newest revision this hub knows."""
    revision = ScriptDirectory.from_config(alembic_config()).get_current_head()
    if revision is None:  # pragma: no cover - the package always ships 0001
        raise MigrationError(f"no migrations found in {MIGRATIONS_DIR}")
    return revision


def upgrade(engine: Engine, revision: str = "head") -> None:
    """Bring the schema to ``revision`` (default head); a no-op when already there.

    A store already at head is only read: no write lock is taken, so opening the store
    (every ``hub`` command does) never queues behind another process's write transaction
    (``hub serve``, ``hub run``, another officer's command).  Only a real upgrade takes the
    lock, and waits for it as long as a migration may take.
    """
    if revision == "head" and current(engine) == head():
        return

    def step(config: Config, target: str) -> None:
        if _unversioned_but_matching(config.attributes["connection"]):
            command.stamp(config, "head")
            _name_hub(config.attributes["connection"])
        command.upgrade(config, target)

    _run(engine, step, revision)


def upgrade_sql(url: str, revision: str = "head") -> str:
    """The SQL that upgrading an empty store at ``url`` would run (offline; for DBAs to review)."""
    config = alembic_config()
    config.output_buffer = io.StringIO()
    config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    try:
        command.upgrade(config, revision, sql=True)
    except CommandError as exc:
        message = f"cannot render the migration to {revision!r}: {exc}"
        raise MigrationError(message, revision=revision) from None
    return config.output_buffer.getvalue()


def downgrade(engine: Engine, revision: str) -> None:
    """Take the schema back to ``revision`` (``base`` drops every table)."""
    _run(engine, command.downgrade, revision)


def current(engine: Engine) -> str | None:
    """The schema revision of the store, or None when it has none (empty store)."""
    try:
        with engine.connect() as connection:
            return MigrationContext.configure(connection).get_current_revision()
    except DBAPIError as exc:
        raise _unreachable(engine, exc) from None


def new_revision(message: str, rev_id: str) -> Path:
    """Developers: draft ``versions/<rev_id>_<slug>.py`` from the models' diff against head."""
    from hub.store.db import make_engine

    with tempfile.TemporaryDirectory() as scratch:
        engine = make_engine(f"sqlite:///{scratch}/head.sqlite")
        try:
            upgrade(engine)
            with engine.begin() as connection:
                script = command.revision(
                    alembic_config(connection), message=message, autogenerate=True, rev_id=rev_id
                )
        finally:
            engine.dispose()
    assert script is not None and not isinstance(script, list)
    return Path(script.path)


def _run(engine: Engine, step: Callable[[Config, str], None], revision: str) -> None:
    locked = False
    try:
        with _PROCESS_LOCK, _locked(engine) as connection:
            locked = True
            step(alembic_config(connection), revision)
    except CommandError as exc:
        raise _failed(engine, revision, str(exc)) from None
    except DBAPIError as exc:
        if _busy(exc):  # the lock itself: another process's write transaction outlasted the wait
            raise _failed(engine, revision, f"waited {_SQLITE_MIGRATION_WAIT_MS / 1000:g} s for the write lock "
                          f"another process holds ({_first_line(exc)})") from None
        if not locked:
            raise _unreachable(engine, exc) from None
        raise _failed(engine, revision, _first_line(exc)) from None


def _busy(exc: DBAPIError) -> bool:
    return isinstance(exc.orig, sqlite3.OperationalError) and str(exc.orig).startswith("database is locked")


def _name_hub(connection: Connection) -> None:
    """A store adopted at head gets the hub id migration 0016 makes (``hub.hubid``) if it has none."""
    table = Base.metadata.tables["hub_identity"]
    if connection.execute(select(func.count()).select_from(table)).scalar_one() == 0:
        connection.execute(table.insert(), {"id": f"hub-{secrets.token_hex(16)}", "created_at": datetime.now(UTC)})


def _unversioned_but_matching(connection: Connection) -> bool:
    """True for a store built by ``create_all`` before migrations existed that matches the models.

    Such a store is stamped at head; one that has model tables but differs is refused.
    """
    if MigrationContext.configure(connection).get_current_revision() is not None:
        return False
    if not set(inspect(connection).get_table_names()) & set(Base.metadata.tables):
        return False
    context = MigrationContext.configure(connection, opts={"compare_type": True})
    differences = compare_metadata(context, Base.metadata)
    if differences:
        raise MigrationError(
            "the metadata store has tables but no schema revision, and they differ from this hub's "
            f"models ({len(differences)} differences, first {differences[0]!r}); move it aside"
        )
    return True


def _failed(engine: Engine, revision: str, reason: str) -> MigrationError:
    return MigrationError(
        f"cannot migrate the metadata store from revision {_current_or_unknown(engine)} "
        f"to {revision!r}: {reason}",
        revision=revision,
    )


def _first_line(exc: DBAPIError) -> str:
    return str(exc.orig if exc.orig is not None else exc).strip().splitlines()[0]


def _current_or_unknown(engine: Engine) -> str:
    try:
        return repr(current(engine))
    except HubError:
        return "(unknown)"


def _unreachable(engine: Engine, exc: DBAPIError) -> Unavailable:
    where = engine.url.render_as_string(hide_password=True)
    return Unavailable(f"metadata store {where} is unreachable: {_first_line(exc)}", store=where)


@contextmanager
def _locked(engine: Engine) -> Iterator[Connection]:
    """A connection inside one transaction that holds the migration lock."""
    name = engine.dialect.name
    if name == "postgresql":
        with engine.begin() as connection:
            connection.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _PG_LOCK_KEY})
            yield connection
    elif name == "sqlite":
        with engine.connect() as connection, _sqlite_write_transaction(connection):
            yield connection
    else:
        raise MigrationError(f"metadata store dialect {name!r} is not supported (sqlite, postgresql)")


@contextmanager
def _sqlite_write_transaction(connection: Connection) -> Iterator[None]:
    """``BEGIN IMMEDIATE`` on this connection, so the DDL is transactional too.

    pysqlite in its default mode opens transactions only before DML and commits
    before DDL; with ``isolation_level = None`` it leaves transactions to us.
    """
    driver = connection.connection.driver_connection
    saved = driver.isolation_level  # type: ignore[union-attr]
    driver.isolation_level = None  # type: ignore[union-attr]
    busy_ms = connection.exec_driver_sql("PRAGMA busy_timeout").scalar()
    connection.exec_driver_sql(f"PRAGMA busy_timeout={_SQLITE_MIGRATION_WAIT_MS}")
    try:
        connection.exec_driver_sql("BEGIN IMMEDIATE")
        try:
            yield
        except BaseException:
            connection.rollback()
            raise
        connection.commit()
    finally:
        driver.isolation_level = saved  # type: ignore[union-attr]
        connection.exec_driver_sql(f"PRAGMA busy_timeout={int(busy_ms or 0)}")
