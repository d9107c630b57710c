"""Regions (行政区划): the counties and townships the sandbox's data lives in.

County codes and names come from python-stdnum's administrative-division list
(``stdnum/cn/loc.dat``), so every 6-digit code is a real one.  The sandbox's
jurisdiction is a set of Zhejiang counties centred on 杭州西湖区 (330106);
birthplaces of resident ID numbers are drawn from codes still in use, weighted
towards Zhejiang.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

import numpy as np
from stdnum import numdb

# The sandbox's counties: all of Hangzhou plus a few other Zhejiang districts.
HOME_COUNTIES = (
    "330106",
    "330102",
    "330105",
    "330108",
    "330109",
    "330110",
    "330111",
    "330112",
    "330205",
    "330212",
    "330122",
    "330127",
    "330182",
    "330203",
    "330302",
    "330402",
    "330502",
    "330602",
)
_BRACKET = re.compile(r"^\[(\d*)-(\d*)\]")


@dataclass(frozen=True)
class County:
    """One county-level division (区/县/县级市)."""

    code: str
    name: str
    city: str


def _lookup(code: str) -> dict[str, str]:
    info: dict[str, str] = {}
    for _part, props in numdb.get("cn/loc").info(code):
        info.update(props)
    return info


def _current_name(raw: str) -> str | None:
    """The name of a division that still exists (no end year), without its bracket."""
    for alias in raw.split(","):
        match = _BRACKET.match(alias)
        if match is None:
            return alias
        if not match.group(2):
            return alias[match.end() :]
    return None


@lru_cache(maxsize=1)
def home_counties() -> tuple[County, ...]:
    """The sandbox's counties, each checked against the code list."""
    counties = []
    for code in HOME_COUNTIES:
        county_name = _current_name(_lookup(code).get("county", ""))
        city_name = _current_name(_lookup(code[:4] + "00").get("county", "")) or ""
        if not county_name:
            raise ValueError(f"county code {code} is not a current division")
        counties.append(County(code, county_name, city_name))
    return tuple(counties)


def _current_counties() -> list[str]:
    """Codes of leaf divisions that still exist (a real code for any living person)."""
    codes = []
    db = numdb.get("cn/loc")
    for _len, province, _high, _props, counties in db.prefixes:
        for _clen, low, high, props, _children in counties:
            code = f"{province}{low}"
            name = props.get("county", "")
            if low == high and not code.endswith(("00", "01")) and _current_name(name):
                codes.append(code)
    return codes


@lru_cache(maxsize=1)
def birthplaces() -> tuple[np.ndarray, np.ndarray]:
    """Birthplace codes (as ints) and their sampling weights (Zhejiang ×20)."""
    codes = np.array(sorted({int(c) for c in _current_counties()}), dtype=np.int64)
    weights = np.where(codes // 10000 == 33, 20.0, 1.0)
    return codes, weights / weights.sum()


def townships(county: str, rng: np.random.Generator) -> list[str]:
    """9-digit township codes of a county: its 街道 (001..) and 镇 (1xx)."""
    streets = int(rng.integers(4, 12))
    towns = int(rng.integers(0, 8))
    return [f"{county}{i:03d}" for i in range(1, streets + 1)] + [
        f"{county}{100 + i:03d}" for i in range(1, towns + 1)
    ]
