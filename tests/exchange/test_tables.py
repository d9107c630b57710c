"""In-memory snapshot tables: loaded in the background, same rows and order as the file, bounded."""

from __future__ import annotations

import time
from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq

from hub.exchange.tables import SnapshotTables


def _snapshot(path: Path, n: int) -> str:
    pq.write_table(pa.table({"_row_id": list(range(n)), "v": [f"x{i}" for i in range(n)]}), path)
    return str(path)


def _table(tables: SnapshotTables, path: str) -> str | None:
    with tables.lease(path) as name:
        return name


def _loaded(tables: SnapshotTables, path: str) -> str | None:
    for _ in range(200):  # the load runs in a background thread; wait for it, boundedly
        name = _table(tables, path)
        if name is not None:
            return name
        time.sleep(0.05)
    return None


def _exists(db: duckdb.DuckDBPyConnection, quoted: str) -> bool:
    rows = db.execute("SELECT count(*) FROM duckdb_tables() WHERE table_name = ?", [quoted.strip('"')]).fetchone()
    return bool(rows and rows[0])


def test_snapshot_is_served_from_memory_once_loaded(tmp_path: Path):
    db = duckdb.connect()
    tables = SnapshotTables(db, max_rows=1000)
    path = _snapshot(tmp_path / "v1.parquet", 300)
    assert _table(tables, path) is None  # first request reads the file
    name = _loaded(tables, path)
    assert name is not None
    in_memory = db.execute(f"SELECT _row_id, v FROM {name}").fetchall()  # noqa: S608
    from_file = db.execute("SELECT _row_id, v FROM read_parquet(?)", [path]).fetchall()
    assert in_memory == from_file  # same rows, same (file) order


def test_oversized_snapshot_stays_on_file_and_old_ones_are_evicted(tmp_path: Path):
    db = duckdb.connect()
    tables = SnapshotTables(db, max_rows=500)
    big = _snapshot(tmp_path / "big.parquet", 600)
    _table(tables, big)
    time.sleep(0.5)
    assert _table(tables, big) is None
    first, second = _snapshot(tmp_path / "a.parquet", 300), _snapshot(tmp_path / "b.parquet", 300)
    assert _loaded(tables, first) is not None
    assert _loaded(tables, second) is not None
    assert _table(tables, first) is None  # evicted to stay within max_rows; served from its file again


def test_a_table_being_read_is_dropped_only_after_its_last_reader(tmp_path: Path):
    db = duckdb.connect()
    tables = SnapshotTables(db, max_rows=500)
    first, second = _snapshot(tmp_path / "a.parquet", 300), _snapshot(tmp_path / "b.parquet", 300)
    name = _loaded(tables, first)
    assert name is not None
    with tables.lease(first) as reading:  # a request is reading `first` ...
        assert reading == name
        assert _loaded(tables, second) is not None  # ... when loading `second` evicts it
        assert first not in tables.loaded()
        assert _exists(db, name)  # still there for the running query
        assert db.execute(f"SELECT count(*) FROM {reading}").fetchone() == (300,)  # noqa: S608
    assert not _exists(db, name)  # dropped by its last reader
    assert tables.loaded() == [second]
