# ruff: noqa: E501  (CJK text counts double-width; data lines read better unbroken)
"""Contact details: mobile numbers (手机号), landlines (固定电话) and e-mail addresses.

Mobiles and landlines come from the shared number segmentation (:mod:`.numbers`) and
are validated against phonenumbers' allocated ranges and area codes (:mod:`.checks`),
so 3-4-4 / 4-3-4 / full-width / +86 mobiles and bracketed, hyphenated or spaced
landlines with extensions are found, while hotlines and service numbers (12345,
95588, 400-…) are not personal and not fixed lines.  An 11-digit number followed by
元 / 万元 is an amount, not a phone.
"""

from __future__ import annotations

import re

import tldextract
from presidio_analyzer import Pattern, RecognizerResult
from presidio_analyzer.nlp_engine import NlpArtifacts
from presidio_analyzer.predefined_recognizers import EmailRecognizer as PresidioEmailRecognizer

from catalog.recognizers._base import FLAGS, LANGUAGE, REFERENCE_WORDS, NumberRecognizer
from catalog.recognizers.checks import is_mobile
from catalog.recognizers.numbers import Piece

_AMOUNT_AFTER = re.compile(r" ?(?:\.[0-9]+)?(?:元|万|亿|千元|百元|块|余元|多元|美元|港元|欧元|股|吨|平方|亩|人次)")
_AMOUNT_BEFORE = re.compile(r"(?:[￥¥$]|人民币|金额|总额|合计|共计|总计)[:：为 ]?$")
PHONE_WORDS = ("手机", "电话", "联系", "致电", "来电", "号码", "tel", "mobile", "phone", "微信", "座机", "办公室", "传真", "热线")


def is_amount(text: str, piece: Piece) -> bool:
    """Digits followed by a currency or unit word, or after ¥ / 金额: a quantity, not a phone."""
    return bool(_AMOUNT_AFTER.match(text, piece.end) or _AMOUNT_BEFORE.search(text[max(0, piece.start - 6) : piece.start]))


class MobileRecognizer(NumberRecognizer):
    """CN_MOBILE: an allocated 11-digit mobile number in any grouping, optional +86 / 0086."""

    ENTITY = "CN_MOBILE"
    CONTEXT = PHONE_WORDS
    NEGATIVE_CONTEXT = REFERENCE_WORDS

    def prior(self, piece: Piece, text: str) -> float:
        """0.7 in an allocated range (0.85 with a country code); 0.45 for a range the metadata does not
        list yet (fail closed: a new range is still a phone); nothing for amounts."""
        if is_amount(text, piece):
            return 0.0
        if not is_mobile(piece.digits[-11:]):
            return 0.45
        return 0.85 if not text[piece.start].isdigit() or len(text[piece.start : piece.end]) > 15 else 0.7


# An organisation's line, not a person's: 客服 0571-…, 服务热线 …
SERVICE_WORDS = ("客服", "热线", "服务电话", "咨询电话", "监督电话", "举报电话", "总机", "值班电话", "服务台")


class LandlineRecognizer(NumberRecognizer):
    """CN_LANDLINE: area code + local number (bracketed, hyphenated, spaced or plain), with its extension."""

    ENTITY = "CN_LANDLINE"
    CONTEXT = PHONE_WORDS
    NEGATIVE_CONTEXT = (*REFERENCE_WORDS, *SERVICE_WORDS)

    def prior(self, piece: Piece, text: str) -> float:
        """0.6 written with a separator or bracket, 0.45 as one run of digits (could be a reference)."""
        if is_amount(text, piece):
            return 0.0
        return 0.45 if text[piece.start : piece.end].isdigit() else 0.6


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
