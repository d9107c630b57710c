"""Shared pieces of the Chinese recognizers: language, digit boundaries, context words.

Chinese text has no spaces between words, so ``\\b`` cannot delimit an identifier
(``身份证号110105…`` has no word boundary before the digits).  Every numeric pattern
is wrapped in :data:`LEFT` / :data:`RIGHT` instead: no ASCII letter or digit (nor a
decimal point between digits) may touch the match, so digits inside a longer run
never match while Chinese characters right next to them do not matter.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from presidio_analyzer import AnalysisExplanation, LocalRecognizer, Pattern, PatternRecognizer, RecognizerResult
from presidio_analyzer.nlp_engine import NlpArtifacts

from catalog.recognizers.normalise import Normalised, normalise
from catalog.recognizers.numbers import Piece, pieces

LANGUAGE = "zh"
LEFT = r"(?<![0-9A-Za-z])(?<![0-9]\.)"
RIGHT = r"(?![0-9A-Za-z])(?!\.[0-9])"
# Case matters for the letter parts of passports, plates and USCCs.
FLAGS = re.DOTALL | re.MULTILINE

# Words that say the number next to them is some other kind of reference.
REFERENCE_WORDS = (
    "订单", "单号", "流水", "编号", "合同号", "发票", "凭证", "批次", "工单", "快递",
    "运单", "交易号", "序列号", "批号", "文号", "案号", "项目号", "登记号",
)


def view(text: str, nlp_artifacts: NlpArtifacts | None) -> Normalised:
    """The normalised view of ``text``, shared through the NLP artifacts when they carry it."""
    norm = getattr(nlp_artifacts, "normalised", None)
    if isinstance(norm, Normalised) and norm.original == text:
        return norm
    norm = normalise(text)
    if nlp_artifacts is not None:
        nlp_artifacts.normalised = norm  # type: ignore[attr-defined]
    return norm


def number_pieces(text: str, nlp_artifacts: NlpArtifacts | None) -> tuple[Normalised, list[Piece]]:
    """The normalised view and its validated number pieces, computed once per text."""
    norm = view(text, nlp_artifacts)
    cached = getattr(nlp_artifacts, "number_pieces", None)
    if cached is not None and cached[0] is norm:
        return norm, cached[1]
    found = pieces(norm.text)
    if nlp_artifacts is not None:
        nlp_artifacts.number_pieces = (norm, found)  # type: ignore[attr-defined]
    return norm, found


def bounded(body: str) -> str:
    """Wrap a pattern body in the digit-run boundaries."""
    return f"{LEFT}(?:{body}){RIGHT}"


class ZhPatternRecognizer(PatternRecognizer):
    """A Presidio pattern recognizer for Chinese text with positive and negative context.

    ``context`` words raise the score (see :mod:`catalog.recognizers.context`);
    ``negative_context`` words (e.g. 订单号) lower it, whichever is nearer wins.
    """

    ENTITY = ""
    # A cheap search that every match needs (e.g. seven digits in a row): most
    # texts fail it, and then the patterns, validation and explanations are skipped.
    PREFILTER = ""
    PATTERNS: Sequence[tuple[str, str, float]] = ()
    CONTEXT: Sequence[str] = ()
    NEGATIVE_CONTEXT: Sequence[str] = ()

    def __init__(self) -> None:
        self.negative_context = list(self.NEGATIVE_CONTEXT)
        super().__init__(
            supported_entity=self.ENTITY,
            patterns=[Pattern(name, regex, score) for name, regex, score in self.PATTERNS],
            context=list(self.CONTEXT),
            supported_language=LANGUAGE,
            global_regex_flags=FLAGS,
        )
        self._prefilter = re.compile(self.PREFILTER) if self.PREFILTER else None

    def analyze(
        self,
        text: str,
        entities: list[str],
        nlp_artifacts: NlpArtifacts | None = None,
        regex_flags: int | None = None,
    ) -> list[RecognizerResult]:
        """Presidio's pattern analysis on the normalised text (skipped when the prefilter finds nothing)."""
        norm = view(text, nlp_artifacts)
        if self._prefilter is not None and self._prefilter.search(norm.text) is None:
            return []
        results = super().analyze(norm.text, entities, nlp_artifacts, regex_flags)
        for result in results:
            result.start, result.end = norm.span(result.start, result.end)
        return results


class NumberRecognizer(LocalRecognizer):
    """A recognizer of one numeric identifier type, fed by the shared number segmentation.

    :func:`prior` scores a validated piece (0 drops it); context words are applied by
    the analyzer's context enhancer like for pattern recognizers.
    """

    ENTITY = ""
    CONTEXT: Sequence[str] = ()
    NEGATIVE_CONTEXT: Sequence[str] = ()

    def __init__(self) -> None:
        self.negative_context = list(self.NEGATIVE_CONTEXT)
        super().__init__(
            supported_entities=[self.ENTITY], supported_language=LANGUAGE, context=list(self.CONTEXT),
            name=type(self).__name__,
        )

    def load(self) -> None:
        """Nothing to load."""

    def prior(self, piece: Piece, text: str) -> float:
        """The score of a piece valid as this type, before context (0 = not this type)."""
        raise NotImplementedError

    def decided(self, piece: Piece) -> bool:
        """True when :meth:`prior` already weighed the context (the enhancer leaves it alone)."""
        return False

    def analyze(
        self, text: str, entities: list[str], nlp_artifacts: NlpArtifacts | None = None
    ) -> list[RecognizerResult]:
        """Validated pieces of this type, with original offsets."""
        norm, found = number_pieces(text, nlp_artifacts)
        results = []
        for piece in found:
            score = self.prior(piece, norm.text) if self.ENTITY in piece.types else 0.0
            if score > 0:
                start, end = norm.span(piece.start, piece.end)
                results.append(self._result(start, end, score, self.decided(piece)))
        return results

    def _result(self, start: int, end: int, score: float, decided: bool) -> RecognizerResult:
        name = type(self).__name__
        explanation = AnalysisExplanation(name, score, textual_explanation="validated number")
        metadata = {
            RecognizerResult.RECOGNIZER_NAME_KEY: name,
            RecognizerResult.RECOGNIZER_IDENTIFIER_KEY: self.id,
            RecognizerResult.IS_SCORE_ENHANCED_BY_CONTEXT_KEY: decided,
        }
        return RecognizerResult(self.ENTITY, start, end, score, explanation, metadata)
