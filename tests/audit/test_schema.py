"""Migration 0002: on SQLite audit seq becomes the rowid; an existing chain survives up and down."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import Engine

from hub.audit import AuditLog, CheckpointPolicy, verify_chain
from hub.keys import KeyStore
from hub.store import migrate, open_store
from tests.audit.conftest import event


def _seq_lookup(engine: Engine) -> str:
    """How SQLite finds a record by seq."""
    with engine.connect() as conn:
        plan = conn.exec_driver_sql("EXPLAIN QUERY PLAN SELECT hash FROM audit_records WHERE seq = 2").all()
    return " ".join(str(row[-1]) for row in plan)


def test_chain_survives_the_rowid_migration(tmp_path: Path) -> None:
    store = open_store(f"sqlite:///{tmp_path / 'hub.sqlite'}", migrate=False)
    keys = KeyStore(tmp_path / "keys")
    migrate.upgrade(store.engine, "0001")
    with AuditLog(store, keys, policy=CheckpointPolicy(every=4)) as log:
        for i in range(10):
            log.append(event(i))
    assert "INTEGER PRIMARY KEY" not in _seq_lookup(store.engine)

    migrate.upgrade(store.engine)
    assert "INTEGER PRIMARY KEY" in _seq_lookup(store.engine)
    report = verify_chain(store, keys)
    assert report.ok and report.records == 10 and report.checkpoints == 2, report.summary()
    with AuditLog(store, keys, policy=CheckpointPolicy(every=4)) as log:
        assert log.append(event(10)).seq == 11

    migrate.downgrade(store.engine, "0001")
    assert "INTEGER PRIMARY KEY" not in _seq_lookup(store.engine)
    report = verify_chain(store, keys)
    assert report.ok and report.records == 11, report.summary()
    store.dispose()
