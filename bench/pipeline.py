"""End-to-end `hub run` timing, plain and encrypted at rest, in the same run.

Seeds one sandbox at --scale, then runs ingest → transform → publish twice on copies
of it: with ``HUB_ENCRYPT_AT_REST=false`` (plain DuckDB file, plain Parquet) and with
the default encryption (the warehouse attached with DuckDB's ENCRYPTION_KEY, every
snapshot sealed under its data keys, quarantined rows sealed), under ``--suite``.
Prints each stage's wall time of the best of --repeat runs of each (alternating which
goes first) and the ratio encrypted / plain, so BENCHMARKS.md records the cost of
encryption at rest.
Usage: .venv/bin/python bench/pipeline.py --scale 100000 [--suite gm] [--home DIR]
"""

from __future__ import annotations

import argparse
import shutil
import tempfile
import time
from pathlib import Path

from hub.pipeline import PipelineResult, run_pipeline
from hub.sandbox import seed
from hub.settings import load_settings


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--scale", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--suite", choices=("international", "gm"), default="international")
    parser.add_argument("--repeat", type=int, default=2, help="runs of each (alternating order; best kept)")
    parser.add_argument("--home", type=Path, default=None, help="folder for the two HUB_HOMEs (default: temp)")
    args = parser.parse_args()
    root = args.home or Path(tempfile.mkdtemp(prefix="hub-bench-"))
    started = time.perf_counter()
    manifest = seed(root / "sandbox", seed=args.seed, scale=args.scale)
    print(f"seed     scale={args.scale:,} rows={sum(manifest.tables.values()):,} "
          f"{time.perf_counter() - started:8.1f} s")
    runs: dict[str, list[PipelineResult]] = {"plain": [], "encrypted": []}
    order = [("plain", False), ("encrypted", True)]
    for i in range(args.repeat):  # alternating (plain first, then encrypted first), so load hits both alike
        for label, encrypted in order if i % 2 == 0 else order[::-1]:
            home = root / label if i == 0 else root / f"{label}-{i}"
            shutil.copytree(root / "sandbox", home / "sandbox")
            settings = load_settings(home=home, encrypt_at_rest=encrypted, crypto_suite=args.suite)
            runs[label].append(run_pipeline(settings, home / "sandbox"))
    plain, sealed = (min(runs[k], key=lambda r: r.seconds) for k in ("plain", "encrypted"))
    print(f"{'stage':<10}{'assets':>7}{'plain s':>10}{'encrypted s':>13}{'ratio':>8}   "
          f"(suite {args.suite}, best of {args.repeat} runs each)")
    for a, b in zip(plain.stages, sealed.stages, strict=True):
        print(f"{a.name:<10}{len(a.assets):>7}{a.seconds:>10.1f}{b.seconds:>13.1f}{b.seconds / a.seconds:>7.2f}x")
    print(f"{'hub run':<10}{'':>7}{plain.seconds:>10.1f}{sealed.seconds:>13.1f}"
          f"{sealed.seconds / plain.seconds:>7.2f}x   (homes under {root}: plain/, encrypted/)")


if __name__ == "__main__":
    main()
