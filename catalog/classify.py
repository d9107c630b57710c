# ruff: noqa: E501  (CJK text counts double-width; data lines read better unbroken)
"""Column classification (分类): which personal information a column holds, and its level.

A column's name gives a hint (``recipient_id_number``, ``*_phone``, ``*_text``) and
a sample of its values gives evidence: each value is scanned with the PII engine
(:mod:`catalog.pii`) — the same recognizers that redact free text at publish, so a
column of full-width or grouped IDs is classified like one of plain IDs — and the
class is the entity type that covers most values.
Free-text columns (descriptions, purposes, summaries) are flagged; they are level 3
when any sampled value holds personal information, since publishing redacts them.
Levels follow DESIGN.md §3; a dataset takes the highest column level (就高从严).
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

from catalog.pii import Entity, scan

SAMPLE = 200
MIN_SHARE = 0.5
HINTED_SHARE = 0.3
PERSONAL = frozenset(
    {"PERSON", "CN_RESIDENT_ID", "CN_MOBILE", "CN_LANDLINE", "CN_BANK_CARD", "EMAIL", "CN_PASSPORT",
     "CN_LICENSE_PLATE", "ADDRESS"}
)
NAME_HINTS = (
    (re.compile(r"id_?(number|no|card)|身份证|idcard"), "CN_RESIDENT_ID"),
    (re.compile(r"uscc|credit_code|信用代码"), "CN_USCC"),
    (re.compile(r"bank_?card|card_?(no|number)|account_?no|银行卡|卡号"), "CN_BANK_CARD"),
    (re.compile(r"landline|fixed_?(line|phone)|座机|固话|固定电话"), "CN_LANDLINE"),
    (re.compile(r"phone|mobile|tel|手机|电话"), "CN_MOBILE"),
    (re.compile(r"address|(^|_)addr($|_)|住址|地址"), "ADDRESS"),
    (re.compile(r"e_?mail|邮箱"), "EMAIL"),
    (re.compile(r"passport|护照"), "CN_PASSPORT"),
    (re.compile(r"plate|车牌"), "CN_LICENSE_PLATE"),
    (re.compile(r"(^|_)name$|姓名"), "PERSON"),
)
FREE_TEXT = re.compile(r"(_|^)(text|description|desc|summary|remark|memo|note|notes|content|comment)$")
RECOGNIZERS = {
    "PERSON": "ZhPersonRecognizer", "CN_RESIDENT_ID": "ResidentIdRecognizer", "CN_MOBILE": "MobileRecognizer",
    "CN_BANK_CARD": "BankCardRecognizer", "CN_USCC": "UsccRecognizer", "EMAIL": "EmailRecognizer",
    "CN_PASSPORT": "PassportRecognizer", "CN_LICENSE_PLATE": "LicensePlateRecognizer",
    "CN_LANDLINE": "LandlineRecognizer", "ADDRESS": "AddressRecognizer",
}


@dataclass(frozen=True)
class ColumnClass:
    """What a column holds: PII class and recognizer, share of matching values, confidence, level."""

    pii_class: str | None
    recognizer: str | None
    share: float
    confidence: float
    free_text: bool
    level: int


def name_hint(name: str) -> str | None:
    """The PII class a column name suggests, if any."""
    lowered = name.lower()
    return next((kind for pattern, kind in NAME_HINTS if pattern.search(lowered)), None)


def is_free_text(name: str) -> bool:
    """Columns whose name says they hold prose (purpose_text, description, summary…)."""
    return bool(FREE_TEXT.search(name.lower()))


def _whole_value(value: str, hint: str | None) -> list[Entity]:
    """Entities covering most of a short value; names are scanned behind a 姓名 label."""
    text = value.strip()
    prefix = "姓名：" if hint == "PERSON" else ""
    found = scan(prefix + text)
    return [e for e in found if e.start >= len(prefix) and (e.end - e.start) >= 0.8 * len(text)]


def level_of(pii_class: str | None) -> int:
    """Personal information is 一般-敏感 (3); USCC/organisations and the rest 一般-公开 (1)."""
    return 3 if pii_class in PERSONAL else 1


def _result(kind: str | None, share: float, score: float, free_text: bool) -> ColumnClass:
    recognizer = RECOGNIZERS.get(kind) if kind else None
    confidence = round(min(1.0, share * score), 2) if kind else 0.0
    return ColumnClass(kind, recognizer, round(share, 3), confidence, free_text, level_of(kind))


def _classify_text(values: list[str]) -> ColumnClass:
    counts: Counter[str] = Counter()
    scores: dict[str, float] = {}
    with_pii = 0
    for value in values:
        entities = [e for e in scan(value) if e.type in PERSONAL]
        with_pii += bool(entities)
        for e in entities:
            counts[e.type] += 1
            scores[e.type] = scores.get(e.type, 0.0) + e.score
    if not counts:
        return _result(None, 0.0, 0.0, True)
    kind = counts.most_common(1)[0][0]
    return _result(kind, with_pii / len(values), scores[kind] / counts[kind], True)


def classify_column(name: str, values: Sequence[str | None]) -> ColumnClass:
    """Classify a column from its name and a sample of its values."""
    sample = [str(v) for v in values if v is not None and str(v).strip()][:SAMPLE]
    if is_free_text(name):
        return _classify_text(sample) if sample else _result(None, 0.0, 0.0, True)
    hint = name_hint(name)
    if not sample:
        return _result(None, 0.0, 0.0, False)
    counts: Counter[str] = Counter()
    scores: dict[str, float] = {}
    for value in sample:
        for entity in _whole_value(value, hint)[:1]:
            counts[entity.type] += 1
            scores[entity.type] = scores.get(entity.type, 0.0) + entity.score
    if not counts:
        return _result(None, 0.0, 0.0, False)
    kind, hits = counts.most_common(1)[0]
    share = hits / len(sample)
    needed = HINTED_SHARE if kind == hint else MIN_SHARE
    return _result(kind, share, scores[kind] / hits, False) if share >= needed else _result(None, 0.0, 0.0, False)


def dataset_level(column_levels: Sequence[int]) -> int:
    """就高从严: a dataset takes the highest level of its columns (1 when it has none)."""
    return max(column_levels, default=1)
