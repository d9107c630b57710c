# ruff: noqa: E501  (CJK text counts double-width; data lines read better unbroken)
"""Validity checks of the numeric identifiers, on bare digits (separators already removed).

Libraries where they fit: Luhn from python-stdnum; mobile prefixes and landline area
codes (with the length of each area's local numbers) from phonenumbers, Google's
libphonenumber metadata, which is updated as ranges are allocated.  The resident-ID
check is hand-written on purpose: ``stdnum.cn.ric`` also requires the 6-digit
birthplace code to be one it knows, which rejects real IDs issued under codes that
were later renamed (and sandbox or partner data built from newer codes).  We check
the GB 11643 (ISO 7064 MOD 11-2) check character, a real birth date that is not in
the future, and a valid province prefix.
"""

from __future__ import annotations

import datetime as dt
from functools import lru_cache

import phonenumbers
from phonenumbers import PhoneNumberType
from stdnum import luhn

PROVINCES = frozenset(
    ["11", "12", "13", "14", "15", "21", "22", "23", "31", "32", "33", "34", "35", "36", "37", "41", "42", "43", "44", "45", "46", "50", "51", "52", "53", "54", "61", "62", "63", "64", "65", "71", "81", "82"]
)
_WEIGHTS = [pow(2, 17 - i, 11) for i in range(17)]
_CHECK = "10X98765432"
_MOBILE_TYPES = frozenset({PhoneNumberType.MOBILE, PhoneNumberType.FIXED_LINE_OR_MOBILE})


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
    number = value.replace(" ", "").replace("-", "").upper()
    if len(number) != 18 or not number[:17].isdigit() or number[:2] not in PROVINCES:
        return False
    return _birth_date_ok(number[6:14]) and resident_id_check_char(number[:17]) == number[17]


def is_legacy_resident_id(value: str) -> bool:
    """True for a 15-digit pre-1999 ID with a valid province and 19YYMMDD birth date."""
    return len(value) == 15 and value.isdigit() and value[:2] in PROVINCES and _birth_date_ok("19" + value[6:12])


def card_prior(digits: str) -> float:
    """How card-like a Luhn-valid number is by its issuer prefix: UnionPay 62 strongest."""
    if digits.startswith("62"):
        return 0.85
    if digits[0] in "45":
        return 0.65
    if digits[0] in "369":
        return 0.55
    return 0.3


def is_bank_card(digits: str) -> bool:
    """16–19 digits with a valid Luhn check digit."""
    return 16 <= len(digits) <= 19 and digits.isdigit() and luhn.is_valid(digits)


@lru_cache(maxsize=65_536)
def is_mobile(digits: str) -> bool:
    """An 11-digit mainland mobile number in an allocated range."""
    if len(digits) != 11 or not digits.startswith("1"):
        return False
    number = phonenumbers.PhoneNumber(country_code=86, national_number=int(digits))
    return phonenumbers.is_valid_number(number) and phonenumbers.number_type(number) in _MOBILE_TYPES


def looks_mobile(digits: str) -> bool:
    """``1[3-9]`` + 9 digits: shaped like a mobile number, allocated or not (yet) in the metadata."""
    return len(digits) == 11 and digits.isdigit() and digits[0] == "1" and digits[1] in "3456789"


@lru_cache(maxsize=65_536)
def is_landline(digits: str) -> bool:
    """A fixed-line number written with its trunk 0 and area code (0571 + 8 digits, 0891 + 7 …).

    Toll-free, shared-cost (400/800) and service numbers are not fixed lines.
    """
    if not 10 <= len(digits) <= 12 or digits[0] != "0" or digits[1] == "0":
        return False
    number = phonenumbers.PhoneNumber(country_code=86, national_number=int(digits[1:]))
    return phonenumbers.is_valid_number(number) and phonenumbers.number_type(number) == PhoneNumberType.FIXED_LINE
