"""Publish-time redaction end to end: values planted in a source's free text never reach the snapshot.

Texts from the labelled corpus (a seed of their own) replace ``purpose_text`` of the
sandbox's treasury payments; the real pipeline ingests, classifies and publishes; the
published Parquet's redacted twin is then searched for every planted gold value, as
written and (for numbers) as bare digits: no identifier, address, e-mail or plate may
be found; personal names, which no checksum confirms, may be missed at the rate the
benchmark reports (at most 3 % here).
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from catalog.pii_corpus import generate
from catalog.recognizers import normalise

PUBLISH_SEED = 424_242
PLANTED = 150


def _digits(text: str) -> str:
    return "".join(c for c in normalise(text).text if c.isdigit())


def _plant(sandbox: Path) -> list:
    examples = [e for e in generate(600, PUBLISH_SEED) if e.gold][:PLANTED]
    with sqlite3.connect(sandbox / "finance.sqlite") as con:
        ids = [r[0] for r in con.execute("SELECT payment_id FROM treasury_payment ORDER BY payment_id LIMIT ?",
                                          (len(examples),))]
        assert len(ids) == len(examples)
        con.executemany("UPDATE treasury_payment SET purpose_text = ? WHERE payment_id = ?",
                        [(e.text, pid) for pid, e in zip(ids, examples, strict=True)])
    return examples


@pytest.mark.slow
def test_published_free_text_holds_none_of_the_planted_values(hub_home: Path, tmp_path: Path) -> None:
    from hub.kms.parquet import snapshot_reader
    from hub.pipeline import run_pipeline
    from hub.sandbox import seed
    from hub.settings import load_settings

    sandbox = tmp_path / "sandbox"
    seed(sandbox, seed=5, scale=100)
    examples = _plant(sandbox)
    run_pipeline(load_settings(home=hub_home), sandbox)

    snapshot = sorted((hub_home / "published" / "finance.treasury_payment").glob("v*.parquet"))[-1]
    sealer = snapshot_reader(load_settings(home=hub_home))  # the snapshot is encrypted at rest
    table = sealer.read_table(snapshot, columns=["purpose_text", "purpose_text__redacted"]).to_pylist()
    redacted = {row["purpose_text"]: row["purpose_text__redacted"] for row in table}
    assert all(e.text in redacted for e in examples)  # every planted row was published

    found, names = [], []
    for example in examples:
        out = redacted[example.text]
        for gold in example.gold:
            value = example.text[gold.start : gold.end]
            digits = _digits(value)
            if value in out or (len(digits) >= 7 and digits in _digits(out)):
                (names if gold.type == "PERSON" else found).append((gold.type, value, out))
    planted = sum(len(e.gold) for e in examples)
    planted_names = sum(g.type == "PERSON" for e in examples for g in e.gold)
    assert planted > 300 and planted_names > 100
    assert found == []  # no number, address, e-mail or plate survives
    # Names are recognised, not validated: a few per hundred can be missed (see BENCHMARKS.md).
    assert len(names) <= 0.03 * planted_names, names
    assert all("<" in redacted[e.text] for e in examples)
