# ruff: noqa: E501  (CJK text counts double-width; data lines read better unbroken)
"""Numeric identifiers: resident ID (居民身份证号), USCC (统一社会信用代码), bank card.

Resident IDs and cards come from the shared number segmentation (:mod:`.numbers`),
so grouped, hyphenated and full-width forms are found and still validated
(:mod:`.checks`).  An 18-digit number valid both as an ID and as a card is scored
lower by each, so that a context word (身份证 / 卡号) decides; without one the ID
wins.  USCCs carry letters and keep a pattern (python-stdnum checks them).
"""

from __future__ import annotations

from stdnum.cn import uscc

from catalog.recognizers._base import REFERENCE_WORDS, NumberRecognizer, ZhPatternRecognizer, bounded
from catalog.recognizers.checks import card_prior, is_resident_id
from catalog.recognizers.numbers import Piece

ID_WORDS = ("身份证", "证件号", "公民身份", "身份号码")
CARD_WORDS = ("银行卡", "卡号", "账号", "帐号", "账户", "帐户", "储蓄卡", "借记卡", "信用卡", "社保卡", "打入")
WINDOW = 16


def card_said(text: str, piece: Piece) -> bool:
    """For a number valid as both: is a card word nearer before it than an ID word?"""
    window = text[max(0, piece.start - WINDOW) : piece.start]
    card = max((window.rfind(w) for w in CARD_WORDS), default=-1)
    return card > max((window.rfind(w) for w in ID_WORDS), default=-1)


def _ambiguous(piece: Piece) -> bool:
    return {"CN_RESIDENT_ID", "CN_BANK_CARD"} <= piece.types


class ResidentIdRecognizer(NumberRecognizer):
    """CN_RESIDENT_ID: 18 characters (x or X) in any grouping, or a 15-digit legacy ID next to 身份证."""

    ENTITY = "CN_RESIDENT_ID"
    CONTEXT = ("身份证", "证件号", "公民身份", "身份号码", "id")

    def prior(self, piece: Piece, text: str) -> float:
        """Checksummed 18-character IDs are certain (as Presidio scores a validated pattern);
        15-digit ones need their context word."""
        if len(piece.digits) == 15:
            return 0.2
        if _ambiguous(piece):
            return 0.45 if card_said(text, piece) else 0.9
        return 1.0

    def decided(self, piece: Piece) -> bool:
        return _ambiguous(piece)


class BankCardRecognizer(NumberRecognizer):
    """CN_BANK_CARD: 16–19 digits with a Luhn check digit, in any grouping, scored by issuer prefix."""

    ENTITY = "CN_BANK_CARD"
    CONTEXT = ("银行卡", "卡号", "账号", "帐号", "账户", "帐户", "储蓄卡", "借记卡", "信用卡", "银行", "开户", "社保卡", "原卡", "改打入", "打入")
    NEGATIVE_CONTEXT = REFERENCE_WORDS

    def prior(self, piece: Piece, text: str) -> float:
        """The issuer prefix's prior; for digits that are an ID as well, the nearer context word decides."""
        if _ambiguous(piece):
            return 0.9 if card_said(text, piece) else 0.45
        return card_prior(piece.digits)

    def decided(self, piece: Piece) -> bool:
        return _ambiguous(piece)


class UsccRecognizer(ZhPatternRecognizer):
    """CN_USCC: unified social credit code, GB 32100 mod-31 check character."""

    ENTITY = "CN_USCC"
    PREFILTER = r"[0-9]{6}"
    PATTERNS = (("uscc", bounded(r"[0-9A-HJ-NPQRTUWXY]{2}[0-9]{6}[0-9A-HJ-NPQRTUWXY]{10}"), 0.85),)
    CONTEXT = ("信用代码", "社会信用", "税号", "纳税人识别号", "uscc", "机构代码")
    NEGATIVE_CONTEXT = REFERENCE_WORDS

    def validate_result(self, pattern_text: str) -> bool | None:
        """Valid check character and not equally a valid resident ID (which wins)."""
        if not uscc.is_valid(pattern_text) or is_resident_id(pattern_text):
            return False
        return None
