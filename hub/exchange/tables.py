"""Published snapshots held in memory as Arrow tables, once per version.

``SnapshotTables.table(path)`` reads a snapshot's Parquet file into one Arrow table
the first time it is asked for (concurrent first callers wait for the one read) and
hands the same table to every later caller: the masked views
(``hub.exchange.views``) are computed from it by DuckDB and share its clear columns
without copying, and the SQL plans (``hub.exchange.plan``) scan it when no view is
kept.  Rows are in ``_row_id`` order (snapshots are written that way; a file that is
not is sorted once here), so a keyset cursor is a binary search.  Snapshots are kept
up to ``max_rows`` rows in total (``HUB_EXCHANGE_MEMORY_ROWS``), least recently used
dropped first; a larger snapshot is never loaded (``table`` returns None and the
caller reads the file).  How a file becomes Arrow is a hook: the exchange passes its
``Sealer`` (``hub.kms.parquet``) so sealed snapshots are decrypted in memory only.
Snapshot files are immutable (a republish is a new version,
a new path), so a loaded table never goes stale.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from hub import inline
from hub.exchange.cache import BuiltCache

MAX_ROWS = 5_000_000  # the default of HUB_EXCHANGE_MEMORY_ROWS
ROW_ID = "_row_id"


def read_snapshot(path: str, read: Callable[[str], pa.Table] = pq.read_table) -> pa.Table:
    """The snapshot at ``path`` as one Arrow table in ``_row_id`` order (one chunk per column).

    ``read``: how the file becomes Arrow (``Sealer.read_table`` for sealed snapshots).
    """
    table = read(path)
    with contextlib.suppress(pa.ArrowInvalid):  # a string column past 2 GiB stays chunked
        table = table.combine_chunks()
    if ROW_ID in table.column_names and table.num_rows > 1:
        ids = row_ids(table)
        if not bool(np.all(ids[1:] > ids[:-1])):
            table = table.take(pc.sort_indices(table, [(ROW_ID, "ascending")]))
    return table


def row_ids(table: pa.Table) -> np.ndarray:
    """``_row_id`` of ``table`` as a NumPy array (no copy when it is one chunk)."""
    return table.column(ROW_ID).to_numpy()


class SnapshotTables:
    """Arrow copies of recently read snapshots, by file path."""

    def __init__(self, max_rows: int = MAX_ROWS, read: Callable[[str], pa.Table] | None = None,
                 count: Callable[[str], int] | None = None) -> None:
        self.max_rows = max_rows
        # how a snapshot becomes Arrow and how many rows it has (sealed files: hub.kms.parquet.Sealer)
        self.read: Callable[[str], pa.Table] = read or pq.read_table
        self.count: Callable[[str], int] = count or (lambda path: pq.read_metadata(path).num_rows)
        self._cache: BuiltCache[str, pa.Table] = BuiltCache(max_rows, lambda t: t.num_rows)
        self._sizes: dict[str, int] = {}

    def table(self, path: str) -> pa.Table | None:
        """The snapshot at ``path`` in memory (read on first use), or None when it is too large."""
        found = self._cache.peek(path)
        if found is not None:
            return found
        rows = self._sizes.get(path)
        if rows is None:
            inline.check("snapshot file to read")
            rows = self._sizes[path] = self.count(path)
        if rows > self.max_rows:
            return None
        return self._cache.get(path, lambda: read_snapshot(path, self.read))

    def loaded(self) -> list[str]:
        """Paths of the snapshots held in memory, least recently used first."""
        return self._cache.kept()
