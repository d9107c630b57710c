"""Request values read by a column's SQL type: strict forms, canonical text, clear errors.

``kind_of("DECIMAL(18,2)")`` returns the ``Kind`` that reads text for that type:
``canonical(text)`` gives the form DuckDB casts without guessing, or raises
``ValueError`` saying what is wrong; ``example`` shows the expected form.  The forms
are deliberately narrow (ISO dates, plain decimals): a partner's typo must be an
error, not a value the engine quietly reads as something else or as NULL.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal

_INT = re.compile(r"[+-]?\d{1,40}")
_NUMBER = re.compile(r"[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d{1,3})?")
_DECIMAL = re.compile(r"[+-]?(\d+)(\.(\d+))?")
_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
_TIMESTAMP = re.compile(r"\d{4}-\d{2}-\d{2}([T ]\d{2}:\d{2}(:\d{2}(\.\d{1,6})?)?)?")
_TIMESTAMP_TZ = re.compile(_TIMESTAMP.pattern + r"(Z|[+-]\d{2}:\d{2})?")
_INT_BITS = {"TINYINT": 8, "INT1": 8, "SMALLINT": 16, "INT2": 16, "INTEGER": 32, "INT": 32, "INT4": 32,
             "BIGINT": 64, "INT8": 64, "HUGEINT": 128}
_UINT_BITS = {"UTINYINT": 8, "USMALLINT": 16, "UINTEGER": 32, "UBIGINT": 64, "UHUGEINT": 128}


@dataclass(frozen=True)
class Kind:
    """How to read request text for one SQL type."""

    canonical: Callable[[str], str]
    example: str


def _integer(low: int, high: int) -> Callable[[str], str]:
    def read(text: str) -> str:
        if not _INT.fullmatch(text):
            raise ValueError("not a whole number")
        value = int(text)
        if not low <= value <= high:
            raise ValueError(f"out of range {low}..{high}")
        return str(value)
    return read


def _decimal(precision: int, scale: int) -> Callable[[str], str]:
    def read(text: str) -> str:
        match = _DECIMAL.fullmatch(text)
        if not match:
            raise ValueError("not a plain decimal number")
        whole, fraction = match.group(1).lstrip("0"), match.group(3) or ""
        if len(fraction) > scale:
            raise ValueError(f"more than {scale} decimal places")
        if len(whole) > precision - scale:
            raise ValueError(f"more than {precision - scale} digits before the point")
        return str(Decimal(text))
    return read


def _double(text: str) -> str:
    if not _NUMBER.fullmatch(text):
        raise ValueError("not a number")
    value = float(text)
    if not math.isfinite(value):
        raise ValueError("not a finite number")
    return repr(value)


def _date(text: str) -> str:
    if not _DATE.fullmatch(text):
        raise ValueError("not YYYY-MM-DD")
    return date.fromisoformat(text).isoformat()


def _timestamp(pattern: re.Pattern[str]) -> Callable[[str], str]:
    def read(text: str) -> str:
        if not pattern.fullmatch(text):
            raise ValueError("not YYYY-MM-DD or YYYY-MM-DDTHH:MM[:SS[.ffffff]]")
        return datetime.fromisoformat(text.replace("Z", "+00:00")).isoformat(sep=" ")
    return read


def _boolean(text: str) -> str:
    lowered = text.lower()
    if lowered not in ("true", "false"):
        raise ValueError("not true or false")
    return lowered


def _text(text: str) -> str:
    return text


def _decimal_kind(args: str) -> Kind:
    numbers = [int(n) for n in re.findall(r"\d+", args)] or [18, 3]
    precision, scale = (numbers + [0])[:2]
    example = "`1234." + "5" * scale + "`" if scale else "`1234`"
    return Kind(_decimal(precision, scale), example)


def kind_of(sql_type: str) -> Kind:
    """The ``Kind`` for a catalog SQL type (text for any type it does not know)."""
    upper = sql_type.strip().upper()
    base, _, args = upper.partition("(")
    base = base.strip()
    if base in _INT_BITS:
        bits = _INT_BITS[base]
        return Kind(_integer(-(2 ** (bits - 1)), 2 ** (bits - 1) - 1), "`42`")
    if base in _UINT_BITS:
        return Kind(_integer(0, 2 ** _UINT_BITS[base] - 1), "`42`")
    if base in ("DECIMAL", "NUMERIC"):
        return _decimal_kind(args)
    if base in ("DOUBLE", "FLOAT", "REAL", "FLOAT4", "FLOAT8"):
        return Kind(_double, "`1234.5`")
    if base == "DATE":
        return Kind(_date, "`2026-10-31`")
    if base in ("TIMESTAMP WITH TIME ZONE", "TIMESTAMPTZ"):
        return Kind(_timestamp(_TIMESTAMP_TZ), "`2026-10-31T09:30:00+08:00` or `2026-10-31`")
    if base.startswith("TIMESTAMP") or base == "DATETIME":
        return Kind(_timestamp(_TIMESTAMP), "`2026-10-31T09:30:00` or `2026-10-31`")
    if base in ("BOOLEAN", "BOOL"):
        return Kind(_boolean, "`true` or `false`")
    return Kind(_text, "any text")
