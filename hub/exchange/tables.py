"""Published snapshots loaded into the exchange's in-memory DuckDB, once per version.

Decoding a Parquet row group costs far more than the 100 rows a typical request
reads, so ``SnapshotTables.table(path)`` copies a snapshot into a DuckDB table the
first time it is asked for (in the background: until the copy is ready, requests
read the file) and from then on hands back the table's quoted name, so requests
scan memory.  ``CREATE TABLE AS`` keeps the file's ``_row_id`` order (DuckDB
preserves insertion order), so the plan's "file order needs no sort" shortcut
still holds.  Loaded snapshots are kept up to ``max_rows`` rows in total
(``HUB_EXCHANGE_MEMORY_ROWS``), least recently used dropped first; a larger snapshot
is always read from its file.  Snapshot files are immutable (a republish is a new
version, a new path), so a loaded table never goes stale.

Requests hold a lease (``with tables.lease(path) as table``) while they query: an
evicted table is only dropped once the last request reading it is done, so eviction
never pulls a table from under a running query.
"""

from __future__ import annotations

import hashlib
import logging
import threading
from collections import Counter, OrderedDict
from collections.abc import Callable, Iterator
from contextlib import contextmanager

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq

from hub.masking import quote_ident

MAX_ROWS = 5_000_000  # the default of HUB_EXCHANGE_MEMORY_ROWS
log = logging.getLogger(__name__)


class SnapshotTables:
    """In-memory copies of recently read snapshots, by file path."""

    def __init__(self, db: duckdb.DuckDBPyConnection, max_rows: int = MAX_ROWS,
                 read: Callable[[str], pa.Table] | None = None,
                 count: Callable[[str], int] | None = None) -> None:
        self.db = db
        self.max_rows = max_rows
        # how a snapshot becomes Arrow (sealed files decrypt in memory: hub.kms.parquet.Sealer)
        self.read: Callable[[str], pa.Table] = read or pq.read_table
        self.count: Callable[[str], int] = count or (lambda path: pq.read_metadata(path).num_rows)
        self._tables: OrderedDict[str, tuple[str, int]] = OrderedDict()
        self._lock = threading.Lock()
        self._loading: set[str] = set()
        self._readers: Counter[str] = Counter()  # table name -> requests reading it now
        self._retired: set[str] = set()  # evicted while read: dropped by the last reader

    @contextmanager
    def lease(self, path: str) -> Iterator[str | None]:
        """The quoted table holding snapshot ``path`` while the block runs; None = read the file.

        The first call starts loading it in the background, so no request waits for it.
        """
        name = self._acquire(path)
        try:
            yield name
        finally:
            if name is not None:
                self._release(name)

    def _acquire(self, path: str) -> str | None:
        with self._lock:
            found = self._tables.get(path)
            if found is not None:
                self._tables.move_to_end(path)
                self._readers[found[0]] += 1
                return found[0]
            if path not in self._loading:
                self._loading.add(path)
                threading.Thread(target=self._load, args=(path,), name="snapshot-load", daemon=True).start()
            return None

    def _release(self, name: str) -> None:
        with self._lock:
            self._readers[name] -= 1
            if self._readers[name] > 0:
                return
            del self._readers[name]
            if name not in self._retired:
                return
            self._retired.discard(name)
        self._drop(name)

    def loaded(self) -> list[str]:
        """Paths of the snapshots held in memory, least recently used first."""
        with self._lock:
            return list(self._tables)

    def _load(self, path: str) -> None:
        try:
            rows = self.count(path)
            if rows > self.max_rows:
                return  # too big: served from the file (and _loading keeps it from retrying)
            name = quote_ident("snapshot_" + hashlib.sha256(path.encode()).hexdigest()[:24])
            con = self.db.cursor()
            try:
                con.register("__hub_snapshot", self.read(path))
                con.execute(f"CREATE OR REPLACE TABLE {name} AS SELECT * FROM __hub_snapshot")  # noqa: S608
                con.unregister("__hub_snapshot")
            finally:
                con.close()
            with self._lock:
                evicted = self._evict(self.max_rows - rows)
                self._tables[path] = (name, rows)
                self._loading.discard(path)
            for old in evicted:
                self._drop(old)
        except Exception:  # noqa: BLE001 - a failed load only means the file keeps being read
            log.exception("loading snapshot %s into memory failed; reading the file", path)

    def _evict(self, room: int) -> list[str]:
        """Unlist least recently used tables until at most ``room`` rows stay; return those to drop now.

        A table some request is still reading is retired instead: its last reader drops it.
        """
        drop = []
        while self._tables and sum(rows for _, rows in self._tables.values()) > room:
            _, (name, _) = self._tables.popitem(last=False)
            if self._readers[name] > 0:
                self._retired.add(name)
            else:
                drop.append(name)
        return drop

    def _drop(self, name: str) -> None:
        con = self.db.cursor()
        try:
            con.execute(f"DROP TABLE IF EXISTS {name}")
        finally:
            con.close()
