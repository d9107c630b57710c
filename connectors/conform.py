"""Conforming raw source columns to a resource's declared schema, in bulk.

Sources hand over loosely typed columns (SQLite's dynamic types, CSV text, JSON
numbers).  ``conform`` casts a whole raw Arrow table at once inside an in-memory
DuckDB (``TRY_CAST``; timestamps with an offset are converted to Asia/Shanghai and
made naive), and returns the rows that cast cleanly as a batch matching the
declared schema, plus the index, reason code and reason of every row that did not
(a missing key, a bad number or date) — those go to quarantine.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import duckdb
import pyarrow as pa
import pyarrow.compute as pc

from connectors.errors import SchemaMismatch
from connectors.schema import duckdb_type, quote

LOCAL_TZ = "Asia/Shanghai"
_local = threading.local()
_OFFSET = r"\d\d:\d\d(:\d\d(\.\d+)?)?\s*(Z|[+-]\d\d(:?\d\d)?)$"


@dataclass(frozen=True)
class Conformed:
    """The clean rows as a batch of the declared schema, and the rejected row indices."""

    batch: pa.RecordBatch
    valid: pa.BooleanArray
    rejected: list[tuple[int, str, str]]  # (row index in the raw table, reason code, reason)


def _connection() -> duckdb.DuckDBPyConnection:
    conn = getattr(_local, "conn", None)
    if conn is None:
        conn = duckdb.connect()
        conn.execute(f"SET TimeZone = '{LOCAL_TZ}'")
        _local.conn = conn
    return conn


def _has_offset(column: pa.ChunkedArray) -> bool:
    """Whether any timestamp text carries a UTC offset (then the slower zone-aware cast is needed)."""
    if getattr(column.type, "tz", None):
        return True
    if not pa.types.is_string(column.type):
        return False
    return bool(pc.any(pc.match_substring_regex(column, _OFFSET)).as_py())


def _cast(name: str, column: pa.ChunkedArray, target: pa.DataType) -> tuple[str, str | None]:
    """SQL for the cast of column ``name``, and the failure test (None if it cannot fail)."""
    col = quote(name)
    if column.type == target:
        return col, None
    if pa.types.is_timestamp(target) and _has_offset(column):
        expr = f"(TRY_CAST({col} AS TIMESTAMPTZ) AT TIME ZONE '{LOCAL_TZ}')"
    else:
        expr = f"TRY_CAST({col} AS {duckdb_type(target)})"
    if pa.types.is_string(target):
        return expr, None
    return expr, f"({col} IS NOT NULL AND {expr} IS NULL)"


def _reason_code(target: pa.DataType) -> str:
    for test, code in (
        (pa.types.is_decimal, "bad_number"),
        (pa.types.is_floating, "bad_number"),
        (pa.types.is_integer, "bad_integer"),
        (pa.types.is_timestamp, "bad_timestamp"),
        (pa.types.is_date, "bad_date"),
    ):
        if test(target):
            return code
    return "bad_value"


def _query(raw: pa.Table, schema: pa.Schema, primary_key: Sequence[str]) -> str | None:
    """SQL casting the columns that need it, with the reject code and reason; None if nothing to do."""
    missing = [f.name for f in schema if f.name not in raw.column_names]
    if missing:
        raise SchemaMismatch(f"source rows lack declared column(s) {missing}", columns=missing)
    selects, cases = [], []
    for key in primary_key:
        col = quote(key)
        blank = f" OR trim(CAST({col} AS VARCHAR)) = ''"
        cases.append((f"{col} IS NULL{blank}", "missing_key", f"primary key `{key}` is empty"))
    for target in schema:
        expr, failure = _cast(target.name, raw[target.name], target.type)
        if expr != quote(target.name):  # columns already of the declared type pass through as is
            selects.append(f"{expr} AS {quote(target.name)}")
        if failure:
            what = duckdb_type(target.type)
            cases.append((failure, _reason_code(target.type), f"`{target.name}` is not a valid {what}"))
    code = " ".join(f"WHEN {test} THEN '{code}'" for test, code, _ in cases)
    text = " ".join(f"WHEN {test} THEN '{reason}'" for test, _, reason in cases)
    if cases:
        selects += [f"CASE {code} END AS __code", f"CASE {text} END AS __reason"]
    return f"SELECT {', '.join(selects)} FROM __raw" if selects else None  # noqa: S608 - declared identifiers


def _run(table: pa.Table, sql: str) -> pa.Table:
    conn = _connection()
    conn.register("__raw", table)
    try:
        return conn.execute(sql).to_arrow_table()
    finally:
        conn.unregister("__raw")


def conform(raw: pa.Table | pa.RecordBatch, schema: pa.Schema, primary_key: Sequence[str] = ()) -> Conformed:
    """Cast ``raw`` to ``schema``; rows failing a key or type check are rejected, not cast."""
    table = raw if isinstance(raw, pa.Table) else pa.Table.from_batches([raw])
    sql = _query(table, schema, primary_key)
    out = _run(table, sql) if sql else pa.table({})
    columns = [out[f.name] if f.name in out.column_names else table[f.name] for f in schema]
    clean = pa.Table.from_arrays(columns, names=schema.names)
    if "__code" not in out.column_names:
        valid = pa.array([True] * table.num_rows, pa.bool_())
        return Conformed(_as_batch(clean, schema), valid, [])
    valid = pc.is_null(out["__code"]).combine_chunks()
    rejected = _rejected(out, valid)
    return Conformed(_as_batch(clean.filter(valid) if rejected else clean, schema), valid, rejected)


def _rejected(out: pa.Table, valid: pa.BooleanArray) -> list[tuple[int, str, str]]:
    if valid.false_count == 0:
        return []
    idx = pc.indices_nonzero(pc.invert(valid)).to_pylist()
    codes = out["__code"].take(idx).to_pylist()
    reasons = out["__reason"].take(idx).to_pylist()
    return list(zip(idx, codes, reasons, strict=True))


def column_from_values(values: Sequence[Any], target: pa.DataType) -> pa.Array:
    """An Arrow column from Python values in bulk; mixed types fall back to text."""
    hint = target if pa.types.is_string(target) or pa.types.is_integer(target) else None
    for dtype in (hint, None):
        try:
            return pa.array(values if isinstance(values, list) else list(values), type=dtype)
        except (pa.ArrowInvalid, pa.ArrowTypeError, OverflowError):
            continue
    return pa.array([None if v is None else str(v) for v in values], pa.string())


def _as_batch(table: pa.Table, schema: pa.Schema) -> pa.RecordBatch:
    cast = table.cast(schema) if table.schema != schema else table
    return cast.combine_chunks().to_batches()[0] if cast.num_rows else pa.RecordBatch.from_pylist([], schema)
