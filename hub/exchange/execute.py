"""Run a plan on DuckDB and return the page as Arrow plus the next cursor."""

from __future__ import annotations

from dataclasses import dataclass

import duckdb
import pyarrow as pa

from hub.exchange.formats import JSON_COLUMN
from hub.exchange.plan import Plan, next_cursor
from hub.masking import quote_ident


@dataclass
class Page:
    table: pa.Table
    next_cursor: str | None

    @property
    def rows(self) -> int:
        return self.table.num_rows


def run(con: duckdb.DuckDBPyConnection, plan: Plan, fmt: str, cursor_secret: bytes) -> Page:
    """Execute ``plan``; JSON formats get each row rendered by DuckDB's ``to_json``."""
    sql = plan.sql
    n_keys = len(plan.sort_keys)
    keys = [f"__k{i}" for i in range(n_keys)]
    if fmt in ("json", "ndjson"):
        packed = ", ".join(f"{quote_ident(c)} := {quote_ident(c)}" for c in plan.columns)
        sql = (f"SELECT to_json(struct_pack({packed})) AS {JSON_COLUMN}, "  # noqa: S608
               f"{', '.join(keys)} FROM ({plan.sql}) AS page")
    table = con.execute(sql, plan.params).to_arrow_table()
    more = table.num_rows > plan.page_size
    if more:
        table = table.slice(0, plan.page_size)
    cursor = None
    if more and table.num_rows:
        last = [table.column(k)[table.num_rows - 1].as_py() for k in keys]
        cursor = next_cursor(plan, last, cursor_secret)
    return Page(table.drop_columns(keys), cursor)
