# ruff: noqa: E501  (CJK text counts double-width)
"""Benchmark: PII detection quality and speed on the project's corpus, against today's detector.

The corpus is ``catalog.pii_corpus.generate(--n, --seed)`` with the held-out
``BENCH_SEED`` (the tests never generate with it).  Two detectors scan the same texts,
each in a fresh subprocess with the same warm-up and an empty jieba memo:

* **baseline** — today's detector: the ``catalog`` package as it was at ``--baseline-ref``
  (git commit c6e9114, before issue 24), extracted with ``git archive`` into a
  temporary directory that comes first on the worker's ``PYTHONPATH``;
* **current** — the working tree's ``catalog``.

Printed: exact and overlap F1 per type, recall per variant family, the leak rate of
level-3 values (ID, mobile, landline, card, passport: any character outside every
detected span), the false-alarm rate on texts without personal information, and
texts/s (wall clock and per CPU-second) with the ratio current / baseline.
Targets (issue 24): every identifier type >= 0.98, PERSON >= 0.93, ADDRESS >= 0.85,
leak <= 0.5 %, speed no worse than the baseline per text.

    .venv/bin/python bench/pii.py [--n 1600] [--seed 7340241] [--baseline-ref c6e9114] [--families]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tarfile
import tempfile
import time
from io import BytesIO
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BASELINE_REF = "c6e9114"
IDENTIFIERS = ("CN_RESIDENT_ID", "CN_MOBILE", "CN_LANDLINE", "CN_BANK_CARD", "CN_USCC", "EMAIL", "CN_PASSPORT", "CN_LICENSE_PLATE")
TARGETS = {**dict.fromkeys(IDENTIFIERS, 0.98), "PERSON": 0.93, "ADDRESS": 0.85}


def worker(corpus: Path) -> None:
    """Scan every text of ``corpus`` (a JSON list) with whichever ``catalog`` is first on the path."""
    import resource

    from catalog.pii import scan
    from catalog.recognizers.nlp import _tag_unknown_run

    texts = json.loads(corpus.read_text(encoding="utf-8"))
    scan("预热：举报人张伟，电话13812345678，邮箱a.b@qq.com，住西湖区文三路90号")
    _tag_unknown_run.cache_clear()
    usage = resource.getrusage(resource.RUSAGE_SELF)
    cpu, wall = usage.ru_utime + usage.ru_stime, time.perf_counter()
    spans = [[(e.type, e.start, e.end) for e in scan(text)] for text in texts]
    wall = time.perf_counter() - wall
    usage = resource.getrusage(resource.RUSAGE_SELF)
    json.dump({"spans": spans, "wall": wall, "cpu": usage.ru_utime + usage.ru_stime - cpu,
               "module": sys.modules["catalog.pii"].__file__}, sys.stdout)


def baseline_tree(ref: str, into: Path) -> Path:
    """``catalog/`` as it was at ``ref``, extracted under ``into``."""
    archive = subprocess.run(["git", "-C", str(ROOT), "archive", ref, "catalog"], capture_output=True, check=True).stdout
    with tarfile.open(fileobj=BytesIO(archive)) as tar:
        tar.extractall(into, filter="data")
    return into


def run(corpus: Path, path_first: Path) -> dict:
    """One worker subprocess with ``path_first`` at the front of its ``PYTHONPATH``."""
    env = {**os.environ, "PYTHONPATH": str(path_first)}
    done = subprocess.run([sys.executable, __file__, "--worker", str(corpus)], env=env, capture_output=True, check=True, text=True)
    return json.loads(done.stdout)


def report(examples: list, results: dict[str, dict], families: bool) -> None:
    """Print the quality table, the leak and false-alarm rates, and the speed comparison."""
    from catalog.pii_corpus.score import Score

    scores: dict[str, Score] = {}
    for name, result in results.items():
        score = Score()
        for example, spans in zip(examples, result["spans"], strict=True):
            score.add(example, {tuple(s) for s in spans})
        scores[name] = score
    base, cur = scores["baseline"], scores["current"]
    print(f"{'type':<18}{'gold':>6}  {'baseline exact/overlap':>24}  {'current exact/overlap':>23}  target")
    for kind in (*IDENTIFIERS, "PERSON", "ADDRESS"):
        met = "met" if cur.exact_f1(kind) >= TARGETS[kind] else "MISSED"
        print(f"{kind:<18}{cur.overlap['gold'][kind]:>6}  {base.exact_f1(kind):>11.3f} / {base.overlap_f1(kind):.3f}  "
              f"{cur.exact_f1(kind):>10.3f} / {cur.overlap_f1(kind):.3f}  >= {TARGETS[kind]:.2f} (exact) {met}")
    print(f"level-3 leak rate: baseline {base.leak_rate:.2%} ({sum(base.leaks.values())} of {sum(base.level3.values())}), "
          f"current {cur.leak_rate:.2%} ({sum(cur.leaks.values())} of {sum(cur.level3.values())}); target <= 0.5 %")
    print(f"false alarms on {cur.clean_texts} texts without personal information: baseline {base.false_alarm_rate:.1%}, "
          f"current {cur.false_alarm_rate:.1%}")
    if families:
        print("recall (exact) by variant family: baseline -> current")
        for key in sorted(cur.family_gold):
            n = cur.family_gold[key]
            print(f"  {key[0]:<16} {key[1]:<18} {n:>5}  {base.family_hit[key] / n:6.1%} -> {cur.family_hit[key] / n:6.1%}")
    n = len(examples)
    b, c = results["baseline"], results["current"]
    print(f"speed: baseline {n / b['wall']:.0f} texts/s ({n / b['cpu']:.0f} per CPU-second), current {n / c['wall']:.0f} texts/s "
          f"({n / c['cpu']:.0f} per CPU-second); current / baseline = {b['wall'] / c['wall']:.2f}x wall, {b['cpu'] / c['cpu']:.2f}x CPU "
          "(target >= 1.00x)")


def main() -> None:
    """Generate the corpus, run both detectors, print the comparison."""
    from catalog.pii_corpus import BENCH_SEED, generate

    parser = argparse.ArgumentParser(description="PII detection: quality and speed against today's detector")
    parser.add_argument("--n", type=int, default=1600)
    parser.add_argument("--seed", type=int, default=BENCH_SEED)
    parser.add_argument("--baseline-ref", default=BASELINE_REF)
    parser.add_argument("--families", action="store_true", help="also print recall per variant family")
    args = parser.parse_args()
    examples = generate(args.n, args.seed)
    print(f"corpus: {len(examples)} texts, seed {args.seed}, {sum(len(e.gold) for e in examples)} gold values; "
          f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores", flush=True)
    with tempfile.TemporaryDirectory() as tmp:
        corpus = Path(tmp) / "corpus.json"
        corpus.write_text(json.dumps([e.text for e in examples], ensure_ascii=False), encoding="utf-8")
        results = {"baseline": run(corpus, baseline_tree(args.baseline_ref, Path(tmp) / "baseline")),
                   "current": run(corpus, ROOT)}
    for name, result in results.items():
        print(f"{name}: {result['module']}")
    report(examples, results, args.families)


if __name__ == "__main__":
    if len(sys.argv) == 3 and sys.argv[1] == "--worker":
        worker(Path(sys.argv[2]))
    else:
        sys.path.insert(0, str(ROOT))
        main()
