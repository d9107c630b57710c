# ruff: noqa: E501  (CJK text counts double-width; data lines read better unbroken)
"""Numeric identifiers: resident ID (居民身份证号), USCC (统一社会信用代码), bank card.

``stdnum.cn.uscc`` and ``stdnum.luhn`` do the USCC and card check characters.  The
resident-ID check is hand-written on purpose: ``stdnum.cn.ric`` also requires the
6-digit birthplace code to be one it knows, which rejects real IDs issued under
codes that were later renamed (and sandbox or partner data built from newer codes).
We check the GB 11643 (ISO 7064 MOD 11-2) check character, a real birth date that
is not in the future, and a valid province prefix.
"""

from __future__ import annotations

import datetime as dt

from presidio_analyzer import RecognizerResult
from presidio_analyzer.nlp_engine import NlpArtifacts
from stdnum import luhn
from stdnum.cn import uscc

from catalog.recognizers._base import REFERENCE_WORDS, ZhPatternRecognizer, bounded

PROVINCES = frozenset(
    ["11", "12", "13", "14", "15", "21", "22", "23", "31", "32", "33", "34", "35", "36", "37", "41", "42", "43", "44", "45", "46", "50", "51", "52", "53", "54", "61", "62", "63", "64", "65", "71", "81", "82"]
)
_WEIGHTS = [pow(2, 17 - i, 11) for i in range(17)]
_CHECK = "10X98765432"


def resident_id_check_char(first17: str) -> str:
    """The GB 11643 check character for the first 17 digits of a resident ID."""
    return _CHECK[sum(int(c) * w for c, w in zip(first17, _WEIGHTS, strict=True)) % 11]


def _birth_date_ok(yyyymmdd: str) -> bool:
    try:
        born = dt.date(int(yyyymmdd[:4]), int(yyyymmdd[4:6]), int(yyyymmdd[6:8]))
    except ValueError:
        return False
    return dt.date(1900, 1, 1) <= born <= dt.date.today()


def is_resident_id(value: str) -> bool:
    """True for an 18-character resident ID with valid province, birth date and check char."""
    number = value.replace(" ", "").upper()
    if len(number) != 18 or not number[:17].isdigit() or number[:2] not in PROVINCES:
        return False
    return _birth_date_ok(number[6:14]) and resident_id_check_char(number[:17]) == number[17]


def is_legacy_resident_id(value: str) -> bool:
    """True for a 15-digit pre-1999 ID with a valid province and 19YYMMDD birth date."""
    return len(value) == 15 and value.isdigit() and value[:2] in PROVINCES and _birth_date_ok("19" + value[6:12])


class ResidentIdRecognizer(ZhPatternRecognizer):
    """CN_RESIDENT_ID: 18 characters (x or X), or a 15-digit legacy ID next to 身份证."""

    ENTITY = "CN_RESIDENT_ID"
    PREFILTER = r"[0-9]{6}"
    PATTERNS = (
        ("id18", bounded(r"[1-8][0-9]{5}(?:19|20)[0-9]{2}[01][0-9][0-3][0-9]{4}[0-9Xx]"), 0.5),
        ("id18_grouped", bounded(r"[1-8][0-9]{5} (?:19|20)[0-9]{6} [0-9]{3}[0-9Xx]"), 0.5),
        ("id15", bounded(r"[1-8][0-9]{5}[0-9]{2}[01][0-9][0-3][0-9]{4}"), 0.2),
    )
    CONTEXT = ("身份证", "证件号", "公民身份", "身份号码", "id")

    def validate_result(self, pattern_text: str) -> bool | None:
        """Checksum and birth date for 18 characters; birth date only (so no boost) for 15."""
        if len(pattern_text) == 15:
            return None if is_legacy_resident_id(pattern_text) else False
        return is_resident_id(pattern_text)


class UsccRecognizer(ZhPatternRecognizer):
    """CN_USCC: unified social credit code, GB 32100 mod-31 check character."""

    ENTITY = "CN_USCC"
    PREFILTER = r"[0-9]{6}"
    PATTERNS = (("uscc", bounded(r"[0-9A-HJ-NPQRTUWXY]{2}[0-9]{6}[0-9A-HJ-NPQRTUWXY]{10}"), 0.85),)
    CONTEXT = ("信用代码", "社会信用", "税号", "纳税人识别号", "uscc", "机构代码")

    def validate_result(self, pattern_text: str) -> bool | None:
        """Valid check character and not equally a valid resident ID (which wins)."""
        if not uscc.is_valid(pattern_text) or is_resident_id(pattern_text):
            return False
        return None


def _card_prior(digits: str) -> float:
    """Score by issuer prefix: UnionPay 62 strongest; 3/4/5/6/9 plausible; others weak."""
    if digits.startswith("62"):
        return 0.85
    if digits[0] in "45":
        return 0.65
    if digits[0] in "369":
        return 0.55
    return 0.3


class BankCardRecognizer(ZhPatternRecognizer):
    """CN_BANK_CARD: 16–19 digits with a Luhn check digit, plain or grouped in fours."""

    ENTITY = "CN_BANK_CARD"
    PREFILTER = r"[0-9]{4}"
    PATTERNS = (
        ("card", bounded(r"[0-9]{16,19}"), 0.5),
        ("card_grouped", bounded(r"[0-9]{4}([ -])[0-9]{4}(?:\1[0-9]{4}){2}(?:\1[0-9]{1,3})?"), 0.5),
    )
    CONTEXT = ("银行卡", "卡号", "账号", "帐号", "账户", "帐户", "储蓄卡", "借记卡", "信用卡", "银行", "开户", "社保卡")
    NEGATIVE_CONTEXT = REFERENCE_WORDS

    def validate_result(self, pattern_text: str) -> bool | None:
        """Luhn over the digits; keeps the pattern score (set by issuer prefix later)."""
        digits = pattern_text.replace(" ", "").replace("-", "")
        return None if 16 <= len(digits) <= 19 and luhn.is_valid(digits) else False

    def analyze(
        self,
        text: str,
        entities: list[str],
        nlp_artifacts: NlpArtifacts | None = None,
        regex_flags: int | None = None,
    ) -> list[RecognizerResult]:
        """Pattern and Luhn matches, scored by issuer prefix."""
        results = super().analyze(text, entities, nlp_artifacts, regex_flags)
        for result in results:
            result.score = _card_prior(text[result.start : result.end])
        return results
