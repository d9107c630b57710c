"""The ``sql`` kind: tables of any SQLAlchemy-reachable database, read in batches.

Rows are read through ADBC or the DBAPI cursor (a server-side cursor on PostgreSQL),
a batch of rows at a time, transposed into Arrow columns in bulk and conformed to
the declared schema in DuckDB, both in a prefetch thread that runs ahead of the
load; no per-row Python objects beyond the driver's tuples.
A column cursor (``updated_at``) makes later runs read only rows at or after the
last committed value.  The URL is a secret: it is never logged unmasked.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc
from pydantic import BaseModel, Field, SecretStr
from sqlalchemy import create_engine
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.exc import ArgumentError, SQLAlchemyError

from connectors.conform import column_from_values, conform
from connectors.errors import ConnectorConfigError, SourceUnavailable
from connectors.kinds import adbc
from connectors.prefetch import prefetch
from connectors.sdk import Incremental, Reject, Resource, connector, incremental, resource
from connectors.tables import TableSpec

_MARKERS = {"qmark": "?", "format": "%s", "pyformat": "%(p)s", "named": ":p", "numeric": ":1"}


def mask_url(url: str) -> str:
    """The URL with its password replaced by ``***``."""
    try:
        return make_url(url).render_as_string(hide_password=True)
    except ArgumentError:
        return "<unparseable URL>"


class SqlConfig(BaseModel):
    """Config of a SQL source: a SQLAlchemy URL (a secret) and the tables to read."""

    url: SecretStr
    source: str = Field(default="sql", pattern=r"^[a-z_][a-z0-9_]*$")
    tables: list[TableSpec] = Field(default_factory=list)
    batch_size: int = Field(default=100_000, ge=1)


def _engine(url: SecretStr) -> Engine:
    try:
        return create_engine(url.get_secret_value())
    except (ArgumentError, SQLAlchemyError, ImportError) as exc:
        masked = mask_url(url.get_secret_value())
        raise ConnectorConfigError(f"cannot use database URL {masked}: {type(exc).__name__}") from None


def _statement(engine: Engine, spec: TableSpec, since: Any) -> tuple[str, dict[str, Any] | tuple[Any, ...]]:
    prep = engine.dialect.identifier_preparer
    cols = ", ".join(prep.quote(c) for c in spec.columns)
    sql = f"SELECT {cols} FROM {prep.quote(spec.origin)}"  # noqa: S608 - declared identifiers
    if spec.cursor is None or since is None:
        return sql, ()
    marker = _MARKERS[engine.dialect.paramstyle]
    sql += f" WHERE {prep.quote(spec.cursor)} >= {marker}"
    named = engine.dialect.paramstyle in {"named", "pyformat"}
    return sql, ({"p": since} if named else (since,))


class _Columns:
    """Turns driver row tuples into Arrow columns in bulk, reusing the types seen first."""

    def __init__(self, schema: pa.Schema) -> None:
        self.schema = schema
        self.struct: pa.StructType | None = None

    def table(self, rows: list[tuple[Any, ...]]) -> pa.Table:
        if self.struct is not None:
            try:
                return pa.Table.from_struct_array(pa.array(rows, type=self.struct))
            except (pa.ArrowInvalid, pa.ArrowTypeError, OverflowError):
                pass  # a value of another type: fall back to per-column inference
        columns = list(zip(*rows, strict=True))
        arrays = [column_from_values(list(c), f.type) for c, f in zip(columns, self.schema, strict=True)]
        if self.struct is None and not any(pa.types.is_null(a.type) for a in arrays):
            self.struct = pa.struct(
                [pa.field(f.name, a.type) for f, a in zip(self.schema, arrays, strict=True)]
            )
        return pa.Table.from_arrays(arrays, names=self.schema.names)


def _raw_batches(engine: Engine, spec: TableSpec, since: Any, batch_size: int) -> Iterator[pa.Table]:
    """Raw Arrow tables of the table's rows (ADBC when available, else the DBAPI cursor)."""
    # PostgreSQL binds ADBC parameters typed (text >= timestamptz fails): filtered reads, small
    # by nature, go through the DBAPI cursor, whose parameters the server types.
    filtered = spec.cursor is not None and since is not None
    if adbc.supports(engine.url) and not (filtered and engine.dialect.name == "postgresql"):
        cursor = spec.cursor if since is not None else None
        quote = engine.dialect.identifier_preparer.quote
        sql = adbc.statement(engine.url, spec.origin, list(spec.columns), cursor, quote)
        yield from adbc.read_batches(engine.url, sql, () if cursor is None else (since,), batch_size)
        return
    sql, params = _statement(engine, spec, since)
    columns = _Columns(spec.schema)
    for rows in _fetch(engine, sql, params, batch_size):
        yield columns.table(rows)


def _rejects(
    raw: pa.Table, spec: TableSpec, found: list[tuple[int, str, str]], offset: int
) -> Iterator[Reject]:
    for index, code, reason in found:
        row = raw.slice(index, 1).to_pylist()[0]
        key = ",".join(f"{k}={row[k]}" for k in spec.primary_key if row.get(k) not in (None, ""))
        position = key if key and code != "missing_key" else f"row {offset + index + 1}"
        yield Reject(position, json.dumps(row, ensure_ascii=False, default=str), code, reason)


def _cursor_max(table: pa.Table, valid: pa.BooleanArray, column: str) -> Any:
    value = pc.max(pc.filter(table[column], valid)).as_py()
    return value.isoformat() if hasattr(value, "isoformat") else value


def _fetch(engine: Engine, sql: str, params: Any, batch_size: int) -> Iterator[list[tuple[Any, ...]]]:
    raw = None
    try:
        raw = engine.raw_connection()
        driver = raw.driver_connection
        named = engine.dialect.name == "postgresql" and driver is not None
        cur: Any = driver.cursor(name=f"hub_{uuid.uuid4().hex[:8]}") if named else raw.cursor()  # type: ignore[union-attr]
        cur.execute(sql, params)
        while rows := cur.fetchmany(batch_size):
            yield list(rows)
        cur.close()
    except (SQLAlchemyError, engine.dialect.loaded_dbapi.Error) as exc:
        table = sql.split(" FROM ")[-1].split(" ")[0]
        detail = str(exc).splitlines()[0][:200] if str(exc) else type(exc).__name__
        raise SourceUnavailable(f"reading {table} from {engine.url!r} failed: {detail}") from None
    finally:
        if raw is not None:
            raw.close()


def _conformed(
    raws: Iterator[pa.Table], spec: TableSpec, state: Incremental
) -> Iterator[list[pa.RecordBatch | Reject]]:
    """Per raw table: its rejects, then its clean batch (advancing the cursor over the clean rows)."""
    offset = 0
    for raw in raws:
        result = conform(raw, spec.schema, spec.primary_key)
        items: list[pa.RecordBatch | Reject] = list(_rejects(raw, spec, result.rejected, offset))
        if spec.cursor and result.batch.num_rows:
            state.advance(_cursor_max(raw, result.valid, spec.cursor))
        offset += raw.num_rows
        items.append(result.batch)
        yield items


def read_table(
    url: SecretStr, spec: TableSpec, batch_size: int, state: Incremental
) -> Iterator[pa.RecordBatch | Reject]:
    """Read one table in batches, conformed to its spec, from the cursor ``state.start``."""
    engine = _engine(url)
    try:
        # Reading and conforming run in the prefetch worker, overlapping the caller's load.
        for items in prefetch(_conformed(_raw_batches(engine, spec, state.start, batch_size), spec, state)):
            yield from items
    finally:
        engine.dispose()


def table_resource(url: SecretStr, spec: TableSpec, batch_size: int) -> Resource:
    """A resource reading table ``spec`` from the database at ``url``."""

    def read(state: Incremental) -> Iterator[pa.RecordBatch | Reject]:
        return read_table(url, spec, batch_size, state)

    return resource(
        schema=spec.schema,
        primary_key=spec.primary_key,
        write_disposition=spec.write_disposition,
        cursor=incremental(spec.cursor) if spec.cursor else None,
        name=spec.name,
        draft=spec.draft,
    )(read)


def _sample(directory: Path, empty: bool) -> SqlConfig:
    from connectors.samples import sample_sql_items

    path = sample_sql_items(directory, empty)
    return SqlConfig(url=SecretStr(f"sqlite:///{path}"), source="sample_sql", tables=[ITEMS_SPEC])


ITEMS_SPEC = TableSpec(
    name="items",
    columns={"id": "bigint", "label": "varchar", "amount": "decimal(18,2)", "updated_at": "timestamp"},
    primary_key=["id"],
    cursor="updated_at",
)


@connector("sql", config=SqlConfig, sample=_sample, source_name=lambda c: c.source)
def sql(config: SqlConfig) -> list[Resource]:
    """Tables of a SQL database (any SQLAlchemy URL), declared in configuration."""
    return [table_resource(config.url, spec, config.batch_size) for spec in config.tables]
