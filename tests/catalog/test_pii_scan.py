"""``hub pii scan``: F1 on the gold corpus, and the CLI end to end over stdin."""

from __future__ import annotations

import json
import subprocess
import sys
from collections import Counter
from pathlib import Path

import pytest

from catalog.pii import scan
from catalog.recognizers import ENTITY_TYPES
from tests.catalog._corpus import load

HUB = Path(sys.executable).with_name("hub")
IDENTIFIERS = [t for t in ENTITY_TYPES if t != "PERSON"]


def f1_by_type() -> dict[str, float]:
    tp: Counter[str] = Counter()
    fp: Counter[str] = Counter()
    fn: Counter[str] = Counter()
    for example in load():
        got = {(e.type, e.start, e.end) for e in scan(example.text)}
        tp.update(kind for kind, _, _ in got & example.gold)
        fp.update(kind for kind, _, _ in got - example.gold)
        fn.update(kind for kind, _, _ in example.gold - got)
    return {k: 2 * tp[k] / max(1, 2 * tp[k] + fp[k] + fn[k]) for k in ENTITY_TYPES}


@pytest.fixture(scope="module")
def f1() -> dict[str, float]:
    scores = f1_by_type()
    print("per-type F1:", {k: round(v, 3) for k, v in scores.items()})
    return scores


def test_corpus_is_large_enough() -> None:
    examples = load()
    assert len(examples) >= 100
    assert {kind for ex in examples for kind, _, _ in ex.gold} == set(ENTITY_TYPES)


@pytest.mark.parametrize("kind", IDENTIFIERS)
def test_identifier_f1(f1: dict[str, float], kind: str) -> None:
    assert f1[kind] >= 0.97


def test_person_f1(f1: dict[str, float]) -> None:
    assert f1["PERSON"] >= 0.90


@pytest.fixture(scope="module")
def generated():  # type: ignore[no-untyped-def]
    from catalog.pii_corpus import TEST_SEED, generate
    from catalog.pii_corpus.score import score

    return score(generate(800, TEST_SEED), lambda text: [(e.type, e.start, e.end) for e in scan(text)])


@pytest.mark.parametrize("kind", IDENTIFIERS)
def test_generated_corpus_identifier_f1(generated, kind: str) -> None:  # type: ignore[no-untyped-def]
    assert generated.exact_f1(kind) >= 0.98


def test_generated_corpus_person_address_leaks_and_false_alarms(generated) -> None:  # type: ignore[no-untyped-def]
    assert generated.exact_f1("PERSON") >= 0.93
    assert generated.exact_f1("ADDRESS") >= 0.85
    assert generated.leak_rate <= 0.005
    assert generated.false_alarm_rate <= 0.05


def run_scan(data: bytes) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run([str(HUB), "pii", "scan"], input=data, capture_output=True, timeout=120)


def test_cli_streams_lines_and_names_the_bad_utf8_line() -> None:
    lines = ["举报人张伟，电话13812345678", "", "订单号202603150001234567", "邮箱a.b@qq.com"]
    done = run_scan(("\n".join(lines) + "\n").encode() + b"\xff\xfe\n")
    assert done.returncode == 1
    assert b"line 5" in done.stderr and b"UTF-8" in done.stderr and b"Traceback" not in done.stderr
    out = [json.loads(line) for line in done.stdout.decode().splitlines()]
    assert len(out) == 4
    assert [(e["type"], e["start"], e["end"]) for e in out[0]["entities"]] == [
        ("PERSON", 3, 5), ("CN_MOBILE", 8, 19)
    ]
    assert out[1] == {"entities": []} and out[2] == {"entities": []}
    assert out[3]["entities"][0]["type"] == "EMAIL"
    assert all(0 < e["score"] <= 1 for e in out[0]["entities"])


def test_scan_stream_in_process() -> None:
    import io

    from hub.cli.pii import scan_stream

    sink = io.StringIO()
    assert scan_stream(io.BytesIO("护照E12345678\r\n无\n".encode()), sink) == 2
    first, second = (json.loads(line) for line in sink.getvalue().splitlines())
    assert first["entities"][0]["type"] == "CN_PASSPORT" and second == {"entities": []}
