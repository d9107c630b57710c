"""Tiny sample sources for conformance checks (``hub connector check``) and tests.

``tiny_sandbox`` writes the four source systems in the layout of
``shared/sources/README.md`` with a handful of rows each — or with empty tables and
no files (``empty=True``), which a conforming connector must also handle.  The full
generator lives in ``hub.sandbox``; this one exists so a check needs no generator.
"""

from __future__ import annotations

import csv
import json
import sqlite3
from collections.abc import Sequence
from pathlib import Path
from typing import Any

FINANCE_DDL = {
    "budget_unit": "unit_code TEXT PRIMARY KEY, unit_name TEXT, region_code TEXT, unit_type TEXT",
    "payroll": "record_id INTEGER PRIMARY KEY, unit_code TEXT, person_id_number TEXT, person_name TEXT, "
    "position TEXT, pay_month TEXT, gross_pay NUMERIC, bank_card TEXT",
    "subsidy_payment": "payment_id INTEGER PRIMARY KEY, program_code TEXT, recipient_id_number TEXT, "
    "recipient_name TEXT, recipient_phone TEXT, bank_card TEXT, township_code TEXT, amount NUMERIC, "
    "period TEXT, paid_at TEXT, updated_at TEXT",
    "treasury_payment": "payment_id INTEGER PRIMARY KEY, unit_code TEXT, payee_uscc TEXT, payee_name TEXT, "
    "amount NUMERIC, purpose_text TEXT, paid_at TEXT, updated_at TEXT",
    "revenue_receipt": "region_code TEXT, month TEXT, amount NUMERIC, PRIMARY KEY (region_code, month)",
}
STATE_ASSETS_DDL = {
    "enterprise": "uscc TEXT PRIMARY KEY, name TEXT, region_code TEXT, parent_uscc TEXT, "
    "legal_rep_id_number TEXT, legal_rep_name TEXT, tier INTEGER",
    "asset_disposal": "disposal_id INTEGER PRIMARY KEY, uscc TEXT, asset_desc TEXT, appraised_value NUMERIC, "
    "transaction_price NUMERIC, buyer_uscc TEXT, buyer_name TEXT, decided_at TEXT",
    "major_decision": "decision_id INTEGER PRIMARY KEY, uscc TEXT, category TEXT, amount NUMERIC, "
    "meeting_date TEXT, collective INTEGER, summary TEXT",
}
FINDINGS_HEADER = [
    "finding_id",
    "audit_project",
    "audited_unit_code",
    "audited_unit_name",
    "finding_type",
    "amount",
    "description",
    "found_on",
    "rectify_deadline",
    "rectify_status",
    "rectified_on",
]
_ID = "11010519491231002X"
_USCC = "91330106MA2XXXXX1A"
ROWS: dict[str, list[tuple[Any, ...]]] = {
    "budget_unit": [("U001", "西湖区民政局", "330106", "行政"), ("U002", "西湖区教育局", "330106", "行政")],
    "payroll": [
        (i, "U001", _ID, "张三", "科员", "2026-03", 8000.5 + i, "6222020000000000000") for i in (1, 2, 3)
    ],
    "subsidy_payment": [
        (
            i,
            "DB",
            _ID,
            "李四",
            "13812345678",
            "6222020000000000001",
            "330106001",
            500.0 + i,
            "2026-03",
            "2026-03-05T10:00:00",
            f"2026-03-05T10:00:0{i}",
        )
        for i in (1, 2, 3, 4)
    ],
    "treasury_payment": [
        (1, "U001", _USCC, "某公司", 120000.0, "采购办公用品", "2026-03-01T09:00:00", "2026-03-01T09:00:00"),
        (
            2,
            "U002",
            _USCC,
            "某公司",
            880000.0,
            "采购设备",
            "2026-03-09T09:00:00",
            "2026-03-09T09:30:00+08:00",
        ),
    ],
    "revenue_receipt": [("330106", "2026-03", 1000000.0), ("330106", "2026-02", 900000.0)],
    "enterprise": [(_USCC, "某国企", "330106", None, _ID, "王五", 1)],
    "asset_disposal": [(1, _USCC, "办公楼", 1000000.0, 700000.0, _USCC, "某公司", "2026-03-10")],
    "major_decision": [(1, _USCC, "重大决策", 20000000.0, "2026-03-12", 0, "投资项目")],
}
INDICATORS = [
    {
        "region_code": "330106",
        "period": "2026-03",
        "indicator_code": code,
        "value": value,
        "unit": unit,
        "reported_at": "2026-04-01T08:00:00+08:00",
    }
    for code, value, unit in (
        ("FISCAL_REV", 100.5, "万元"),
        ("GDP", 2500.25, "万元"),
        ("POP_RESIDENT", 120000, "人"),
    )
]


def write_sqlite(
    path: Path, ddl: dict[str, str], rows: dict[str, list[tuple[Any, ...]]], empty: bool
) -> Path:
    """A SQLite database with the tables of ``ddl`` and (unless ``empty``) ``rows``."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with sqlite3.connect(path) as conn:
        for table, columns in ddl.items():
            conn.execute(f"CREATE TABLE IF NOT EXISTS {table} ({columns})")
            data = [] if empty else rows.get(table, [])
            if data:
                marks = ", ".join("?" * len(data[0]))
                conn.executemany(f"INSERT OR REPLACE INTO {table} VALUES ({marks})", data)  # noqa: S608
    conn.close()
    return path


def write_csv(
    path: Path, header: Sequence[str], rows: Sequence[Sequence[Any]], encoding: str = "utf-8"
) -> Path:
    """A CSV file with a header row."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", encoding=encoding, newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(header)
        writer.writerows(rows)
    return path


def finding(
    fid: str, status: str = "未整改", amount: str = "12000.50", found_on: str = "2026-03-02"
) -> list[str]:
    """One audit finding row in file column order."""
    return [
        fid,
        "2026年民生资金专项审计",
        "U001",
        "西湖区民政局",
        "违规发放",
        amount,
        "向张三违规发放补贴",
        found_on,
        "2026-06-30",
        status,
        "",
    ]


def tiny_sandbox(directory: Path, empty: bool = False) -> Path:
    """The four source systems with a few rows each (none when ``empty``)."""
    write_sqlite(directory / "finance.sqlite", FINANCE_DDL, ROWS, empty)
    write_sqlite(directory / "state_assets.sqlite", STATE_ASSETS_DDL, ROWS, empty)
    (directory / "audit").mkdir(parents=True, exist_ok=True)
    (directory / "statistics").mkdir(parents=True, exist_ok=True)
    if not empty:
        write_csv(
            directory / "audit" / "findings_202603.csv", FINDINGS_HEADER, [finding("F-1"), finding("F-2")]
        )
    lines = "" if empty else "".join(json.dumps(i, ensure_ascii=False) + "\n" for i in INDICATORS)
    (directory / "statistics" / "indicators.jsonl").write_text(lines, encoding="utf-8")
    manifest = {"as_of": "2026-04-30", "seed": 0, "scale": 0, "generator": "connectors.samples"}
    (directory / "manifest.json").write_text(json.dumps(manifest), encoding="utf-8")
    return directory


def sample_sql_items(directory: Path, empty: bool) -> Path:
    """A SQLite file with an ``items`` table (id, label, amount, updated_at)."""
    rows = [(i, f"item {i}", 10.5 * i, f"2026-01-0{i}T00:00:00") for i in range(1, 6)]
    ddl = {"items": "id INTEGER PRIMARY KEY, label TEXT, amount NUMERIC, updated_at TEXT"}
    return write_sqlite(directory / "items.sqlite", ddl, {"items": rows}, empty)


def sample_files(directory: Path, empty: bool) -> Path:
    """A drop folder with one ``notes_YYYYMM.csv`` file (none when ``empty``)."""
    folder = directory / "drop"
    folder.mkdir(parents=True, exist_ok=True)
    if not empty:
        rows = [("N-1", "10.00", "2026-01-02"), ("N-2", "20.50", "2026-01-03")]
        write_csv(folder / "notes_202601.csv", ["note_id", "amount", "noted_on"], rows)
    return folder
