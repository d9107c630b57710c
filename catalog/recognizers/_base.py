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

from presidio_analyzer import Pattern, PatternRecognizer, RecognizerResult
from presidio_analyzer.nlp_engine import NlpArtifacts

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
        """Presidio's pattern analysis, skipped when the prefilter finds nothing."""
        if self._prefilter is not None and self._prefilter.search(text) is None:
            return []
        return super().analyze(text, entities, nlp_artifacts, regex_flags)
