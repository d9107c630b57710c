"""Subsidy payments (惠民惠农补贴发放): the largest table, generated in chunks.

Each recipient is enrolled in one programme: 低保 (DB), 特困 (TK) and 高龄津贴
(YL) are paid monthly for a run of months, 耕地地力 (GD) once a year.  A few
recipients' ID numbers are written with a lower-case ``x`` or surrounding
spaces, as one clerk's system does; some rows were corrected later
(``updated_at`` > ``paid_at``).  ``planted_rows`` adds the payroll conflicts,
duplicates and their boundary cases.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np

from hub.sandbox import finance, identifiers
from hub.sandbox.context import Context, month_start

PROGRAMS = np.array(["DB", "TK", "GD", "YL"])
_PROGRAM_P = (0.35, 0.08, 0.32, 0.25)
_MONTHLY_CENTS = {
    "DB": (900_00, 1400_00),
    "TK": (1300_00, 2000_00),
    "YL": (100_00, 600_00),
    "GD": (150_00, 4000_00),
}
GD_MONTH = 5
# Birth years per programme: 高龄津贴 is for the over-80s, 耕地地力 for working farmers.
_BORN = {"DB": (1940, 2004), "TK": (1935, 1990), "GD": (1945, 1990), "YL": (1928, 1945)}
CHUNK = 50_000
Row = tuple[object, ...]


def _messy(rng: np.random.Generator, ids: list[str]) -> list[str]:
    """Write some IDs the way one clerk does: lower-case x, stray spaces."""
    roll = rng.random(len(ids))
    out = []
    for idn, r in zip(ids, roll.tolist(), strict=True):
        if idn.endswith("X") and r < 0.3:
            idn = idn[:-1] + "x"
        elif r > 0.995:
            idn = f" {idn} "
        out.append(idn)
    return out


def _stamps(
    rng: np.random.Generator, months: list[str], period_idx: np.ndarray
) -> tuple[list[str], list[str]]:
    """paid_at within the period month; updated_at later for ~3 % (corrections)."""
    starts = np.array([np.datetime64(month_start(m), "s") for m in months])
    seconds = rng.integers(9, 20, size=period_idx.size) * 86400 + rng.integers(
        8 * 3600, 18 * 3600, period_idx.size
    )
    paid = starts[period_idx] + seconds.astype("timedelta64[s]")
    late = rng.random(period_idx.size) < 0.03
    updated = paid + (late * rng.integers(86400, 25 * 86400, size=period_idx.size)).astype("timedelta64[s]")
    return np.datetime_as_string(paid).tolist(), np.datetime_as_string(updated).tolist()


@dataclass
class _Recipients:
    """One chunk of recipients, column-wise."""

    programs: np.ndarray  # index into PROGRAMS
    ids: list[str]
    names: list[str]
    phones: list[str]
    cards: list[str]
    towns: list[str]


def _ids(ctx: Context, rng: np.random.Generator, programs: np.ndarray) -> list[str]:
    """Fresh resident IDs whose birth years suit each recipient's programme."""
    ids = np.empty(programs.size, dtype=object)
    for index, code in enumerate(PROGRAMS.tolist()):
        mask = programs == index
        ids[mask] = ctx.residents.fresh(rng, int(mask.sum()), *_BORN[code])
    return ids.tolist()


def _recipients(ctx: Context, rng: np.random.Generator, n: int) -> _Recipients:
    county = rng.choice(len(ctx.counties), size=n, p=ctx.county_weights)
    towns = [ctx.townships[ctx.counties[c].code] for c in county.tolist()]
    programs = rng.choice(4, size=n, p=_PROGRAM_P)
    return _Recipients(
        programs=programs,
        ids=_messy(rng, _ids(ctx, rng, programs)),
        names=ctx.names.take(rng, n),
        phones=identifiers.mobiles(rng, n),
        cards=identifiers.bank_cards(rng, n),
        towns=[t[int(i * len(t))] for t, i in zip(towns, rng.random(n).tolist(), strict=True)],
    )


def _periods(rng: np.random.Generator, programs: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(recipient, month index) of each payment: a run of months, or GD once a year."""
    n, annual = programs.size, PROGRAMS[programs] == "GD"
    runs = np.where(annual, 1, rng.integers(1, 7, size=n))
    last = np.where(annual, GD_MONTH, rng.integers(0, 12, size=n))
    person = np.repeat(np.arange(n), runs)
    offset = np.arange(person.size) - np.repeat(np.cumsum(runs) - runs, runs)
    period = np.maximum(np.repeat(last, runs) - offset, 0)
    keep = np.ones(person.size, dtype=bool)
    keep[1:] = ~((person[1:] == person[:-1]) & (period[1:] == period[:-1]))  # runs clipped at month 0
    return person[keep], period[keep]


def _chunk(ctx: Context, rng: np.random.Generator, n: int, first_id: int) -> list[Row]:
    r = _recipients(ctx, rng, n)
    person, period = _periods(rng, r.programs)
    lows = np.array([_MONTHLY_CENTS[p][0] for p in PROGRAMS])
    highs = np.array([_MONTHLY_CENTS[p][1] for p in PROGRAMS])
    amount = rng.integers(lows[r.programs], highs[r.programs])[person].tolist()
    paid, updated = _stamps(rng, ctx.months, period)
    programs, months = PROGRAMS[r.programs].tolist(), ctx.months
    return [
        (
            first_id + k,
            programs[p],
            r.ids[p],
            r.names[p],
            r.phones[p],
            r.cards[p],
            r.towns[p],
            amount[k] / 100,
            months[m],
            paid[k],
            updated[k],
        )
        for k, (p, m) in enumerate(zip(person.tolist(), period.tolist(), strict=True))
    ]


def random_rows(ctx: Context) -> Iterator[list[Row]]:
    """Chunks of random subsidy rows for ``ctx.sizes.recipients`` recipients."""
    rng = ctx.rng("subsidies")
    next_id, left = 1, ctx.sizes.recipients
    while left > 0:
        rows = _chunk(ctx, rng, min(CHUNK, left), next_id)
        next_id += len(rows)
        left -= CHUNK
        ctx.progress("补贴发放 subsidy_payment", 1 - max(left, 0) / ctx.sizes.recipients)
        yield rows


def planted_rows(ctx: Context, staff: finance.Staff, first_id: int) -> list[Row]:
    """Payroll conflicts, duplicates and the cases that must not be flagged."""
    rng = ctx.rng("subsidies-planted")
    months, town = ctx.months, ctx.townships["330106"][0]
    strangers = ctx.residents.fresh(rng, 3, *_BORN["YL"])
    x_stranger = ctx.residents.fresh_with_x(rng, *_BORN["YL"])
    lower = x_stranger[:-1] + "x"
    cx = staff.ids[finance.CONFLICT_X]
    plan = [  # (program, id as written, name, month index, cents)
        ("DB", f" {cx[:-1]}x ", staff.names[finance.CONFLICT_X], 6, 1150_00),  # conflict, messy ID
        ("GD", cx, staff.names[finance.CONFLICT_X], GD_MONTH, 820_00),  # GD: not a conflict
        ("TK", staff.ids[finance.CONFLICT_PLAIN], staff.names[finance.CONFLICT_PLAIN], 3, 1600_00),
        ("YL", staff.ids[finance.CONFLICT_PLAIN], staff.names[finance.CONFLICT_PLAIN], 7, 300_00),  # YL: no
        (
            "DB",
            staff.ids[finance.JOINED_LATE],
            staff.names[finance.JOINED_LATE],
            1,
            1050_00,
        ),  # before payroll
        ("DB", staff.ids[finance.JOINED_LATE], staff.names[finance.JOINED_LATE], 8, 1050_00),  # conflict
        ("DB", strangers[0], "孙建国", 4, 1200_00),
        ("DB", strangers[0], "孙建国", 4, 1200_00),  # duplicate
        ("DB", strangers[0], "孙建国", 5, 1200_00),  # next month: fine
        ("YL", x_stranger, "欧阳秀英", 7, 200_00),
        ("YL", lower, "欧阳秀英", 7, 200_00),
        ("YL", x_stranger, "欧阳秀英", 7, 200_00),  # triplicate, one with lower-case x
        ("GD", strangers[1], "司马志强", GD_MONTH, 960_00),
        ("YL", strangers[1], "司马志强", GD_MONTH, 500_00),
        ("DB", strangers[2], "钱丽华", 2, 980_00),
        ("TK", strangers[2], "钱丽华", 2, 1500_00),  # two programmes
    ]
    period = np.array([m for _p, _i, _n, m, _c in plan])
    paid, updated = _stamps(rng, months, period)
    phones, cards = identifiers.mobiles(rng, len(plan)), identifiers.bank_cards(rng, len(plan))
    return [
        (
            first_id + k,
            prog,
            idn,
            name,
            phones[k],
            cards[k],
            town,
            cents / 100,
            months[m],
            paid[k],
            updated[k],
        )
        for k, (prog, idn, name, m, cents) in enumerate(plan)
    ]
