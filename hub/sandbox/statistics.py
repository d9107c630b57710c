"""Revenue and statistics (国库收入与统计指标): receipts and the indicators the API serves.

``revenue_receipt`` holds each county's monthly treasury revenue; the
statistics system reports the same revenue as ``FISCAL_REV`` in 万元 (4
decimals, i.e. whole yuan), close to the receipts except where discrepancies
are planted: exactly ±10 % (not flagged), one yuan beyond (flagged), large
gaps, and re-reports whose newer ``reported_at`` fixes or creates a gap.
Amounts are integers (cents, yuan) so the 10 % boundary is exact.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from hub.sandbox.context import Context, month_start

Key = tuple[str, str]
# (county index, month index) → receipt cents and reported yuan; None = leave random.
BOUNDARY = {
    (1, 2): (123_456_780_00, 135_802_458),
    (1, 3): (98_765_430_00, 108_641_974),
    (2, 4): (200_000_000_00, 180_000_000),
    (2, 5): (150_000_000_00, 134_999_999),
}


@dataclass
class Report:
    """One indicator value as the statistics system reported it."""

    region: str
    period: str
    code: str
    value: float
    unit: str
    reported_at: str

    def item(self) -> dict[str, object]:
        """The API item."""
        return {
            "region_code": self.region,
            "period": self.period,
            "indicator_code": self.code,
            "value": self.value,
            "unit": self.unit,
            "reported_at": self.reported_at,
        }


def _reported(period: str, days: int, rng: np.random.Generator) -> str:
    start = month_start(period)
    first = dt.date(start.year + start.month // 12, start.month % 12 + 1, 10)
    return (
        dt.datetime.combine(first, dt.time(9)) + dt.timedelta(days=days, seconds=int(rng.integers(0, 28800)))
    ).isoformat()


def receipts(ctx: Context) -> dict[Key, int]:
    """Monthly revenue per county, in cents (one missing month: statistics only)."""
    rng = ctx.rng("revenue")
    out: dict[Key, int] = {}
    for c, county in enumerate(ctx.counties):
        base = rng.uniform(8e7, 1.2e9)
        for m, month in enumerate(ctx.months):
            out[(county.code, month)] = int(base * rng.uniform(0.7, 1.3) * 100)
            if (c, m) in BOUNDARY:
                out[(county.code, month)] = BOUNDARY[(c, m)][0]
    del out[(ctx.counties[5].code, ctx.months[9])]
    return out


def _fiscal(ctx: Context, receipt: dict[Key, int], rng: np.random.Generator) -> list[Report]:
    reports = []
    for c, county in enumerate(ctx.counties):
        for m, month in enumerate(ctx.months):
            if (c, m) == (6, 10):
                continue  # the statistics system never reported it: receipts only
            cents = receipt.get((county.code, month), int(rng.uniform(1e10, 5e10)))
            yuan = round(cents / 100 * rng.uniform(0.96, 1.04))
            yuan = BOUNDARY[(c, m)][1] if (c, m) in BOUNDARY else yuan
            yuan = round(cents / 100 * 1.35) if (c, m) == (0, 6) else yuan
            yuan = round(cents / 100 * 1.3) if (c, m) == (3, 7) else yuan
            reports.append(
                Report(county.code, month, "FISCAL_REV", yuan / 10000, "万元", _reported(month, 0, rng))
            )
            fix = {(3, 7): 1.01, (4, 8): 0.7}.get(
                (c, m), 1 + rng.uniform(-0.02, 0.02) if rng.random() < 0.03 else None
            )
            if fix is not None:
                reports.append(
                    Report(
                        county.code,
                        month,
                        "FISCAL_REV",
                        round(cents / 100 * fix) / 10000,
                        "万元",
                        _reported(month, 30, rng),
                    )
                )
    return reports


def _others(ctx: Context, rng: np.random.Generator) -> list[Report]:
    reports = []
    share = ctx.county_weights
    for c, county in enumerate(ctx.counties):
        population = int(rng.uniform(2e5, 1.3e6))
        for month in ctx.months:
            population += int(rng.integers(-800, 1500))
            recipients = int(ctx.scale * share[c] * rng.uniform(0.25, 0.35))
            reports.append(
                Report(county.code, month, "POP_RESIDENT", population, "人", _reported(month, 2, rng))
            )
            reports.append(
                Report(county.code, month, "SUBSIDY_RECIPIENTS", recipients, "人", _reported(month, 3, rng))
            )
            if month[5:] in ("03", "06", "09", "12"):
                gdp = round(population * rng.uniform(3.5, 5.5) / 4, 2)  # 万元 per quarter
                reports.append(Report(county.code, month, "GDP", gdp, "万元", _reported(month, 20, rng)))
    return reports


def indicator_reports(ctx: Context, receipt: dict[Key, int]) -> list[Report]:
    """Every report, in the order the API serves them (by ``reported_at``)."""
    rng = ctx.rng("statistics")
    reports = _fiscal(ctx, receipt, rng) + _others(ctx, rng)
    return sorted(reports, key=lambda r: (r.reported_at, r.region, r.code, r.period))


def write_indicators(path: Path, reports: list[Report]) -> None:
    """``statistics/indicators.jsonl``: one JSON object a line, UTF-8."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", encoding="utf-8") as out:
        for report in reports:
            out.write(json.dumps(report.item(), ensure_ascii=False) + "\n")
