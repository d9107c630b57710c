"""The generation context (生成上下文): seed, scale, calendar and shared pools.

Each part of the sandbox draws from its own random stream, derived from the seed
and the part's name, so that one generator's changes never shift another's data
and a given seed always produces the same sandbox.
"""

from __future__ import annotations

import datetime as dt
import zlib
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cached_property

import numpy as np

from hub.sandbox.identifiers import ResidentRegistry
from hub.sandbox.names import NamePool
from hub.sandbox.regions import County, home_counties, townships

DEFAULT_AS_OF = dt.date(2026, 11, 27)
MONTHS = 12

Progress = Callable[[str, float], None]
"""A progress callback: (stage description, overall fraction done 0..1)."""


def _no_progress(_stage: str, _fraction: float) -> None:
    return None


@dataclass(frozen=True)
class Sizes:
    """Row counts derived from the scale (number of subsidy recipients)."""

    recipients: int
    units: int
    payroll_persons: int
    suppliers: int
    treasury_payments: int
    enterprises: int
    disposals: int
    decisions: int
    findings: int

    @classmethod
    def for_scale(cls, scale: int) -> Sizes:
        """Plausible proportions: ~1 public employee per 20 recipients, and so on."""
        return cls(
            recipients=scale,
            units=max(40, scale // 400),
            payroll_persons=max(200, scale // 20),
            suppliers=max(60, scale // 50),
            treasury_payments=max(400, scale // 8),
            enterprises=max(30, scale // 500),
            disposals=max(40, scale // 500),
            decisions=max(60, scale // 300),
            findings=max(80, scale // 100),
        )


@dataclass
class Context:
    """Everything the table generators share for one run."""

    seed: int
    scale: int
    as_of: dt.date = DEFAULT_AS_OF
    progress: Progress = field(default=_no_progress)

    def rng(self, part: str) -> np.random.Generator:
        """The random stream of one part of the sandbox."""
        return np.random.default_rng([self.seed, zlib.crc32(part.encode())])

    @cached_property
    def sizes(self) -> Sizes:
        return Sizes.for_scale(self.scale)

    @cached_property
    def months(self) -> list[str]:
        """The 12 full months before the as-of month, oldest first (YYYY-MM)."""
        year, month = self.as_of.year, self.as_of.month
        out = []
        for back in range(MONTHS, 0, -1):
            index = year * 12 + (month - 1) - back
            out.append(f"{index // 12:04d}-{index % 12 + 1:02d}")
        return out

    @cached_property
    def residents(self) -> ResidentRegistry:
        """Every resident ID handed out, so no two people share one."""
        return ResidentRegistry()

    @cached_property
    def names(self) -> NamePool:
        return NamePool(self.seed)

    @cached_property
    def counties(self) -> tuple[County, ...]:
        return home_counties()

    @cached_property
    def county_weights(self) -> np.ndarray:
        """西湖区 (the demo jurisdiction) carries a quarter of the population."""
        weights = np.full(len(self.counties), 0.75 / (len(self.counties) - 1))
        weights[0] = 0.25
        return weights

    @cached_property
    def townships(self) -> dict[str, list[str]]:
        rng = self.rng("townships")
        return {c.code: townships(c.code, rng) for c in self.counties}


def month_start(month: str) -> dt.date:
    """The first day of a YYYY-MM month."""
    return dt.date(int(month[:4]), int(month[5:7]), 1)


def ts(day: dt.date, seconds: int) -> str:
    """An ISO timestamp (naive local time) ``seconds`` after midnight of ``day``."""
    return (dt.datetime.combine(day, dt.time()) + dt.timedelta(seconds=seconds)).isoformat()


def cents(value: int) -> str:
    """A CNY amount as text with two decimals, from integer cents."""
    sign = "-" if value < 0 else ""
    value = abs(value)
    return f"{sign}{value // 100}.{value % 100:02d}"
