"""The project's labelled corpus of Chinese free text with personal information (个人信息).

``generate(n, seed)`` writes ``n`` texts in five genres — case notes, audit findings,
meeting minutes, complaint letters, subsidy remarks — with gold spans for every
personal value planted in them, in the forms clerks write (full-width digits, grouped
and hyphenated numbers, landlines with brackets and extensions, addresses, middle-dot,
Tibetan, Mongolian and foreign names, names in 、 lists and after labels) and with
decoys that must not be found (brands named after people, 张某某, place and agency
names, amounts, hotlines, order numbers).  About one text in seven carries no personal
information at all.  Deterministic by seed; the tests and ``bench/pii.py`` use
different seeds (:data:`TEST_SEED`, :data:`BENCH_SEED`).
"""

from __future__ import annotations

import random
import re
from dataclasses import dataclass

from catalog.pii_corpus.genres import GENRES
from catalog.pii_corpus.slots import SLOTS

TEST_SEED = 20261127
BENCH_SEED = 7_340_241  # held out: the tests never generate with it
CLEAN_SHARE = 0.14
LEVEL3 = frozenset({"CN_RESIDENT_ID", "CN_MOBILE", "CN_LANDLINE", "CN_BANK_CARD", "CN_PASSPORT"})
_SLOT = re.compile(r"\{(~?[a-z0-9]+)\}")


@dataclass(frozen=True)
class Gold:
    """One planted value: its type, character span ``[start, end)`` and variant family."""

    type: str
    start: int
    end: int
    family: str


@dataclass(frozen=True)
class Example:
    """One generated text, its genre and its gold spans."""

    genre: str
    text: str
    gold: tuple[Gold, ...]

    def spans(self) -> set[tuple[str, int, int]]:
        """The gold as ``(type, start, end)`` triples."""
        return {(g.type, g.start, g.end) for g in self.gold}


def fill(template: str, rng: random.Random, genre: str = "") -> Example:
    """One template with every slot filled; personal slots become gold spans."""
    text, gold, last = "", [], 0
    for match in _SLOT.finditer(template):
        text += template[last : match.start()]
        for value, kind, family in SLOTS[match.group(1)](rng, text):
            if kind is not None:
                gold.append(Gold(kind, len(text), len(text) + len(value), family))
            text += value
        last = match.end()
    return Example(genre, text + template[last:], tuple(gold))


def generate(n: int = 1600, seed: int = TEST_SEED) -> list[Example]:
    """``n`` texts, the genres in turn, about :data:`CLEAN_SHARE` of them without personal information."""
    rng = random.Random(seed)
    names = list(GENRES)
    out = []
    for i in range(n):
        genre = names[i % len(names)]
        personal, clean = GENRES[genre]
        template = rng.choice(clean if rng.random() < CLEAN_SHARE else personal)
        out.append(fill(template, rng, genre))
    return out


__all__ = ["BENCH_SEED", "LEVEL3", "TEST_SEED", "Example", "Gold", "fill", "generate"]
