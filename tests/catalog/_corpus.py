"""Test helper: expand the gold corpus templates into texts with gold entity spans."""

from __future__ import annotations

import random
import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from tests.catalog import _identifiers as ids

CORPUS = Path(__file__).with_name("pii_corpus.txt")
_SLOT = re.compile(r"\{(~?)([A-Z_0-9]+)(?:\|([^}=]+))?(?:=([^}]+))?\}")

Generator = Callable[[random.Random], str]
GENERATORS: dict[tuple[str, str], Generator] = {
    ("CN_RESIDENT_ID", ""): ids.resident_id,
    ("CN_RESIDENT_ID", "x"): ids.resident_id_with_x,
    ("CN_RESIDENT_ID", "lx"): lambda rng: ids.resident_id_with_x(rng, lower_x=True),
    ("CN_USCC", ""): ids.uscc_code,
    ("CN_BANK_CARD", ""): ids.bank_card,
    ("CN_BANK_CARD", "16"): lambda rng: ids.bank_card(rng, 16),
    ("CN_BANK_CARD", "space"): lambda rng: ids.grouped(ids.bank_card(rng, 16)),
    ("CN_BANK_CARD", "dash"): lambda rng: ids.grouped(ids.bank_card(rng, 19), "-"),
    ("CN_MOBILE", ""): ids.mobile,
    ("CN_MOBILE", "dash"): lambda rng: "-".join(_split344(ids.mobile(rng))),
    ("CN_MOBILE", "space"): lambda rng: " ".join(_split344(ids.mobile(rng))),
    ("CN_MOBILE", "+86"): lambda rng: "+86 " + ids.mobile(rng),
    ("CN_MOBILE", "86"): lambda rng: "86-" + ids.mobile(rng),
    ("BAD_ID", ""): ids.bad_resident_id,
    ("BAD_USCC", ""): ids.bad_uscc,
    ("BAD_CARD", ""): ids.bad_bank_card,
}


def _split344(number: str) -> tuple[str, str, str]:
    return number[:3], number[3:7], number[7:]


@dataclass(frozen=True)
class Example:
    """One corpus text and its gold ``(type, start, end)`` spans."""

    text: str
    gold: frozenset[tuple[str, int, int]]


def expand(template: str, rng: random.Random) -> Example:
    """Fill a template's slots; slots without ``~`` are gold entities."""
    text, gold, last = "", set(), 0
    for match in _SLOT.finditer(template):
        decoy, kind, variant, literal = match.groups()
        value = literal if literal is not None else GENERATORS[(kind, variant or "")](rng)
        text += template[last : match.start()]
        if not decoy:
            gold.add((kind, len(text), len(text) + len(value)))
        text += value
        last = match.end()
    return Example(text + template[last:], frozenset(gold))


def load(seed: int = 20261127) -> list[Example]:
    """The whole corpus, expanded with a fixed seed."""
    rng = random.Random(seed)
    lines = CORPUS.read_text(encoding="utf-8").splitlines()
    return [expand(line, rng) for line in lines if line.strip() and not line.startswith("#")]
