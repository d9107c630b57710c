"""Benchmark: policy decision latency (uncached, cached) against bare regopy in the same run.

    .venv/bin/python bench/policy.py [--n 2000]
    .venv/bin/python bench/policy.py --replay [--records 100000]   # impact replay rate (issue 15)

Uncached: ``PolicyPoint.decide`` with a zero-size cache (input assembly, engine call,
result validation).  Bare: ``set_input`` + ``query_bundle_entrypoint`` on the very
same compiled bundle and input, and regopy's own parse of the answer; no hub code.  Cached: the same decision repeated.
Targets (issue 6): uncached p99 <= 1 ms, overhead <= 1.3x bare, cached >= 50,000/s.
Runs are interleaved in small batches so machine noise hits both sides alike.

It also prints what regopy spends before any rule of ours runs, in the same run:
converting the input document, and querying a constant rule of the same compiled
policies (the per-query cost of the bundle itself).

``--compare`` also runs ``bench/policy_engines.py``: a differential of regopy against
regorus over every policy case and ``--inputs`` generated inputs, and the two engines'
uncached decision times (regorus must be importable; see that file).
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path
from typing import Any

import yaml

from hub.policy import DecisionCache, PolicyPoint, RegopyEngine, StaticData, load_policies
from hub.policy.engine import ENTRYPOINT
from hub.policy.index import prepare

FIXTURES = Path(__file__).resolve().parents[1] / "policies" / "tests" / "fixtures.yaml"


def _percentile(samples: list[float], q: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def _bare(engine: RegopyEngine, doc: dict[str, Any]) -> Any:
    interp = engine._interpreter
    interp.set_input(doc)
    return interp.query_bundle_entrypoint(engine._bundle, ENTRYPOINT).results[0].expressions[0]


def _fixed_costs(n: int, doc: dict[str, Any], data: dict[str, Any]) -> tuple[float, float, float, float]:
    """ms: p50 of input conversion (+ set_input), p50 of a constant rule's query in the same
    bundle, and p50 / p99 of the two together (what any decision costs before our rules)."""
    import json

    import regopy  # after hub.policy: duckdb must be loaded first (see hub/policy/engine.py)

    builder = regopy.Interpreter()
    for name, text in load_policies().modules.items():
        builder.add_module(name, text)
    builder.add_data_json(json.dumps({"hub": prepare(data)}, ensure_ascii=False))
    bundle = builder.build(None, [ENTRYPOINT, "hub/actions"])
    interp = regopy.Interpreter()
    convert, query, both = [], [], []
    for _ in range(n):
        t0 = time.perf_counter()
        interp.set_input(doc)
        t1 = time.perf_counter()
        interp.query_bundle_entrypoint(bundle, "hub/actions").results[0].expressions[0]
        t2 = time.perf_counter()
        convert.append(t1 - t0)
        query.append(t2 - t1)
        both.append(t2 - t0)
    return (statistics.median(convert) * 1e3, statistics.median(query) * 1e3,
            statistics.median(both) * 1e3, _percentile(both, 0.99) * 1e3)


def _measure(n: int, point: PolicyPoint, engine: RegopyEngine,
             doc: dict[str, Any]) -> tuple[list[float], list[float]]:
    hub_s: list[float] = []
    bare_s: list[float] = []
    args = (doc["subject"], doc["action"], doc["resource"], doc["request"], doc["context"])
    for _ in range(n // 10):
        for _ in range(10):
            t0 = time.perf_counter()
            decision = point.decide(*args)
            hub_s.append(time.perf_counter() - t0)
        for _ in range(10):
            t0 = time.perf_counter()
            _bare(engine, doc)
            bare_s.append(time.perf_counter() - t0)
    assert decision.allow, decision.reasons
    return hub_s, bare_s


def _cached_rate(doc: dict[str, Any], data: dict[str, Any], seconds: float = 1.0) -> float:
    point = PolicyPoint(RegopyEngine(), load_policies(), StaticData(data), recheck_seconds=3600)
    args = (doc["subject"], doc["action"], doc["resource"], doc["request"], doc["context"])
    point.decide(*args)
    count, start = 0, time.perf_counter()
    while time.perf_counter() - start < seconds:
        for _ in range(1000):
            point.decide(*args)
        count += 1000
    return count / (time.perf_counter() - start)


def main() -> None:
    if "--replay" in sys.argv:  # the impact replay rate (issue 15): bench/policy_replay.py
        sys.argv.remove("--replay")
        from policy_replay import main as replay_main

        replay_main()
        return
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=2000, help="decisions per side")
    parser.add_argument("--compare", action="store_true", help="also compare with regorus (see policy_engines.py)")
    parser.add_argument("--inputs", type=int, default=12000, help="generated inputs of the --compare differential")
    args = parser.parse_args()
    n = args.n
    fixtures = yaml.safe_load(FIXTURES.read_text(encoding="utf-8"))
    doc, data = fixtures["input"], fixtures["data"]
    engine = RegopyEngine()
    point = PolicyPoint(engine, load_policies(), StaticData(data), recheck_seconds=3600,
                        cache=DecisionCache(maxsize=0))
    _measure(100, point, engine, doc)  # warm-up
    hub_s, bare_s = _measure(n, point, engine, doc)
    rate = _cached_rate(doc, data)
    hub50, hub99 = statistics.median(hub_s) * 1e3, _percentile(hub_s, 0.99) * 1e3
    bare50, bare99 = statistics.median(bare_s) * 1e3, _percentile(bare_s, 0.99) * 1e3
    print(f"decision: grant read, {len(doc['resource']['columns'])} columns, {len(data['grants'])} grant(s)")
    print(f"uncached hub   p50 {hub50:.3f} ms  p99 {hub99:.3f} ms   (target p99 <= 1 ms)")
    print(f"bare regopy    p50 {bare50:.3f} ms  p99 {bare99:.3f} ms")
    print(f"overhead       p50 {hub50 / bare50:.2f}x  p99 {hub99 / bare99:.2f}x   (target <= 1.3x)")
    print(f"cached         {rate:,.0f} decisions/s   (target >= 50,000/s)")
    convert, floor, fixed50, fixed99 = _fixed_costs(n, doc, data)
    print(f"regopy before any rule: input conversion {convert:.3f} ms + query of a constant rule "
          f"{floor:.3f} ms (p50); together p50 {fixed50:.3f} ms  p99 {fixed99:.3f} ms")
    if args.compare:
        from policy_engines import compare

        compare(n, args.inputs, doc, data)


if __name__ == "__main__":
    main()
