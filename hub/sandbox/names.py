"""Names (姓名): a pool of realistic Chinese personal names built once from Faker.

Calling Faker per row would dominate generation time at a million recipients,
so the pool is built once per seed (surnames weighted as Faker's zh_CN provider
weights them, plus compound surnames 欧阳/司马/上官/诸葛 now and then) and rows
pick from it by index.
"""

from __future__ import annotations

import numpy as np
from faker import Faker
from faker.providers.person.zh_CN import Provider as ZhPersonProvider

COMPOUND_SURNAMES = ("欧阳", "司马", "上官", "诸葛", "东方", "皇甫")
_COMPOUND_SHARE = 0.01


class NamePool:
    """Surnames with weights and given names; ``take(n)`` returns ``n`` full names."""

    def __init__(self, seed: int, given_names: int = 4000) -> None:
        fake = Faker("zh_CN")
        fake.seed_instance(seed)
        weights = dict(ZhPersonProvider.last_names)
        for surname in COMPOUND_SURNAMES:
            weights.setdefault(surname, 0.0)
        total = sum(w for s, w in weights.items() if len(s) == 1)
        self.surnames = np.array(list(weights))
        shares = np.array(
            [
                w / total * (1 - _COMPOUND_SHARE) if len(s) == 1 else _COMPOUND_SHARE / len(COMPOUND_SURNAMES)
                for s, w in weights.items()
            ]
        )
        self.surname_p = shares / shares.sum()
        base = sorted({fake.first_name() for _ in range(given_names)})
        singles = [g for g in base if len(g) == 1]
        pairs = {fake.random_element(singles) + fake.random_element(singles) for _ in range(given_names)}
        self.given = np.array(base + sorted(pairs - set(base)))

    def take(self, rng: np.random.Generator, n: int) -> list[str]:
        """``n`` full names (surname + given name)."""
        surnames = rng.choice(self.surnames, size=n, p=self.surname_p)
        given = self.given[rng.integers(0, len(self.given), size=n)]
        return np.char.add(surnames.astype(str), given.astype(str)).tolist()

    def one(self, rng: np.random.Generator) -> str:
        """One full name."""
        return self.take(rng, 1)[0]
