"""Fail closed: when an append cannot be made durable it raises AuditUnavailable."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import event as sa_event

from hub.audit import AuditLog, AuditUnavailable
from hub.keys import KeyStore
from hub.store import open_store
from tests.audit.conftest import AuditEnv, event


def test_store_locked_past_the_timeout(audit_env: AuditEnv) -> None:
    audit_env.fill(1)
    log = AuditLog(audit_env.store, audit_env.keys, lock_timeout_s=0.2)
    blocker = audit_env.raw()
    blocker.execute("BEGIN EXCLUSIVE")
    try:
        with pytest.raises(AuditUnavailable, match="locked"):
            log.append(event())
    finally:
        blocker.execute("ROLLBACK")
        blocker.close()
    assert log.append(event()).seq == 2  # recovers once the lock is gone, no gap
    log.close()


def test_disk_full(audit_env: AuditEnv) -> None:
    audit_env.fill(1)
    log = AuditLog(audit_env.store, audit_env.keys)

    def tiny_disk(dbapi_conn, _record) -> None:  # type: ignore[no-untyped-def]
        pages = dbapi_conn.execute("PRAGMA page_count").fetchone()[0]
        dbapi_conn.execute(f"PRAGMA max_page_count={pages}")

    sa_event.listen(log.engine, "connect", tiny_disk)
    big = {"blob": "x" * 200_000}
    with pytest.raises(AuditUnavailable, match="full"):
        log.append(event(details=big))
    log.close()


def test_store_unreachable(tmp_path: Path) -> None:
    store = open_store("postgresql+psycopg://nobody@/nowhere?host=/nonexistent-socket-dir", migrate=False)
    log = AuditLog(store, KeyStore(tmp_path / "keys"), lock_timeout_s=1)
    with pytest.raises(AuditUnavailable, match="audit append failed"):
        log.append(event())
    log.close()


def test_sink_on_a_locked_store_raises_unavailable(audit_env: AuditEnv) -> None:
    blocker = audit_env.raw()
    blocker.execute("BEGIN EXCLUSIVE")
    quick = open_store(f"{audit_env.store.engine.url}?timeout=0.2", migrate=False)
    try:
        with pytest.raises(AuditUnavailable), quick.session() as session:
            session.connection().exec_driver_sql("PRAGMA busy_timeout=200")
            audit_env.log.sink(session, event())
    finally:
        blocker.execute("ROLLBACK")
        blocker.close()
        quick.dispose()


def test_append_many_is_all_or_nothing(audit_env: AuditEnv) -> None:
    """If the batch cannot be made durable, none of the caller's events is written."""
    audit_env.fill(1)
    log = AuditLog(audit_env.store, audit_env.keys, lock_timeout_s=0.2)
    blocker = audit_env.raw()
    blocker.execute("BEGIN EXCLUSIVE")
    try:
        with pytest.raises(AuditUnavailable, match="locked"):
            log.append_many([event(1), event(2)])
    finally:
        blocker.execute("ROLLBACK")
        blocker.close()
    assert [r.seq for r in log.append_many([event(3), event(4)])] == [2, 3]  # no gap, nothing half-written
    log.close()
