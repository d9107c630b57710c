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
# The exact text form of each declared type: (RE2 pattern, how the reason spells it).
FORMS: dict[str, tuple[str, str]] = {
    "date": (r"\d{4}-\d{2}-\d{2}", "YYYY-MM-DD"),
    "timestamp": (
        r"\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}:\d{2}(\.\d{1,6})?(Z|[+-]\d{2}(:?\d{2})?)?",
        "YYYY-MM-DDTHH:MM:SS[.ffffff][Z|+HH:MM]",
    ),
    "integer": (r"-?\d+", "an integer in digits"),
    "double": (r"-?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?", "a decimal number"),
}


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


def _form(target: pa.DataType) -> tuple[str, str] | None:
    """The exact text form (pattern, spelling) of a declared type; None for text columns."""
    if pa.types.is_decimal(target):
        digits = r"-?\d+" + (rf"(\.\d{{1,{target.scale}}})?" if target.scale else "")
        return digits, f"a decimal number with at most {target.scale} decimals"
    for test, name in (
        (pa.types.is_date, "date"),
        (pa.types.is_timestamp, "timestamp"),
        (pa.types.is_integer, "integer"),
        (pa.types.is_floating, "double"),
    ):
        if test(target):
            return FORMS[name]
    return None


def _in_form(column: pa.ChunkedArray, pattern: str) -> pa.ChunkedArray:
    """Per row: the text has exactly the form ``pattern`` (nulls count as in form)."""
    return pc.fill_null(pc.match_substring_regex(column, f"^(?:{pattern})$"), True)


def _lossless(col: str, expr: str, source: pa.DataType, target: pa.DataType) -> str | None:
    """SQL that is true when a float ``col`` loses digits cast to ``target`` (None when it cannot)."""
    if not pa.types.is_floating(source):
        return None
    if pa.types.is_integer(target):
        return f"{col} <> trunc({col})"
    if pa.types.is_decimal(target):
        # scaled to the declared decimals, the float must be a whole number up to its own precision
        scaled = f"({col} * {10 ** target.scale}.0)"
        return f"abs({scaled} - round({scaled})) > greatest(1e-6, abs({scaled}) * 1e-15)"
    return None


def _cast(name: str, column: pa.ChunkedArray, target: pa.DataType) -> tuple[str, str | None, pa.ChunkedArray | None]:
    """SQL for the cast of column ``name``, its failure test (None if it cannot fail), and the
    per-row exact-form mask the test reads as ``__form_<name>`` (text columns only)."""
    col = quote(name)
    if column.type == target:
        return col, None, None
    if pa.types.is_timestamp(target) and _has_offset(column):
        expr = f"(TRY_CAST({col} AS TIMESTAMPTZ) AT TIME ZONE '{LOCAL_TZ}')"
    else:
        expr = f"TRY_CAST({col} AS {duckdb_type(target)})"
    if pa.types.is_string(target):
        return expr, None, None
    failure = f"{col} IS NOT NULL AND ({expr} IS NULL"
    form = _form(target) if pa.types.is_string(column.type) else None
    mask = _in_form(column, form[0]) if form else None
    if mask is not None:
        failure += f" OR NOT {quote('__form_' + name)}"
    loss = _lossless(col, expr, column.type, target)
    if loss:
        failure += f" OR {loss}"
    return expr, failure + ")", mask


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


def _reason(name: str, target: pa.DataType) -> str:
    form = _form(target)
    what = duckdb_type(target)
    return f"`{name}` is not a valid {what}" + (f" (expected {form[1]})" if form else "")


@dataclass(frozen=True)
class _Plan:
    sql: str | None
    masks: dict[str, pa.ChunkedArray]


def _query(raw: pa.Table, schema: pa.Schema, primary_key: Sequence[str]) -> _Plan:
    """SQL casting the columns that need it, with the reject code and reason; None if nothing to do."""
    missing = [f.name for f in schema if f.name not in raw.column_names]
    if missing:
        raise SchemaMismatch(f"source rows lack declared column(s) {missing}", columns=missing)
    selects, cases, masks = [], [], {}
    for key in primary_key:
        col = quote(key)
        blank = f" OR trim(CAST({col} AS VARCHAR)) = ''"
        cases.append((f"{col} IS NULL{blank}", "missing_key", f"primary key `{key}` is empty"))
    for target in schema:
        expr, failure, mask = _cast(target.name, raw[target.name], target.type)
        if expr != quote(target.name):  # columns already of the declared type pass through as is
            selects.append(f"{expr} AS {quote(target.name)}")
        if mask is not None:
            masks["__form_" + target.name] = mask
        if failure:
            reason = _reason(target.name, target.type).replace("'", "''")
            cases.append((failure, _reason_code(target.type), reason))
    code = " ".join(f"WHEN {test} THEN '{code}'" for test, code, _ in cases)
    text = " ".join(f"WHEN {test} THEN '{reason}'" for test, _, reason in cases)
    if cases:
        selects += [f"CASE {code} END AS __code", f"CASE {text} END AS __reason"]
    sql = f"SELECT {', '.join(selects)} FROM __raw" if selects else None  # noqa: S608 - declared identifiers
    return _Plan(sql, masks)


def _run(table: pa.Table, sql: str) -> pa.Table:
    conn = _connection()
    conn.register("__raw", table)
    try:
        return conn.execute(sql).to_arrow_table()
    finally:
        conn.unregister("__raw")


def conform(raw: pa.Table | pa.RecordBatch, schema: pa.Schema, primary_key: Sequence[str] = ()) -> Conformed:
    """Cast ``raw`` to ``schema``; rows failing a key, type or exact-form check are rejected, not cast."""
    table = raw if isinstance(raw, pa.Table) else pa.Table.from_batches([raw])
    plan = _query(table, schema, primary_key)
    work = table
    for name, mask in plan.masks.items():
        work = work.append_column(name, mask)
    out = _run(work, plan.sql) if plan.sql else pa.table({})
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
