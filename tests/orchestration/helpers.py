"""Reading a pipeline's outputs back for assertions."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import duckdb

from hub.settings import load_settings
from hub.warehouse import open_warehouse

CLUE_KEYS = {
    "payroll_subsidy_conflict": ["payment_id"], "duplicate_subsidy": ["payment_id"],
    "below_value_disposal": ["disposal_id"], "related_party_payment": ["payment_id"],
    "overdue_rectification": ["finding_id"], "revenue_discrepancy": ["region_code", "month"],
    "split_procurement": ["payment_id"], "non_collective_decision": ["decision_id"],
}
SQL_TABLES = {
    "finance": ["budget_unit", "payroll", "subsidy_payment", "treasury_payment", "revenue_receipt"],
    "state_assets": ["enterprise", "asset_disposal", "major_decision"],
}


@contextmanager
def warehouse(home: Path) -> Iterator[duckdb.DuckDBPyConnection]:
    """The (encrypted) warehouse of ``home``, through the hub's one door to it."""
    with open_warehouse(load_settings(home=home), read_only=True) as con:
        yield con


def clue_keys(home: Path) -> dict[str, set[object]]:
    with warehouse(home) as con:
        out: dict[str, set[object]] = {}
        for model, cols in CLUE_KEYS.items():
            rows = con.execute(f"SELECT {', '.join(cols)} FROM clues.{model}").fetchall()
            out[model] = {tuple(map(str, r)) if len(cols) > 1 else str(r[0]) for r in rows}
        return out


def expected_keys(sandbox: Path) -> dict[str, set[object]]:
    data = json.loads((sandbox / "expected_clues.json").read_text(encoding="utf-8"))
    return {m: {tuple(map(str, k)) if isinstance(k, list) else str(k) for k in keys}
            for m, keys in data.items()}


def source_count(sandbox: Path, system: str, table: str) -> int:
    con = sqlite3.connect(sandbox / f"{system}.sqlite")
    try:
        return int(con.execute(f"SELECT count(*) FROM {table}").fetchone()[0])
    finally:
        con.close()


def raw_rows(home: Path, table: str) -> list[tuple[object, ...]]:
    with warehouse(home) as con:
        return con.execute(f"SELECT * FROM {table} ORDER BY ALL").fetchall()
