"""Administrative divisions (行政区划) by name: provinces, cities, counties and townships.

The table is jionlp's (Apache-2.0, maintained, updated with each year's changes to
the divisions and shipped inside its wheel as ``dictionary/china_location.zip``:
province → city → county → township → village, one name a line, indented by level).
We read that file directly instead of importing jionlp, whose import prints a banner
on stdout (which would corrupt ``hub pii scan`` output) and loads a segmenter we do
not need.  Compared with cpca (MIT, last release 2021, counties only, needs pandas),
jionlp carries the townships and is kept current.  Villages are not loaded: a
village is recognised by its 村 / 社区 ending after a township or county.
"""

from __future__ import annotations

import importlib.util
import zipfile
from functools import lru_cache
from pathlib import Path

from catalog.errors import CatalogError

TOWNSHIP_ENDINGS = ("镇", "乡", "街道", "苏木")
# County-level names that are also ordinary words in running text.
AMBIGUOUS = frozenset({"城区", "郊区", "矿区", "新区", "市中区"})


class DivisionTableMissing(CatalogError):
    """jionlp's division table is not installed (the package is a dependency of the hub)."""


def _table_path() -> Path:
    spec = importlib.util.find_spec("jionlp")
    if spec is None or not spec.submodule_search_locations:
        raise DivisionTableMissing("package `jionlp` is not installed: its division table is needed for ADDRESS")
    return Path(spec.submodule_search_locations[0]) / "dictionary" / "china_location.zip"


def _add(names: dict[str, int], fields: list[str], depth: int) -> None:
    full = fields[0]
    if full in AMBIGUOUS:
        return
    names.setdefault(full, depth)
    if depth <= 1 and len(fields) >= 3:  # province and city aliases: 浙江, 杭州
        for alias in fields[2].split("|"):
            if len(alias) >= 2:
                names.setdefault(alias, depth)


@lru_cache(maxsize=1)
def _tables() -> tuple[dict[str, int], frozenset[str]]:
    """One pass over the table: division names by level, and every place word."""
    with zipfile.ZipFile(_table_path()) as archive:
        text = archive.read("china_location.txt").decode("utf-8")
    names: dict[str, int] = {}
    aliases: set[str] = set()
    for line in text.splitlines():
        if line.startswith("\t\t\t\t") or not line.strip():
            continue
        depth = len(line) - len(line.lstrip("\t"))
        fields = line.strip("\t").split("\t")
        if depth <= 2 and len(fields) >= 3:
            aliases.update(alias for alias in fields[2].split("|") if len(alias) >= 2)
        if depth == 3 and not fields[0].endswith(TOWNSHIP_ENDINGS):
            continue
        _add(names, fields, depth)
    return names, frozenset(aliases | set(names))


def division_names() -> dict[str, int]:
    """Every province, city, county and township name (and province/city alias) → its level 0–3."""
    return _tables()[0]


def place_words() -> frozenset[str]:
    """Division names and the short names of every division down to counties (余杭, 张家港)."""
    return _tables()[1]


@lru_cache(maxsize=1)
def lengths_by_first() -> dict[str, tuple[int, ...]]:
    """For each first character, the lengths of the names that start with it, longest first."""
    lengths: dict[str, set[int]] = {}
    for name in division_names():
        lengths.setdefault(name[0], set()).add(len(name))
    return {c: tuple(sorted(n, reverse=True)) for c, n in lengths.items()}
