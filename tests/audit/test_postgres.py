"""The same chain on PostgreSQL: sink atomicity, checkpoints, tamper detection, receipts."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import text

from hub.audit import AuditLog, CheckpointPolicy, verify_chain
from hub.keys import KeyStore
from hub.store import open_store
from tests.audit.conftest import event

pytestmark = pytest.mark.postgres


@pytest.fixture
def pg_log(postgres_url: str, tmp_path: Path) -> Iterator[AuditLog]:
    store = open_store(postgres_url)
    log = AuditLog(store, KeyStore(tmp_path / "keys"), policy=CheckpointPolicy(every=4))
    yield log
    log.close()
    store.dispose()


def test_chain_sink_and_tamper_on_postgresql(pg_log: AuditLog) -> None:
    store = pg_log.store
    seqs = [pg_log.append(event(i)).seq for i in range(5)]
    with pytest.raises(RuntimeError), store.session() as session:
        pg_log.sink(session, event(99, event="grant.created"))
        raise RuntimeError("the state change failed")
    with store.session() as session:
        pg_log.sink(session, event(6, event="grant.created"))
    assert seqs + [6] == [1, 2, 3, 4, 5, 6]
    report = verify_chain(store, pg_log.keys)
    assert report.ok and report.last_checkpoint_seq == 4, report.summary()
    receipt = pg_log.get_receipt("req-2")
    assert receipt["seq"] == 3
    with store.session() as session:
        session.execute(text("UPDATE audit_records SET purpose = 'other' WHERE seq = 3"))
    bad = verify_chain(store, pg_log.keys).first_bad
    assert bad is not None and bad.seq == 3
