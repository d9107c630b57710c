"""Helpers that play the source systems' side in tests: change rows, copy to PostgreSQL."""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Any

from sqlalchemy import create_engine, text

from connectors.samples import FINANCE_DDL


class SourceDB:
    """A source database (SQLite file or PostgreSQL) the test can change."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.engine = create_engine(url)

    def execute(self, sql: str, **params: Any) -> None:
        with self.engine.begin() as conn:
            conn.execute(text(sql), params)

    def execute_many(self, sql: str, rows: list[dict[str, Any]]) -> None:
        with self.engine.begin() as conn:
            conn.execute(text(sql), rows)

    def count(self, table: str) -> int:
        with self.engine.connect() as conn:
            return int(conn.execute(text(f"SELECT count(*) FROM {table}")).scalar_one())

    def dispose(self) -> None:
        self.engine.dispose()


def copy_finance_to_postgres(sqlite_path: Path, pg_url: str) -> None:
    """Create the finance tables in PostgreSQL and copy the SQLite rows into them."""
    engine = create_engine(pg_url)
    with sqlite3.connect(sqlite_path) as lite, engine.begin() as pg:
        for table, ddl in FINANCE_DDL.items():
            pg.execute(
                text(f"CREATE TABLE {table} ({ddl.replace('INTEGER PRIMARY KEY', 'BIGINT PRIMARY KEY')})")
            )
            cur = lite.execute(f"SELECT * FROM {table}")
            names = [d[0] for d in cur.description]
            rows = [dict(zip(names, r, strict=True)) for r in cur.fetchall()]
            if rows:
                marks = ", ".join(f":{n}" for n in names)
                pg.execute(text(f"INSERT INTO {table} VALUES ({marks})"), rows)
    lite.close()
    engine.dispose()
