"""The normalised view every recognizer reads, and the map back to the original text.

Clerks type identifiers in full width (１３８…), with full-width brackets and hyphens
(（0571）, 0571－…), with ideographic or no-break spaces, with several spaces inside a
number, and write the middle dot of a name as ``·``, ``•``, ``・`` or ``‧``.  Recognizers
match on one canonical form instead: full-width ASCII → ASCII, every space variant →
`` ``, every hyphen or minus variant → ``-``, every dot variant → ``·``, zero-width
characters dropped, and a run of separators between two digits collapsed to one.
:meth:`Normalised.span` maps a span of the normalised text back to the original, so
every reported offset indexes the original text and redaction removes exactly the
characters that were there.  Hand-written: Unicode NFKC would also rewrite Chinese
punctuation (，：) and change lengths unpredictably, and no library keeps the map.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_FULL = {chr(c): chr(c - 0xFEE0) for c in range(0xFF01, 0xFF5F)}
_FULL.update({"，": "，", "：": "：", "；": "；", "！": "！", "？": "？"})  # Chinese punctuation stays
_SPACES = dict.fromkeys("\u3000\u00a0\u2002\u2003\u2004\u2005\u2006\u2007\u2008\u2009\u200a\u202f\t", " ")
_HYPHENS = dict.fromkeys("\u2010\u2011\u2012\u2013\u2014\u2015\u2212\ufe63\uff0d", "-")
_DOTS = dict.fromkeys("\u2022\u30fb\u2027\u2219\u22c5\u00b7\uff65", "·")
_DROP = dict.fromkeys("\u200b\u200c\u200d\u2060\ufeff", "")
TABLE = str.maketrans({**_FULL, **_SPACES, **_HYPHENS, **_DOTS, **_DROP})
_CHANGED = "".join(re.escape(c) for c in {**_FULL, **_SPACES, **_HYPHENS, **_DROP})
_NEEDS = re.compile(f"[{_CHANGED}\u2022\u30fb\u2027\u2219\u22c5\uff65]|[0-9][ -]{{2,}}[0-9]")
_SEPARATOR_RUN = re.compile(r"(?<=[0-9])[ -]{2,}(?=[0-9])")


@dataclass(frozen=True)
class Normalised:
    """``text`` in canonical form; ``starts[i]``/``ends[i]`` is the original span of character ``i``."""

    original: str
    text: str
    starts: tuple[int, ...] | None = None  # None: same length, character for character
    ends: tuple[int, ...] | None = None

    def span(self, start: int, end: int) -> tuple[int, int]:
        """The original ``[start, end)`` of the normalised ``[start, end)``."""
        if self.starts is None or self.ends is None or end <= start:
            return start, end
        return self.starts[start], self.ends[end - 1]


def normalise(text: str) -> Normalised:
    """The canonical view of ``text`` (the text itself when nothing needs changing)."""
    if _NEEDS.search(text) is None:
        return Normalised(text, text)
    translated = text.translate(TABLE)
    if len(translated) == len(text):  # character for character: only runs of separators can move offsets
        return _collapse(translated, list(range(len(text))), list(range(1, len(text) + 1)), text)
    out: list[str] = []
    starts: list[int] = []
    ends: list[int] = []
    for at, char in enumerate(text):
        mapped = char.translate(TABLE)
        if len(mapped) == 1:
            out.append(mapped)
            starts.append(at)
            ends.append(at + 1)
        elif mapped and starts:  # (multi-character mappings do not occur in TABLE; kept for safety)
            ends[-1] = at + 1
    return _collapse("".join(out), starts, ends, text)


def _collapse(text: str, starts: list[int], ends: list[int], original: str) -> Normalised:
    """Separator runs between digits become one character spanning the whole run."""
    if len(text) == len(original) and not _SEPARATOR_RUN.search(text):
        return Normalised(original, text)
    if not _SEPARATOR_RUN.search(text):
        same = len(text) == len(original)
        return Normalised(original, text, None if same else tuple(starts), None if same else tuple(ends))
    out, new_starts, new_ends, last = [], [], [], 0
    for match in _SEPARATOR_RUN.finditer(text):
        a, b = match.span()
        out.append(text[last:a])
        new_starts.extend(starts[last:a])
        new_ends.extend(ends[last:a])
        out.append("-" if "-" in match.group() else " ")
        new_starts.append(starts[a])
        new_ends.append(ends[b - 1])
        last = b
    out.append(text[last:])
    new_starts.extend(starts[last:])
    new_ends.extend(ends[last:])
    return Normalised(original, "".join(out), tuple(new_starts), tuple(new_ends))
