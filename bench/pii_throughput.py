# ruff: noqa: E501  (CJK text counts double-width)
"""Benchmark: ``hub pii scan``-equivalent throughput and publish-time redaction, texts/s (issue 5).

(Quality on the labelled corpus, against the detector before issue 24, is ``bench/pii.py``.)

Texts come from the sandbox's own generator (``hub.sandbox.texts.Writer``: treasury
purposes and audit findings naming people with ID and phone numbers), with a pool
of ``--people`` distinct persons so names recur about as often as in a real
column.  Or ``--sandbox DIR`` reads a seeded sandbox's
``treasury_payment.purpose_text`` (repeated up to ``--n``).  Measures:

1. scan of short texts in one process (the baseline),
2. the same in two processes,
3. redaction (``catalog.redact.redact_texts``, both cores) of ``--n`` purpose texts
   (each distinct text is analysed once, as at publish time).

Each measurement starts with an empty jieba memo (see ``catalog.recognizers.nlp``)
and prints wall-clock texts/s, its ratio to the baseline, and texts per CPU-second
(independent of other load on a shared machine).
Target: >= 2,000 texts/s.

    .venv/bin/python bench/pii_throughput.py [--n 100000] [--short 5000] [--people 20000] [--sandbox DIR]
"""

from __future__ import annotations

import argparse
import multiprocessing
import os
import resource
import sqlite3
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np

from catalog.pii import scan
from catalog.recognizers.nlp import _tag_unknown_run
from catalog.redact import redact_texts
from hub.sandbox.names import NamePool
from hub.sandbox.texts import FINDINGS, Writer

PAYEES = ("杭州中诚建设工程有限公司", "湖州吴兴数据科技有限公司", "浙江省邮电印刷厂", "西湖区物业管理中心")


def generated(n: int, people: int, seed: int) -> list[str]:
    """``n`` purpose texts and audit findings from the sandbox's writer."""
    rng = np.random.default_rng(seed)
    writer = Writer(rng, NamePool(seed).take(rng, people), pool=people)
    kinds = list(FINDINGS)
    out = []
    for i in range(n):
        if i % 4 == 3:
            out.append(writer.finding(kinds[i % len(kinds)], "西湖区民政局", f"{i * 37 % 90000 + 100}.00"))
        else:
            out.append(writer.purpose(PAYEES[i % len(PAYEES)]))
    return out


def from_sandbox(directory: Path, n: int) -> list[str]:
    """purpose_text values from a sandbox's finance.sqlite, repeated up to ``n``."""
    with sqlite3.connect(directory / "finance.sqlite") as con:
        rows = [r[0] for r in con.execute("SELECT purpose_text FROM treasury_payment") if r[0]]
    return (rows * (n // max(1, len(rows)) + 1))[:n]


def _scan_all(texts: list[str]) -> int:
    return sum(len(scan(t)) for t in texts)


def cpu_seconds() -> float:
    """CPU time of this process and its finished children (pool workers)."""
    own, children = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def rate(label: str, count: int, wall: float, cpu: float, baseline: float | None = None) -> float:
    """Print and return texts/s (wall clock), with the ratio to ``baseline`` and texts per CPU-second.

    On a shared machine the wall-clock figure depends on other load; texts per
    CPU-second does not, and x2 is what two idle cores would give.
    """
    per_s = count / wall
    ratio = f"{per_s / baseline:5.2f}x baseline" if baseline else "     baseline"
    print(f"{label:<36} {count:>7} texts {wall:6.2f}s wall = {per_s:6.0f} texts/s ({ratio}); "
          f"{count / cpu:6.0f} texts per CPU-second", flush=True)
    return per_s


def measure(label: str, count: int, work: Callable[[], object], baseline: float | None = None) -> float:
    """Time ``work`` from an empty jieba memo; print the figures."""
    _tag_unknown_run.cache_clear()
    wall, cpu = time.perf_counter(), cpu_seconds()
    work()
    return rate(label, count, time.perf_counter() - wall, cpu_seconds() - cpu, baseline)


def _two_processes(texts: list[str]) -> None:
    with multiprocessing.get_context("fork").Pool(2) as pool:
        pool.map(_scan_all, [texts[i : i + 250] for i in range(0, len(texts), 250)])


def main() -> None:
    """Run the three measurements and print them."""
    parser = argparse.ArgumentParser(description="PII scan and redaction throughput")
    parser.add_argument("--n", type=int, default=100_000)
    parser.add_argument("--short", type=int, default=5_000)
    parser.add_argument("--people", type=int, default=20_000)
    parser.add_argument("--sandbox", type=Path)
    args = parser.parse_args()
    short = generated(args.short, args.people, seed=2)
    scan("预热：举报人张伟")  # build the engine and load jieba outside the timings
    print(f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores", flush=True)
    single = measure("scan, short texts, 1 process", len(short), lambda: _scan_all(short))
    measure("scan, short texts, 2 processes", len(short), lambda: _two_processes(short), single)
    texts = from_sandbox(args.sandbox, args.n) if args.sandbox else generated(args.n, args.people, seed=3)
    out: list[str | None] = []
    measure("redact purpose texts, 2 processes", len(texts), lambda: out.extend(redact_texts(texts)), single)
    changed = sum(a != b for a, b in zip(texts, out, strict=True))
    print(f"distinct texts: {len(set(texts))}; changed by redaction: {changed} of {len(texts)}; "
          "target >= 2,000 texts/s")


if __name__ == "__main__":
    main()
