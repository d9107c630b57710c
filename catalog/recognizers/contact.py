"""Contact details: mainland mobile numbers (手机号) and e-mail addresses."""

from __future__ import annotations

import tldextract
from presidio_analyzer import Pattern, RecognizerResult
from presidio_analyzer.nlp_engine import NlpArtifacts
from presidio_analyzer.predefined_recognizers import EmailRecognizer as PresidioEmailRecognizer

from catalog.recognizers._base import FLAGS, LANGUAGE, REFERENCE_WORDS, ZhPatternRecognizer, bounded


class MobileRecognizer(ZhPatternRecognizer):
    """CN_MOBILE: ``1[3-9]`` + 9 digits, or 3-4-4 with dashes or spaces, optional +86."""

    ENTITY = "CN_MOBILE"
    PREFILTER = r"1[3-9][0-9]"
    PATTERNS = (
        ("mobile_intl", bounded(r"(?:\+|00)86[ -]?1[3-9][0-9](?:[0-9]{8}|([ -])[0-9]{4}\1[0-9]{4})"), 0.85),
        ("mobile_86", bounded(r"86[ -]?1[3-9][0-9]{9}"), 0.75),
        ("mobile", bounded(r"1[3-9][0-9]{9}"), 0.7),
        ("mobile_grouped", bounded(r"1[3-9][0-9]([ -])[0-9]{4}\1[0-9]{4}"), 0.7),
    )
    CONTEXT = ("手机", "电话", "联系", "致电", "来电", "号码", "tel", "mobile", "phone", "微信")
    NEGATIVE_CONTEXT = REFERENCE_WORDS


# Offline: the default extractor would try to download the public-suffix list.
_TLD = tldextract.TLDExtract(suffix_list_urls=(), cache_dir=None)


class EmailRecognizer(PresidioEmailRecognizer):
    """EMAIL: Presidio's e-mail recognizer with an ASCII pattern and an offline TLD check.

    Presidio's pattern uses ``\\w`` and ``\\b``, which in Chinese text swallow the
    characters glued to the address (邮箱abc@qq.com联系); ours allows ASCII only.
    """

    PATTERN = (
        r"(?<![A-Za-z0-9._%+\-])[A-Za-z0-9](?:[A-Za-z0-9._%+\-]{0,62}[A-Za-z0-9])?@"
        r"(?:[A-Za-z0-9](?:[A-Za-z0-9\-]{0,61}[A-Za-z0-9])?\.)+[A-Za-z]{2,24}(?![A-Za-z0-9\-])"
    )

    def __init__(self) -> None:
        super().__init__(
            patterns=[Pattern("email", self.PATTERN, 0.85)],
            context=["邮箱", "邮件", "email", "e-mail", "mail"],
            supported_language=LANGUAGE,
            supported_entity="EMAIL",
        )
        self.global_regex_flags = FLAGS
        self.negative_context: list[str] = []

    def analyze(
        self,
        text: str,
        entities: list[str],
        nlp_artifacts: NlpArtifacts | None = None,
        regex_flags: int | None = None,
    ) -> list[RecognizerResult]:
        """Presidio's pattern analysis, only for texts with an ``@``."""
        return super().analyze(text, entities, nlp_artifacts, regex_flags) if "@" in text else []

    def validate_result(self, pattern_text: str) -> bool | None:
        """The domain must end in a known public suffix (``.com``, ``.gov.cn``, …)."""
        return None if _TLD(pattern_text.rsplit("@", 1)[1]).suffix else False

