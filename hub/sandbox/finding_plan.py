"""The findings plan (审计发现计划): what each month's audit file says.

Random findings are registered in their month's file and, when their status
later changes, repeated in the file of the month it changed.  Planted findings
pin down the overdue rule (rectified on the deadline, deadline = as_of, a
later status that wins, a newer row that is damaged so the older one stands)
and damaged rows (truncated, 2026-02-30, 不详, non-numeric amount).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, replace

import numpy as np

from hub.sandbox.context import Context, cents
from hub.sandbox.texts import Writer

TOPICS = ("民生资金", "政府采购", "财政收支", "专项资金", "惠民惠农补贴")
TYPES = ("违规发放", "挤占挪用", "虚报冒领", "未按规定采购")
DONE, DOING, TODO = "已整改", "整改中", "未整改"


@dataclass(frozen=True)
class Finding:
    """One row of an audit file (strings as written) and whether a loader accepts it."""

    finding_id: str
    project: str
    unit_code: str
    unit_name: str
    kind: str
    amount: str
    description: str
    found_on: str
    deadline: str
    status: str
    rectified_on: str
    valid: bool = True
    truncated: bool = False

    def fields(self) -> list[str]:
        """The row's cells in file column order (fewer when truncated)."""
        cells = [
            self.finding_id,
            self.project,
            self.unit_code,
            self.unit_name,
            self.kind,
            self.amount,
            self.description,
            self.found_on,
            self.deadline,
            self.status,
            self.rectified_on,
        ]
        return cells[:7] if self.truncated else cells


def _month_of(day: dt.date) -> str:
    return f"{day.year:04d}-{day.month:02d}"


class _Planner:
    def __init__(self, ctx: Context, months: list[str], units: list[tuple[str, str]]) -> None:
        self.ctx, self.months, self.units = ctx, months, units
        self.rng, self.writer = ctx.rng("findings"), Writer.for_context(ctx, "finding-text")
        self.by_month: dict[str, list[Finding]] = {m: [] for m in months}

    def base(self, fid: str, found: dt.date, deadline: dt.date) -> Finding:
        rng, (code, name) = self.rng, self.units[int(self.rng.integers(0, len(self.units)))]
        amount = cents(int(rng.lognormal(np.log(200_000_00), 1.2)))
        kind = TYPES[int(rng.integers(0, len(TYPES)))]
        project = f"{found.year}年度{name[:6]}{TOPICS[int(rng.integers(0, len(TOPICS)))]}专项审计"
        text = self.writer.finding(kind, name, amount)
        return Finding(
            fid, project, code, name, kind, amount, text, found.isoformat(), deadline.isoformat(), TODO, ""
        )

    def put(self, month: str, finding: Finding) -> None:
        self.by_month[month].append(finding)

    def random(self, seq: int) -> None:
        rng, as_of = self.rng, self.ctx.as_of
        month = self.months[int(rng.integers(0, len(self.months)))]
        first = dt.date.fromisoformat(month + "-01")
        found = min(first + dt.timedelta(days=int(rng.integers(0, 28))), as_of - dt.timedelta(days=1))
        deadline = found + dt.timedelta(days=int(rng.integers(30, 150)))
        row = self.base(f"SJ{month.replace('-', '')}-{seq:04d}", found, deadline)
        roll = rng.random()
        if roll < 0.6:  # rectified; overdue sometimes
            late = rng.random() < 0.12
            done = (
                deadline + dt.timedelta(days=int(rng.integers(1, 40)))
                if late
                else found + dt.timedelta(days=int(rng.integers(3, (deadline - found).days + 1)))
            )
            if done < as_of:
                self.update(month, row, DONE, done)
                return
        if roll < 0.85 and rng.random() < 0.5:
            later = self.months[int(rng.integers(self.months.index(month), len(self.months)))]
            self.update(month, row, DOING, dt.date.fromisoformat(later + "-01"))
            return
        self.put(month, row)

    def update(self, month: str, row: Finding, status: str, when: dt.date) -> None:
        """Register ``row`` in ``month``; the new status shows in the file of the month it happened."""
        newer = replace(row, status=status, rectified_on=when.isoformat() if status == DONE else "")
        if _month_of(when) <= month:
            self.put(month, newer)
        else:
            self.put(month, row)
            self.put(_month_of(when), newer)


def _plant(p: _Planner) -> None:
    """Boundary and damaged findings (ids SJ…-9xxx never collide with random ones)."""
    as_of, m, day = p.ctx.as_of, p.months, dt.timedelta(days=1)
    ym = m[2].replace("-", "")
    found = dt.date.fromisoformat(m[2] + "-08")
    rows = {k: p.base(f"SJ{ym}-{9000 + k}", found, found + 60 * day) for k in range(1, 11)}
    p.put(m[2], replace(rows[1], deadline=(as_of - 10 * day).isoformat()))  # unrectified, overdue: flagged
    p.put(m[2], replace(rows[2], status=DONE, rectified_on=rows[2].deadline))  # on the deadline: not
    p.put(
        m[2], replace(rows[3], status=DONE, rectified_on=(found + 61 * day).isoformat())
    )  # a day late: flagged
    p.put(m[2], replace(rows[4], status=DOING, deadline=as_of.isoformat()))  # deadline = as_of: not flagged
    p.put(m[2], rows[5])  # overdue now...
    p.put(
        m[4], replace(rows[5], status=DONE, rectified_on=(found + 50 * day).isoformat())
    )  # ...fixed in time
    p.put(m[2], replace(rows[6], status=DOING))  # overdue, and the newer row below is damaged: flagged
    p.put(m[9], replace(rows[6], status=DONE, rectified_on="2026-02-30", valid=False))
    p.put(m[5], replace(rows[7], truncated=True, valid=False))
    p.put(m[2], replace(rows[8], found_on="不详", valid=False))
    p.put(m[1], replace(rows[9], amount="约5万元", valid=False))
    p.put(m[3], replace(rows[10], deadline="不详", valid=False))  # m[3] is an Excel month


def plan_findings(ctx: Context, months: list[str], units: list[tuple[str, str]]) -> dict[str, list[Finding]]:
    """Rows per file month (YYYY-MM), in file order."""
    planner = _Planner(ctx, months, units)
    for seq in range(1, ctx.sizes.findings + 1):
        planner.random(seq)
    _plant(planner)
    return planner.by_month
