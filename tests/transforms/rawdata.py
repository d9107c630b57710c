"""A tiny handcrafted raw layer (per the raw-layer contract) with known clue keys.

Each row is a positive, negative or boundary case of one supervision model; the
expected keys are in ``EXPECTED``.  ``create_raw`` works on DuckDB and PostgreSQL
connections (plain DDL and parameterized inserts).
"""

from __future__ import annotations

from typing import Any

DDL = {
    "raw_finance.budget_unit": "unit_code VARCHAR PRIMARY KEY, unit_name VARCHAR, region_code VARCHAR, "
    "unit_type VARCHAR",
    "raw_finance.payroll": "record_id BIGINT PRIMARY KEY, unit_code VARCHAR, person_id_number VARCHAR, "
    "person_name VARCHAR, position VARCHAR, pay_month VARCHAR, gross_pay DECIMAL(18,2), bank_card VARCHAR",
    "raw_finance.subsidy_payment": "payment_id BIGINT PRIMARY KEY, program_code VARCHAR, "
    "recipient_id_number VARCHAR, recipient_name VARCHAR, recipient_phone VARCHAR, bank_card VARCHAR, "
    "township_code VARCHAR, amount DECIMAL(18,2), period VARCHAR, paid_at TIMESTAMP, updated_at TIMESTAMP",
    "raw_finance.treasury_payment": "payment_id BIGINT PRIMARY KEY, unit_code VARCHAR, payee_uscc VARCHAR, "
    "payee_name VARCHAR, amount DECIMAL(18,2), purpose_text VARCHAR, paid_at TIMESTAMP, updated_at TIMESTAMP",
    "raw_finance.revenue_receipt": "region_code VARCHAR, month VARCHAR, amount DECIMAL(18,2), "
    "PRIMARY KEY (region_code, month)",
    "raw_state_assets.enterprise": "uscc VARCHAR PRIMARY KEY, name VARCHAR, region_code VARCHAR, "
    "parent_uscc VARCHAR, legal_rep_id_number VARCHAR, legal_rep_name VARCHAR, tier INTEGER",
    "raw_state_assets.asset_disposal": "disposal_id BIGINT PRIMARY KEY, uscc VARCHAR, asset_desc VARCHAR, "
    "appraised_value DECIMAL(18,2), transaction_price DECIMAL(18,2), buyer_uscc VARCHAR, buyer_name VARCHAR, "
    "decided_at DATE",
    "raw_state_assets.major_decision": "decision_id BIGINT PRIMARY KEY, uscc VARCHAR, category VARCHAR, "
    "amount DECIMAL(18,2), meeting_date DATE, collective INTEGER, summary VARCHAR",
    "raw_audit.findings": "finding_id VARCHAR PRIMARY KEY, audit_project VARCHAR, audited_unit_code VARCHAR, "
    "audited_unit_name VARCHAR, finding_type VARCHAR, amount DECIMAL(18,2), description VARCHAR, "
    "found_on DATE, rectify_deadline DATE, rectify_status VARCHAR, rectified_on DATE, "
    "_source_file VARCHAR, _source_line BIGINT",
    "raw_statistics.indicators": "region_code VARCHAR, period VARCHAR, indicator_code VARCHAR, "
    "value DECIMAL(20,4), unit VARCHAR, reported_at TIMESTAMP, "
    "PRIMARY KEY (region_code, period, indicator_code)",
}

A = "33010619800101001x"  # lower-case x: staging must normalise to ...001X
A_UPPER = "33010619800101001X"
B = "330106198502020022"
C = "330106197003030033"
D = "330106194001010044"
E = "33010619500505005X"
E1, E2 = "91330106MA2XXXXX01", "91330106MA2XXXXX02"
P1, P2, P3, P4, P5 = (f"91330106MA2YYYYY0{i}" for i in range(1, 6))


def _sub(pid: int, program: str, who: str, period: str) -> tuple[Any, ...]:
    ts = f"{period}-15 10:00:00"
    return (pid, program, who, "某某", "13800000000", "6222000000000000", "330106001", "500.00",
            period, ts, ts)


def _tre(pid: int, unit: str, payee: str, amount: str, day: str) -> tuple[Any, ...]:
    return (pid, unit, payee, "某公司", amount, "采购", f"{day} 09:30:00", f"{day} 09:30:00")


def _finding(fid: str, deadline: str, status: str, rectified: str | None) -> tuple[Any, ...]:
    return (fid, "2026年预算执行审计", "U001", "某局", "违规发放", "1000.00", "说明", "2026-01-10",
            deadline, status, rectified, "findings_202601.csv", 2)


ROWS: dict[str, list[tuple[Any, ...]]] = {
    "raw_finance.budget_unit": [("U001", "某局", "330106", "行政"), ("U002", "某中心", "330106", "事业")],
    "raw_finance.payroll": [
        (1, "U001", A, "甲", "科员", "2026-03", "8000.00", "6222000000000001"),
        (2, "U001", f" {B} ", "乙", "科员", "2026-04", "8000.00", "6222000000000002"),
        (3, "U002", C, "丙", "主任", "2026-03", "9000.00", "6222000000000003"),
    ],
    "raw_finance.subsidy_payment": [
        _sub(101, "DB", A, "2026-03"),  # on payroll that month (after normalisation): flagged
        _sub(102, "TK", B, "2026-04"),  # flagged
        _sub(103, "DB", B, "2026-03"),  # payroll in another month: not
        _sub(104, "GD", A, "2026-03"),  # program not DB/TK: not
        _sub(105, "YL", D, "2026-05"), _sub(106, "YL", D, "2026-05"),  # duplicates
        _sub(107, "YL", D, "2026-06"),  # other period
        _sub(108, "DB", f" {D}", "2026-05"),  # other program
        _sub(109, "TK", E.lower(), "2026-07"), _sub(110, "TK", E, "2026-07"),  # duplicate after normalising
    ],
    "raw_finance.treasury_payment": [
        _tre(201, "U002", E1, "500000.00", "2026-03-01"),  # E1's legal rep C is on U002's payroll
        _tre(202, "U001", E1, "500000.00", "2026-03-01"),  # ... but not on U001's
        _tre(203, "U001", E2, "100.00", "2026-03-02"),  # E2's legal rep A (normalised) on U001's payroll
        _tre(301, "U001", P1, "400000.00", "2026-01-01"),  # 29 days apart, sum exactly 1,000,000
        _tre(302, "U001", P1, "600000.00", "2026-01-30"),
        _tre(303, "U001", P2, "500000.00", "2026-01-01"),  # 30 days apart: not
        _tre(304, "U001", P2, "600000.00", "2026-01-31"),
        _tre(305, "U001", P3, "999999.99", "2026-02-01"),  # partner is not below the threshold
        _tre(306, "U001", P3, "1000000.00", "2026-02-02"),
        _tre(307, "U001", P4, "300000.00", "2026-02-01"),  # sum 900,000: not
        _tre(308, "U001", P4, "300000.00", "2026-02-03"),
        _tre(309, "U001", P4, "300000.00", "2026-02-05"),
        _tre(310, "U002", P1, "500000.00", "2026-01-05"),  # sum 999,999.99: not
        _tre(311, "U002", P1, "499999.99", "2026-01-06"),
        _tre(312, "U002", P5, "600000.00", "2026-03-01"),  # chain: two overlapping windows
        _tre(313, "U002", P5, "500000.00", "2026-03-25"),
        _tre(314, "U002", P5, "600000.00", "2026-04-20"),
    ],
    "raw_finance.revenue_receipt": [
        ("330106", "2026-03", "1000000.00"), ("330106", "2026-04", "1000000.00"),
        ("330106", "2026-05", "1000000.00"), ("330106", "2026-06", "1000000.00"),
    ],
    "raw_state_assets.enterprise": [
        (E1, "一号公司", "330106", None, C, "丙", 1),
        (E2.lower(), "二号公司", "330106", E1, A, "甲", 2),
    ],
    "raw_state_assets.asset_disposal": [
        (401, E1, "设备", "1000000.00", "800000.00", P1, "买方", "2026-02-01"),  # exactly 0.8: not
        (402, E1, "设备", "1000000.00", "799999.99", P1, "买方", "2026-02-01"),  # flagged
        (403, E1, "设备", "100.00", "100.00", P1, "买方", "2026-02-01"),
        (404, E1, "设备", "0.00", "0.00", P1, "买方", "2026-02-01"),
    ],
    "raw_state_assets.major_decision": [
        (501, E1, "大额资金运作", "10000000.00", "2026-02-01", 0, "摘要"),  # exactly 10,000,000: flagged
        (502, E1, "大额资金运作", "9999999.99", "2026-02-01", 0, "摘要"),
        (503, E1, "重大项目安排", "20000000.00", "2026-02-01", 1, "摘要"),
        (504, E1, "重要人事任免", None, "2026-02-01", 0, "摘要"),
    ],
    "raw_audit.findings": [
        _finding("F1", "2026-06-29", "未整改", None),  # deadline before as_of: flagged
        _finding("F2", "2026-06-30", "整改中", None),  # deadline == as_of: not
        _finding("F3", "2026-05-01", "已整改", "2026-05-01"),  # rectified on the deadline day: not
        _finding("F4", "2026-05-01", "已整改", "2026-05-02"),  # rectified late: flagged
        _finding("F5", "2026-01-01", "已整改", "2025-12-01"),
    ],
    "raw_statistics.indicators": [
        ("330106", "2026-03", "FISCAL_REV", "110.0000", "万元", "2026-04-02 08:00:00"),  # exactly 10 %: not
        ("330106", "2026-04", "FISCAL_REV", "110.0001", "万元", "2026-05-02 08:00:00"),  # flagged
        ("330106", "2026-05", "FISCAL_REV", "89.9999", "万元", "2026-06-02 08:00:00"),  # flagged
        ("330108", "2026-03", "FISCAL_REV", "50.0000", "万元", "2026-04-02 08:00:00"),  # no receipts
        ("330106", "2026-03", "GDP", "500.0000", "万元", "2026-04-02 08:00:00"),
        ("330106", "2026-03", "POP_RESIDENT", "1000.0000", "人", "2026-04-02 08:00:00"),
    ],
}

AS_OF = "2026-06-30"
EXPECTED: dict[str, set[Any]] = {
    "payroll_subsidy_conflict": {101, 102},
    "duplicate_subsidy": {105, 106, 109, 110},
    "below_value_disposal": {402},
    "related_party_payment": {201, 203},
    "overdue_rectification": {"F1", "F4"},
    "revenue_discrepancy": {("330106", "2026-04"), ("330106", "2026-05")},
    "split_procurement": {301, 302, 312, 313, 314},
    "non_collective_decision": {501},
}
KEYS = {
    "payroll_subsidy_conflict": "payment_id", "duplicate_subsidy": "payment_id",
    "below_value_disposal": "disposal_id", "related_party_payment": "payment_id",
    "overdue_rectification": "finding_id", "revenue_discrepancy": "region_code, month",
    "split_procurement": "payment_id", "non_collective_decision": "decision_id",
}


def create_raw(execute: Any) -> None:
    """Create the raw schemas and tables and insert ``ROWS`` through ``execute(sql, params)``."""
    for table, columns in DDL.items():
        execute(f"CREATE SCHEMA IF NOT EXISTS {table.split('.')[0]}", None)
        execute(f"CREATE TABLE {table} ({columns})", None)
        for row in ROWS[table]:
            marks = ", ".join(["%s"] * len(row))
            execute(f"INSERT INTO {table} VALUES ({marks})", row)


def clue_keys(fetch: Any) -> dict[str, set[Any]]:
    """The key set of every clue model, read through ``fetch(sql) -> rows``."""
    keys = {}
    for model, key in KEYS.items():
        rows = fetch(f"SELECT {key} FROM clues.{model}")
        keys[model] = {tuple(r) if len(r) > 1 else r[0] for r in rows}
    return keys
