"""Ground truth for the jurisdiction walk: each published row's county, from the raw layer.

Worked out here in Python from the ``raw_*`` tables the connectors loaded (the source
systems' rows as they arrived), independently of the SQLMesh derivations and of the
``region_code`` columns the row filter uses: which budget unit or enterprise a row
belongs to, and where the sources say that organisation is.  ``truth(con)`` maps each
published dataset to ``{key: county or township code or None}``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import duckdb

Key = tuple[Any, ...]

# Every published dataset and the columns that identify its rows.
KEYS: dict[str, tuple[str, ...]] = {
    "finance.budget_unit": ("unit_code",),
    "finance.payroll": ("record_id",),
    "finance.subsidy_payment": ("payment_id",),
    "finance.treasury_payment": ("payment_id",),
    "finance.revenue_receipt": ("region_code", "month"),
    "state_assets.enterprise": ("uscc",),
    "state_assets.asset_disposal": ("disposal_id",),
    "state_assets.major_decision": ("decision_id",),
    "audit.findings": ("finding_id",),
    "statistics.indicators": ("region_code", "period", "indicator_code"),
    "resources.person": ("id_number",),
    "resources.organization": ("org_code",),
    "resources.region": ("region_code",),
    "clues.payroll_subsidy_conflict": ("payment_id",),
    "clues.duplicate_subsidy": ("payment_id",),
    "clues.below_value_disposal": ("disposal_id",),
    "clues.related_party_payment": ("payment_id",),
    "clues.overdue_rectification": ("finding_id",),
    "clues.revenue_discrepancy": ("region_code", "month"),
    "clues.split_procurement": ("payment_id",),
    "clues.non_collective_decision": ("decision_id",),
}


def norm(value: Any) -> Any:
    """As the sources are cleaned: text trimmed and upper-cased, empty text is no value."""
    if isinstance(value, str):
        value = value.strip().upper()
        return value or None
    return value


class _Raw:
    def __init__(self, con: duckdb.DuckDBPyConnection) -> None:
        self.con = con
        self.unit = dict(self.rows("SELECT unit_code, region_code FROM raw_finance.budget_unit"))
        self.enterprise = dict(self.rows("SELECT uscc, region_code FROM raw_state_assets.enterprise"))

    def rows(self, sql: str) -> list[tuple[Any, ...]]:
        return [tuple(norm(v) for v in row) for row in self.con.execute(sql).fetchall()]

    def org(self, code: str | None) -> str | None:
        """Where the finance or state-assets system places an organisation (a budget unit first)."""
        return self.unit.get(code) or self.enterprise.get(code)

    def by(self, sql: str, place: Callable[[Any], str | None]) -> dict[Key, str | None]:
        """``{(key,): place(ref)}`` for rows ``(key, ref)``."""
        return {(key,): place(ref) for key, ref in self.rows(sql)}


def _uscc_county(code: str) -> str | None:
    """GB 32100: characters 3-8 of a USCC are the registering authority's county code."""
    part = code[2:8] if len(code) == 18 else ""
    return part if part.isdigit() else None


def _organizations(raw: _Raw) -> dict[Key, str | None]:
    codes = {c for (c,) in raw.rows(
        "SELECT unit_code FROM raw_finance.budget_unit UNION SELECT uscc FROM raw_state_assets.enterprise "
        "UNION SELECT payee_uscc FROM raw_finance.treasury_payment "
        "UNION SELECT buyer_uscc FROM raw_state_assets.asset_disposal") if c}
    return {(c,): raw.org(c) or _uscc_county(c) for c in codes}


def _persons(raw: _Raw) -> dict[Key, str | None]:
    """resources.person's documented rule: latest payroll unit, else latest subsidy township, else enterprise."""
    payroll: dict[str, list[tuple[str, int, str]]] = {}
    for pid, month, record, unit in raw.rows("SELECT person_id_number, pay_month, record_id, unit_code "
                                             "FROM raw_finance.payroll"):
        if pid and raw.org(unit):
            payroll.setdefault(pid, []).append((month, -record, raw.org(unit) or ""))
    subsidy: dict[str, list[tuple[str, int, str]]] = {}
    for pid, period, payment, town in raw.rows("SELECT recipient_id_number, period, payment_id, township_code "
                                               "FROM raw_finance.subsidy_payment"):
        if pid and town and len(town) >= 6:
            subsidy.setdefault(pid, []).append((period, -payment, town[:6]))
    represented: dict[str, list[tuple[str, str]]] = {}
    for pid, uscc, region in raw.rows("SELECT legal_rep_id_number, uscc, region_code "
                                      "FROM raw_state_assets.enterprise"):
        if pid and region:
            represented.setdefault(pid, []).append((uscc, region))
    out: dict[Key, str | None] = {}
    for pid in set(payroll) | set(subsidy) | set(represented):
        if pid in payroll:
            out[(pid,)] = max(payroll[pid])[2]
        elif pid in subsidy:
            out[(pid,)] = max(subsidy[pid])[2]
        else:
            out[(pid,)] = min(represented[pid])[1]
    return out


def _findings(raw: _Raw) -> dict[Key, str | None]:
    """A finding's audited unit, from every file row that names it (they all agree)."""
    places: dict[Key, set[str | None]] = {}
    for fid, unit in raw.rows("SELECT finding_id, audited_unit_code FROM raw_audit.findings"):
        places.setdefault((fid,), set()).add(raw.org(unit))
    assert all(len(p) == 1 for p in places.values()), "a finding moved between audited units"
    return {k: next(iter(p)) for k, p in places.items()}


def truth(con: duckdb.DuckDBPyConnection) -> dict[str, dict[Key, str | None]]:
    """For every published dataset (``KEYS``), each row key's county (or township) code."""
    raw = _Raw(con)
    itself = lambda code: code  # noqa: E731 - datasets keyed by their region
    payroll = raw.by("SELECT record_id, unit_code FROM raw_finance.payroll", raw.org)
    subsidy = raw.by("SELECT payment_id, township_code FROM raw_finance.subsidy_payment", itself)
    treasury = raw.by("SELECT payment_id, unit_code FROM raw_finance.treasury_payment", raw.org)
    disposal = raw.by("SELECT disposal_id, uscc FROM raw_state_assets.asset_disposal", raw.org)
    decision = raw.by("SELECT decision_id, uscc FROM raw_state_assets.major_decision", raw.org)
    findings = _findings(raw)
    receipts = {(r, m): r for r, m in raw.rows("SELECT region_code, month FROM raw_finance.revenue_receipt")}
    indicators = {(r, p, i): r for r, p, i in raw.rows(
        "SELECT region_code, period, indicator_code FROM raw_statistics.indicators")}
    regions = {(c,): c for (c,) in raw.rows(
        "SELECT region_code FROM raw_finance.budget_unit UNION SELECT township_code FROM raw_finance.subsidy_payment "
        "UNION SELECT region_code FROM raw_finance.revenue_receipt UNION SELECT region_code "
        "FROM raw_state_assets.enterprise UNION SELECT region_code FROM raw_statistics.indicators") if c}
    regions.update({(c[:6],): c[:6] for (c,) in list(regions) if len(c) == 9})
    return {
        "finance.budget_unit": {(u,): r for u, r in raw.unit.items()},
        "finance.payroll": payroll,
        "finance.subsidy_payment": subsidy,
        "finance.treasury_payment": treasury,
        "finance.revenue_receipt": receipts,
        "state_assets.enterprise": {(u,): r for u, r in raw.enterprise.items()},
        "state_assets.asset_disposal": disposal,
        "state_assets.major_decision": decision,
        "audit.findings": findings,
        "statistics.indicators": indicators,
        "resources.person": _persons(raw),
        "resources.organization": _organizations(raw),
        "resources.region": regions,
        "clues.payroll_subsidy_conflict": subsidy,
        "clues.duplicate_subsidy": subsidy,
        "clues.below_value_disposal": disposal,
        "clues.related_party_payment": treasury,
        "clues.overdue_rectification": findings,
        "clues.revenue_discrepancy": receipts,
        "clues.split_procurement": treasury,
        "clues.non_collective_decision": decision,
    }
