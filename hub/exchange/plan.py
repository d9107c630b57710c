"""Query plans: one parameterised DuckDB query over a published snapshot.

The plan applies, in order: the projection the decision allows (masked columns
as SQL expressions from ``hub.masking``), the decision's jurisdiction row filter,
the partner's filters (clear columns only, and ``match`` lookups on the grant's
lookup columns), keyset pagination after a signed cursor, ordering with ``_row_id``
as the tie-breaker, and the row limit.  Identifiers come only from the catalog
(``ColumnInfo``) and are quoted.

A plan is one query per page.  The exchange serves pages from masked views instead
(``hub.exchange.views``, ``hub.exchange.pages``) and plans a query only when no view
is kept; the helpers here (columns, sort keys, cursor fingerprint, projection) are
shared by both paths, so a cursor issued by one is read by the other.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from hub.errors import BadRequest, Forbidden
from hub.exchange import cursor, filters
from hub.exchange.lookups import MATCH, Lookup
from hub.exchange.lookups import to_sql as lookup_sql
from hub.masking import MaskContext, Projection, expression, normalised, pseudonym_sql, quote_ident

ROW_ID = "_row_id"  # stable row number written into every snapshot at publish time
PS_KEY, PS_VALUE = '"__hub_ps_key"', '"__hub_ps_value"'  # columns of the pseudonym joins
DISTINCT_PSEUDONYMS_FROM = 1000  # smaller pages hash each row: the join costs more than it saves
DEFAULT_PAGE = 1000
MAX_PAGE = 100_000

_NULL_STANDIN = {"VARCHAR": "''", "DATE": "DATE '1970-01-01'", "TIMESTAMP": "TIMESTAMP '1970-01-01'",
                 "BOOLEAN": "false"}


@dataclass(frozen=True)
class ColumnInfo:
    """What the catalog says of a snapshot column."""

    name: str
    sql_type: str = "VARCHAR"
    pii_class: str | None = None
    redacted_twin: str | None = None


@dataclass(frozen=True)
class Obligations:
    """The executable part of a decision (DESIGN.md §4)."""

    columns: dict[str, str]
    row_filter: dict[str, str] | None = None
    max_rows: int = DEFAULT_PAGE


@dataclass
class DataRequest:
    columns: list[str] | None = None
    filters: list[str] = field(default_factory=list)
    order_by: str | None = None
    limit: int | None = None
    cursor: str | None = None


@dataclass(frozen=True)
class Since:
    """Changes mode: the earlier snapshot and the columns compared to find new or changed rows."""

    path: str
    compare: tuple[str, ...]
    # a sealed earlier snapshot: decrypted in memory (``earlier``), registered under ``table`` by whoever
    # runs the query (DuckDB cannot read a sealed file itself)
    table: str | None = None
    earlier: Any = field(default=None, compare=False, repr=False)  # pa.Table


@dataclass
class Plan:
    sql: str
    params: list[Any]
    columns: list[str]
    page_size: int
    sort_keys: list[str]
    binding: str


def _standin(sql_type: str) -> str:
    base = sql_type.split("(")[0].upper()
    return _NULL_STANDIN.get(base, "0")


SortKey = tuple[str, bool, str]  # (expression, descending, SQL type)


def sort_keys(order_by: str | None, visible: dict[str, ColumnInfo], clear: set[str]) -> list[SortKey]:
    """Sort keys in order; nulls last, ``_row_id`` breaks ties."""
    row_id = (quote_ident(ROW_ID), False, "BIGINT")
    if not order_by:
        return [row_id]
    desc = order_by.startswith("-")
    name = order_by.lstrip("-")
    if name not in visible:
        raise BadRequest(f"order_by column `{name[:64]}` is not a column of this result",
                         parameter="order_by")
    if name not in clear:
        raise BadRequest(f"cannot order by masked column `{name}`", parameter="order_by")
    col, sql_type = quote_ident(name), visible[name].sql_type
    return [(f"({col} IS NULL)", False, "BOOLEAN"),
            (f"coalesce({col}, {_standin(sql_type)})", desc, sql_type), row_id]


def _after(keys: list[SortKey], last: list[Any]) -> tuple[str, list[Any]]:
    """Keyset predicate: rows strictly after ``last`` in the order of ``keys``."""
    if len(last) != len(keys):
        raise BadRequest("cursor is invalid for this request", parameter="cursor")
    ors, params = [], []
    for i, (expr, desc, sql_type) in enumerate(keys):
        eqs = [f"{k} = CAST(? AS {t})" for k, _, t in keys[:i]]
        ors.append("(" + " AND ".join([*eqs, f"{expr} {'<' if desc else '>'} CAST(? AS {sql_type})"]) + ")")
        params.extend([*last[:i], last[i]])
    return "(" + " OR ".join(ors) + ")", params


def _pseudonyms(name: str, i: int, pads: tuple[bytes, bytes], proj: Projection,
                joins: Projection) -> None:
    """Pseudonymise ``name`` through a join on its distinct values (two hashes per value, not row)."""
    col, table = quote_ident(name), f'"__hub_ps{i}"'
    proj.items.append(f"CASE WHEN page.{col} IS NULL THEN NULL ELSE {table}.{PS_VALUE} END AS {col}")
    joins.items.append(f"{table} AS (SELECT {PS_KEY}, {pseudonym_sql(PS_KEY)} AS {PS_VALUE} FROM "  # noqa: S608
                       f"(SELECT DISTINCT {normalised(col)} AS {PS_KEY} FROM page WHERE {col} IS NOT NULL))")
    joins.params.extend([pads[1], pads[0]])
    joins.items.append(f"LEFT JOIN {table} ON {table}.{PS_KEY} = {normalised('page.' + col)}")


def projection(cols: list[str], catalog: dict[str, ColumnInfo], ob: Obligations,
               pads: tuple[bytes, bytes], page: int) -> tuple[Projection, Projection]:
    """The SELECT items, and the pseudonym CTEs and joins (alternating) with their parameters."""
    proj, joins = Projection(), Projection()
    for name in cols:
        info = catalog[name]
        if ob.columns[name] == "pseudonym" and all(pads) and page > DISTINCT_PSEUDONYMS_FROM:
            _pseudonyms(name, len(joins.items) // 2, pads, proj, joins)
            continue
        ctx = MaskContext(pii_class=info.pii_class, data_type=info.sql_type, hmac_inner_pad=pads[0],
                          hmac_outer_pad=pads[1], redacted_twin=info.redacted_twin)
        expression(name, ob.columns[name], ctx, proj)
    return proj, joins


def select_columns(req: DataRequest, catalog: dict[str, ColumnInfo], ob: Obligations) -> list[str]:
    """The columns of the result: those asked for (or every released one), each checked."""
    wanted = req.columns or [c for c in catalog if ob.columns.get(c, "drop") != "drop"]
    for name in wanted:
        if name not in catalog:
            raise BadRequest(f"dataset has no column `{name[:64]}`", parameter="columns")
        if ob.columns.get(name, "drop") == "drop":
            raise Forbidden(f"column `{name}` is not released to you", column=name)
    return list(dict.fromkeys(wanted))


def page_size(req: DataRequest, ob: Obligations) -> int:
    """Rows per page: the request's limit within the decision's and the hub's maximum."""
    page = min(req.limit or DEFAULT_PAGE, ob.max_rows, MAX_PAGE)
    if page < 1:
        raise BadRequest("limit must be at least 1", parameter="limit")
    return page


def fingerprint(binding: dict[str, Any], cols: list[str], since: Since | None, req: DataRequest,
                ob: Obligations, lookups: list[Lookup]) -> str:
    """What a cursor is bound to; a ``match`` filter counts by its keyed hash, never its clear value."""
    hashes = iter(lk.keyed_hash for lk in lookups)
    bound = tuple(f"{f.split(':', 1)[0]}:{MATCH}:{next(hashes)}" if f.split(":", 2)[1:2] == [MATCH] else f
                  for f in req.filters)
    key = (tuple(binding.items()), tuple(cols), since and since.path, bound, req.order_by,
           tuple(ob.columns.items()), tuple(ob.row_filter.items()) if ob.row_filter else None)
    found = _FINGERPRINTS.get(key)
    if found is None:
        found = cursor.query_fingerprint(**binding, columns=cols, since=since and since.path, filters=list(bound),
                                         order_by=req.order_by, obligations=ob.columns, row_filter=ob.row_filter)
        if len(_FINGERPRINTS) >= _FINGERPRINTS_KEPT:
            _FINGERPRINTS.clear()
        _FINGERPRINTS[key] = found
    return found


_FINGERPRINTS: dict[tuple[Any, ...], str] = {}  # a pure function of its key: remembered (bounded)
_FINGERPRINTS_KEPT = 4096


def filter_sql(req: DataRequest, visible: dict[str, ColumnInfo], clear: set[str], lookups: list[Lookup],
               pads: tuple[bytes, bytes]) -> tuple[list[str], list[Any]]:
    """The partners' filters as predicates on the snapshot (``lookups``: its ``match`` filters, resolved)."""
    where: list[str] = []
    params: list[Any] = []
    resolved = iter(lookups)
    for flt in filters.parse_all(req.filters):
        if flt.op == MATCH:
            found = next(resolved, None)
            if found is None or found.column != flt.column:
                raise BadRequest(f"cannot match on column `{flt.column[:64]}`", parameter="filter")
            sql, p = lookup_sql(found, pads)
        else:
            sql, p = filters.to_sql(flt, {c: visible[c].sql_type for c in clear})
        where.append(sql)
        params.extend(p)
    return where, params


def source(snapshot: str, since: Since | None, table: str | None) -> tuple[str, list[Any]]:
    """The FROM item: the snapshot, or its rows absent from an earlier snapshot (changes)."""
    current, params = (table, []) if table else ("read_parquet(?)", [snapshot])
    if since is None:
        return current, params
    if not since.compare:
        raise BadRequest("the earlier version shares no column with the current one", parameter="since")
    same = " AND ".join(f"o.{quote_ident(c)} IS NOT DISTINCT FROM c.{quote_ident(c)}" for c in since.compare)
    earlier, earlier_params = (since.table, []) if since.table else ("read_parquet(?)", [since.path])
    return (f"(SELECT c.* FROM {current} AS c WHERE NOT EXISTS "  # noqa: S608
            f"(SELECT 1 FROM {earlier} AS o WHERE {same})) AS changed", [*params, *earlier_params])


def build(snapshot: str, catalog: dict[str, ColumnInfo], ob: Obligations, req: DataRequest, *,
          pads: tuple[bytes, bytes], cursor_secret: bytes, binding: dict[str, Any],
          since: Since | None = None, table: str | None = None, lookups: list[Lookup] | None = None) -> Plan:
    """Plan the query for one data request under one decision (``since``: changes only).

    ``table``: a DuckDB relation holding the snapshot's rows in file order, read
    instead of the file (see ``hub.exchange.tables``).  ``lookups``: the request's
    ``match`` filters, checked and resolved (``hub.exchange.lookups.resolve``).
    """
    lookups = lookups or []
    cols = select_columns(req, catalog, ob)
    page = page_size(req, ob)
    proj, joins = projection(cols, catalog, ob, pads, page)
    visible = {c: catalog[c] for c in cols}
    clear = {c for c in cols if ob.columns[c] == "clear"}
    where: list[str] = []
    params: list[Any] = list(proj.params)
    if ob.row_filter:
        rf_col = ob.row_filter.get("column", "")
        if rf_col not in catalog:
            raise Forbidden("row filter names an unknown column; refusing", column=rf_col)
        where.append(f"starts_with(CAST({quote_ident(rf_col)} AS VARCHAR), ?)")
        params.append(str(ob.row_filter.get("prefix", "")))
    preds, p = filter_sql(req, visible, clear, lookups, pads)
    where.extend(preds)
    params.extend(p)
    keys = sort_keys(req.order_by, visible, clear)
    binding_hash = fingerprint(binding, cols, since, req, ob, lookups)
    if req.cursor:
        pred, p = _after(keys, cursor.read(cursor_secret, binding_hash, req.cursor))
        where.append(pred)
        params.extend(p)
    key_select = ", ".join(f"{k} AS __k{i}" for i, (k, _, _) in enumerate(keys))
    order = ", ".join(f"{k} {'DESC' if d else 'ASC'}" for k, d, _ in keys)
    source_sql, source_params = source(snapshot, since, table)
    # the page is cut first and masked after, so masks run on page rows only, not the whole scan
    # Snapshots are written in _row_id order and DuckDB preserves a file's order (the default
    # preserve_insertion_order), so the default order needs no sort: the scan stops early.
    in_file_order = since is None and len(keys) == 1
    inner = (f"SELECT * FROM {source_sql} {'WHERE ' + ' AND '.join(where) if where else ''} "  # noqa: S608
             f"{'' if in_file_order else 'ORDER BY ' + order} LIMIT {page + 1}")
    ctes = "".join(f", {c}" for c in joins.items[0::2])
    head = f"WITH page AS {'MATERIALIZED ' if ctes else ''}({inner}){ctes}"
    sql = (f"{head} SELECT {', '.join(proj.items)}, {key_select} "  # noqa: S608
           f"FROM page {' '.join(joins.items[1::2])} ORDER BY {order}")
    # placeholders in text order: the source's, the WHERE's, the pseudonym CTEs', the projection's.
    params = [*source_params, *params[len(proj.params):], *joins.params, *proj.params]
    return Plan(sql, params, cols, page, [k for k, _, _ in keys], binding_hash)


def next_cursor(plan: Plan, last_row_keys: list[Any], secret: bytes) -> str:
    """The cursor for the page after the row whose sort keys are ``last_row_keys``."""
    return cursor.issue(secret, plan.binding, last_row_keys)
