"""Pages cut from a masked view: keyset slices and vectorised filters, no SQL per page.

``select`` answers one data request from a ``View`` (``hub.exchange.views``) exactly
as the SQL plan (``hub.exchange.plan``) would from the snapshot — same columns and
checks, same rows in the same order, and cursors either path reads:

- without partner filters a page is a slice: the cursor's last ``_row_id`` is found by
  binary search in the view's sorted ``_row_id`` (or by its rank in the view's sort
  order for ``order_by``), and the page is the next ``limit`` rows;
- with filters, the filters run vectorised (``pyarrow.compute``) over the view, chunk
  after chunk from the cursor on, until the page is full.  The values are the plan's
  own, parsed by the column's type (``hub.exchange.filters``), cast by DuckDB, so both
  paths compare the same values; a ``prefix`` on a column that is not text is evaluated by DuckDB
  over the view's column, because only DuckDB writes its values as DuckDB text;
- ``match`` lookups compare the view's pseudonym column with the lookup's keyed hash.

The page is returned as row positions in the view; the caller takes the Arrow
columns, or the JSON rendition's lines, at those positions.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import duckdb
import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from hub.errors import BadRequest
from hub.exchange import cursor, filters
from hub.exchange.filters import Filter
from hub.exchange.lookups import MATCH, Lookup
from hub.exchange.plan import (
    ColumnInfo,
    DataRequest,
    Obligations,
    Since,
    fingerprint,
    page_size,
    select_columns,
    sort_keys,
)
from hub.exchange.views import View, Views

FIRST_CHUNK = 4096
_COMPARE: dict[str, Callable[..., Any]] = {
    "eq": pc.equal, "ne": pc.not_equal, "lt": pc.less, "le": pc.less_equal, "gt": pc.greater,
    "ge": pc.greater_equal,
}
_STANDIN: dict[str, Any] = {"VARCHAR": "", "DATE": dt.date(1970, 1, 1), "TIMESTAMP": dt.datetime(1970, 1, 1),
                            "BOOLEAN": False}
Mask = Callable[[int, int], np.ndarray]  # rows [start, stop) of the view → boolean array


@dataclass
class ViewPage:
    """One page: the view, its columns, the rows' positions in the view, the next cursor."""

    view: View
    columns: list[str]
    positions: np.ndarray | slice
    next_cursor: str | None

    @property
    def rows(self) -> int:
        if isinstance(self.positions, slice):
            return int(self.positions.stop - self.positions.start)
        return len(self.positions)

    def arrow(self) -> pa.Table:
        """The page as an Arrow table of its columns (a zero-copy slice when it is one)."""
        table = self.view.table.select(self.columns)
        if isinstance(self.positions, slice):
            return table.slice(self.positions.start, self.rows)
        return table.take(self.positions)

    def json_lines(self, views: Views) -> bytes | memoryview:
        """The page's rows as JSON lines (each ends in a newline), from the view's rendition."""
        return views.lines(self.view, tuple(self.columns), self.positions)


def _base_type(sql_type: str) -> str:
    return sql_type.split("(")[0].upper()


def cast_values(con: duckdb.DuckDBPyConnection, values: tuple[str, ...], sql_type: str) -> list[Any]:
    """``CAST(value AS sql_type)`` of each (already parsed) value, by DuckDB (None where it cannot)."""
    row = con.execute(f"SELECT list_transform(?::VARCHAR[], x -> TRY_CAST(x AS {sql_type}))",  # noqa: S608
                      [list(values)]).fetchone()
    return list(row[0]) if row else [None] * len(values)


def _duckdb_mask(con: duckdb.DuckDBPyConnection, column: pa.ChunkedArray, predicate: str,
                 params: list[Any]) -> np.ndarray:
    """``predicate`` (over a column quoted ``"c"``) evaluated by DuckDB, in the column's order."""
    con.register("__hub_column", pa.table({"c": column}))
    try:  # a scan's output keeps its input order (DuckDB's default preserve_insertion_order)
        out = con.execute(f"SELECT coalesce({predicate}, false) FROM __hub_column", params)  # noqa: S608
        result = out.to_arrow_table().column(0)
    finally:
        con.unregister("__hub_column")
    return np.asarray(result.to_numpy(zero_copy_only=False), dtype=bool)


def _as_bool(result: Any) -> np.ndarray:
    return np.asarray(pc.fill_null(result, False).to_numpy(zero_copy_only=False), dtype=bool)


def _predicate(con: duckdb.DuckDBPyConnection, view: View, flt: Filter, info: ColumnInfo,
               lookup: Lookup | None, bound: list[Any]) -> Mask:
    """A vectorised test of ``flt`` over rows of ``view`` (``bound``: the plan's parameters for it)."""
    def column(start: int, stop: int) -> pa.ChunkedArray:
        return view.table.column(flt.column).slice(start, stop - start)

    if lookup is not None:
        return lambda a, b: _as_bool(pc.equal(column(a, b), lookup.keyed_hash))
    arrow_type = view.table.schema.field(flt.column).type
    text = pa.types.is_string(arrow_type) or pa.types.is_large_string(arrow_type)
    if flt.op == "prefix" and text:
        return lambda a, b: _as_bool(pc.starts_with(column(a, b), flt.values[0]))
    if flt.op != "prefix":
        typed = [v for v in cast_values(con, tuple(str(b) for b in bound), info.sql_type) if v is not None]
        if not typed:  # SQL compares with NULL: no row
            return lambda a, b: np.zeros(b - a, dtype=bool)
        try:
            if flt.op == "in":
                value_set = pa.array(typed, type=arrow_type)
                return lambda a, b: _as_bool(pc.is_in(column(a, b), value_set=value_set))
            scalar, compare = pa.scalar(typed[0], type=arrow_type), _COMPARE[flt.op]
            return lambda a, b: _as_bool(compare(column(a, b), scalar))
        except (pa.ArrowInvalid, pa.ArrowTypeError, pa.ArrowNotImplementedError, OverflowError):
            pass  # the value does not fit the column's Arrow type: let DuckDB compare, as the plan does
    # DuckDB evaluates the plan's own predicate over the view's column (a prefix on a column that is
    # not text: only DuckDB writes its values as DuckDB text)
    sql, params = filters.to_sql(Filter("c", flt.op, flt.values), {"c": info.sql_type})
    return lambda a, b: _duckdb_mask(con, column(a, b), sql, params)


def _predicates(con: duckdb.DuckDBPyConnection, view: View, req: DataRequest, catalog: dict[str, ColumnInfo],
                visible: dict[str, ColumnInfo], clear: set[str], lookups: list[Lookup]) -> list[Mask]:
    """One mask per filter, checked as the plan checks them (same 400s).

    A ``match`` may name a released lookup column the request does not return.
    """
    resolved = iter(lookups)
    masks = []
    for flt in filters.parse_all(req.filters):
        lookup: Lookup | None = None
        bound: list[Any] = []
        if flt.op == MATCH:
            lookup = next(resolved, None)
            if lookup is None or lookup.column != flt.column:
                raise BadRequest(f"cannot match on column `{flt.column[:64]}`", parameter="filter")
        else:  # the plan's checks and errors, and its values parsed by the column's type
            _, bound = filters.to_sql(flt, {c: visible[c].sql_type for c in clear})
        masks.append(_predicate(con, view, flt, catalog[flt.column], lookup, bound))
    return masks


def _all(masks: list[Mask], start: int, stop: int) -> np.ndarray:
    result = masks[0](start, stop)
    for mask in masks[1:]:
        result &= mask(start, stop)
    return result


def _scan(masks: list[Mask], start: int, n: int, wanted: int) -> np.ndarray:
    """Positions from ``start`` on (view order) passing every mask: the first ``wanted`` of them."""
    found: list[np.ndarray] = []
    count, at, chunk = 0, start, max(FIRST_CHUNK, wanted * 4)
    while at < n and count < wanted:
        stop = min(n, at + chunk)
        hits = np.flatnonzero(_all(masks, at, stop)) + at
        found.append(hits)
        count += len(hits)
        at, chunk = stop, chunk * 4
    return np.concatenate(found)[:wanted] if found else np.zeros(0, dtype=np.int64)


def _cursor_key(view: View, order: tuple[str, bool] | None, sql_type: str, position: int) -> list[Any]:
    """The sort keys of the row at ``position``, as the SQL plan puts them in a cursor."""
    row_id = int(view.row_ids[position])
    if order is None:
        return [row_id]
    value = view.table.column(order[0])[position].as_py()
    if value is not None:
        return [False, value, row_id]
    return [True, _standin(sql_type), row_id]


def _standin(sql_type: str) -> Any:
    """The value ``coalesce(NULL, <the plan's stand-in>)`` has in DuckDB, for a cursor."""
    base = _base_type(sql_type)
    if base in ("DECIMAL", "NUMERIC"):
        args = sql_type.partition("(")[2].rstrip(")").split(",")
        scale = int(args[1]) if len(args) == 2 and args[1].strip().isdigit() else 3
        return Decimal(0).scaleb(-scale)
    if base in ("DOUBLE", "FLOAT", "REAL"):
        return 0.0
    return _STANDIN.get(base, 0)


def _start(view: View, views: Views, order: tuple[str, bool] | None, last: list[Any]) -> int:
    """Where the page after the cursor's last row starts (in view order, or in the sort order)."""
    if not last:
        raise BadRequest("cursor is invalid for this request", parameter="cursor")
    try:
        row_id = int(last[-1])
    except (TypeError, ValueError):
        raise BadRequest("cursor is invalid for this request", parameter="cursor") from None
    after = int(np.searchsorted(view.row_ids, row_id, side="right"))
    if order is None:
        return after
    at = after - 1
    if at < 0 or int(view.row_ids[at]) != row_id:  # signed for this query and version: cannot happen
        raise BadRequest("cursor is invalid for this request", parameter="cursor")
    return int(views.order(view, *order).rank[at]) + 1


def select(con: duckdb.DuckDBPyConnection, views: Views, view: View, catalog: dict[str, ColumnInfo],
           ob: Obligations, req: DataRequest, *, cursor_secret: bytes, binding: dict[str, Any],
           since: Since | None = None, lookups: list[Lookup] | None = None) -> ViewPage:
    """The page ``req`` asks for, cut from ``view`` (see the module docstring)."""
    lookups = lookups or []
    cols = select_columns(req, catalog, ob)
    page = page_size(req, ob)
    visible = {c: catalog[c] for c in cols}
    clear = {c for c in cols if ob.columns[c] == "clear"}
    masks = _predicates(con, view, req, catalog, visible, clear, lookups)  # checked in the plan's order: filters,
    keys = sort_keys(req.order_by, visible, clear)  # then order_by
    order = (req.order_by.lstrip("-"), req.order_by.startswith("-")) if req.order_by else None
    binding_hash = fingerprint(binding, cols, since, req, ob, lookups)
    start = 0
    if req.cursor:
        last = cursor.read(cursor_secret, binding_hash, req.cursor)
        if len(last) != len(keys):
            raise BadRequest("cursor is invalid for this request", parameter="cursor")
        start = _start(view, views, order, last)
    positions: np.ndarray | slice
    if order is None and not masks:
        stop = min(view.rows, start + page + 1)
        more = stop - start > page
        positions = slice(start, min(stop, start + page))
        last_position = positions.stop - 1
    else:
        if order is None:
            found = _scan(masks, start, view.rows, page + 1)
        else:
            perm = views.order(view, *order).perm[start:]
            if masks:
                perm = perm[np.flatnonzero(_all(masks, 0, view.rows)[perm])[:page + 1]]
            found = perm[:page + 1]
        more = len(found) > page
        positions = found[:page]
        last_position = int(positions[-1]) if len(positions) else -1
    next_cursor = None
    if more and last_position >= 0:
        sql_type = visible[order[0]].sql_type if order else "BIGINT"
        next_cursor = cursor.issue(cursor_secret, binding_hash, _cursor_key(view, order, sql_type, last_position))
    return ViewPage(view, cols, positions, next_cursor)
