"""Expected clues (预期线索): the eight supervision models evaluated over the sandbox.

The rules are evaluated over everything generated (random data makes its own
clues too), reading the SQL systems back with SQLite and the audit and
statistics data from what was written, valid rows only.  Amounts are compared
in integer cents so the 0.8 / 10 % / 1,000,000 boundaries are exact.  The
result is ``expected_clues.json``: model → sorted keys.
"""

from __future__ import annotations

import datetime as dt
import sqlite3
from collections import defaultdict
from pathlib import Path

from hub.sandbox.audit_files import Line
from hub.sandbox.statistics import Key, Report

SPLIT_LIMIT = 1_000_000_00
SPLIT_DAYS = 29  # dates at most 29 days apart share a 30-day window

_CONFLICT = """
CREATE TEMP TABLE staff_month AS SELECT DISTINCT upper(trim(person_id_number)) AS idn, pay_month FROM payroll;
CREATE INDEX temp.staff_month_i ON staff_month (idn, pay_month);
CREATE TEMP TABLE staff_unit AS SELECT DISTINCT upper(trim(person_id_number)) AS idn, unit_code FROM payroll;
CREATE INDEX temp.staff_unit_i ON staff_unit (idn, unit_code);
CREATE TEMP TABLE paid_twice AS SELECT upper(trim(recipient_id_number)) AS idn, program_code, period
  FROM subsidy_payment GROUP BY 1, 2, 3 HAVING count(*) > 1;
CREATE INDEX temp.paid_twice_i ON paid_twice (idn, program_code, period);
"""
_QUERIES = {
    "payroll_subsidy_conflict": """SELECT s.payment_id FROM subsidy_payment s
        WHERE s.program_code IN ('DB', 'TK') AND EXISTS (SELECT 1 FROM staff_month m
              WHERE m.idn = upper(trim(s.recipient_id_number)) AND m.pay_month = s.period)""",
    "duplicate_subsidy": """SELECT s.payment_id FROM subsidy_payment s JOIN paid_twice d
        ON d.idn = upper(trim(s.recipient_id_number)) AND d.program_code = s.program_code
        AND d.period = s.period""",
    "related_party_payment": """SELECT t.payment_id FROM treasury_payment t JOIN sa.enterprise e
        ON e.uscc = t.payee_uscc JOIN staff_unit u ON u.idn = upper(trim(e.legal_rep_id_number))
        AND u.unit_code = t.unit_code""",
    "below_value_disposal": """SELECT disposal_id FROM sa.asset_disposal
        WHERE CAST(round(transaction_price * 100) AS INTEGER) * 10
              < CAST(round(appraised_value * 100) AS INTEGER) * 8""",
    "non_collective_decision": """SELECT decision_id FROM sa.major_decision
        WHERE amount IS NOT NULL AND CAST(round(amount * 100) AS INTEGER) >= 1000000000 AND collective = 0""",
}


def sql_clues(finance: Path, state_assets: Path) -> dict[str, list[int]]:
    """The five models whose data lives in the two SQL systems, plus split procurement."""
    conn = sqlite3.connect(finance)
    try:
        conn.execute("ATTACH DATABASE ? AS sa", (str(state_assets),))
        conn.executescript(_CONFLICT)
        out = {model: sorted({row[0] for row in conn.execute(sql)}) for model, sql in _QUERIES.items()}
        out["split_procurement"] = _split(conn)
    finally:
        conn.close()
    return out


def _split(conn: sqlite3.Connection) -> list[int]:
    groups: dict[tuple[str, str], list[tuple[dt.date, int, int]]] = defaultdict(list)
    rows = conn.execute(
        """SELECT unit_code, payee_uscc, substr(paid_at, 1, 10), payment_id, cents FROM (
             SELECT *, CAST(round(amount * 100) AS INTEGER) AS cents FROM treasury_payment)
           WHERE cents < ?""",
        (SPLIT_LIMIT,),
    )
    for unit, payee, day, pid, amount in rows:
        groups[(unit, payee)].append((dt.date.fromisoformat(day), pid, amount))
    flagged: set[int] = set()
    for payments in groups.values():
        if len(payments) > 1:
            flagged |= _split_group(sorted(payments))
    return sorted(flagged)


def _split_group(payments: list[tuple[dt.date, int, int]]) -> set[int]:
    """Payments in any window [d, d + 29 days] holding ≥ 2 payments summing ≥ the limit."""
    flagged: set[int] = set()
    end = 0
    for start, (day, _pid, _amount) in enumerate(payments):
        end = max(end, start)
        while end + 1 < len(payments) and (payments[end + 1][0] - day).days <= SPLIT_DAYS:
            end += 1
        window = payments[start : end + 1]
        if len(window) >= 2 and sum(a for _d, _p, a in window) >= SPLIT_LIMIT:
            flagged |= {p for _d, p, _a in window}
    return flagged


def overdue(lines: list[Line], as_of: dt.date) -> list[str]:
    """Findings whose latest valid row is overdue (``lines`` are in load order)."""
    latest = {line.finding.finding_id: line.finding for line in lines if line.finding.valid}
    flagged = []
    for fid, f in latest.items():
        deadline = dt.date.fromisoformat(f.deadline)
        late = bool(f.rectified_on) and dt.date.fromisoformat(f.rectified_on) > deadline
        if (f.status != "已整改" and deadline < as_of) or late:
            flagged.append(fid)
    return sorted(flagged)


def revenue(receipts: dict[Key, int], reports: list[Report]) -> list[list[str]]:
    """(county, month) where the latest FISCAL_REV is more than 10 % off the receipts."""
    latest: dict[Key, Report] = {}
    for r in reports:
        key = (r.region, r.period)
        if r.code == "FISCAL_REV" and (key not in latest or r.reported_at > latest[key].reported_at):
            latest[key] = r
    flagged = []
    for key, report in latest.items():
        if key in receipts:
            reported_cents = round(report.value * 10000) * 100
            if 10 * abs(reported_cents - receipts[key]) > receipts[key]:
                flagged.append(list(key))
    return sorted(flagged)
