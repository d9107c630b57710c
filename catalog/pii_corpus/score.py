"""Scores of a detector on the corpus: exact and overlap F1 per type, level-3 leaks, false alarms.

*Exact*: a detection counts when type, start and end equal a gold span's.  *Overlap*:
when it overlaps a gold span of the same type (precision over detections, recall over
gold values).  A level-3 value (ID, mobile, landline, card, passport) *leaks* when any
of its characters is outside every detected span, whatever their type: that
character would survive redaction.  A *false alarm* is a text without personal
information in which anything at all is detected.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field

from catalog.pii_corpus import LEVEL3, Example

Span = tuple[str, int, int]
Detector = Callable[[str], Iterable[Span]]


def f1(tp: int, fp: int, fn: int) -> float:
    """F1 from counts (1.0 when there was nothing to find and nothing was found)."""
    return 1.0 if tp + fp + fn == 0 else 2 * tp / (2 * tp + fp + fn)


@dataclass
class Score:
    """Counters accumulated over a corpus; properties derive the figures."""

    exact: dict[str, Counter[str]] = field(default_factory=lambda: {k: Counter() for k in ("tp", "fp", "fn")})
    overlap: dict[str, Counter[str]] = field(
        default_factory=lambda: {k: Counter() for k in ("p_hit", "det", "r_hit", "gold")}
    )
    leaks: Counter[str] = field(default_factory=Counter)
    level3: Counter[str] = field(default_factory=Counter)
    family_gold: Counter[tuple[str, str]] = field(default_factory=Counter)
    family_hit: Counter[tuple[str, str]] = field(default_factory=Counter)
    clean_texts: int = 0
    false_alarms: int = 0

    def add(self, example: Example, found: set[Span]) -> None:
        """Count one text's detections against its gold."""
        gold = example.spans()
        for kind, _, _ in found & gold:
            self.exact["tp"][kind] += 1
        for kind, _, _ in found - gold:
            self.exact["fp"][kind] += 1
        for kind, _, _ in gold - found:
            self.exact["fn"][kind] += 1
        for kind, s, e in found:
            self.overlap["det"][kind] += 1
            self.overlap["p_hit"][kind] += any(k == kind and s < ge and gs < e for k, gs, ge in gold)
        for g in example.gold:
            hit = any(k == g.type and s < g.end and g.start < e for k, s, e in found)
            self.overlap["gold"][g.type] += 1
            self.overlap["r_hit"][g.type] += hit
            self.family_gold[(g.type, g.family)] += 1
            self.family_hit[(g.type, g.family)] += (g.type, g.start, g.end) in found
            if g.type in LEVEL3:
                self.level3[g.type] += 1
                covered = set().union(*(range(s, e) for _, s, e in found)) if found else set()
                self.leaks[g.type] += not set(range(g.start, g.end)) <= covered
        if not gold:
            self.clean_texts += 1
            self.false_alarms += bool(found)

    def exact_f1(self, kind: str) -> float:
        return f1(self.exact["tp"][kind], self.exact["fp"][kind], self.exact["fn"][kind])

    def overlap_f1(self, kind: str) -> float:
        o = self.overlap
        precision = o["p_hit"][kind] / o["det"][kind] if o["det"][kind] else 1.0
        recall = o["r_hit"][kind] / o["gold"][kind] if o["gold"][kind] else 1.0
        return 0.0 if precision + recall == 0 else 2 * precision * recall / (precision + recall)

    @property
    def leak_rate(self) -> float:
        total = sum(self.level3.values())
        return sum(self.leaks.values()) / total if total else 0.0

    @property
    def false_alarm_rate(self) -> float:
        return self.false_alarms / self.clean_texts if self.clean_texts else 0.0


def score(examples: Sequence[Example], detect: Detector) -> Score:
    """Run ``detect`` over every text and count."""
    result = Score()
    for example in examples:
        result.add(example, set(detect(example.text)))
    return result
