# ruff: noqa: E501  (CJK text counts double-width; data lines read better unbroken)
"""Context words for Chinese text: a character window instead of a token window.

Presidio's ``LemmaContextAwareEnhancer`` compares the lemmas of the few tokens before
a match with the recognizer's context words.  Chinese context words (身份证号, 收款人)
are often glued to the match and segmenters split them unpredictably, so this
enhancer looks for the words in the characters just before (and, for titles such as
先生/女士, just after) the match.  The nearer of a positive and a negative
(``negative_context``) word decides.
"""

from __future__ import annotations

from collections.abc import Sequence

from presidio_analyzer import EntityRecognizer, RecognizerResult
from presidio_analyzer.context_aware_enhancers import ContextAwareEnhancer
from presidio_analyzer.nlp_engine import NlpArtifacts

WINDOW_BEFORE = 14
WINDOW_AFTER = 3
BOOST = 0.35
PENALTY = 0.5


def last_position(window: str, words: Sequence[str]) -> int:
    """Rightmost end offset of any of ``words`` in ``window`` (-1 when none occurs)."""
    best = -1
    for word in words:
        at = window.rfind(word)
        if at >= 0:
            best = max(best, at + len(word))
    return best


class CharWindowContextEnhancer(ContextAwareEnhancer):
    """Raise or lower scores by context words found in a character window."""

    def __init__(self) -> None:
        super().__init__(
            context_similarity_factor=BOOST,
            min_score_with_context_similarity=0.5,
            context_prefix_count=WINDOW_BEFORE,
            context_suffix_count=WINDOW_AFTER,
        )

    def enhance_using_context(
        self,
        text: str,
        raw_results: list[RecognizerResult],
        nlp_artifacts: NlpArtifacts,
        recognizers: list[EntityRecognizer],
        context: list[str] | None = None,
    ) -> list[RecognizerResult]:
        """Adjust each result's score in place by the words around it."""
        by_id = {recognizer.id: recognizer for recognizer in recognizers}
        for result in raw_results:
            recognizer = by_id.get(result.recognition_metadata.get(RecognizerResult.RECOGNIZER_IDENTIFIER_KEY))
            if recognizer is None or result.recognition_metadata.get(
                RecognizerResult.IS_SCORE_ENHANCED_BY_CONTEXT_KEY
            ):
                continue
            self._adjust(text, result, recognizer, context or [])
        return raw_results

    def _adjust(
        self, text: str, result: RecognizerResult, recognizer: EntityRecognizer, extra: list[str]
    ) -> None:
        before = text[max(0, result.start - WINDOW_BEFORE) : result.start].lower()
        positive = last_position(before, [w.lower() for w in recognizer.context])
        negative = last_position(before, getattr(recognizer, "negative_context", []))
        if positive < 0 and any(word in extra for word in recognizer.context):
            positive = 0
        if positive > negative:
            result.score = min(self.MAX_SCORE, max(result.score + BOOST, self.min_score_with_context_similarity))
            result.recognition_metadata[RecognizerResult.IS_SCORE_ENHANCED_BY_CONTEXT_KEY] = True
        elif negative >= 0:
            result.score = max(self.MIN_SCORE, result.score - PENALTY)
