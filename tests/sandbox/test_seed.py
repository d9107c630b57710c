"""The sandbox generator: layout, identifiers, encodings, damaged rows, expected clues."""

from __future__ import annotations

import datetime as dt
import json
import re
import sqlite3
from decimal import Decimal
from pathlib import Path

import pytest
from openpyxl import load_workbook
from stdnum import luhn
from stdnum.cn import uscc
from stdnum.iso7064 import mod_11_2

from hub.sandbox import MODELS, Manifest, SandboxError, seed
from tests.sandbox.recompute import AUDIT_COLUMNS, audit_rows, indicators, money, norm, recompute, rows

FINANCE_COLUMNS = {
    "budget_unit": ["unit_code", "unit_name", "region_code", "unit_type"],
    "payroll": [
        "record_id",
        "unit_code",
        "person_id_number",
        "person_name",
        "position",
        "pay_month",
        "gross_pay",
        "bank_card",
    ],
    "subsidy_payment": [
        "payment_id",
        "program_code",
        "recipient_id_number",
        "recipient_name",
        "recipient_phone",
        "bank_card",
        "township_code",
        "amount",
        "period",
        "paid_at",
        "updated_at",
    ],
    "treasury_payment": [
        "payment_id",
        "unit_code",
        "payee_uscc",
        "payee_name",
        "amount",
        "purpose_text",
        "paid_at",
        "updated_at",
    ],
    "revenue_receipt": ["region_code", "month", "amount"],
}
STATE_COLUMNS = {
    "enterprise": [
        "uscc",
        "name",
        "region_code",
        "parent_uscc",
        "legal_rep_id_number",
        "legal_rep_name",
        "tier",
    ],
    "asset_disposal": [
        "disposal_id",
        "uscc",
        "asset_desc",
        "appraised_value",
        "transaction_price",
        "buyer_uscc",
        "buyer_name",
        "decided_at",
    ],
    "major_decision": ["decision_id", "uscc", "category", "amount", "meeting_date", "collective", "summary"],
}
MOBILE = re.compile(r"1[3-9]\d{9}")
ID_TEXT = re.compile(r"\d{17}[\dX]")


def valid_resident_id(value: str) -> bool:
    idn = norm(value)
    if not ID_TEXT.fullmatch(idn) or not mod_11_2.is_valid(idn):
        return False
    try:
        born = dt.date(int(idn[6:10]), int(idn[10:12]), int(idn[12:14]))
    except ValueError:
        return False
    return dt.date(1900, 1, 1) < born < dt.date(2026, 1, 1) and idn[:2] != "00" and idn[4:6] != "00"


def columns(path: Path, table: str) -> list[str]:
    conn = sqlite3.connect(path)
    try:
        return [r[1] for r in conn.execute(f'PRAGMA table_info("{table}")')]
    finally:
        conn.close()


def test_layout_and_manifest(seeded_sandbox: tuple[Path, Manifest]) -> None:
    root, manifest = seeded_sandbox
    assert json.loads((root / "manifest.json").read_text()) == {
        "as_of": "2026-11-27",
        "seed": 42,
        "scale": 1000,
        "generator": manifest.generator,
    }
    for table, cols in FINANCE_COLUMNS.items():
        assert columns(root / "finance.sqlite", table) == cols
    for table, cols in STATE_COLUMNS.items():
        assert columns(root / "state_assets.sqlite", table) == cols
    names = sorted(p.name for p in (root / "audit").iterdir())
    assert all(re.fullmatch(r"findings_\d{6}(\.gbk\.csv|\.csv|\.xlsx)", n) for n in names)
    assert {n.split(".", 1)[1] for n in names} == {"csv", "gbk.csv", "xlsx"}
    assert len({n[9:15] for n in names}) == 12  # one month per file, one month delivered twice
    assert len(names) == 13
    assert len(rows(root / "finance.sqlite", "subsidy_payment")) >= 1000


def test_identifiers_are_valid(seeded_sandbox: tuple[Path, Manifest]) -> None:
    root, _ = seeded_sandbox
    fin, sa = root / "finance.sqlite", root / "state_assets.sqlite"
    subsidy, payroll = rows(fin, "subsidy_payment"), rows(fin, "payroll")
    ids = [s["recipient_id_number"] for s in subsidy] + [p["person_id_number"] for p in payroll]
    ids += [e["legal_rep_id_number"] for e in rows(sa, "enterprise")]
    assert all(valid_resident_id(i) for i in ids)
    assert any(i != norm(i) for i in ids), "some IDs are written with lower-case x or spaces"
    assert any(i.endswith("x") for i in ids) and any(i != i.strip() for i in ids)
    cards = [s["bank_card"] for s in subsidy] + [p["bank_card"] for p in payroll]
    assert all(
        len(c) in (16, 19)
        and luhn.is_valid(c)
        and c[:4] in ("6222", "6212", "6217", "6228", "6216", "6259", "6221", "6218")
        for c in cards
    )
    assert all(MOBILE.fullmatch(s["recipient_phone"]) for s in subsidy)
    counties = {u["region_code"] for u in rows(fin, "budget_unit")}
    assert "330106" in counties and all(re.fullmatch(r"33\d{4}", c) for c in counties)
    assert all(
        re.fullmatch(r"\d{9}", s["township_code"]) and s["township_code"][:6] in counties for s in subsidy
    )
    codes = [e["uscc"] for e in rows(sa, "enterprise")] + [
        t["payee_uscc"] for t in rows(fin, "treasury_payment")
    ]
    assert all(uscc.is_valid(c) for c in codes)
    staff = {norm(p["person_id_number"]) for p in payroll}  # planted: staff drawing YL (not a conflict)
    elderly = [
        s for s in subsidy if s["program_code"] == "YL" and norm(s["recipient_id_number"]) not in staff
    ]
    assert elderly and all(int(norm(s["recipient_id_number"])[6:10]) <= 1946 for s in elderly)
    names = [s["recipient_name"] for s in subsidy]
    assert any(n[:2] in ("欧阳", "司马", "上官", "诸葛", "东方", "皇甫") for n in names)
    assert all(2 <= len(n) <= 5 for n in names)


def test_amounts_periods_and_timestamps(seeded_sandbox: tuple[Path, Manifest]) -> None:
    root, _ = seeded_sandbox
    fin = root / "finance.sqlite"
    subsidy, treasury = rows(fin, "subsidy_payment"), rows(fin, "treasury_payment")
    for r in subsidy + treasury:
        assert money(r["amount"]) == Decimal(str(r["amount"])) and money(r["amount"]) > 0
        assert dt.datetime.fromisoformat(r["updated_at"]) >= dt.datetime.fromisoformat(r["paid_at"])
        assert dt.datetime.fromisoformat(r["updated_at"]).date() < dt.date(2026, 11, 27)
    assert any(r["updated_at"] != r["paid_at"] for r in subsidy)
    assert any(r["updated_at"] != r["paid_at"] for r in treasury)
    periods = {s["period"] for s in subsidy}
    assert periods <= {f"2025-{m}" for m in ("11", "12")} | {f"2026-{m:02d}" for m in range(1, 11)}
    texts = " ".join(t["purpose_text"] for t in treasury)
    assert ID_TEXT.search(texts) and MOBILE.search(texts)


def test_audit_files_encodings_and_damage(seeded_sandbox: tuple[Path, Manifest]) -> None:
    root, _ = seeded_sandbox
    for path in (root / "audit").iterdir():
        if path.name.endswith(".gbk.csv"):
            text = path.read_bytes().decode("gb18030")
            assert any(ord(ch) > 127 for ch in text)
            with pytest.raises(UnicodeDecodeError):
                path.read_bytes().decode("utf-8")
        elif path.suffix == ".csv":
            assert path.read_bytes().decode("utf-8").splitlines()[0] == ",".join(AUDIT_COLUMNS)
        else:
            book = load_workbook(path, read_only=True)
            assert [c.value for c in next(book.worksheets[0].iter_rows(max_row=1))] == AUDIT_COLUMNS
            book.close()
    good, bad = audit_rows(root / "audit")
    # truncated, 2026-02-30, 不详 found_on (CSV), 不详 deadline (Excel), non-numeric amount
    assert len(bad) == 5 and any(name.endswith(".xlsx") for name, _line, _id in bad)
    raw = "\n".join(
        p.read_bytes().decode("gb18030" if p.name.endswith(".gbk.csv") else "utf-8")
        for p in (root / "audit").glob("*.csv")
    )
    assert "2026-02-30" in raw and "不详" in raw and "约5万元" in raw
    twice = sorted((root / "audit").glob("findings_202606.*"))
    assert [p.suffix for p in twice] == [".csv", ".xlsx"]
    as_csv, as_excel = (audit_rows(root / "audit", only=p.name)[0] for p in twice)
    assert as_csv == as_excel and len(as_csv) > 3, "the month delivered twice has identical rows"
    ids = [r["finding_id"] for r in good]
    assert len(ids) > len(set(ids)), "later files repeat findings with a newer status"


def test_statistics_items(seeded_sandbox: tuple[Path, Manifest]) -> None:
    root, _ = seeded_sandbox
    items = indicators(root / "statistics" / "indicators.jsonl")
    assert {i["indicator_code"] for i in items} == {"FISCAL_REV", "GDP", "POP_RESIDENT", "SUBSIDY_RECIPIENTS"}
    assert all(
        set(i) == {"region_code", "period", "indicator_code", "value", "unit", "reported_at"} for i in items
    )
    assert all(
        i["unit"] == ("人" if i["indicator_code"] in ("POP_RESIDENT", "SUBSIDY_RECIPIENTS") else "万元")
        for i in items
    )
    stamps = [i["reported_at"] for i in items]
    assert stamps == sorted(stamps)
    keys = [(i["region_code"], i["period"], i["indicator_code"]) for i in items]
    assert len(keys) > len(set(keys)), "some items are re-reported later"


def test_expected_clues_match_independent_recomputation(seeded_sandbox: tuple[Path, Manifest]) -> None:
    root, manifest = seeded_sandbox
    expected = json.loads((root / "expected_clues.json").read_text(encoding="utf-8"))
    assert list(expected) == list(MODELS)
    mine = recompute(root, manifest.as_of)
    for model in MODELS:
        assert expected[model] == mine[model], model
        assert expected[model], f"{model} has no clue"
    assert manifest.clues == {m: len(k) for m, k in expected.items()}


def test_seed_refuses_foreign_directory(tmp_path: Path) -> None:
    (tmp_path / "notes.txt").write_text("mine")
    with pytest.raises(SandboxError, match="not empty and is not a sandbox"):
        seed(tmp_path, scale=10)
    with pytest.raises(SandboxError, match="at least 10"):
        seed(tmp_path / "new", scale=5)


def test_same_seed_same_clues_and_reseed_in_place(tmp_path: Path) -> None:
    first = seed(tmp_path / "a", seed=7, scale=200)
    again = seed(tmp_path / "a", seed=7, scale=200)  # a sandbox may be re-seeded in place
    other = seed(tmp_path / "b", seed=7, scale=200)
    read = lambda d: (tmp_path / d / "expected_clues.json").read_text()  # noqa: E731
    assert first.clues == again.clues and read("a") == read("b")
    assert (tmp_path / "a" / "statistics" / "indicators.jsonl").read_bytes() == (
        tmp_path / "b" / "statistics" / "indicators.jsonl"
    ).read_bytes()
    assert other.tables == first.tables


def test_boundary_cases_present_and_not_flagged(seeded_sandbox: tuple[Path, Manifest]) -> None:
    root, manifest = seeded_sandbox
    fin, sa = root / "finance.sqlite", root / "state_assets.sqlite"
    expected = json.loads((root / "expected_clues.json").read_text(encoding="utf-8"))
    flagged = {m: {json.dumps(k) for k in keys} for m, keys in expected.items()}

    disposals = rows(sa, "asset_disposal")
    exact = [
        d for d in disposals if money(d["transaction_price"]) == Decimal("0.8") * money(d["appraised_value"])
    ]
    assert exact and all(json.dumps(d["disposal_id"]) not in flagged["below_value_disposal"] for d in exact)
    cent_below = [
        d
        for d in disposals
        if money(d["transaction_price"]) == Decimal("0.8") * money(d["appraised_value"]) - Decimal("0.01")
    ]
    assert cent_below and all(
        json.dumps(d["disposal_id"]) in flagged["below_value_disposal"] for d in cent_below
    )

    decisions = {
        (money(d["amount"]) if d["amount"] is not None else None, d["collective"]): d["decision_id"]
        for d in rows(sa, "major_decision")
    }
    assert json.dumps(decisions[(Decimal("10000000.00"), 0)]) in flagged["non_collective_decision"]
    assert json.dumps(decisions[(Decimal("9999999.99"), 0)]) not in flagged["non_collective_decision"]
    assert json.dumps(decisions[(Decimal("10000000.00"), 1)]) not in flagged["non_collective_decision"]

    treasury = rows(fin, "treasury_payment")
    million = [t for t in treasury if money(t["amount"]) == Decimal(1_000_000)]
    assert len(million) >= 2 and all(
        json.dumps(t["payment_id"]) not in flagged["split_procurement"] for t in million
    )
    by_pair: dict[tuple[str, str], list[dict]] = {}
    for t in treasury:
        by_pair.setdefault((t["unit_code"], t["payee_uscc"]), []).append(t)
    gaps = {}
    for group in by_pair.values():
        if len(group) == 2 and sum(money(t["amount"]) for t in group) >= Decimal(1_000_000):
            days = abs(
                (
                    dt.date.fromisoformat(group[0]["paid_at"][:10])
                    - dt.date.fromisoformat(group[1]["paid_at"][:10])
                ).days
            )
            gaps[days] = all(json.dumps(t["payment_id"]) in flagged["split_procurement"] for t in group)
    assert gaps.get(29) is True and gaps.get(30) is False

    receipts = {(r["region_code"], r["month"]): money(r["amount"]) for r in rows(fin, "revenue_receipt")}
    ratios = {}
    for item in indicators(root / "statistics" / "indicators.jsonl"):
        key = (item["region_code"], item["period"])
        if item["indicator_code"] == "FISCAL_REV" and key in receipts:
            ratios[key] = (item["value"] * 10000 - receipts[key]) / receipts[key]
    tenth = [k for k, r in ratios.items() if abs(r) == Decimal("0.1")]
    assert len(tenth) == 2 and all(json.dumps(list(k)) not in flagged["revenue_discrepancy"] for k in tenth)

    latest = {r["finding_id"]: r for r in audit_rows(root / "audit")[0]}
    on_time = [f for f, r in latest.items() if r["rectified_on"] == r["rectify_deadline"]]
    assert on_time and all(json.dumps(f) not in flagged["overdue_rectification"] for f in on_time)
    expected_overdue = set(expected["overdue_rectification"])
    damaged_newer = [fid for _f, _l, fid in audit_rows(root / "audit")[1] if fid in latest]
    assert damaged_newer, "a damaged row is the newer version of a valid finding"
    for fid in damaged_newer:  # the older valid row stands: still not rectified, deadline passed
        assert latest[fid]["rectify_status"] != "已整改" and fid in expected_overdue
    due_today = [
        f for f, r in latest.items() if r["rectify_deadline"] == manifest.as_of and r["rectified_on"] is None
    ]
    assert due_today and all(json.dumps(f) not in flagged["overdue_rectification"] for f in due_today)


def test_messy_ids_still_match_across_systems(seeded_sandbox: tuple[Path, Manifest]) -> None:
    root, _ = seeded_sandbox
    expected = json.loads((root / "expected_clues.json").read_text(encoding="utf-8"))
    subsidy = {s["payment_id"]: s for s in rows(root / "finance.sqlite", "subsidy_payment")}
    payroll = rows(root / "finance.sqlite", "payroll")
    conflicts = [subsidy[p] for p in expected["payroll_subsidy_conflict"]]
    assert any(s["recipient_id_number"] != norm(s["recipient_id_number"]) for s in conflicts)
    assert any(subsidy[p]["recipient_id_number"].endswith("x") for p in expected["duplicate_subsidy"])
    staff = {(norm(p["person_id_number"]), p["pay_month"]) for p in payroll}
    not_conflicts = [
        s
        for s in subsidy.values()
        if (norm(s["recipient_id_number"]), s["period"]) in staff and s["program_code"] in ("GD", "YL")
    ]
    assert not_conflicts and all(
        s["payment_id"] not in expected["payroll_subsidy_conflict"] for s in not_conflicts
    )
    staff_ids = {norm(p["person_id_number"]) for p in payroll}
    off_month = [
        s
        for s in subsidy.values()
        if s["program_code"] == "DB"
        and norm(s["recipient_id_number"]) in staff_ids
        and (norm(s["recipient_id_number"]), s["period"]) not in staff
    ]
    assert off_month and all(s["payment_id"] not in expected["payroll_subsidy_conflict"] for s in off_month)
    reps = {e["uscc"]: e for e in rows(root / "state_assets.sqlite", "enterprise")}
    treasury = rows(root / "finance.sqlite", "treasury_payment")
    to_related = [
        t
        for t in treasury
        if t["payee_uscc"] in reps and norm(reps[t["payee_uscc"]]["legal_rep_id_number"]) in staff_ids
    ]
    assert {t["payment_id"] in expected["related_party_payment"] for t in to_related} == {True, False}


def test_reseed_removes_stale_drops_but_keeps_foreign_files(tmp_path: Path) -> None:
    seed(tmp_path, seed=1, scale=20)
    (tmp_path / "audit" / "findings_209901.csv").write_text("stale")
    (tmp_path / "audit" / "README.txt").write_text("someone else's")
    seed(tmp_path, seed=1, scale=20)
    assert not (tmp_path / "audit" / "findings_209901.csv").exists()
    assert (tmp_path / "audit" / "README.txt").exists()
