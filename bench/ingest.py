"""Benchmark: ingest rows/s of ``finance.subsidy_payment`` into DuckDB, hub vs dlt.

Loads the same table from SQLite (and from PostgreSQL when reachable) with the
hub's sql connector (``hub.warehouse.ingest_resource``) and with ``dlt``
(``sql_table`` with the pyarrow backend into a DuckDB destination), in the same
run on the same machine, and prints rows/s of each and the ratio hub / dlt.

    python bench/ingest.py --scale 1000000 [--sandbox DIR] [--postgres URL | --no-postgres]

Without ``--sandbox`` a synthetic ``subsidy_payment`` table of ``--scale`` rows in
the README schema is generated in a temporary directory.
"""

from __future__ import annotations

import argparse
import random
import sqlite3
import tempfile
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import duckdb
from pydantic import SecretStr

from connectors.kinds.sql import table_resource
from connectors.profiles import FINANCE
from connectors.samples import FINANCE_DDL
from connectors.sdk import Source
from hub.warehouse import ingest_resource

TABLE = "subsidy_payment"
SPEC = next(s for s in FINANCE if s.name == TABLE)


def _rows(n: int) -> Iterator[tuple[Any, ...]]:
    rnd = random.Random(7)
    programs = ("DB", "TK", "GD", "YL")
    for i in range(1, n + 1):
        day = 1 + i % 28
        yield (
            i,
            programs[i % 4],
            f"3301061980{i % 12 + 1:02d}{day:02d}{i % 1000:03d}X",
            f"姓名{i % 5000}",
            f"138{i % 100_000_000:08d}",
            f"62220200{i:011d}",
            f"330106{i % 20:03d}",
            round(rnd.uniform(100, 3000), 2),
            f"2026-{i % 12 + 1:02d}",
            f"2026-03-{day:02d}T10:{i % 60:02d}:00",
            f"2026-03-{day:02d}T11:{i % 60:02d}:{i % 60:02d}",
        )


def synthetic_sqlite(directory: Path, n: int) -> Path:
    """A finance.sqlite holding ``n`` synthetic subsidy payments."""
    path = directory / "finance.sqlite"
    with sqlite3.connect(path) as conn:
        conn.execute(f"CREATE TABLE {TABLE} ({FINANCE_DDL[TABLE]})")
        conn.executemany(f"INSERT INTO {TABLE} VALUES ({', '.join('?' * 11)})", _rows(n))
    conn.close()
    return path


def copy_to_postgres(sqlite_path: Path, pg_url: str) -> None:
    """Copy the table into PostgreSQL (TEXT/NUMERIC columns as in the source contract)."""
    import psycopg

    dsn = pg_url.replace("postgresql+psycopg://", "postgresql://")
    with psycopg.connect(dsn) as pg, sqlite3.connect(sqlite_path) as lite:
        ddl = FINANCE_DDL[TABLE].replace("INTEGER PRIMARY KEY", "BIGINT PRIMARY KEY")
        pg.execute(f"CREATE TABLE {TABLE} ({ddl})")
        with pg.cursor().copy(f"COPY {TABLE} FROM STDIN") as copy:
            for row in lite.execute(f"SELECT * FROM {TABLE}"):
                copy.write_row(row)
    lite.close()


def hub_rate(url: str, work: Path, n: int) -> tuple[float, float]:
    """Rows/s of the hub's sql connector loading the table into a fresh DuckDB file."""
    source = Source("finance", (table_resource(SecretStr(url), SPEC, 100_000),))
    warehouse = work / f"hub-{uuid.uuid4().hex[:6]}.duckdb"
    started, cpu = time.perf_counter(), time.process_time()
    result = ingest_resource(warehouse, source, TABLE, None, "bench")
    elapsed, cpu = time.perf_counter() - started, time.process_time() - cpu
    assert result.inserted == n, f"hub loaded {result.inserted} of {n} rows"
    return n / elapsed, n / cpu


def dlt_rate(url: str, work: Path, n: int) -> tuple[float, float]:
    """Rows/s of dlt (sql_table, pyarrow backend) loading the same table into DuckDB."""
    import dlt
    from dlt.sources.sql_database import sql_table

    db = work / f"dlt-{uuid.uuid4().hex[:6]}.duckdb"
    pipeline = dlt.pipeline(
        pipeline_name=f"bench_{uuid.uuid4().hex[:6]}",
        pipelines_dir=str(work / "dlt"),
        destination=dlt.destinations.duckdb(str(db)),
        dataset_name="raw_finance",
    )
    table = sql_table(credentials=url, table=TABLE, backend="pyarrow", chunk_size=100_000)
    started, cpu = time.perf_counter(), time.process_time()
    pipeline.run(table, write_disposition="merge", primary_key="payment_id")
    elapsed, cpu = time.perf_counter() - started, time.process_time() - cpu
    with duckdb.connect(str(db)) as conn:
        loaded = conn.execute(f"SELECT count(*) FROM raw_finance.{TABLE}").fetchone()
    assert loaded and loaded[0] == n, f"dlt loaded {loaded} of {n} rows"
    return n / elapsed, n / cpu


def _postgres(sqlite_path: Path, url: str | None) -> tuple[str, Any] | None:
    import psycopg

    if url is None:
        name = f"hub_bench_{uuid.uuid4().hex[:8]}"
        try:
            with psycopg.connect(dbname="postgres", autocommit=True, connect_timeout=3) as conn:
                conn.execute(f'CREATE DATABASE "{name}"')
        except psycopg.Error as exc:
            print(f"PostgreSQL not reachable, skipping it: {exc}")
            return None
        url = f"postgresql+psycopg:///{name}?host=/var/run/postgresql"

        def drop() -> None:
            with psycopg.connect(dbname="postgres", autocommit=True) as conn:
                conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    else:

        def drop() -> None:
            return None

    copy_to_postgres(sqlite_path, url)
    return url, drop


def warm_up() -> None:
    """Import what both loaders import lazily (pyarrow pulls in pandas), outside the timings."""
    import dlt  # noqa: F401
    import pandas  # noqa: F401
    import pyarrow as pa

    pa.array([1, 2]).to_pandas()


def measure(label: str, url: str, work: Path, n: int) -> None:
    """Print rows/s (wall clock, and per CPU-second of this process) of hub and dlt, and the ratio."""
    (hub, hub_cpu), (dlt_, dlt_cpu) = hub_rate(url, work, n), dlt_rate(url, work, n)
    print(
        f"{label:<9} hub {hub:>10,.0f} rows/s  dlt {dlt_:>10,.0f} rows/s  ratio hub/dlt {hub / dlt_:5.2f}   "
        f"(per CPU-second: hub {hub_cpu:>10,.0f}  dlt {dlt_cpu:>10,.0f})"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", type=int, default=1_000_000, help="rows of subsidy_payment to generate")
    parser.add_argument("--sandbox", type=Path, help="reuse DIR/finance.sqlite instead of generating")
    parser.add_argument("--postgres", help="PostgreSQL SQLAlchemy URL of an empty database (default: local)")
    parser.add_argument("--no-postgres", action="store_true", help="measure SQLite only")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        started = time.perf_counter()
        sqlite_path = args.sandbox / "finance.sqlite" if args.sandbox else synthetic_sqlite(work, args.scale)
        with sqlite3.connect(sqlite_path) as conn:
            n = conn.execute(f"SELECT count(*) FROM {TABLE}").fetchone()[0]
        conn.close()
        print(f"{TABLE}: {n:,} rows (prepared in {time.perf_counter() - started:.1f}s)")
        warm_up()
        measure("sqlite", f"sqlite:///{sqlite_path}", work, n)
        if not args.no_postgres:
            pg = _postgres(sqlite_path, args.postgres)
            if pg:
                try:
                    measure("postgres", pg[0], work, n)
                finally:
                    pg[1]()


if __name__ == "__main__":
    main()
