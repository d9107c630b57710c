"""The warehouse raw layer: loading connector resources into ``raw_<source>.<table>``.

``ingest_resource`` reads one resource from its committed cursor, stages its Arrow
batches in DuckDB, merges them into the raw table (insert new keys, update rows
that changed, never duplicate) and stores the new cursor in ``_hub.cursors`` — all
in ONE DuckDB transaction, so a failure or a kill leaves the previous committed
state and a rerun without source changes changes nothing.  Rejected rows and files
go to the quarantine before the commit.  A key that one read of a resource
delivers more than once (a SQL table without its key constraint) is not resolved by
guessing: every copy is quarantined as ``duplicate_key_in_delivery`` (file feeds
check that per file, and let the latest file win across files).  Each load returns
a ``LoadResult`` — rows read = loaded + quarantined, and per file the same three
numbers — that the Dagster assets publish as metadata.
"""

from __future__ import annotations

import functools
import json
import time
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from contextlib import AbstractContextManager, contextmanager, suppress
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import duckdb
import pyarrow as pa

from connectors import quarantine
from connectors.errors import SchemaMismatch
from connectors.schema import describe, quote
from connectors.sdk import Delivery, FileReject, Reject, Resource, Source
from hub.errors import Unavailable
from hub.kms.fields import QUARANTINE, seal_text
from hub.store import Store

if TYPE_CHECKING:
    from hub.settings import Settings

BatchHook = Callable[[int, int], None]  # (batch number, rows so far)
_CURSORS = "_hub.cursors"


@dataclass
class LoadResult:
    """What one resource load did: counts, cursor movement, schema."""

    source: str
    resource: str
    table: str
    run_id: str
    rows_read: int = 0  # rows the source handed over: rows_loaded + quarantined
    rows_loaded: int = 0
    inserted: int = 0
    updated: int = 0
    deleted: int = 0
    quarantined: int = 0  # rows quarantined, those of files quarantined whole included
    quarantined_new: int = 0
    files_quarantined: int = 0
    batches: int = 0
    cursor_before: Any = None
    cursor_after: Any = None
    schema: dict[str, str] = field(default_factory=dict)
    deliveries: list[Delivery] = field(default_factory=list)
    seconds: float = 0.0

    def count(self, rejects: list[Reject]) -> None:
        """Count ``rejects`` as quarantined (a file's rows with it) and as read."""
        files = [r for r in rejects if isinstance(r, FileReject)]
        self.files_quarantined = len(files)
        self.quarantined = len(rejects) - len(files) + sum(f.rows for f in files)
        self.rows_read = self.rows_loaded + self.quarantined

    def as_metadata(self) -> dict[str, Any]:
        """Plain JSON-able values (cursors as JSON text) for asset metadata."""
        data = asdict(self)
        for key in ("cursor_before", "cursor_after"):
            data[key] = _dump(data[key])
        return data

    def summary(self) -> dict[str, Any]:
        """What the run summary prints: the resource's counts and each file's."""
        return {"resource": self.table, "read": self.rows_read, "loaded": self.rows_loaded,
                "quarantined": self.quarantined, "files_quarantined": self.files_quarantined,
                "files": [asdict(d) for d in self.deliveries]}


def table_name(source: str, resource: str) -> str:
    """``raw_<source>.<resource>``, the raw table of a resource."""
    return f"raw_{source}.{resource}"


def all_resources(sources: Iterable[Source]) -> list[tuple[Source, Resource]]:
    """Every (source, resource) pair of the configured sources."""
    return [(source, res) for source in sources for res in source.resources]


def _dump(value: Any) -> str | None:
    return None if value is None else json.dumps(value, sort_keys=True, ensure_ascii=False, default=str)


@contextmanager
def connect(path: Path, wait_s: float = 60.0, *, key: str | None = None,
            read_only: bool = False) -> Iterator[duckdb.DuckDBPyConnection]:
    """A connection to the warehouse file, waiting (bounded) while another process holds it.

    The one door to the warehouse file.  ``key``: the warehouse is encrypted with
    DuckDB's database encryption (AES-GCM; ``hub.kms`` holds the key): the file is
    attached to an in-memory DuckDB under its own stem with ``ENCRYPTION_KEY`` (see
    ``hub.kms.warehouse``).  Without ``key`` it is opened as a plain DuckDB file.
    """
    if key is not None:
        from hub.kms.warehouse import encrypted_connection

        with encrypted_connection(path, key, wait_s) as conn:
            yield conn
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    deadline = time.monotonic() + wait_s
    while True:
        try:
            conn = duckdb.connect(str(path), read_only=read_only)
            break
        except duckdb.IOException as exc:
            if "lock" not in str(exc).lower() or time.monotonic() > deadline:
                raise Unavailable(f"warehouse {path} is not available: {exc}") from None
            time.sleep(0.2)
    try:
        yield conn
    finally:
        conn.close()


def open_warehouse(settings: Settings, *, read_only: bool = False,
                   wait_s: float = 60.0) -> AbstractContextManager[duckdb.DuckDBPyConnection]:
    """``connect`` to ``settings``' warehouse with its key (``HUB_ENCRYPT_AT_REST``, the default)."""
    from hub.kms.warehouse import warehouse_key

    return connect(settings.warehouse_path, wait_s, key=warehouse_key(settings), read_only=read_only)


def _ensure_bookkeeping(conn: duckdb.DuckDBPyConnection) -> None:
    conn.execute("CREATE SCHEMA IF NOT EXISTS _hub")
    conn.execute(
        f"CREATE TABLE IF NOT EXISTS {_CURSORS} (source VARCHAR, resource VARCHAR, kind VARCHAR, "
        "value VARCHAR, run_id VARCHAR, updated_at TIMESTAMP)"
    )
    conn.execute(
        "CREATE TABLE IF NOT EXISTS _hub.loads (run_id VARCHAR, source VARCHAR, resource VARCHAR, "
        "rows_read BIGINT, inserted BIGINT, updated BIGINT, deleted BIGINT, quarantined BIGINT, "
        "cursor_after VARCHAR, loaded_at TIMESTAMP)"
    )


def read_cursor(conn: duckdb.DuckDBPyConnection, source: str, resource: str) -> Any:
    """The committed cursor value of a resource (None before its first load)."""
    sql = "SELECT value FROM _hub.cursors WHERE source = ? AND resource = ?"
    row = conn.execute(sql, [source, resource]).fetchone()
    return json.loads(row[0]) if row and row[0] is not None else None


def committed_cursor(warehouse_path: Path, source: str, resource: str, key: str | None = None) -> Any:
    """The committed cursor of a resource in the warehouse at ``warehouse_path``."""
    with connect(warehouse_path, key=key) as conn:
        _ensure_bookkeeping(conn)
        return read_cursor(conn, source, resource)


def _ensure_table(conn: duckdb.DuckDBPyConnection, source: str, res: Resource) -> str:
    schema, target = f"raw_{source}", f"{quote('raw_' + source)}.{quote(res.name)}"
    conn.execute(f"CREATE SCHEMA IF NOT EXISTS {quote(schema)}")
    declared = describe(res.schema)
    found = dict(
        conn.execute(
            "SELECT column_name, data_type FROM information_schema.columns "
            "WHERE table_schema = ? AND table_name = ? ORDER BY ordinal_position",
            [schema, res.name],
        ).fetchall()
    )
    if not found:
        cols = ", ".join(f"{quote(n)} {t}" for n, t in declared.items())
        conn.execute(f"CREATE TABLE {target} ({cols})")
    elif found != declared:
        drift = sorted(n for n in set(found) | set(declared) if found.get(n) != declared.get(n))
        raise SchemaMismatch(
            f"{table_name(source, res.name)} differs from its declaration in columns {drift}", columns=drift
        )
    return target


def _check_batch(batch: pa.RecordBatch, res: Resource, source: str) -> None:
    if batch.schema.equals(res.schema, check_metadata=False):
        return
    got = {f.name: str(f.type) for f in batch.schema}
    want = {f.name: str(f.type) for f in res.schema}
    drift = sorted(n for n in set(got) | set(want) if got.get(n) != want.get(n))
    raise SchemaMismatch(
        f"{source}.{res.name} yielded a batch differing from its schema in {drift}", columns=drift
    )


def _is_empty(conn: duckdb.DuckDBPyConnection, target: str) -> bool:
    return conn.execute(f"SELECT NOT EXISTS (SELECT 1 FROM {target})").fetchone() == (True,)  # noqa: S608


def _destination(conn: duckdb.DuckDBPyConnection, res: Resource, target: str) -> str | None:
    """Where batches go: straight into an empty target (keys unique by contract), else ``__stage``."""
    if res.write_disposition == "append" or (not res.dedupe and _is_empty(conn, target)):
        return None
    cols = ", ".join(f"{quote(n)} {t}" for n, t in describe(res.schema).items())
    conn.execute(f"CREATE OR REPLACE TEMP TABLE __stage ({cols}, __seq BIGINT)")
    return "__stage"


def _insert_batch(
    conn: duckdb.DuckDBPyConnection, batch: pa.RecordBatch | pa.Table, into: str, seq_from: int | None
) -> None:
    conn.register("__batch", batch)
    try:
        seq = "" if seq_from is None else f", {seq_from} + row_number() OVER ()"
        conn.execute(f"INSERT INTO {into} SELECT *{seq} FROM __batch")  # noqa: S608
    finally:
        conn.unregister("__batch")


def _stage(
    conn: duckdb.DuckDBPyConnection,
    res: Resource,
    source: str,
    target: str,
    result: LoadResult,
    hook: BatchHook | None,
) -> tuple[list[Reject], bool]:
    """Read the resource into ``__stage`` (or directly into an empty target); the rejects."""
    staged = _destination(conn, res, target)
    state, items = res.extract(result.cursor_before)
    rejects: list[Reject] = []
    sink = _Sink(conn, staged or target, staged is not None)
    with _unordered(conn, staged is None):
        for item in items:
            _take(sink, item, (res, source), result, rejects)
            if hook and isinstance(item, pa.RecordBatch):
                hook(result.batches, result.rows_loaded)
        sink.flush()
    result.cursor_after = state.end
    return rejects, staged is not None


class _Sink:
    """Inserts batches into ``into``: staged ones one by one with their sequence numbers, direct
    ones gathered into fewer, larger inserts (DuckDB spends less CPU per row on those)."""

    ROWS = 1 << 19

    def __init__(self, conn: duckdb.DuckDBPyConnection, into: str, staged: bool) -> None:
        self.conn, self.into, self.staged = conn, into, staged
        self.pending: list[pa.RecordBatch] = []
        self.rows = 0

    def add(self, batch: pa.RecordBatch, seq_from: int) -> None:
        if self.staged:
            _insert_batch(self.conn, batch, self.into, seq_from)
            return
        self.pending.append(batch)
        self.rows += batch.num_rows
        if self.rows >= self.ROWS:
            self.flush()

    def flush(self) -> None:
        if self.pending:
            _insert_batch(self.conn, pa.Table.from_batches(self.pending), self.into, None)
        self.pending, self.rows = [], 0


@contextmanager
def _unordered(conn: duckdb.DuckDBPyConnection, direct: bool) -> Iterator[None]:
    """Inserts straight into the target need no row order (about half the CPU); staged ones keep it."""
    if not direct:
        yield
        return
    row = conn.execute("SELECT current_setting('preserve_insertion_order')").fetchone()
    conn.execute("SET preserve_insertion_order = false")
    try:
        yield
    finally:
        conn.execute(f"SET preserve_insertion_order = {bool(row and row[0])}")


def _take(
    sink: _Sink,
    item: pa.RecordBatch | Reject | Delivery,
    what: tuple[Resource, str],
    result: LoadResult,
    rejects: list[Reject],
) -> None:
    """One extracted item: a reject is kept, a file's counts noted, a batch checked and handed on."""
    res, source = what
    if isinstance(item, Reject):
        rejects.append(item)
        return
    if isinstance(item, Delivery):
        result.deliveries.append(item)
        return
    _check_batch(item, res, source)
    if item.num_rows:
        sink.add(item, result.rows_loaded)
    result.rows_loaded += item.num_rows
    result.batches += 1


def _repeated_keys(conn: duckdb.DuckDBPyConnection, res: Resource, table: str, source: str) -> list[Reject]:
    """Take every row of ``table`` whose key this read delivered more than once out of it, as rejects.

    Resources that may legitimately deliver a key twice in one read (``dedupe``: file feeds,
    re-reporting APIs) resolve that by their version rule instead."""
    if not res.primary_key or res.dedupe or res.write_disposition == "append":
        return []
    keys = ", ".join(quote(k) for k in res.primary_key)
    row = conn.execute(f"SELECT count(*) - count(DISTINCT ({keys})) FROM {table}").fetchone()  # noqa: S608
    if not row or not row[0]:
        return []
    repeated = f"({keys}) IN (SELECT {keys} FROM {table} GROUP BY {keys} HAVING count(*) > 1)"  # noqa: S608
    rows = conn.execute(f"SELECT * FROM {table} WHERE {repeated} ORDER BY ALL").to_arrow_table()  # noqa: S608
    conn.execute(f"DELETE FROM {table} WHERE {repeated}")  # noqa: S608
    items = rows.drop_columns([c for c in rows.column_names if c == "__seq"]).to_pylist()
    shown = [",".join(f"{k}={item[k]}" for k in res.primary_key) for item in items]
    copies, rejects = Counter(shown), []
    seen: Counter[str] = Counter()
    for key, item in zip(shown, items, strict=True):
        seen[key] += 1
        reason = f"{source}.{res.name} delivered key {key} {copies[key]} times in one read: every copy is quarantined"
        raw = json.dumps(item, ensure_ascii=False, default=str)
        rejects.append(Reject(f"{key} (copy {seen[key]} of {copies[key]})", raw, "duplicate_key_in_delivery", reason))
    return rejects


def _save_cursor(conn: duckdb.DuckDBPyConnection, source: str, res: Resource, result: LoadResult) -> None:
    if _dump(result.cursor_after) != _dump(result.cursor_before):
        conn.execute(f"DELETE FROM {_CURSORS} WHERE source = ? AND resource = ?", [source, res.name])  # noqa: S608
        conn.execute(
            f"INSERT INTO {_CURSORS} VALUES (?, ?, ?, ?, ?, now()::TIMESTAMP)",  # noqa: S608
            [
                source,
                res.name,
                res.cursor.describe() if res.cursor else None,
                _dump(result.cursor_after),
                result.run_id,
            ],
        )
    conn.execute(
        "INSERT INTO _hub.loads VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, now()::TIMESTAMP)",
        [
            result.run_id,
            source,
            res.name,
            result.rows_read,
            result.inserted,
            result.updated,
            result.deleted,
            result.quarantined,
            _dump(result.cursor_after),
        ],
    )


def _key_match(res: Resource, left: str, right: str) -> str:
    return " AND ".join(f"{left}.{quote(k)} = {right}.{quote(k)}" for k in res.primary_key)


def merge_statements(res: Resource, target: str) -> list[tuple[str, str]]:
    """The SQL that merges ``__stage`` into ``target`` per the write disposition, with what it counts."""
    cols = [quote(n) for n in res.schema.names]
    collist = ", ".join(cols)
    if res.write_disposition == "append":
        return [("inserted", f"INSERT INTO {target} SELECT {collist} FROM __stage")]  # noqa: S608
    version = (res.version_sql or "").format(t="s")
    order = f"{version} DESC, __seq DESC" if version else "__seq DESC"
    keys = ", ".join(quote(k) for k in res.primary_key)
    dedupe = f" QUALIFY row_number() OVER (PARTITION BY {keys} ORDER BY {order}) = 1"
    changed = " OR ".join(f"t.{c} IS DISTINCT FROM s.{c}" for c in cols)
    newer = f" AND {version} >= {(res.version_sql or '').format(t='t')}" if version else ""
    statements = [
        ("prepare", f"CREATE OR REPLACE TEMP TABLE __src AS SELECT {collist} FROM __stage AS s{dedupe}"),  # noqa: S608
        (
            "updated",
            f"UPDATE {target} AS t SET {', '.join(f'{c} = s.{c}' for c in cols)} FROM __src AS s "  # noqa: S608
            f"WHERE {_key_match(res, 't', 's')} AND ({changed}){newer}",
        ),
        (
            "inserted",
            f"INSERT INTO {target} SELECT {collist} FROM __src AS s WHERE NOT EXISTS "  # noqa: S608
            f"(SELECT 1 FROM {target} AS t WHERE {_key_match(res, 't', 's')})",
        ),
    ]
    if res.write_disposition == "replace":
        statements.append(
            (
                "deleted",
                f"DELETE FROM {target} AS t WHERE NOT EXISTS "  # noqa: S608
                f"(SELECT 1 FROM __src AS s WHERE {_key_match(res, 't', 's')})",
            )
        )
    return statements


def _merge(conn: duckdb.DuckDBPyConnection, res: Resource, target: str, result: LoadResult) -> None:
    for kind, sql in merge_statements(res, target):
        count = conn.execute(sql).fetchone()
        if kind != "prepare":
            setattr(result, kind, getattr(result, kind) + (int(count[0]) if count else 0))


def ingest_resource(
    warehouse_path: Path,
    source: Source,
    resource_name: str,
    store: Store | None,
    run_id: str,
    on_batch: BatchHook | None = None,
    key: str | None = None,
) -> LoadResult:
    """Load one resource into ``raw_<source>.<resource>`` atomically with its cursor."""
    res = source.resource(resource_name)
    started = time.monotonic()
    result = LoadResult(
        source.name, res.name, table_name(source.name, res.name), run_id, schema=describe(res.schema)
    )
    with connect(warehouse_path, key=key) as conn:
        _ensure_bookkeeping(conn)
        result.cursor_before = read_cursor(conn, source.name, res.name)
        conn.execute("BEGIN TRANSACTION")
        try:
            target = _ensure_table(conn, source.name, res)
            rejects, staged = _stage(conn, res, source.name, target, result, on_batch)
            repeated = _repeated_keys(conn, res, "__stage" if staged else target, source.name)
            result.rows_loaded -= len(repeated)
            rejects += repeated
            result.count(rejects)
            if store is not None:
                seal = None if key is None else functools.partial(seal_text, key, context=QUARANTINE)
                result.quarantined_new = quarantine.record(store, run_id, source.name, res.name, rejects, seal)
            if staged:
                _merge(conn, res, target, result)
            else:
                result.inserted = result.rows_loaded
            _save_cursor(conn, source.name, res, result)
            conn.execute("COMMIT")
        except BaseException:
            with suppress(duckdb.Error):
                conn.execute("ROLLBACK")
            raise
    result.seconds = round(time.monotonic() - started, 3)
    return result


def ingest_source(warehouse_path: Path, source: Source, store: Store | None, run_id: str,
                  key: str | None = None) -> list[LoadResult]:
    """Load every resource of ``source`` (each in its own transaction; ``key``: the warehouse's)."""
    return [ingest_resource(warehouse_path, source, res.name, store, run_id, key=key) for res in source.resources]


def ensure_raw_tables(warehouse_path: Path, sources: Iterable[Source], key: str | None = None) -> list[str]:
    """Create, empty, every declared raw table that has never loaded; the ones created.

    Used when a source failed before its first load, so the transforms can still run
    over the other sources (its datasets are then empty: nothing was ever delivered)."""
    created = []
    with connect(warehouse_path, key=key) as conn:
        for source, res in all_resources(sources):
            schema = f"raw_{source.name}"
            found = conn.execute("SELECT count(*) FROM information_schema.tables WHERE table_schema = ? "
                                 "AND table_name = ?", [schema, res.name]).fetchone()
            if found and found[0]:
                continue
            _ensure_table(conn, source.name, res)
            created.append(table_name(source.name, res.name))
    return created
