"""State-owned assets (国资监管): enterprises, asset disposals, major decisions.

Enterprises form a three-tier group structure per county.  Two enterprises
are planted with a legal representative who is on a budget unit's payroll (one
written with a lower-case ``x``), for the related-party model.  Disposals and
decisions carry the boundary cases of their models: a price of exactly 80 % of
the appraisal, decisions of exactly 10,000,000.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np

from hub.sandbox import finance, identifiers
from hub.sandbox.context import Context
from hub.sandbox.texts import Writer

TRADES = (
    "城市建设投资",
    "交通发展",
    "文化旅游",
    "水务",
    "国有资本运营",
    "产业投资",
    "农业发展",
    "城市更新",
    "公共交通",
    "环境治理",
    "商贸物流",
    "数据科技",
)
CATEGORIES = ("重大决策", "重要人事任免", "重大项目安排", "大额资金运作")
_SUFFIX = {1: "集团有限公司", 2: "有限公司", 3: "有限公司第{i}分公司"}
Row = tuple[object, ...]


@dataclass(frozen=True)
class Enterprise:
    """A state-owned enterprise (国有企业)."""

    uscc: str
    name: str
    region: str
    parent: str | None
    rep_id: str
    rep_name: str
    tier: int


def make_enterprises(ctx: Context, staff: finance.Staff) -> list[Enterprise]:
    """Tier-1 groups, then subsidiaries under a random parent one tier up; planted reps first."""
    rng = ctx.rng("enterprises")
    n = ctx.sizes.enterprises
    codes = identifiers.usccs(rng, n, [c.code for c in ctx.counties])
    reps, rep_names = ctx.residents.fresh(rng, n, 1960, 1985), ctx.names.take(rng, n)
    reps[0], rep_names[0] = staff.ids[finance.REP_SAME_UNIT], staff.names[finance.REP_SAME_UNIT]
    reps[1], rep_names[1] = staff.ids[finance.REP_LOWER_X][:-1] + "x", staff.names[finance.REP_LOWER_X]
    tiers = np.where(np.arange(n) < max(3, n // 6), 1, rng.choice([2, 3], size=n, p=[0.4, 0.6]))
    by_tier: dict[int, list[str]] = {1: [], 2: [], 3: []}
    out: list[Enterprise] = []
    for i, code in enumerate(codes):
        wanted = int(tiers[i])
        tier = wanted if wanted == 1 or by_tier[wanted - 1] else 1
        parents = by_tier[tier - 1] if tier > 1 else []
        parent = parents[int(rng.integers(0, len(parents)))] if parents else None
        county = next(c for c in ctx.counties if c.code == code[2:8])
        name = f"{county.city[:2]}{county.name[:2]}{TRADES[int(rng.integers(0, len(TRADES)))]}{_SUFFIX[tier]}"
        out.append(Enterprise(code, name.format(i=i), county.code, parent, reps[i], rep_names[i], tier))
        by_tier[tier].append(code)
    return out


def enterprise_rows(enterprises: list[Enterprise]) -> Iterator[Row]:
    """Rows of ``enterprise``."""
    for e in enterprises:
        yield (e.uscc, e.name, e.region, e.parent, e.rep_id, e.rep_name, e.tier)


def disposal_rows(ctx: Context, enterprises: list[Enterprise], buyers: list[tuple[str, str]]) -> list[Row]:
    """Random disposals, then the 80 % boundary pair."""
    rng, writer = ctx.rng("disposals"), Writer.for_context(ctx, "disposal-text")
    n = ctx.sizes.disposals
    appraised = rng.lognormal(np.log(800_000_00), 1.1, size=n).astype(np.int64) + 10_000_00
    ratio = np.select(
        [rng.random(n) < 0.05, rng.random(n) < 0.12],
        [rng.uniform(0.5, 0.8, n), rng.uniform(0.8, 0.9, n)],
        rng.uniform(0.9, 1.3, n),
    )
    price = np.maximum((appraised * ratio).astype(np.int64), 1)
    plan = [(int(a), int(p)) for a, p in zip(appraised.tolist(), price.tolist(), strict=True)]
    plan += [(1_234_567_50, 987_654_00), (2_500_000_00, 1_999_999_99)]  # exactly 0.8 (no); 0.8 − 0.01 (yes)
    rows: list[Row] = []
    for k, (a, p) in enumerate(plan):
        owner = enterprises[int(rng.integers(0, len(enterprises)))]
        buyer = buyers[int(rng.integers(0, len(buyers)))]
        county = next(c.name for c in ctx.counties if c.code == owner.region)
        day = np.datetime64(ctx.months[0] + "-01") + int(rng.integers(0, 360))
        rows.append(
            (
                k + 1,
                owner.uscc,
                writer.asset(county),
                a / 100,
                p / 100,
                buyer[0],
                buyer[1],
                str(day),
            )
        )
    return rows


def decision_rows(ctx: Context, enterprises: list[Enterprise]) -> list[Row]:
    """Random 三重一大 decisions, then the 10,000,000 boundary cases."""
    rng, writer = ctx.rng("decisions"), Writer.for_context(ctx, "decision-text")
    n = ctx.sizes.decisions
    plan: list[tuple[str, int | None, int]] = []
    for _ in range(n):
        category = CATEGORIES[int(rng.integers(0, 4))]
        amount = None if category == "重要人事任免" else int(rng.lognormal(np.log(3_000_000_00), 1.2))
        collective = int(rng.random() < (0.98 if amount and amount >= 10_000_000_00 else 0.85))
        plan.append((category, amount, collective))
    plan += [
        ("大额资金运作", 10_000_000_00, 0),
        ("大额资金运作", 9_999_999_99, 0),
        ("重大项目安排", 50_000_000_00, 1),
        ("重大项目安排", 10_000_000_00, 1),
    ]
    rows: list[Row] = []
    for k, (category, amount, collective) in enumerate(plan):
        owner = enterprises[int(rng.integers(0, len(enterprises)))]
        day = np.datetime64(ctx.months[0] + "-01") + int(rng.integers(0, 360))
        rows.append(
            (
                k + 1,
                owner.uscc,
                category,
                None if amount is None else amount / 100,
                str(day),
                collective,
                writer.summary(),
            )
        )
    return rows
