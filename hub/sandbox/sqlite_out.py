"""SQLite output (SQLite 输出): the two SQL source systems' files, written in bulk.

Tables are created with the columns and types of ``shared/sources/README.md``;
rows go in through ``executemany`` with journaling and syncing off (the file is
rebuilt from scratch, so a crash just means "seed again").
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable, Sequence
from pathlib import Path

FINANCE_DDL = (
    "CREATE TABLE budget_unit (unit_code TEXT PRIMARY KEY, unit_name TEXT, region_code TEXT, unit_type TEXT)",
    "CREATE TABLE payroll (record_id INTEGER PRIMARY KEY, unit_code TEXT, person_id_number TEXT,"
    " person_name TEXT, position TEXT, pay_month TEXT, gross_pay NUMERIC, bank_card TEXT)",
    "CREATE TABLE subsidy_payment (payment_id INTEGER PRIMARY KEY, program_code TEXT,"
    " recipient_id_number TEXT, recipient_name TEXT, recipient_phone TEXT, bank_card TEXT,"
    " township_code TEXT, amount NUMERIC, period TEXT, paid_at TEXT, updated_at TEXT)",
    "CREATE TABLE treasury_payment (payment_id INTEGER PRIMARY KEY, unit_code TEXT, payee_uscc TEXT,"
    " payee_name TEXT, amount NUMERIC, purpose_text TEXT, paid_at TEXT, updated_at TEXT)",
    "CREATE TABLE revenue_receipt (region_code TEXT, month TEXT, amount NUMERIC,"
    " PRIMARY KEY (region_code, month))",
)
STATE_ASSETS_DDL = (
    "CREATE TABLE enterprise (uscc TEXT PRIMARY KEY, name TEXT, region_code TEXT, parent_uscc TEXT,"
    " legal_rep_id_number TEXT, legal_rep_name TEXT, tier INTEGER)",
    "CREATE TABLE asset_disposal (disposal_id INTEGER PRIMARY KEY, uscc TEXT, asset_desc TEXT,"
    " appraised_value NUMERIC, transaction_price NUMERIC, buyer_uscc TEXT, buyer_name TEXT,"
    " decided_at TEXT)",
    "CREATE TABLE major_decision (decision_id INTEGER PRIMARY KEY, uscc TEXT, category TEXT,"
    " amount NUMERIC, meeting_date TEXT, collective INTEGER, summary TEXT)",
)
_COLUMNS = {
    "budget_unit": 4,
    "payroll": 8,
    "subsidy_payment": 11,
    "treasury_payment": 8,
    "revenue_receipt": 3,
    "enterprise": 7,
    "asset_disposal": 8,
    "major_decision": 7,
}


def create(path: Path, ddl: Sequence[str]) -> sqlite3.Connection:
    """A fresh database file with ``ddl`` applied, tuned for one bulk write."""
    path.unlink(missing_ok=True)
    conn = sqlite3.connect(path)
    conn.execute("PRAGMA journal_mode=OFF")
    conn.execute("PRAGMA synchronous=OFF")
    conn.execute("PRAGMA cache_size=-65536")
    for statement in ddl:
        conn.execute(statement)
    return conn


def insert(conn: sqlite3.Connection, table: str, rows: Iterable[Sequence[object]]) -> int:
    """Insert ``rows`` into ``table`` (a table of this module's DDL); returns the count."""
    marks = ", ".join("?" * _COLUMNS[table])
    before = conn.total_changes
    conn.executemany(f'INSERT INTO "{table}" VALUES ({marks})', rows)  # noqa: S608 - table from _COLUMNS
    return conn.total_changes - before
