"""Identifiers (证照号码): resident IDs, USCCs, bank cards and mobiles, generated in bulk.

Every generator takes a numpy ``Generator`` and a count and returns a list of
strings, computed with array arithmetic so that a million recipients cost a
fraction of a second.  Check characters follow the standards: GB 11643 (ISO
7064 MOD 11-2), GB 32100 (mod 31, via python-stdnum), GB 11714 (organisation
code, mod 11) and Luhn for bank cards.
"""

from __future__ import annotations

import datetime as dt

import numpy as np
from stdnum.cn import uscc as stdnum_uscc

from hub.sandbox.regions import birthplaces

_RIC_WEIGHTS = np.array([7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2], dtype=np.int64)
_RIC_CHECK = np.array(list("10X98765432"))
_EPOCH = np.datetime64("1970-01-01", "D")
# Issuer identification numbers of the big banks' debit cards (工行/建行/农行/中行/交行/邮储).
CARD_BINS = (
    (622202, 19),
    (621226, 19),
    (621700, 19),
    (621799, 19),
    (622848, 19),
    (621661, 19),
    (622262, 19),
    (621799, 16),
    (622188, 19),
    (625965, 16),
)
MOBILE_PREFIXES = (
    130,
    131,
    132,
    133,
    134,
    135,
    136,
    137,
    138,
    139,
    150,
    151,
    152,
    153,
    155,
    156,
    157,
    158,
    159,
    166,
    173,
    175,
    176,
    177,
    180,
    181,
    182,
    183,
    186,
    187,
    188,
    189,
    191,
    198,
    199,
)
_ORG_ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
_ORG_WEIGHTS = (3, 7, 9, 10, 5, 8, 4, 2)


def _digits(values: np.ndarray, width: int) -> np.ndarray:
    """The decimal digits of each value, most significant first, shape (n, width)."""
    powers = 10 ** np.arange(width - 1, -1, -1, dtype=np.int64)
    return (values[:, None] // powers[None, :]) % 10


def resident_check_chars(bodies: np.ndarray) -> np.ndarray:
    """ISO 7064 MOD 11-2 check characters of 17-digit ID bodies."""
    total = (_digits(bodies, 17) * _RIC_WEIGHTS).sum(axis=1)
    return _RIC_CHECK[total % 11]


def resident_id_bodies(
    rng: np.random.Generator, n: int, born_from: int = 1940, born_to: int = 2004
) -> np.ndarray:
    """17-digit bodies: real birthplace code, valid birth date, sequence (odd = male)."""
    codes, weights = birthplaces()
    places = rng.choice(codes, size=n, p=weights)
    start = (np.datetime64(f"{born_from}-01-01", "D") - _EPOCH).astype(np.int64)
    stop = (np.datetime64(f"{born_to}-12-31", "D") - _EPOCH).astype(np.int64)
    days = _EPOCH + rng.integers(start, stop, size=n).astype("timedelta64[D]")
    ymd = days.astype("datetime64[D]").astype(str)
    dates = np.char.replace(ymd, "-", "").astype(np.int64)
    seq = rng.integers(1, 1000, size=n, dtype=np.int64)
    return places * 10**11 + dates * 1000 + seq


def resident_ids(rng: np.random.Generator, n: int, born_from: int = 1940, born_to: int = 2004) -> list[str]:
    """``n`` valid 18-character resident ID numbers (GB 11643)."""
    bodies = resident_id_bodies(rng, n, born_from, born_to)
    checks = resident_check_chars(bodies)
    return [f"{b:017d}{c}" for b, c in zip(bodies.tolist(), checks.tolist(), strict=True)]


def resident_id_with_x(rng: np.random.Generator, born_from: int = 1960, born_to: int = 1990) -> str:
    """One valid resident ID whose check character is ``X`` (for the lower-case variants)."""
    while True:
        bodies = resident_id_bodies(rng, 64, born_from, born_to)
        checks = resident_check_chars(bodies)
        hits = np.flatnonzero(checks == "X")
        if hits.size:
            return f"{int(bodies[hits[0]]):017d}X"


def birth_date(resident_id: str) -> dt.date:
    """The birth date encoded in a resident ID."""
    text = resident_id.strip()
    return dt.date(int(text[6:10]), int(text[10:12]), int(text[12:14]))


def _luhn_check_digits(bodies: np.ndarray, width: int) -> np.ndarray:
    digits = _digits(bodies, width)[:, ::-1]  # rightmost body digit is doubled
    doubled = digits[:, 0::2] * 2
    total = (doubled - 9 * (doubled > 9)).sum(axis=1) + digits[:, 1::2].sum(axis=1)
    return (10 - total % 10) % 10


def bank_cards(rng: np.random.Generator, n: int) -> list[str]:
    """``n`` debit card numbers (16 or 19 digits) with a Luhn check digit."""
    picks = rng.integers(0, len(CARD_BINS), size=n)
    bins = np.array([b for b, _ in CARD_BINS], dtype=np.int64)[picks]
    lengths = np.array([length for _, length in CARD_BINS], dtype=np.int64)[picks]
    out = np.empty(n, dtype=object)
    for length in (16, 19):
        mask = lengths == length
        rest = length - 7  # digits between the BIN and the check digit
        body = bins[mask] * 10**rest + rng.integers(0, 10**rest, size=int(mask.sum()), dtype=np.int64)
        checks = _luhn_check_digits(body, length - 1)
        out[mask] = [f"{b:0{length - 1}d}{c}" for b, c in zip(body.tolist(), checks.tolist(), strict=True)]
    return out.tolist()


def mobiles(rng: np.random.Generator, n: int) -> list[str]:
    """``n`` mainland mobile numbers ``1[3-9]\\d{9}`` with real carrier prefixes."""
    prefixes = np.array(MOBILE_PREFIXES, dtype=np.int64)[rng.integers(0, len(MOBILE_PREFIXES), size=n)]
    numbers = prefixes * 10**8 + rng.integers(0, 10**8, size=n, dtype=np.int64)
    return [str(v) for v in numbers.tolist()]


def _org_code(body: str) -> str:
    """GB 11714 organisation code: 8 characters and their mod-11 check character."""
    total = sum(_ORG_ALPHABET.index(ch) * w for ch, w in zip(body, _ORG_WEIGHTS, strict=True))
    check = 11 - total % 11
    return body + ("X" if check == 10 else "0" if check == 11 else str(check))


def usccs(rng: np.random.Generator, n: int, regions: list[str], kind: str = "91") -> list[str]:
    """``n`` distinct unified social credit codes (GB 32100) registered in ``regions``.

    ``kind`` is the registration authority and type: ``91`` companies, ``11`` organs,
    ``12`` public institutions.
    """
    out: dict[str, None] = {}
    while len(out) < n:
        region = regions[int(rng.integers(0, len(regions)))]
        org = _org_code(f"{int(rng.integers(0, 10**8)):08d}")
        body = f"{kind}{region}{org}"
        out[body + stdnum_uscc.calc_check_digit(body)] = None
    return list(out)


class ResidentRegistry:
    """Resident IDs handed out so far: one person, one ID, across every system."""

    def __init__(self) -> None:
        self._taken: set[int] = set()

    def fresh(
        self, rng: np.random.Generator, n: int, born_from: int = 1940, born_to: int = 2004
    ) -> list[str]:
        """``n`` valid resident IDs no one else holds, in random order."""
        bodies: list[int] = []
        while len(bodies) < n:
            for body in resident_id_bodies(rng, n - len(bodies), born_from, born_to).tolist():
                if body not in self._taken:
                    self._taken.add(body)
                    bodies.append(body)
        array = np.array(bodies, dtype=np.int64)
        checks = resident_check_chars(array).tolist()
        return [f"{b:017d}{c}" for b, c in zip(bodies, checks, strict=True)]

    def fresh_with_x(self, rng: np.random.Generator, born_from: int = 1960, born_to: int = 1990) -> str:
        """One unused resident ID whose check character is ``X``."""
        while True:
            idn = resident_id_with_x(rng, born_from, born_to)
            if int(idn[:17]) not in self._taken:
                self._taken.add(int(idn[:17]))
                return idn
