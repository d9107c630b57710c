"""Finance people and units (预算单位与财政供养人员): budget units and payroll.

Budget units are the organs, institutions and state companies of each county;
staff (财政供养人员) belong to one 行政 or 事业 unit and are paid monthly while
employed.  The first few staff are the planted persons other generators refer
to (``PLANTED_*`` indices): they are on the payroll for known months and some
hold ID numbers ending in ``X`` so that a lower-case variant can be planted
elsewhere.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np

from hub.sandbox import identifiers
from hub.sandbox.context import Context

DEPARTMENTS = (
    ("民政局", "行政"),
    ("财政局", "行政"),
    ("教育局", "行政"),
    ("卫生健康局", "行政"),
    ("农业农村局", "行政"),
    ("住房和城乡建设局", "行政"),
    ("第一中学", "事业"),
    ("人民医院", "事业"),
    ("社会福利中心", "事业"),
    ("疾病预防控制中心", "事业"),
    ("城市建设发展集团有限公司", "国企"),
    ("交通投资集团有限公司", "国企"),
)
POSITIONS = {
    "行政": ("科员", "副科长", "科长", "副局长", "办事员"),
    "事业": ("专业技术人员", "教师", "医师", "护士", "管理岗"),
}
# Planted staff (indices into Staff): see subsidies.py, treasury.py, state_assets.py.
CONFLICT_X, JOINED_LATE, CONFLICT_PLAIN, REP_SAME_UNIT, REP_LOWER_X = 0, 1, 2, 3, 4
JOINED_MONTH = 4


@dataclass(frozen=True)
class Unit:
    """A budget unit (预算单位)."""

    code: str
    name: str
    region: str
    kind: str


@dataclass
class Staff:
    """Public employees, column-wise (index = person)."""

    ids: list[str]
    names: list[str]
    cards: list[str]
    units: np.ndarray  # index into the unit list
    positions: list[str]
    base_pay: np.ndarray  # cents
    start: np.ndarray  # first month index on the payroll
    stop: np.ndarray  # month index after the last one


def make_units(ctx: Context) -> list[Unit]:
    """Budget units spread over the counties, numbered per county."""
    rng = ctx.rng("units")
    per_county = np.bincount(
        rng.choice(len(ctx.counties), size=ctx.sizes.units, p=ctx.county_weights), minlength=len(ctx.counties)
    )
    units = []
    for county, count in zip(ctx.counties, per_county.tolist(), strict=True):
        for seq in range(max(count, 3)):
            dept, kind = DEPARTMENTS[seq % len(DEPARTMENTS)]
            branch = "" if seq < len(DEPARTMENTS) else f"第{seq // len(DEPARTMENTS) + 1}"
            units.append(
                Unit(
                    f"BU{county.code}{seq + 1:04d}",
                    f"{county.city}{county.name}{branch}{dept}",
                    county.code,
                    kind,
                )
            )
    return units


def make_staff(ctx: Context, units: list[Unit]) -> Staff:
    """Staff of the 行政/事业 units, with the planted persons first."""
    rng = ctx.rng("staff")
    n = ctx.sizes.payroll_persons
    payable = np.array([i for i, u in enumerate(units) if u.kind != "国企"])
    ids = ctx.residents.fresh(rng, n, 1962, 2001)
    for index in (CONFLICT_X, REP_LOWER_X):
        ids[index] = ctx.residents.fresh_with_x(rng)
    unit_of = payable[rng.integers(0, len(payable), size=n)]
    roll = rng.random(n)
    start = np.where(roll < 0.08, rng.integers(1, 12, size=n), 0)
    stop = np.where(roll > 0.93, rng.integers(1, 12, size=n), 12)
    start[:5], stop[:5] = 0, 12
    start[JOINED_LATE] = JOINED_MONTH
    positions = [
        POSITIONS[units[u].kind][k]
        for u, k in zip(unit_of.tolist(), rng.integers(0, 5, size=n).tolist(), strict=True)
    ]
    return Staff(
        ids,
        ctx.names.take(rng, n),
        identifiers.bank_cards(rng, n),
        unit_of,
        positions,
        rng.integers(5200_00, 21000_00, size=n),
        start,
        stop,
    )


def budget_unit_rows(units: list[Unit]) -> Iterator[tuple[object, ...]]:
    """Rows of ``budget_unit``."""
    for unit in units:
        yield (unit.code, unit.name, unit.region, unit.kind)


def payroll_rows(ctx: Context, units: list[Unit], staff: Staff) -> Iterator[tuple[object, ...]]:
    """Rows of ``payroll``: one per person and month employed."""
    rng = ctx.rng("payroll")
    record_id = 0
    for m, month in enumerate(ctx.months):
        employed = np.flatnonzero((staff.start <= m) & (staff.stop > m))
        bonus = 1.0 + (0.6 if month.endswith("-12") else 0.0)
        pay = (staff.base_pay[employed] * bonus + rng.integers(-300_00, 800_00, size=employed.size)).astype(
            np.int64
        )
        for person, cents in zip(employed.tolist(), pay.tolist(), strict=True):
            record_id += 1
            yield (
                record_id,
                units[int(staff.units[person])].code,
                staff.ids[person],
                staff.names[person],
                staff.positions[person],
                month,
                cents / 100,
                staff.cards[person],
            )
