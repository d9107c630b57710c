# ruff: noqa: E501  (CJK text counts double-width; data lines read better unbroken)
"""Presidio recognizers for Chinese personal information (个人信息).

One recognizer per entity type that ``hub pii scan`` reports; :func:`all_recognizers`
builds a fresh set for an analyzer.  Checksums come from python-stdnum where it fits
(USCC, Luhn); the rest is hand-written where no library does it (see each module).
"""

from __future__ import annotations

from presidio_analyzer import EntityRecognizer

from catalog.recognizers.address import AddressRecognizer
from catalog.recognizers.checks import is_legacy_resident_id, is_resident_id, resident_id_check_char
from catalog.recognizers.contact import EmailRecognizer, LandlineRecognizer, MobileRecognizer
from catalog.recognizers.context import CharWindowContextEnhancer
from catalog.recognizers.documents import LicensePlateRecognizer, PassportRecognizer
from catalog.recognizers.identifiers import BankCardRecognizer, ResidentIdRecognizer, UsccRecognizer
from catalog.recognizers.nlp import JiebaNlpEngine
from catalog.recognizers.normalise import Normalised, normalise
from catalog.recognizers.person import PersonRecognizer

ENTITY_TYPES = (
    "PERSON", "CN_RESIDENT_ID", "CN_MOBILE", "CN_LANDLINE", "CN_BANK_CARD", "CN_USCC", "EMAIL", "CN_PASSPORT",
    "CN_LICENSE_PLATE", "ADDRESS",
)


def all_recognizers() -> list[EntityRecognizer]:
    """A fresh instance of every recognizer, one per entity type."""
    return [
        PersonRecognizer(),
        ResidentIdRecognizer(),
        MobileRecognizer(),
        LandlineRecognizer(),
        BankCardRecognizer(),
        UsccRecognizer(),
        EmailRecognizer(),
        PassportRecognizer(),
        LicensePlateRecognizer(),
        AddressRecognizer(),
    ]


__all__ = [
    "ENTITY_TYPES",
    "AddressRecognizer",
    "LandlineRecognizer",
    "Normalised",
    "normalise",
    "BankCardRecognizer",
    "CharWindowContextEnhancer",
    "EmailRecognizer",
    "JiebaNlpEngine",
    "LicensePlateRecognizer",
    "MobileRecognizer",
    "PassportRecognizer",
    "PersonRecognizer",
    "ResidentIdRecognizer",
    "UsccRecognizer",
    "all_recognizers",
    "is_legacy_resident_id",
    "is_resident_id",
    "resident_id_check_char",
]
