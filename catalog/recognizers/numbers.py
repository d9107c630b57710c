"""Numbers in a normalised text, segmented into validated identifiers (号码切分).

People group digits as they like (6-8-4, 6-4-4-4, 4-4-4-4-3, 3-4-4, 4-3-4, 6 + rest)
and put numbers next to each other (a grouped card, then a grouped ID or an amount,
separated by a single space).  So instead of one regular expression per format, the
digit groups of a text are found once (:func:`runs`: groups joined by one space or
hyphen, or an area code in brackets), every sequence of whole groups is checked as
each identifier type (:mod:`.checks`), and the runs are cut into the non-overlapping
valid pieces that cover the most digits.  A piece keeps every type it is valid as;
the recognizers then score their own type (context words decide an 18-digit number
that is both a card and an ID).  Hand-written: no library segments grouped numbers.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from catalog.recognizers.checks import (
    is_bank_card,
    is_landline,
    is_legacy_resident_id,
    is_mobile,
    is_resident_id,
    looks_mobile,
)

_GROUP = re.compile(r"[0-9]+(?:[Xx](?![0-9A-Za-z]))?")
_JOIN = frozenset({" ", "-"})
MAX_GROUPS = 6
# +86 / 0086 / 86 before a mobile number
_COUNTRY = re.compile(r"(?:\+86|0086|86)$")
# What may follow a landline as its extension (转 8021, 分机8021, ext. 8021).
_EXTENSION = re.compile(r"(?:转|分机|ext\.?|EXT\.?|x|-)[ ]?[0-9]{1,6}(?![0-9])")


@dataclass(frozen=True)
class Group:
    start: int
    end: int
    digits: str


@dataclass(frozen=True)
class Piece:
    """A validated identifier in the normalised text: ``[start, end)`` and its possible types."""

    start: int
    end: int
    digits: str
    types: frozenset[str]


def _blocked(text: str, start: int, end: int) -> bool:
    """Digits glued to letters (HT2026…, E1234…) or part of a decimal (57.7) are no identifier."""
    before = text[start - 1] if start else ""
    after = text[end] if end < len(text) else ""
    if (before.isascii() and before.isalpha()) or (after.isascii() and after.isalpha()):
        return True
    return (before == "." and start >= 2 and text[start - 2].isdigit()) or (
        after == "." and end + 1 < len(text) and text[end + 1].isdigit()
    )


def _joined(text: str, left: Group, right: Group) -> bool:
    gap = text[left.end : right.start]
    if left.digits[-1] in "Xx":
        return False
    if gap in _JOIN:
        return True
    bracketed = left.start > 0 and text[left.start - 1] == "(" and left.digits.startswith("0")
    return bracketed and gap in (")", ") ", ")-")


def runs(text: str) -> list[list[Group]]:
    """Digit groups joined by a single separator, as lists (unusable groups break a run)."""
    out: list[list[Group]] = []
    current: list[Group] = []
    for match in _GROUP.finditer(text):
        group = Group(match.start(), match.end(), match.group())
        if _blocked(text, group.start, group.end):
            if current:
                out.append(current)
            current = []
            continue
        if current and not _joined(text, current[-1], group):
            out.append(current)
            current = []
        current.append(group)
    if current:
        out.append(current)
    return out


def types_of(digits: str, text: str, start: int) -> frozenset[str]:
    """Every identifier type the bare ``digits`` are valid as."""
    found = set()
    n = len(digits)
    if n == 18 and is_resident_id(digits) or n == 15 and is_legacy_resident_id(digits):
        found.add("CN_RESIDENT_ID")
    if digits.isdigit():
        if 16 <= n <= 19 and is_bank_card(digits):
            found.add("CN_BANK_CARD")
        if n == 11 and looks_mobile(digits):
            found.add("CN_MOBILE")
        if 10 <= n <= 12 and is_landline(digits):
            found.add("CN_LANDLINE")
    return frozenset(found)


def _country_mobile(digits: str) -> bool:
    """86 / 0086 glued to a mobile number (+8613812345678)."""
    return (len(digits) == 13 and digits.startswith("86") and is_mobile(digits[2:])) or (
        len(digits) == 15 and digits.startswith("0086") and is_mobile(digits[4:])
    )


def _candidates(text: str, run: list[Group]) -> list[Piece]:
    found = []
    for i in range(len(run)):
        digits = ""
        for j in range(i, min(len(run), i + MAX_GROUPS)):
            digits += run[j].digits
            if len(digits) > 19:
                break
            if len(digits) < 10:
                continue
            types = types_of(digits, text, run[i].start)
            if not types and _country_mobile(digits):
                types = frozenset({"CN_MOBILE"})
            if types:
                found.append(Piece(run[i].start, run[j].end, digits, types))
    return found


def _best(pieces: list[Piece]) -> list[Piece]:
    """The non-overlapping pieces covering the most digits (weighted interval scheduling)."""
    pieces = sorted(pieces, key=lambda p: p.end)
    best: list[tuple[int, list[Piece]]] = [(0, [])]
    ends = [0]
    for piece in pieces:
        k = max(i for i, end in enumerate(ends) if end <= piece.start)
        take = (best[k][0] + len(piece.digits), [*best[k][1], piece])
        best.append(max(best[-1], take, key=lambda b: b[0]))
        ends.append(piece.end)
    return best[-1][1]


def _with_prefix(text: str, piece: Piece) -> Piece:
    """A mobile's +86 / 0086 / 86 prefix joins the piece (a separator between them allowed)."""
    if "CN_MOBILE" not in piece.types:
        return piece
    if text[piece.start] != "1":  # the country code is already part of the digits
        plus = piece.start and text[piece.start - 1] == "+"
        return Piece(piece.start - 1, piece.end, piece.digits, piece.types) if plus else piece
    head = text[max(0, piece.start - 6) : piece.start]
    match = _COUNTRY.search(head.rstrip(" -"))
    if match is None:
        return piece
    start = piece.start - len(head) + match.start()
    if start > 0 and text[start - 1].isalnum() and text[start - 1].isascii():
        return piece
    return Piece(start, piece.end, piece.digits, piece.types)


def _with_extension(text: str, piece: Piece) -> Piece:
    """A landline keeps its bracket before the area code and its extension after the number."""
    if "CN_LANDLINE" not in piece.types:
        return piece
    bracketed = piece.start and text[piece.start - 1] == "(" and ")" in text[piece.start : piece.end]
    start = piece.start - 1 if bracketed else piece.start
    match = _EXTENSION.match(text, piece.end)
    return Piece(start, match.end() if match else piece.end, piece.digits, piece.types)


def pieces(text: str) -> list[Piece]:
    """The validated identifiers of a normalised text, in order."""
    if sum(c.isdigit() for c in text) < 10:
        return []
    out: list[Piece] = []
    for run in runs(text):
        if sum(len(g.digits) for g in run) < 10:
            continue
        chosen = _best(_candidates(text, run))
        out.extend(_with_extension(text, _with_prefix(text, p)) for p in chosen)
    return out
