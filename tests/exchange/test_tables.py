"""In-memory snapshots: the file's rows in ``_row_id`` order, read once, bounded by rows."""

from __future__ import annotations

import threading
from collections.abc import Callable
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from hub.exchange import tables
from hub.exchange.tables import SnapshotTables


def _snapshot(path: Path, n: int, reverse: bool = False) -> str:
    ids = list(range(n))[::-1] if reverse else list(range(n))
    pq.write_table(pa.table({"_row_id": ids, "v": [f"x{i}" for i in ids]}), path)
    return str(path)


def test_snapshot_is_the_file_in_row_id_order(tmp_path: Path) -> None:
    snapshots = SnapshotTables(max_rows=1000)
    path = _snapshot(tmp_path / "v1.parquet", 300)
    table = snapshots.table(path)
    assert table is not None and table.equals(pq.read_table(path))
    assert snapshots.table(path) is table  # kept: the same table for every later request
    shuffled = snapshots.table(_snapshot(tmp_path / "v2.parquet", 50, reverse=True))
    assert shuffled is not None and shuffled.column("_row_id").to_pylist() == list(range(50))
    assert shuffled.column("v").to_pylist() == [f"x{i}" for i in range(50)]  # rows kept whole


def test_oversized_snapshot_stays_on_file_and_old_ones_are_evicted(tmp_path: Path) -> None:
    snapshots = SnapshotTables(max_rows=500)
    assert snapshots.table(_snapshot(tmp_path / "big.parquet", 600)) is None
    first, second = _snapshot(tmp_path / "a.parquet", 300), _snapshot(tmp_path / "b.parquet", 300)
    held = snapshots.table(first)
    assert held is not None and snapshots.table(second) is not None
    assert snapshots.loaded() == [second]  # `first` evicted to stay within max_rows ...
    assert held.num_rows == 300  # ... while a request holding it still reads it whole


def test_concurrent_first_requests_read_the_file_once(tmp_path: Path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    path = _snapshot(tmp_path / "v1.parquet", 100)
    reads: list[str] = []
    gate = threading.Event()
    original = tables.read_snapshot

    def slow_read(p: str, read: Callable[[str], pa.Table]) -> pa.Table:
        reads.append(p)
        gate.wait(5)
        return original(p, read)

    monkeypatch.setattr(tables, "read_snapshot", slow_read)
    snapshots = SnapshotTables(max_rows=1000)
    got: list[pa.Table | None] = []
    threads = [threading.Thread(target=lambda: got.append(snapshots.table(path))) for _ in range(8)]
    for t in threads:
        t.start()
    for _ in range(500):  # release the read only once all eight are inside the cache (bounded wait)
        if snapshots._cache.stats.misses == 8:
            break
        threading.Event().wait(0.01)
    assert snapshots._cache.stats.misses == 8  # every request missed; one read serves them all
    gate.set()
    for t in threads:
        t.join()
    assert reads == [path]
    assert len(got) == 8 and all(t is got[0] for t in got)
