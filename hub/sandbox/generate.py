"""Seeding (生成沙箱): writes the four source systems and the expected clues.

Order matters only where systems share people: budget units and staff first
(payroll), then state enterprises (two of their legal representatives are
staff), then payments that refer to both.  Every stage reports progress as a
slice of the whole run.
"""

from __future__ import annotations

import datetime as dt
import json
import sqlite3
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

from hub.sandbox import clues, finance, sqlite_out, state_assets, statistics, subsidies, treasury
from hub.sandbox.audit_files import write_findings
from hub.sandbox.context import DEFAULT_AS_OF, Context, Progress
from hub.sandbox.directory import GENERATOR, SandboxError, prepare
from hub.sandbox.manifest import Manifest

MODELS = (
    "payroll_subsidy_conflict",
    "duplicate_subsidy",
    "below_value_disposal",
    "related_party_payment",
    "overdue_rectification",
    "revenue_discrepancy",
    "split_procurement",
    "non_collective_decision",
)
_FRESH_SUPPLIERS = len(treasury.SPLIT_GROUPS)


def _slice(outer: Progress, lo: float, hi: float) -> Progress:
    return lambda stage, fraction: outer(stage, lo + (hi - lo) * min(max(fraction, 0.0), 1.0))


class _Run:
    """One seeding run: the context, the shared entities, the row counts."""

    def __init__(self, directory: Path, ctx: Context, outer: Progress) -> None:
        self.directory, self.ctx, self.outer = directory, ctx, outer
        self.tables: dict[str, int] = {}
        self.units = finance.make_units(ctx)
        self.staff = finance.make_staff(ctx, self.units)
        self.enterprises = state_assets.make_enterprises(ctx, self.staff)
        suppliers = treasury.make_suppliers(ctx, ctx.sizes.suppliers + _FRESH_SUPPLIERS)
        self.suppliers, self.fresh = suppliers[:-_FRESH_SUPPLIERS], suppliers[-_FRESH_SUPPLIERS:]
        self.receipts = statistics.receipts(ctx)

    def stage(self, name: str, lo: float, hi: float) -> None:
        self.ctx.progress = _slice(self.outer, lo, hi)
        self.ctx.progress(name, 0.0)

    def put(self, conn: sqlite3.Connection, table: str, rows: Iterable[Sequence[object]]) -> None:
        self.tables[table] = self.tables.get(table, 0) + sqlite_out.insert(conn, table, rows)

    def finance(self) -> None:
        conn = sqlite_out.create(self.directory / "finance.sqlite", sqlite_out.FINANCE_DDL)
        try:
            self.stage("预算单位与工资 budget_unit, payroll", 0.0, 0.1)
            self.put(conn, "budget_unit", finance.budget_unit_rows(self.units))
            self.put(conn, "payroll", finance.payroll_rows(self.ctx, self.units, self.staff))
            self.stage("补贴发放 subsidy_payment", 0.1, 0.7)
            for rows in subsidies.random_rows(self.ctx):
                self.put(conn, "subsidy_payment", rows)
            first = self.tables["subsidy_payment"] + 1
            self.put(conn, "subsidy_payment", subsidies.planted_rows(self.ctx, self.staff, first))
            self.stage("国库支付 treasury_payment", 0.7, 0.8)
            self.put(conn, "treasury_payment", self._treasury_rows())
            receipts = sorted(self.receipts.items())
            self.put(conn, "revenue_receipt", [(region, month, c / 100) for (region, month), c in receipts])
            conn.commit()
        finally:
            conn.close()

    def _treasury_rows(self) -> list[treasury.Row]:
        payees = self.suppliers + [treasury.Payee(e.uscc, e.name) for e in self.enterprises]
        rows = treasury.random_rows(self.ctx, self.units, payees)
        related = self.enterprises[:2]
        return rows + treasury.planted_rows(
            self.ctx, self.units, self.staff, related, self.fresh, len(rows) + 1
        )

    def state_assets(self) -> None:
        self.stage("国资 state_assets", 0.8, 0.85)
        conn = sqlite_out.create(self.directory / "state_assets.sqlite", sqlite_out.STATE_ASSETS_DDL)
        try:
            buyers = [(s.uscc, s.name) for s in self.suppliers]
            self.put(conn, "enterprise", state_assets.enterprise_rows(self.enterprises))
            self.put(conn, "asset_disposal", state_assets.disposal_rows(self.ctx, self.enterprises, buyers))
            self.put(conn, "major_decision", state_assets.decision_rows(self.ctx, self.enterprises))
            conn.commit()
        finally:
            conn.close()

    def files_and_clues(self) -> dict[str, list[Any]]:
        self.stage("审计文件与统计 audit files, statistics", 0.85, 0.9)
        lines = write_findings(self.ctx, self.directory / "audit", [(u.code, u.name) for u in self.units])
        self.tables["audit rows"] = len(lines)
        reports = statistics.indicator_reports(self.ctx, self.receipts)
        statistics.write_indicators(self.directory / "statistics" / "indicators.jsonl", reports)
        self.tables["indicators"] = len(reports)
        self.stage("预期线索 expected clues", 0.9, 1.0)
        expected: dict[str, list[Any]] = dict(
            clues.sql_clues(self.directory / "finance.sqlite", self.directory / "state_assets.sqlite")
        )
        expected["overdue_rectification"] = clues.overdue(lines, self.ctx.as_of)
        expected["revenue_discrepancy"] = clues.revenue(self.receipts, reports)
        self.ctx.progress("完成 done", 1.0)
        return {model: expected[model] for model in MODELS}


def seed(
    directory: Path,
    seed: int = 42,
    scale: int = 1000,
    progress: Progress | None = None,
    *,
    force: bool = False,
    as_of: dt.date | None = None,
) -> Manifest:
    """Write a sandbox into ``directory`` and return its manifest (with row and clue counts)."""
    if scale < 10:
        raise SandboxError(f"sandbox scale must be at least 10 recipients, got {scale}", scale=scale)
    directory = Path(directory)
    prepare(directory, force)
    outer: Progress = progress or (lambda _s, _f: None)
    run = _Run(directory, Context(seed, scale, as_of or DEFAULT_AS_OF, outer), outer)
    run.finance()
    run.state_assets()
    expected = run.files_and_clues()
    text = json.dumps(expected, ensure_ascii=False, indent=1) + "\n"
    (directory / "expected_clues.json").write_text(text, encoding="utf-8")
    files = sorted(str(p.relative_to(directory)) for p in directory.rglob("*") if p.is_file())
    counts = {model: len(keys) for model, keys in expected.items()}
    manifest = Manifest(
        run.ctx.as_of, seed, scale, GENERATOR, dict(run.tables), files + ["manifest.json"], counts
    )
    manifest.write(directory)
    return manifest
