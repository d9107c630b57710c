"""The PII engine: a Presidio ``AnalyzerEngine`` for Chinese text and its scan results.

Built once per process (:func:`analyzer`) from the blank-spaCy/jieba NLP engine and
only our recognizers (:mod:`catalog.recognizers`), language ``zh``.  :func:`scan`
returns non-overlapping entities with character offsets, which is what
``hub pii scan`` prints, what column classification counts and what publish-time
redaction (:mod:`catalog.redact`) replaces.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from functools import lru_cache

from presidio_analyzer import AnalyzerEngine, RecognizerRegistry, RecognizerResult

from catalog.recognizers import ENTITY_TYPES, CharWindowContextEnhancer, JiebaNlpEngine, all_recognizers
from hub.errors import BadRequest

LANGUAGE = "zh"
SCORE_THRESHOLD = 0.4


class TextDecodeError(BadRequest):
    """Input text that is not valid UTF-8; the message names where."""

    title = "text is not UTF-8"


@dataclass(frozen=True)
class Entity:
    """One detected entity: type, character span ``[start, end)`` and score."""

    type: str
    start: int
    end: int
    score: float

    def as_dict(self) -> dict[str, object]:
        """The JSON shape of ``hub pii scan``."""
        return asdict(self)


@lru_cache(maxsize=1)
def analyzer() -> AnalyzerEngine:
    """The process-wide analyzer (built on first use; jieba loads once)."""
    registry = RecognizerRegistry(recognizers=all_recognizers(), supported_languages=[LANGUAGE])
    return AnalyzerEngine(
        registry=registry,
        nlp_engine=JiebaNlpEngine(),
        supported_languages=[LANGUAGE],
        default_score_threshold=SCORE_THRESHOLD,
        context_aware_enhancer=CharWindowContextEnhancer(),
    )


def _inside_another(result: RecognizerResult, results: list[RecognizerResult]) -> bool:
    return any(
        other.start <= result.start and result.end <= other.end and other.end - other.start > result.end - result.start
        for other in results
    )


def resolve_overlaps(results: list[RecognizerResult]) -> list[RecognizerResult]:
    """Drop results strictly inside another (a name inside an address), then keep the
    higher-scoring (then longer) of overlapping results, ordered by start.

    Whatever is dropped lies inside a kept span, so redaction still removes it.
    """
    kept: list[RecognizerResult] = []
    outer = [r for r in results if not _inside_another(r, results)]
    for result in sorted(outer, key=lambda r: (-r.score, -(r.end - r.start), r.start)):
        if all(result.end <= other.start or result.start >= other.end for other in kept):
            kept.append(result)
    return sorted(kept, key=lambda r: (r.start, r.end))


def analyze(text: str) -> list[RecognizerResult]:
    """Presidio results for ``text``, thresholded and without overlaps."""
    if not text.strip():
        return []
    return resolve_overlaps(analyzer().analyze(text=text, language=LANGUAGE, entities=list(ENTITY_TYPES)))


def scan(text: str) -> list[Entity]:
    """The entities in ``text`` sorted by start, with character offsets."""
    return [Entity(r.entity_type, r.start, r.end, round(r.score, 2)) for r in analyze(text)]
