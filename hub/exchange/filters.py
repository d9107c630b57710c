"""Partner filters: ``column:op:value`` → parameterised SQL predicates.

Columns must be ones the partner sees in clear (filtering on a masked column
would leak what the mask hides); values are always bound parameters cast to the
column's catalog type, never spliced into SQL.  The one exception is ``match`` on a
grant's lookup columns, resolved by ``hub.exchange.lookups`` (never here).
"""

from __future__ import annotations

from dataclasses import dataclass

from hub.errors import BadRequest
from hub.masking import quote_ident

OPS = {"eq": "=", "ne": "<>", "lt": "<", "le": "<=", "gt": ">", "ge": ">="}
ALL_OPS = (*OPS, "in", "prefix", "match")
MAX_FILTERS = 16
MAX_VALUE_CHARS = 256
MAX_IN_VALUES = 100


@dataclass(frozen=True)
class Filter:
    column: str
    op: str
    values: tuple[str, ...]


def parse(raw: str) -> Filter:
    """Parse one ``column:op:value`` (``in`` takes ``a|b|c``)."""
    parts = raw.split(":", 2)
    if len(parts) != 3 or not parts[0]:
        raise BadRequest(f"filter `{raw[:80]}` is not `column:op:value`", parameter="filter")
    column, op, value = parts
    if op not in ALL_OPS:
        raise BadRequest(f"filter op `{op[:20]}` is not one of {', '.join(ALL_OPS)}", parameter="filter")
    if len(value) > MAX_VALUE_CHARS * (MAX_IN_VALUES if op == "in" else 1):
        raise BadRequest(f"filter value for `{column[:64]}` is too long", parameter="filter")
    values = tuple(value.split("|")) if op == "in" else (value,)
    if op == "in" and len(values) > MAX_IN_VALUES:
        raise BadRequest(f"filter `in` takes at most {MAX_IN_VALUES} values", parameter="filter")
    return Filter(column, op, values)


def to_sql(flt: Filter, clear_columns: dict[str, str]) -> tuple[str, list[object]]:
    """The predicate for ``flt``; ``clear_columns`` maps visible clear column → SQL type."""
    if flt.column not in clear_columns:
        raise BadRequest(
            f"cannot filter on column `{flt.column[:64]}`: not a column you may see in clear",
            parameter="filter", column=flt.column[:64])
    col, sql_type = quote_ident(flt.column), clear_columns[flt.column]
    if flt.op == "match":
        raise BadRequest(f"cannot match on column `{flt.column[:64]}`: it is not a pseudonymised lookup "
                         "column of your grant (filter it with eq)", parameter="filter", column=flt.column[:64])
    if flt.op == "prefix":
        return f"starts_with(CAST({col} AS VARCHAR), ?)", [flt.values[0]]
    if flt.op == "in":
        marks = ", ".join(f"TRY_CAST(? AS {sql_type})" for _ in flt.values)
        return f"{col} IN ({marks})", list(flt.values)
    return f"{col} {OPS[flt.op]} TRY_CAST(? AS {sql_type})", [flt.values[0]]


def parse_all(raws: list[str]) -> list[Filter]:
    if len(raws) > MAX_FILTERS:
        raise BadRequest(f"at most {MAX_FILTERS} filters per request", parameter="filter")
    return [parse(r) for r in raws]
