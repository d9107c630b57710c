"""End-to-end `hub run` timing: seed a sandbox at --scale, run ingest → transform → publish.

Prints the wall time of seeding and of each pipeline stage, so BENCHMARKS.md can
record them.  Usage: .venv/bin/python bench/pipeline.py --scale 100000 [--home DIR]
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

from hub.pipeline import run_pipeline
from hub.sandbox import seed
from hub.settings import load_settings


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--scale", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--home", type=Path, default=None, help="HUB_HOME to use (default: a temp dir)")
    args = parser.parse_args()
    home = args.home or Path(tempfile.mkdtemp(prefix="hub-bench-")) / "hub"
    started = time.perf_counter()
    manifest = seed(home / "sandbox", seed=args.seed, scale=args.scale)
    seeded = time.perf_counter() - started
    print(f"seed     scale={args.scale:,} rows={sum(manifest.tables.values()):,} {seeded:8.1f} s")
    result = run_pipeline(load_settings(home=home), home / "sandbox")
    for stage in result.stages:
        print(f"{stage.name:<9}{len(stage.assets):>4} assets {stage.seconds:8.1f} s")
    print(f"hub run  total          {result.seconds:8.1f} s   (home: {home})")


if __name__ == "__main__":
    main()
