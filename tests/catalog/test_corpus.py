"""The labelled corpus generator: size, genres, variant families, decoys, gold spans, determinism."""

from __future__ import annotations

from collections import Counter

import pytest

from catalog.pii_corpus import BENCH_SEED, LEVEL3, TEST_SEED, generate
from catalog.pii_corpus.genres import GENRES
from catalog.recognizers import ENTITY_TYPES, is_legacy_resident_id, is_resident_id, normalise
from catalog.recognizers.checks import is_bank_card, is_landline, is_mobile

FAMILIES = {
    "CN_RESIDENT_ID": {"plain", "x", "lowerx", "fullwidth", "s684", "h684", "s6444", "legacy15", "mixed"},
    "CN_MOBILE": {"plain", "h344", "s344", "s434", "fullwidth", "plus86", "0086", "plus86s", "86h"},
    "CN_BANK_CARD": {"plain", "s4", "h4", "fullwidth", "s6rest", "s4full"},
    "CN_LANDLINE": {"hyphen", "paren", "fullparen", "ext", "fullhyphen", "space", "plain", "hyphenext", "fullwidth"},
    "ADDRESS": {"address", "street", "village"},
    "PERSON": {"han", "compound", "uyghur", "tibetan", "mongolian", "foreign", "han_list", "han_label"},
}


@pytest.fixture(scope="module")
def corpus() -> list:
    return generate(1600, TEST_SEED)


def test_at_least_1500_texts_in_five_genres(corpus: list) -> None:
    assert len(corpus) >= 1500
    assert Counter(e.genre for e in corpus).keys() == set(GENRES) and len(GENRES) == 5


def test_every_type_and_family_occurs(corpus: list) -> None:
    seen = {(g.type, g.family) for e in corpus for g in e.gold}
    assert {kind for kind, _ in seen} == set(ENTITY_TYPES)
    for kind, families in FAMILIES.items():
        assert families <= {f for k, f in seen if k == kind}, kind


def test_texts_without_personal_information_carry_decoys(corpus: list) -> None:
    clean = [e for e in corpus if not e.gold]
    assert 0.08 <= len(clean) / len(corpus) <= 0.25
    assert any("某" in e.text for e in clean) and any("局" in e.text for e in clean)


def test_gold_spans_do_not_overlap_and_index_the_values(corpus: list) -> None:
    for example in corpus:
        spans = sorted((g.start, g.end) for g in example.gold)
        assert all(a[1] <= b[0] for a, b in zip(spans, spans[1:], strict=False)), example.text
        assert all(example.text[g.start : g.end].strip() == example.text[g.start : g.end] != "" for g in example.gold)


def _digits(value: str) -> str:
    return "".join(c for c in normalise(value).text if c.isdigit() or c in "Xx")


def test_planted_identifiers_are_valid(corpus: list) -> None:
    checks = {
        "CN_RESIDENT_ID": lambda d: is_resident_id(d) or is_legacy_resident_id(d),
        "CN_BANK_CARD": is_bank_card,
        "CN_MOBILE": lambda d: is_mobile(d[-11:]),
        "CN_LANDLINE": lambda d: any(is_landline(d[:n]) for n in (10, 11, 12)),
    }
    for example in corpus:
        for g in example.gold:
            if g.type in checks:
                assert checks[g.type](_digits(example.text[g.start : g.end])), example.text[g.start : g.end]


def test_level3_types() -> None:
    assert {"CN_RESIDENT_ID", "CN_MOBILE", "CN_LANDLINE", "CN_BANK_CARD", "CN_PASSPORT"} == LEVEL3


def test_deterministic_by_seed_and_the_bench_seed_is_held_out() -> None:
    assert generate(50, 3) == generate(50, 3)
    assert generate(50, 3) != generate(50, 4)
    assert BENCH_SEED != TEST_SEED
