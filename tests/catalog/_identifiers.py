# ruff: noqa: E501  (CJK text counts double-width; data lines read better unbroken)
"""Test helper: valid (and deliberately invalid) Chinese identifiers with computed check chars.

Nothing here is hard-coded: check characters are computed (resident ID by GB 11643,
USCC by python-stdnum, cards by Luhn) so every "valid" value really is valid.
"""

from __future__ import annotations

import random

from stdnum import luhn
from stdnum.cn import uscc

from catalog.recognizers import resident_id_check_char

COUNTIES = ("110105", "310104", "330106", "440305", "510107", "420106", "370202", "650102", "230102", "532301")
BINS = ("622202", "622848", "621700", "623052", "625911", "436742", "622588", "603367", "955880")


def resident_id(rng: random.Random, lower_x: bool = False) -> str:
    """A valid 18-character resident ID (birth 1940–2010)."""
    born = f"{rng.randint(1940, 2010)}{rng.randint(1, 12):02d}{rng.randint(1, 28):02d}"
    first17 = rng.choice(COUNTIES) + born + f"{rng.randint(0, 999):03d}"
    check = resident_id_check_char(first17)
    return first17 + (check.lower() if lower_x else check)


def resident_id_with_x(rng: random.Random, lower_x: bool = False) -> str:
    """A valid resident ID whose check character is X (or x)."""
    while True:
        value = resident_id(rng, lower_x)
        if value[-1] in "Xx":
            return value


def bad_resident_id(rng: random.Random) -> str:
    """A resident ID with a wrong check character."""
    good = resident_id(rng)
    wrong = [c for c in "0123456789X" if c != good[-1]]
    return good[:17] + rng.choice(wrong[:-1] if good[-1] == "X" else wrong[:10])


def uscc_code(rng: random.Random) -> str:
    """A valid unified social credit code (enterprise, 91…)."""
    alphabet = "0123456789ABCDEFGHJKLMNPQRTUWXY"
    body = "91" + rng.choice(COUNTIES) + "".join(rng.choice(alphabet) for _ in range(9))
    return body + uscc.calc_check_digit(body)


def bad_uscc(rng: random.Random) -> str:
    """A USCC-shaped string with a wrong check character."""
    good = uscc_code(rng)
    return good[:17] + next(c for c in "0123456789ABCDEFGH" if c != good[-1])


def bank_card(rng: random.Random, length: int = 19) -> str:
    """A Luhn-valid card number with a real issuer prefix."""
    body = rng.choice(BINS) + "".join(str(rng.randint(0, 9)) for _ in range(length - 7))
    return body + luhn.calc_check_digit(body)


def bad_bank_card(rng: random.Random, length: int = 19) -> str:
    """A card-shaped number whose Luhn digit is wrong."""
    good = bank_card(rng, length)
    return good[:-1] + str((int(good[-1]) + rng.randint(1, 9)) % 10)


def grouped(number: str, sep: str = " ") -> str:
    """``number`` in groups of four."""
    return sep.join(number[i : i + 4] for i in range(0, len(number), 4))


def mobile(rng: random.Random) -> str:
    """An 11-digit mainland mobile number."""
    return f"1{rng.choice('3456789')}{rng.randint(0, 999_999_999):09d}"
