"""Published snapshots loaded into the exchange's in-memory DuckDB, once per version.

Decoding a Parquet row group costs far more than the 100 rows a typical request
reads, so ``SnapshotTables.table(path)`` copies a snapshot into a DuckDB table the
first time it is asked for (in the background: until the copy is ready, requests
read the file) and from then on hands back the table's quoted name, so requests
scan memory.  ``CREATE TABLE AS`` keeps the file's ``_row_id`` order (DuckDB
preserves insertion order), so the plan's "file order needs no sort" shortcut
still holds.  Loaded snapshots are kept up to ``max_rows`` rows in total, least
recently used dropped first; a larger snapshot is always read from its file.
Snapshot files are immutable (a republish is a new version, a new path), so a
loaded table never goes stale.
"""

from __future__ import annotations

import hashlib
import logging
import threading
from collections import OrderedDict

import duckdb
import pyarrow.parquet as pq

from hub.masking import quote_ident

MAX_ROWS = 5_000_000
log = logging.getLogger(__name__)


class SnapshotTables:
    """In-memory copies of recently read snapshots, by file path."""

    def __init__(self, db: duckdb.DuckDBPyConnection, max_rows: int = MAX_ROWS) -> None:
        self.db = db
        self.max_rows = max_rows
        self._tables: OrderedDict[str, tuple[str, int]] = OrderedDict()
        self._lock = threading.Lock()
        self._loading: set[str] = set()

    def table(self, path: str) -> str | None:
        """The quoted table holding snapshot ``path``; None (read the file) until it is loaded.

        The first call starts loading it in the background, so no request waits for it.
        """
        with self._lock:
            found = self._tables.get(path)
            if found is not None:
                self._tables.move_to_end(path)
                return found[0]
            if path not in self._loading:
                self._loading.add(path)
                threading.Thread(target=self._load, args=(path,), name="snapshot-load", daemon=True).start()
            return None

    def _load(self, path: str) -> None:
        try:
            rows = pq.read_metadata(path).num_rows
            if rows > self.max_rows:
                return  # too big: served from the file (and _loading keeps it from retrying)
            name = quote_ident("snapshot_" + hashlib.sha256(path.encode()).hexdigest()[:24])
            con = self.db.cursor()
            try:
                con.execute(f"CREATE OR REPLACE TABLE {name} AS SELECT * FROM read_parquet(?)",  # noqa: S608
                            [path])
            finally:
                con.close()
            with self._lock:
                self._evict(self.max_rows - rows)
                self._tables[path] = (name, rows)
                self._loading.discard(path)
        except Exception:  # noqa: BLE001 - a failed load only means the file keeps being read
            log.exception("loading snapshot %s into memory failed; reading the file", path)

    def _evict(self, room: int) -> None:
        """Drop least recently used tables until at most ``room`` rows stay loaded."""
        while self._tables and sum(rows for _, rows in self._tables.values()) > room:
            _, (name, _) = self._tables.popitem(last=False)
            con = self.db.cursor()
            try:
                con.execute(f"DROP TABLE IF EXISTS {name}")
            finally:
                con.close()
