"""Partner filters: ``column:op:value`` → parameterised SQL predicates.

Columns must be ones the partner sees in clear (filtering on a masked column
would leak what the mask hides).  Values are parsed by the column's catalog type
before any SQL exists: a value that does not parse (``amount:gt:abc``,
``paid_at:gt:2026-13-45``) is a 400 naming the column, the operator and the
expected form, never an empty answer a partner would read as "no data".  Parsed
values are bound as parameters and cast to the column's type, never spliced in.
``match`` on a grant's lookup columns is resolved by ``hub.exchange.lookups``, never here.

``in`` takes values separated by ``|`` (``payment_id:in:23|24|25``).  The rule for
other separators, since a comma may be part of a text value: a single ``in`` value
holding ``,`` or ``;`` is refused with a 400 saying to use ``|`` (one value needs no
``in``: use ``eq``, which takes any text); once a ``|`` is present, commas inside the
values are literal.  ``prefix`` compares the start of a value's text form, so it
takes any text (``paid_at:prefix:2026-10``).
"""

from __future__ import annotations

from dataclasses import dataclass

from hub.errors import BadRequest
from hub.exchange import values
from hub.masking import quote_ident

OPS = {"eq": "=", "ne": "<>", "lt": "<", "le": "<=", "gt": ">", "ge": ">="}
ALL_OPS = (*OPS, "in", "prefix", "match")
MAX_FILTERS = 16
MAX_VALUE_CHARS = 256
MAX_IN_VALUES = 100
IN_SEPARATOR = "|"
WRONG_SEPARATORS = (",", ";")


@dataclass(frozen=True)
class Filter:
    column: str
    op: str
    values: tuple[str, ...]


def _in_values(column: str, value: str) -> tuple[str, ...]:
    if IN_SEPARATOR not in value:
        wrong = next((sep for sep in WRONG_SEPARATORS if sep in value), None)
        if wrong is not None:
            raise BadRequest(
                f"filter on `{column[:64]}` (op `in`): values are separated by `{IN_SEPARATOR}`, not `{wrong}`, "
                f"e.g. `{column[:64]}:in:23|24|25` (to match one text value that contains `{wrong}`, use `eq`)",
                parameter="filter", column=column[:64])
    found = tuple(value.split(IN_SEPARATOR))
    if len(found) > MAX_IN_VALUES:
        raise BadRequest(f"filter `in` takes at most {MAX_IN_VALUES} values", parameter="filter")
    return found


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
    return Filter(column, op, _in_values(column, value) if op == "in" else (value,))


def _typed(flt: Filter, sql_type: str) -> list[str]:
    """Each value of ``flt`` parsed by ``sql_type`` and written in its canonical form."""
    kind = values.kind_of(sql_type)
    out = []
    for i, raw in enumerate(flt.values):
        try:
            out.append(kind.canonical(raw))
        except ValueError as exc:
            which = f"value {i + 1} of {len(flt.values)}" if len(flt.values) > 1 else "the value"
            raise BadRequest(
                f"filter on `{flt.column[:64]}` (op `{flt.op}`): {which} does not parse as {sql_type} "
                f"({exc}); expected e.g. {kind.example}", parameter="filter", column=flt.column[:64]) from None
    return out


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
    typed = _typed(flt, sql_type)
    if flt.op == "in":
        marks = ", ".join(f"CAST(? AS {sql_type})" for _ in typed)
        return f"{col} IN ({marks})", list(typed)
    return f"{col} {OPS[flt.op]} CAST(? AS {sql_type})", [typed[0]]


def parse_all(raws: list[str]) -> list[Filter]:
    if len(raws) > MAX_FILTERS:
        raise BadRequest(f"at most {MAX_FILTERS} filters per request", parameter="filter")
    return [parse(r) for r in raws]
