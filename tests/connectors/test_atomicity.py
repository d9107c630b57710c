"""A load that fails or is killed half way leaves the previous committed state; the next completes."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from connectors.profiles import finance
from hub.settings import Settings
from hub.store import Store
from hub.warehouse import committed_cursor, ingest_resource
from tests.connectors.conftest import query, snapshot
from tests.connectors.sources import SourceDB

TABLE = "raw_finance.subsidy_payment"


class Boom(RuntimeError):
    """The injected failure."""


def _fail_after(batches: int):  # type: ignore[no-untyped-def]
    def hook(batch: int, rows: int) -> None:
        if batch >= batches:
            raise Boom(f"injected failure after batch {batch}")

    return hook


def _add_payments(db: SourceDB, ids: range, stamp: str) -> None:
    db.execute_many(
        "INSERT INTO subsidy_payment VALUES (:i, 'DB', 'x', '某人', '13800000000', '6222', '330106001', :a,"
        " '2026-03', :t, :t)",
        [{"i": i, "a": 100 + i, "t": stamp} for i in ids],
    )


def test_injected_failure_half_way_keeps_previous_state(
    sandbox: Path, settings: Settings, store: Store
) -> None:
    url = f"sqlite:///{sandbox / 'finance.sqlite'}"
    source = finance.build({"url": url, "batch_size": 2})
    with pytest.raises(Boom):  # the very first load fails: nothing may remain
        ingest_resource(
            settings.warehouse_path, source, "subsidy_payment", store, "r0", on_batch=_fail_after(1)
        )
    tables = "SELECT count(*) FROM information_schema.tables WHERE table_schema = 'raw_finance'"
    assert query(settings, tables) == [(0,)]  # not even the table: its creation was in the transaction
    assert committed_cursor(settings.warehouse_path, "finance", "subsidy_payment") is None

    ingest_resource(settings.warehouse_path, source, "subsidy_payment", store, "r1")
    before = snapshot(settings, TABLE)
    cursor = committed_cursor(settings.warehouse_path, "finance", "subsidy_payment")
    db = SourceDB(url)
    _add_payments(db, range(10, 16), "2026-03-07T00:00:00")
    db.execute(
        "UPDATE subsidy_payment SET amount = 1, updated_at = '2026-03-07T01:00:00' WHERE payment_id = 1"
    )
    db.dispose()

    with pytest.raises(Boom):  # 7 changed rows = 4 batches of 2: fail after 2
        ingest_resource(
            settings.warehouse_path, source, "subsidy_payment", store, "r2", on_batch=_fail_after(2)
        )
    assert snapshot(settings, TABLE) == before
    assert committed_cursor(settings.warehouse_path, "finance", "subsidy_payment") == cursor

    result = ingest_resource(settings.warehouse_path, source, "subsidy_payment", store, "r3")
    assert (result.inserted, result.updated) == (6, 1)
    assert query(settings, f"SELECT count(*), count(DISTINCT payment_id) FROM {TABLE}")[0] == (10, 10)


KILLED = textwrap.dedent(
    """
    import sys, time
    from pathlib import Path
    from connectors.profiles import finance
    from hub.warehouse import ingest_resource

    url, warehouse, marker = sys.argv[1], Path(sys.argv[2]), Path(sys.argv[3])

    def hook(batch, rows):
        if batch == 5:
            marker.write_text("half way")
            time.sleep(120)

    source = finance.build({"url": url, "batch_size": 500})
    ingest_resource(warehouse, source, "subsidy_payment", None, "killed", on_batch=hook)
    """
)


def _kill_half_way(url: str, warehouse: Path, marker: Path) -> None:
    marker.unlink(missing_ok=True)
    child = subprocess.Popen([sys.executable, "-c", KILLED, url, str(warehouse), str(marker)])
    deadline = time.monotonic() + 60
    while not marker.exists() and child.poll() is None and time.monotonic() < deadline:
        time.sleep(0.05)
    assert marker.exists(), "the child never reached half way"
    os.kill(child.pid, signal.SIGKILL)
    assert child.wait() == -signal.SIGKILL


def test_sigkill_mid_load_keeps_previous_state(sandbox: Path, settings: Settings, tmp_path: Path) -> None:
    url = f"sqlite:///{sandbox / 'finance.sqlite'}"
    db = SourceDB(url)
    _add_payments(db, range(100, 5100), "2026-03-08T00:00:00")
    source = finance.build({"url": url})

    _kill_half_way(url, settings.warehouse_path, tmp_path / "m1")  # killed during the first load
    assert query(
        settings, "SELECT count(*) FROM information_schema.tables WHERE table_schema = 'raw_finance'"
    ) == [(0,)]
    first = ingest_resource(settings.warehouse_path, source, "subsidy_payment", None, "r1")
    assert first.inserted == 5004
    before = snapshot(settings, TABLE)
    _add_payments(db, range(6000, 9000), "2026-03-09T00:00:00")
    db.execute(
        "UPDATE subsidy_payment SET amount = 7, updated_at = '2026-03-09T01:00:00' WHERE payment_id < 50"
    )
    db.dispose()

    _kill_half_way(url, settings.warehouse_path, tmp_path / "m2")  # killed during an incremental load
    assert snapshot(settings, TABLE) == before
    assert committed_cursor(settings.warehouse_path, "finance", "subsidy_payment") == "2026-03-08T00:00:00"
    result = ingest_resource(settings.warehouse_path, source, "subsidy_payment", None, "r2")
    assert (result.inserted, result.updated) == (3000, 4)
    assert query(settings, f"SELECT count(*), count(DISTINCT payment_id) FROM {TABLE}")[0] == (8004, 8004)
