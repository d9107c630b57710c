"""Arrow-native reads of SQLite and PostgreSQL through ADBC drivers, when installed.

The sql kind's hot path: an ADBC driver fills Arrow record batches in C (SQLite's
``sqlite3_step`` loop, PostgreSQL's binary ``COPY``), skipping Python row tuples
altogether.  SQLite columns are selected ``CAST(... AS TEXT)`` because SQLite is
dynamically typed and the driver fixes a column's type from its first rows; the
conform step casts text to the declared types in bulk.  Other databases, or a
missing driver, fall back to the DBAPI cursor in ``connectors.kinds.sql``.
"""

from __future__ import annotations

import importlib.util
from collections.abc import Iterator
from typing import Any

import pyarrow as pa
from sqlalchemy.engine import URL

from connectors.errors import SourceUnavailable

_DRIVERS = {"sqlite": "adbc_driver_sqlite", "postgresql": "adbc_driver_postgresql"}


def supports(url: URL) -> bool:
    """Whether ``url`` can be read through an installed ADBC driver."""
    backend = url.get_backend_name()
    if backend not in _DRIVERS or importlib.util.find_spec(_DRIVERS[backend]) is None:
        return False
    return backend != "sqlite" or url.database not in (None, "", ":memory:")


def _connect(url: URL) -> Any:
    if url.get_backend_name() == "sqlite":
        import adbc_driver_sqlite.dbapi as sqlite_dbapi

        return sqlite_dbapi.connect(f"file:{url.database}?mode=ro")
    import adbc_driver_postgresql.dbapi as pg_dbapi

    return pg_dbapi.connect(url.set(drivername="postgresql").render_as_string(hide_password=False))


def statement(url: URL, table: str, columns: list[str], cursor: str | None, quote: Any) -> str:
    """The SELECT of ``columns`` (as text on SQLite), filtered on ``cursor`` ≥ the one parameter."""
    sqlite = url.get_backend_name() == "sqlite"
    cols = ", ".join(f"CAST({quote(c)} AS TEXT) AS {quote(c)}" if sqlite else quote(c) for c in columns)
    sql = f"SELECT {cols} FROM {quote(table)}"  # noqa: S608 - declared identifiers, quoted
    if cursor:
        sql += f" WHERE {quote(cursor)} >= {'?' if sqlite else '$1'}"
    return sql


def read_batches(url: URL, sql: str, params: tuple[Any, ...], batch_size: int) -> Iterator[pa.Table]:
    """Arrow tables of about ``batch_size`` rows of the query's result."""
    from adbc_driver_manager import Error as AdbcError

    try:
        with _connect(url) as conn, conn.cursor() as cur:
            option = "adbc.sqlite.query.batch_rows" if url.get_backend_name() == "sqlite" else None
            if option:
                cur.adbc_statement.set_options(**{option: str(batch_size)})
            cur.execute(sql, params or None)
            pending: list[pa.RecordBatch] = []
            for batch in cur.fetch_record_batch():
                pending.append(batch)
                if sum(b.num_rows for b in pending) >= batch_size:
                    yield pa.Table.from_batches(pending)
                    pending = []
            if pending:
                yield pa.Table.from_batches(pending)
    except AdbcError as exc:
        detail = str(exc).splitlines()[0][:200]
        raise SourceUnavailable(f"reading from {url!r} failed: {detail}") from None
