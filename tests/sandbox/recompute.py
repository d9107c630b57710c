"""An independent reading of the sandbox: rows as a loader sees them, and the eight rules.

Written apart from the generator on purpose: plain Python with ``Decimal`` over
rows read back from the files (the generator evaluates SQL over SQLite with
integer cents), audit files parsed and validated here, windows checked pairwise.
"""

from __future__ import annotations

import csv
import datetime as dt
import json
import re
import sqlite3
from collections import defaultdict
from decimal import Decimal, InvalidOperation
from pathlib import Path

from openpyxl import load_workbook

AUDIT_COLUMNS = [
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
CENT = Decimal("0.01")


def money(value: object) -> Decimal:
    return Decimal(str(value)).quantize(CENT)


def norm(idn: str) -> str:
    return idn.strip().upper()


def rows(path: Path, table: str) -> list[dict]:
    conn = sqlite3.connect(path)
    conn.row_factory = sqlite3.Row
    try:
        return [dict(r) for r in conn.execute(f'SELECT * FROM "{table}"')]
    finally:
        conn.close()


def _audit_cells(path: Path) -> list[list[object]]:
    if path.suffix == ".xlsx":
        book = load_workbook(path, read_only=True)
        data = [list(r) for r in book.worksheets[0].iter_rows(values_only=True)]
        book.close()
        return data
    encoding = "gb18030" if path.name.endswith(".gbk.csv") else "utf-8"
    with path.open(encoding=encoding, newline="") as handle:
        return [list(r) for r in csv.reader(handle)]


def _date(value: object) -> dt.date | None:
    if value is None or value == "":
        return None
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    return dt.date.fromisoformat(str(value))  # raises on 2026-02-30 and 不详


def audit_rows(audit_dir: Path, only: str | None = None) -> tuple[list[dict], list[tuple[str, int, str]]]:
    """Valid rows in load order (by YYYYMM, then name) and the rejected (file, line, finding_id)s."""
    files = sorted(audit_dir.iterdir(), key=lambda p: (re.search(r"_(\d{6})", p.name).group(1), p.name))
    files = [p for p in files if only in (None, p.name)]
    good, bad = [], []
    for path in files:
        cells = _audit_cells(path)
        assert cells[0] == AUDIT_COLUMNS, path.name
        for line, row in enumerate(cells[1:], start=2):
            try:
                if len(row) != len(AUDIT_COLUMNS) and not (path.suffix == ".xlsx" and len(row) >= 7):
                    raise ValueError("truncated")
                rec = dict(zip(AUDIT_COLUMNS, row + [None] * (len(AUDIT_COLUMNS) - len(row)), strict=True))
                if rec["rectify_status"] is None:
                    raise ValueError("truncated")
                rec["amount"] = Decimal(str(rec["amount"]))
                for col in ("found_on", "rectify_deadline", "rectified_on"):
                    rec[col] = _date(rec[col])
                if rec["found_on"] is None or rec["rectify_deadline"] is None:
                    raise ValueError("missing date")
            except (ValueError, InvalidOperation):
                bad.append((path.name, line, str(row[0])))
                continue
            good.append(rec)
    return good, bad


def indicators(path: Path) -> list[dict]:
    return [json.loads(line, parse_float=Decimal) for line in path.read_text(encoding="utf-8").splitlines()]


def recompute(root: Path, as_of: dt.date) -> dict[str, list]:
    """The eight models, from the files alone."""
    fin, sa = root / "finance.sqlite", root / "state_assets.sqlite"
    payroll, subsidy = rows(fin, "payroll"), rows(fin, "subsidy_payment")
    treasury = rows(fin, "treasury_payment")
    out: dict[str, list] = {}
    on_payroll = {(norm(p["person_id_number"]), p["pay_month"]) for p in payroll}
    out["payroll_subsidy_conflict"] = sorted(
        s["payment_id"]
        for s in subsidy
        if s["program_code"] in ("DB", "TK") and (norm(s["recipient_id_number"]), s["period"]) in on_payroll
    )
    groups: dict[tuple, list[int]] = defaultdict(list)
    for s in subsidy:
        groups[(norm(s["recipient_id_number"]), s["program_code"], s["period"])].append(s["payment_id"])
    out["duplicate_subsidy"] = sorted(p for ids in groups.values() if len(ids) > 1 for p in ids)
    out["below_value_disposal"] = sorted(
        d["disposal_id"]
        for d in rows(sa, "asset_disposal")
        if money(d["transaction_price"]) < Decimal("0.8") * money(d["appraised_value"])
    )
    reps = {e["uscc"]: norm(e["legal_rep_id_number"]) for e in rows(sa, "enterprise")}
    staff_of = defaultdict(set)
    for p in payroll:
        staff_of[p["unit_code"]].add(norm(p["person_id_number"]))
    out["related_party_payment"] = sorted(
        t["payment_id"]
        for t in treasury
        if t["payee_uscc"] in reps and reps[t["payee_uscc"]] in staff_of[t["unit_code"]]
    )
    out["overdue_rectification"] = _overdue(root / "audit", as_of)
    out["revenue_discrepancy"] = _revenue(fin, root / "statistics" / "indicators.jsonl")
    out["split_procurement"] = _split(treasury)
    out["non_collective_decision"] = sorted(
        d["decision_id"]
        for d in rows(sa, "major_decision")
        if d["amount"] is not None and money(d["amount"]) >= Decimal(10_000_000) and d["collective"] == 0
    )
    return out


def _overdue(audit_dir: Path, as_of: dt.date) -> list[str]:
    latest = {}
    for rec in audit_rows(audit_dir)[0]:
        latest[rec["finding_id"]] = rec
    return sorted(
        fid
        for fid, r in latest.items()
        if (r["rectify_status"] != "已整改" and r["rectify_deadline"] < as_of)
        or (r["rectified_on"] is not None and r["rectified_on"] > r["rectify_deadline"])
    )


def _revenue(fin: Path, jsonl: Path) -> list[list[str]]:
    receipts = {(r["region_code"], r["month"]): money(r["amount"]) for r in rows(fin, "revenue_receipt")}
    latest: dict[tuple[str, str], dict] = {}
    for item in indicators(jsonl):
        key = (item["region_code"], item["period"])
        if item["indicator_code"] == "FISCAL_REV" and (
            key not in latest or item["reported_at"] > latest[key]["reported_at"]
        ):
            latest[key] = item
    return sorted(
        [
            list(k)
            for k, item in latest.items()
            if k in receipts and abs(item["value"] * 10000 - receipts[k]) > Decimal("0.10") * receipts[k]
        ]
    )


def _split(treasury: list[dict]) -> list[int]:
    by_pair = defaultdict(list)
    for t in treasury:
        if money(t["amount"]) < Decimal(1_000_000):
            by_pair[(t["unit_code"], t["payee_uscc"])].append(
                (dt.date.fromisoformat(t["paid_at"][:10]), t["payment_id"], money(t["amount"]))
            )
    flagged = set()
    for payments in by_pair.values():
        for anchor, _pid, _amount in payments:  # every window [anchor, anchor + 29 days]
            inside = [(p, a) for d, p, a in payments if anchor <= d <= anchor + dt.timedelta(days=29)]
            if len(inside) >= 2 and sum(a for _p, a in inside) >= Decimal(1_000_000):
                flagged.update(p for p, _a in inside)
    return sorted(flagged)
