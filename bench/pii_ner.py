# ruff: noqa: E501  (CJK text counts double-width)
"""Benchmark: PERSON from a Chinese NER model that ships inside a registry package, side by side
with the hub's rule-based recognizer, on the project's labelled corpus (held-out seed).

Candidates (issue 24): Baidu LAC carries its model in its wheel but its last release
(2.1.2, 2021) imports ``paddle.fluid``, which paddlepaddle removed in 2.6; the oldest
paddlepaddle on PyPI for Python 3.11 is 2.6.2, so LAC cannot run here (checked: it
installs from its sdist with ``--no-build-isolation`` and fails on import).  THULAC
(``thulac`` 0.2.2, 2022; models from 2016 inside the wheel, ~500 MB unpacked) tags
person names ``np``; its licence allows research use only (commercial use needs a
licence from Tsinghua), so it could not ship in the hub even if it scored better.
This script measures it anyway: ``--python`` names an interpreter where ``thulac`` is
installed (it is not a dependency of the hub), e.g. a scratch venv.

    .venv/bin/python bench/pii_ner.py --python /tmp/venv-thulac/bin/python [--n 800]
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

WORKER = r"""
import json, sys, time
import thulac
texts = json.load(open(sys.argv[1], encoding="utf-8"))
tagger = thulac.thulac()
tagger.cut("预热：举报人张伟")
started = time.perf_counter()
out = []
for text in texts:
    at, spans = 0, []
    for word, tag in tagger.cut(text):
        start = text.find(word, at)
        if start < 0:
            continue
        at = start + len(word)
        if tag == "np":
            spans.append(("PERSON", start, at))
    out.append(spans)
json.dump({"spans": out, "seconds": time.perf_counter() - started}, open(sys.argv[2], "w"))
"""


def ours(texts: list[str]) -> tuple[list[list[tuple[str, int, int]]], float]:
    """PERSON spans from the hub's analyzer (all recognizers run, as in production)."""
    from catalog.pii import scan

    scan("预热：举报人张伟")
    started = time.perf_counter()
    spans = [[(e.type, e.start, e.end) for e in scan(t) if e.type == "PERSON"] for t in texts]
    return spans, time.perf_counter() - started


def main() -> None:
    """Score both on PERSON and print F1 and texts/s."""
    sys.path.insert(0, str(ROOT))
    from catalog.pii_corpus import BENCH_SEED, Example, generate
    from catalog.pii_corpus.score import Score

    parser = argparse.ArgumentParser(description="PERSON: NER model in a package vs the rule-based recognizer")
    parser.add_argument("--python", required=True, help="interpreter with thulac installed")
    parser.add_argument("--n", type=int, default=800)
    parser.add_argument("--seed", type=int, default=BENCH_SEED)
    args = parser.parse_args()
    examples = generate(args.n, args.seed)
    texts = [e.text for e in examples]
    with tempfile.TemporaryDirectory() as tmp:
        corpus = Path(tmp) / "texts.json"
        corpus.write_text(json.dumps(texts, ensure_ascii=False), encoding="utf-8")
        result = Path(tmp) / "spans.json"  # thulac prints to stdout itself
        subprocess.run([args.python, "-c", WORKER, str(corpus), str(result)], capture_output=True, check=True)
        model = json.loads(result.read_text())
    rules, seconds = ours(texts)
    for name, spans, secs in (("thulac np", model["spans"], model["seconds"]), ("hub rules", rules, seconds)):
        score = Score()
        for example, found in zip(examples, spans, strict=True):
            persons = Example(example.genre, example.text, tuple(g for g in example.gold if g.type == "PERSON"))
            score.add(persons, {tuple(s) for s in found})
        print(f"{name:<10} PERSON exact F1 {score.exact_f1('PERSON'):.3f}, overlap F1 {score.overlap_f1('PERSON'):.3f}, "
              f"{len(texts) / secs:.0f} texts/s ({len(texts)} texts)")


if __name__ == "__main__":
    main()
