"""Treasury payments (国库集中支付): budget units paying suppliers and state companies.

Random payments follow a log-normal size distribution; purposes are clerk's
text that sometimes names a contact with ID and phone.  Planted groups, each on
a fresh (unit, supplier) pair so random payments cannot interfere, pin down the
split-procurement window (sum exactly 1,000,000; 29 vs 30 days apart; payments
of exactly 1,000,000) and the related-party rule (same unit vs another unit).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from hub.sandbox import finance, identifiers
from hub.sandbox.context import Context, month_start
from hub.sandbox.state_assets import Enterprise
from hub.sandbox.texts import Writer

WORDS = ("恒达", "华信", "博远", "中诚", "启明", "新宇", "安泰", "锦程", "汇丰", "正元", "天成", "联创")
TRADES = ("建设工程", "信息技术", "物业管理", "商贸", "环境工程", "印务", "餐饮管理", "设备", "咨询")
# Split-procurement groups: (amounts in cents, day offsets, hour of day).
SPLIT_GROUPS = (
    ((400_000_00, 600_000_00), (0, 10), (10, 15)),  # sum exactly 1,000,000: flagged
    ((550_000_00, 480_000_00), (0, 29), (16, 9)),  # dates 29 days apart: flagged
    ((550_000_00, 480_000_00), (0, 30), (17, 8)),  # 30 days apart (< 30×24 h): not flagged
    ((1_000_000_00, 1_000_000_00, 300_000_00), (0, 5, 7), (9, 11, 14)),  # not below 1,000,000: not
    ((500_000_00, 499_999_99), (0, 3), (10, 10)),  # sum 999,999.99: not flagged
    ((300_000_00, 350_000_00, 360_000_00, 200_000_00), (0, 10, 20, 45), (9, 9, 9, 9)),  # first three
)
Row = tuple[object, ...]


@dataclass(frozen=True)
class Payee:
    """Someone a unit pays: a supplier company or a state enterprise."""

    uscc: str
    name: str


def make_suppliers(ctx: Context, count: int | None = None) -> list[Payee]:
    """Private supplier companies registered in the counties."""
    rng = ctx.rng("suppliers")
    n = count or ctx.sizes.suppliers
    codes = identifiers.usccs(rng, n, [c.code for c in ctx.counties])
    out = []
    for i, code in enumerate(codes):
        county = next(c for c in ctx.counties if c.code == code[2:8])
        word, trade = WORDS[i % len(WORDS)], TRADES[int(rng.integers(0, len(TRADES)))]
        out.append(
            Payee(
                code,
                f"{county.city[:2]}{word}{trade}有限公司"
                if i < len(WORDS) * len(TRADES)
                else f"{county.city[:2]}{word}{trade}第{i}有限公司",
            )
        )
    return out


def _row(writer: Writer, pid: int, unit: str, payee: Payee, cents: int, paid: str, updated: str) -> Row:
    return (pid, unit, payee.uscc, payee.name, cents / 100, writer.purpose(payee.name), paid, updated)


def random_rows(ctx: Context, units: list[finance.Unit], payees: list[Payee]) -> list[Row]:
    """Random payments over the twelve months."""
    rng, writer = ctx.rng("treasury"), Writer.for_context(ctx, "treasury-text")
    n = ctx.sizes.treasury_payments
    start = np.datetime64(month_start(ctx.months[0]), "s")
    span = (np.datetime64(ctx.as_of, "s") - start).astype(np.int64) - 86400
    paid = start + (
        rng.integers(0, span // 86400, size=n) * 86400 + rng.integers(8 * 3600, 18 * 3600, size=n)
    ).astype("timedelta64[s]")
    updated = paid + ((rng.random(n) < 0.04) * rng.integers(3600, 20 * 86400, size=n)).astype(
        "timedelta64[s]"
    )
    updated = np.minimum(updated, np.datetime64(ctx.as_of, "s") - np.timedelta64(1, "s"))
    amount = np.clip(rng.lognormal(np.log(60_000_00), 1.3, size=n), 500_00, 9_000_000_00).astype(np.int64)
    unit_idx, payee_idx = rng.integers(0, len(units), size=n), rng.integers(0, len(payees), size=n)
    paid_s, updated_s = np.datetime_as_string(paid).tolist(), np.datetime_as_string(updated).tolist()
    return [
        _row(
            writer,
            k + 1,
            units[int(unit_idx[k])].code,
            payees[int(payee_idx[k])],
            int(amount[k]),
            paid_s[k],
            updated_s[k],
        )
        for k in range(n)
    ]


def planted_rows(
    ctx: Context,
    units: list[finance.Unit],
    staff: finance.Staff,
    related: list[Enterprise],
    fresh: list[Payee],
    first_id: int,
) -> list[Row]:
    """Split-procurement groups and related-party payments (with their non-flags)."""
    writer = Writer.for_context(ctx, "treasury-planted")
    base = np.datetime64(month_start(ctx.months[3]), "D")
    out: list[Row] = []
    for g, (amounts, days, hours) in enumerate(SPLIT_GROUPS):
        unit = units[(g * 7) % len(units)].code
        for cents, day, hour in zip(amounts, days, hours, strict=True):
            stamp = f"{base + 3 * g + day}T{hour:02d}:30:00"
            out.append(_row(writer, first_id + len(out), unit, fresh[g], cents, stamp, stamp))
    own = units[int(staff.units[finance.REP_SAME_UNIT])].code
    lower_x = units[int(staff.units[finance.REP_LOWER_X])].code
    other = next(u.code for u in units if u.code not in (own, lower_x))
    plan = (
        (own, related[0], 86_000_00, 5),
        (own, related[0], 132_500_00, 40),
        (other, related[0], 95_000_00, 60),
        (lower_x, related[1], 48_800_00, 75),
        (other, related[1], 51_000_00, 90),
    )
    for unit, enterprise, cents, day in plan:
        stamp = f"{base + day}T11:00:00"
        out.append(
            _row(
                writer,
                first_id + len(out),
                unit,
                Payee(enterprise.uscc, enterprise.name),
                cents,
                stamp,
                stamp,
            )
        )
    return out
