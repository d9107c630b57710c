"""Column types a resource may declare, and their Arrow and DuckDB spellings.

A resource declares its columns as ``{"name": "type"}`` with the types of the raw
contract (``varchar``, ``bigint``, ``integer``, ``decimal(P,S)``, ``timestamp``,
``date``, ``double``, ``boolean``).  ``arrow_schema`` turns such a mapping into the
``pyarrow.Schema`` every batch of the resource must match; ``duckdb_type`` gives the
warehouse type of an Arrow field.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

import pyarrow as pa

from connectors.errors import ConnectorConfigError

_SIMPLE: dict[str, pa.DataType] = {
    "varchar": pa.string(),
    "text": pa.string(),
    "bigint": pa.int64(),
    "integer": pa.int32(),
    "double": pa.float64(),
    "boolean": pa.bool_(),
    "timestamp": pa.timestamp("us"),
    "date": pa.date32(),
}
_DECIMAL = re.compile(r"decimal\((\d{1,2}),\s*(\d{1,2})\)")


def arrow_type(spec: str) -> pa.DataType:
    """The Arrow type of a declared column type such as ``decimal(18,2)``."""
    key = spec.strip().lower()
    if key in _SIMPLE:
        return _SIMPLE[key]
    match = _DECIMAL.fullmatch(key)
    if match:
        return pa.decimal128(int(match[1]), int(match[2]))
    raise ConnectorConfigError(
        f"unknown column type `{spec}` (use one of {', '.join(_SIMPLE)}, decimal(P,S))"
    )


def arrow_schema(columns: Mapping[str, str]) -> pa.Schema:
    """The Arrow schema of declared ``{column: type}``."""
    return pa.schema([pa.field(name, arrow_type(spec)) for name, spec in columns.items()])


def duckdb_type(dtype: pa.DataType) -> str:
    """The DuckDB type of an Arrow type used in a declared schema."""
    if pa.types.is_decimal(dtype):
        return f"DECIMAL({dtype.precision},{dtype.scale})"
    names = {
        pa.string(): "VARCHAR",
        pa.int64(): "BIGINT",
        pa.int32(): "INTEGER",
        pa.float64(): "DOUBLE",
        pa.bool_(): "BOOLEAN",
        pa.timestamp("us"): "TIMESTAMP",
        pa.date32(): "DATE",
    }
    if dtype not in names:
        raise ConnectorConfigError(f"Arrow type {dtype} cannot be declared for a resource column")
    return names[dtype]


def quote(identifier: str) -> str:
    """A double-quoted SQL identifier (declared names only, never request text)."""
    return '"' + identifier.replace('"', '""') + '"'


def describe(schema: pa.Schema) -> dict[str, str]:
    """``{column: DuckDB type}`` of a schema, for metadata and drift checks."""
    return {field.name: duckdb_type(field.type) for field in schema}
