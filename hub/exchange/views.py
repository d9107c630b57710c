"""Masked views: one partner's masked, jurisdiction-filtered projection of a snapshot, kept in memory.

The decision for a (subject, snapshot version) names a strategy per column and a row
filter (DESIGN.md §4).  ``Views.view`` materialises what that decision releases —
every released column, masked by the SQL expressions of ``hub.masking`` and run by
DuckDB over the in-memory snapshot (``hub.exchange.tables``), restricted to the
partner's jurisdiction — ONCE, as an Arrow table in ``_row_id`` order.  Pages are
then cut from it without SQL (``hub.exchange.pages``): the masks still run in the
query engine, once per view instead of once per page.  Clear columns are the
snapshot's own Arrow arrays (no copy) when the row filter keeps every row, and a
vectorised ``take`` of them otherwise.

Beside a view the same cache keeps, built on first use: its JSON rendition for a set
of columns, chunk by chunk as pages reach them (each row rendered once by DuckDB's
``to_json`` — the very rendering the SQL path used per page — and newline-terminated,
so an NDJSON page inside a chunk is one buffer slice), and its sort orders for
``order_by`` (a permutation and its inverse).

A view is keyed by everything its content depends on: the snapshot file (so a new
version is a new view), the ``since`` snapshot of a ``/changes`` request, the subject
(its pseudonym key) and the decision's column strategies and row filter (so a changed
decision is a new view).  Everything is kept in one LRU under ``HUB_EXCHANGE_VIEW_BYTES``;
an evicted view is rebuilt by the next request that needs it, and concurrent first
requests build it once (``hub.exchange.cache``).
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field
from typing import Any

import duckdb
import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from hub.exchange.cache import BuiltCache
from hub.exchange.plan import ColumnInfo, Obligations, Since, projection
from hub.exchange.plan import source as plan_source
from hub.exchange.tables import ROW_ID, row_ids
from hub.masking import quote_ident

VIEW_BYTES = 1 << 30  # the default of HUB_EXCHANGE_VIEW_BYTES
RENDER_CHUNK = 65_536  # rows rendered to JSON at a time, when a page first needs them
SNAPSHOT = '"__hub_snapshot"'  # the in-memory snapshot, as the build query names it
_VIEW = '"__hub_view"'
_serial = itertools.count(1)


@dataclass(frozen=True)
class ViewKey:
    """What a view's content depends on (see the module docstring)."""

    path: str
    since: str | None
    subject: str
    strategies: tuple[tuple[str, str], ...]  # released columns in catalog order, with their strategy
    row_filter: tuple[tuple[str, str], ...] | None

    @classmethod
    def of(cls, path: str, since: Since | None, subject: str, catalog: dict[str, ColumnInfo],
           ob: Obligations) -> ViewKey:
        strategies = ob.columns
        released = tuple((c, strategies[c]) for c in catalog if strategies.get(c, "drop") != "drop")
        rf = tuple(sorted((str(k), str(v)) for k, v in ob.row_filter.items())) if ob.row_filter else None
        return cls(path, since.path if since else None, subject, released, rf)


@dataclass(eq=False)
class View:
    """A built view: ``_row_id`` and the released columns, masked, in ``_row_id`` order."""

    key: ViewKey
    table: pa.Table
    row_ids: np.ndarray
    own_bytes: int  # bytes not shared with the snapshot
    serial: int = field(default_factory=lambda: next(_serial))

    @property
    def rows(self) -> int:
        return self.table.num_rows


@dataclass(frozen=True)
class Order:
    """A view's rows sorted for one ``order_by``: positions in order, and each position's rank."""

    perm: np.ndarray
    rank: np.ndarray


def _nbytes(value: Any) -> int:
    if isinstance(value, View):
        return value.own_bytes
    if isinstance(value, Order):
        return int(value.perm.nbytes + value.rank.nbytes)
    return int(value.nbytes)


def _sorted_by_row_id(table: pa.Table) -> pa.Table:
    ids = row_ids(table)
    if table.num_rows > 1 and not bool(np.all(ids[1:] > ids[:-1])):
        table = table.take(pc.sort_indices(table, [(ROW_ID, "ascending")]))
    return table


def _build_sql(key: ViewKey, catalog: dict[str, ColumnInfo], pads: tuple[bytes, bytes],
               rows: int, since: Since | None) -> tuple[str, list[Any]]:
    """The query computing ``_row_id`` and the masked (not clear) released columns."""
    strategies = dict(key.strategies)
    masked = [c for c, s in key.strategies if s != "clear"]
    ob = Obligations(columns=strategies)
    proj, joins = projection(masked, catalog, ob, pads, rows)
    twins = [catalog[c].redacted_twin for c in masked if strategies[c] == "redacted_text"]
    needed = [ROW_ID, *masked, *(t for t in twins if t)]
    source, params = plan_source("", since, SNAPSHOT)
    where, where_params = "", []
    if key.row_filter:
        column = dict(key.row_filter).get("column", "")
        where = f"WHERE starts_with(CAST({quote_ident(column)} AS VARCHAR), ?)"
        where_params = [dict(key.row_filter).get("prefix", "")]
    inner = (f"SELECT {', '.join(quote_ident(c) for c in dict.fromkeys(needed))} "  # noqa: S608
             f"FROM {source} {where}")
    items = ", ".join([f"page.{quote_ident(ROW_ID)}", *proj.items])
    if not joins.items:
        return f"SELECT {items} FROM ({inner}) AS page", [*proj.params, *params, *where_params]  # noqa: S608
    ctes = "".join(f", {c}" for c in joins.items[0::2])
    sql = (f"WITH page AS MATERIALIZED ({inner}){ctes} SELECT {items} "  # noqa: S608
           f"FROM page {' '.join(joins.items[1::2])}")
    return sql, [*params, *where_params, *joins.params, *proj.params]


def build_view(con: duckdb.DuckDBPyConnection, key: ViewKey, snapshot: pa.Table,
               catalog: dict[str, ColumnInfo], pads: tuple[bytes, bytes], since: Since | None) -> View:
    """Materialise the view ``key`` from ``snapshot`` (see the module docstring)."""
    sql, params = _build_sql(key, catalog, pads, snapshot.num_rows, since)
    con.register(SNAPSHOT.strip('"'), snapshot)
    if since is not None and since.table and since.earlier is not None:
        con.register(since.table, since.earlier)  # a sealed earlier version, decrypted in memory
    try:
        masked = _sorted_by_row_id(con.execute(sql, params).to_arrow_table())
    finally:
        con.unregister(SNAPSHOT.strip('"'))
        if since is not None and since.table and since.earlier is not None:
            con.unregister(since.table)
    ids = row_ids(masked)
    every_row = masked.num_rows == snapshot.num_rows  # then masked is in the snapshot's own row order
    positions = None if every_row else np.searchsorted(row_ids(snapshot), ids)
    columns, own = [masked.column(ROW_ID)], masked.column(ROW_ID).nbytes
    for name, strategy in key.strategies:
        if strategy == "clear":
            column = snapshot.column(name) if positions is None else snapshot.column(name).take(positions)
            own += 0 if positions is None else column.nbytes
        else:
            column = masked.column(name)
            own += column.nbytes
        columns.append(column)
    table = pa.table(columns, names=[ROW_ID, *(c for c, _ in key.strategies)])
    return View(key, table, ids, own)


def render_json(con: duckdb.DuckDBPyConnection, view: View, columns: tuple[str, ...], start: int,
                stop: int) -> pa.Array:
    """Rows ``[start, stop)`` of ``view`` (``columns`` only) as JSON text ending in a newline, in view order."""
    packed = ", ".join(f"{quote_ident(c)} := {quote_ident(c)}" for c in columns)
    con.register(_VIEW.strip('"'), view.table.select([ROW_ID, *columns]).slice(start, stop - start))
    try:
        out = con.execute(f"SELECT {quote_ident(ROW_ID)}, to_json(struct_pack({packed})) || chr(10) AS j "  # noqa: S608
                          f"FROM {_VIEW}").to_arrow_table()
    finally:
        con.unregister(_VIEW.strip('"'))
    ids = view.row_ids[start:stop]
    if not np.array_equal(row_ids(out), ids):  # DuckDB keeps a scan's order; make sure
        out = out.take(np.argsort(np.searchsorted(ids, row_ids(out))))
    text = out.column("j").combine_chunks()
    newlines = pc.sum(pc.count_substring(text, "\n")).as_py() or 0
    if newlines != stop - start:  # to_json escapes control characters; a raw newline would split a row
        raise RuntimeError("a JSON-rendered row holds a raw newline")
    return text


def text_buffer(chunk: pa.Array) -> pa.Buffer:
    """The concatenated values of a non-empty string array: one slice of its data buffer."""
    _, offsets_buffer, data = chunk.buffers()
    width = np.int64 if pa.types.is_large_string(chunk.type) else np.int32
    offsets = np.frombuffer(offsets_buffer, dtype=width)
    start, stop = int(offsets[chunk.offset]), int(offsets[chunk.offset + len(chunk)])
    return data.slice(start, stop - start)


def build_order(view: View, column: str, descending: bool) -> Order:
    """Rows by ``column`` (nulls last), ties by ``_row_id``: the SQL plan's ORDER BY, as positions."""
    direction = "descending" if descending else "ascending"
    try:  # pyarrow >= 25 places nulls per key
        perm = pc.sort_indices(view.table, sort_keys=[(column, direction, "at_end"), (ROW_ID, "ascending", "at_end")])
    except (TypeError, ValueError):
        perm = pc.sort_indices(view.table, sort_keys=[(column, direction), (ROW_ID, "ascending")],
                               null_placement="at_end")
    positions = perm.to_numpy().astype(np.int64)  # sort_indices gives uint64; positions are int64 everywhere
    rank = np.empty_like(positions)
    rank[positions] = np.arange(len(positions), dtype=positions.dtype)
    return Order(positions, rank)


class Views:
    """Masked views, their JSON renditions and sort orders, under one byte budget."""

    def __init__(self, db: duckdb.DuckDBPyConnection, budget_bytes: int = VIEW_BYTES) -> None:
        self.db = db
        self.budget = budget_bytes
        self.cache: BuiltCache[tuple[Any, ...], Any] = BuiltCache(budget_bytes, _nbytes)

    def view(self, key: ViewKey, snapshot: pa.Table, catalog: dict[str, ColumnInfo],
             pads: tuple[bytes, bytes], since: Since | None) -> View:
        """The view ``key``, built from ``snapshot`` unless it is kept."""
        def build() -> View:
            con = self.db.cursor()
            try:
                return build_view(con, key, snapshot, catalog, pads, since)
            finally:
                con.close()
        view: View = self.cache.get(("view", key), build)
        return view

    def rendition(self, view: View, columns: tuple[str, ...], chunk: int) -> pa.Array:
        """Rows of chunk ``chunk`` (``RENDER_CHUNK`` rows) of ``view`` as JSON lines (rendered on first use)."""
        def build() -> pa.Array:
            con = self.db.cursor()
            try:
                return render_json(con, view, columns, chunk * RENDER_CHUNK, min(view.rows, (chunk + 1) * RENDER_CHUNK))
            finally:
                con.close()
        text: pa.Array = self.cache.get(("json", view.serial, columns, chunk), build)
        return text

    def lines(self, view: View, columns: tuple[str, ...], positions: slice | np.ndarray) -> bytes | memoryview:
        """The JSON lines of the rows at ``positions`` of ``view``, in that order.

        Only the chunks the rows fall in are rendered.  Rows inside one chunk, in order, are
        a view of that chunk's buffer: no copy.
        """
        if isinstance(positions, slice):
            start, stop = positions.start, positions.stop
            parts = []
            for chunk in range(start // RENDER_CHUNK, (stop - 1) // RENDER_CHUNK + 1 if stop > start else 0):
                lo, hi = max(start, chunk * RENDER_CHUNK), min(stop, (chunk + 1) * RENDER_CHUNK)
                text = self.rendition(view, columns, chunk).slice(lo - chunk * RENDER_CHUNK, hi - lo)
                parts.append(text_buffer(text))
            if len(parts) == 1:
                return memoryview(parts[0]).cast("B")
            return b"".join(p.to_pybytes() for p in parts)
        if not len(positions):
            return b""
        chunks = positions // RENDER_CHUNK
        needed = np.unique(chunks)
        texts = [self.rendition(view, columns, int(c)) for c in needed]
        bases = np.cumsum([0, *(len(t) for t in texts[:-1])])
        indices = positions - chunks * RENDER_CHUNK + bases[np.searchsorted(needed, chunks)]
        taken = pa.chunked_array(texts).take(pa.array(indices)).combine_chunks()
        return memoryview(text_buffer(taken)).cast("B")

    def order(self, view: View, column: str, descending: bool) -> Order:
        """``view``'s rows in ``order_by`` order (built on first use)."""
        order: Order = self.cache.get(("order", view.serial, column, descending),
                                      lambda: build_order(view, column, descending))
        return order
