"""Embedded Rego engines compared: regopy (the hub's) against regorus, on the hub's own policies.

    PYTHONPATH=/tmp/regorus-wheel .venv/bin/python bench/policy.py --compare

regorus (Microsoft, Rust) is not a dependency of the hub: Microsoft publishes no
Python wheel of it (its Python bindings are built from source with maturin; the
PyPI packages that carry a ``regorus`` module are rebuilds by unrelated parties).
To measure one anyway, install such a wheel OUTSIDE the project's environment, e.g.
``pip install --target /tmp/regorus-wheel celine-regorus``, and put it on PYTHONPATH.

The differential decides every policy case (``policies/tests``) and ``--inputs``
generated inputs (seeded mutations of the fixture input over the cases' data) on both
engines and compares the raw decision documents; the timing decides the fixture input
uncached on each engine, interleaved in small batches.
"""

from __future__ import annotations

import copy
import json
import random
import statistics
import time
from collections import Counter
from collections.abc import Callable
from typing import Any

from hub.policy import RegopyEngine, load_policies
from hub.policy.cases import load_cases
from hub.policy.decision import PolicyError
from hub.policy.engine import ENTRYPOINT
from hub.policy.index import prepare

Evaluate = Callable[[dict[str, Any]], Any]
DATASETS = ("finance.subsidy_payment", "finance.payroll", "statistics.indicators", "clues.duplicate_subsidy")
PURPOSES = ("case-verification", "statistics", "marketing", "")
ACTIONS = ("read", "changes", "describe", "apply", "approve", "audit", "delete")
REGIONS = ("330106", "330100", "330000", "110000", "", "3301061")
TIMES = ("2026-11-27T10:00:00+08:00", "2026-01-01T00:00:00+08:00", "2025-12-31T23:59:59+08:00",
         "2027-01-01T00:00:00+08:00", "2026-12-31T15:59:59Z", "2026-06-01T00:00:00Z")


def regopy_engine(data: dict[str, Any]) -> Evaluate:
    """The hub's engine (``hub.policy.RegopyEngine``) with the policies and ``data`` loaded."""
    engine = RegopyEngine()
    engine.load(load_policies(), prepare(data))
    return engine.evaluate


def regorus_engine(data: dict[str, Any]) -> Evaluate:
    """regorus with the same modules and the same prepared data document."""
    import regorus

    engine = regorus.Engine()
    for name, text in load_policies().modules.items():
        engine.add_policy(name, text)
    engine.add_data_json(json.dumps({"hub": prepare(data)}, ensure_ascii=False))
    rule = "data." + ENTRYPOINT.replace("/", ".")

    def evaluate(doc: dict[str, Any]) -> Any:
        engine.set_input_json(json.dumps(doc, ensure_ascii=False))
        return json.loads(engine.eval_rule_as_json(rule))  # as JSON: integers stay integers

    return evaluate


def _canonical(value: Any) -> str:
    return json.dumps(value, sort_keys=True, ensure_ascii=False)


def _mutated(rnd: random.Random, base: dict[str, Any], data: dict[str, Any]) -> dict[str, Any]:
    """A generated input: the fixture input with a few fields changed at random."""
    doc = copy.deepcopy(base)
    subject, resource, request, context = doc["subject"], doc["resource"], doc["request"], doc["context"]
    partners = list(data.get("partners", {})) + ["nobody"]
    for _ in range(rnd.randrange(1, 5)):
        pick = rnd.randrange(12)
        if pick == 0:
            kind = rnd.choice(("partner", "officer", "operator"))
            subject.update(kind=kind, id=f"{kind}:{rnd.choice(partners + list(data.get('officers', {})))}")
        elif pick == 1:
            subject.update(clearance=rnd.randrange(0, 6), jurisdiction=rnd.choice(REGIONS))
        elif pick == 2:
            subject.update(purposes=rnd.sample(PURPOSES[:3], rnd.randrange(0, 3)), suspended=rnd.random() < 0.2)
        elif pick == 3:
            doc["action"] = rnd.choice(ACTIONS)
        elif pick == 4:
            resource.update(dataset=rnd.choice(DATASETS), owner=rnd.choice(("finance", "audit", "statistics")))
        elif pick == 5:
            resource.update(level=rnd.randrange(1, 6), sharing_type=rnd.choice(("unconditional", "conditional",
                                                                                "none")))
        elif pick == 6:
            resource.update(exchangeable=rnd.random() < 0.8,
                            region_column=rnd.choice(("township_code", "region_code", None)))
        elif pick == 7:
            names = list(resource["columns"])
            for name in rnd.sample(names, rnd.randrange(0, len(names))):
                resource["columns"][name] = {"pii": rnd.choice((None, "PERSON", "CN_RESIDENT_ID", "CN_MOBILE")),
                                             "level": rnd.randrange(1, 5)}
        elif pick == 8:
            names = list(resource["columns"]) + ["salary"]
            request["columns"] = rnd.sample(names, rnd.randrange(0, 4))
        elif pick == 9:
            request.update(purpose=rnd.choice(PURPOSES), rows_requested=rnd.choice((0, 1, 100, 9900, 9901, 20000)))
        elif pick == 10:
            context["time"] = rnd.choice(TIMES)
        else:
            grants = list(data.get("grants", {})) or ["g-17"]
            context["rows_used_today"] = {rnd.choice(grants): rnd.choice((0, 100, 9999, 10000, 50000))}
    return doc


def _kind(a: str, b: str) -> str:
    """How two outcomes differ: an engine error, the allow itself, or only reasons / obligations."""
    if a.startswith("error") or b.startswith("error"):
        return "regopy error" if a.startswith("error") else "regorus error"
    allow_a, allow_b = json.loads(a).get("allow"), json.loads(b).get("allow")
    if allow_a != allow_b:
        return f"allow differs (regopy {allow_a}, regorus {allow_b})"
    return "same allow, other reasons or obligations"


def differential(n_inputs: int, seed: int = 13) -> tuple[int, int, list[str], Counter[str]]:
    """(decisions compared, identical, first differences, differences by kind) over cases and generated inputs."""
    cases = load_cases()
    by_data: dict[str, tuple[dict[str, Any], list[dict[str, Any]]]] = {}
    for case in cases:
        key = _canonical(case.data)
        by_data.setdefault(key, (case.data, []))[1].append(case.input)
    rnd = random.Random(seed)
    datas = list(by_data.values())
    per_data = max(1, n_inputs // len(datas))
    compared = same = 0
    differences: list[str] = []
    kinds: Counter[str] = Counter()
    for data, inputs in datas:
        try:
            ours = regopy_engine(data)
        except PolicyError:  # a case of data the hub refuses to load (invalid officer rules): no engine runs it
            kinds["case data the hub refuses to load (skipped)"] += len(inputs)
            continue
        theirs = regorus_engine(data)
        generated = [_mutated(rnd, rnd.choice(inputs), data) for _ in range(per_data)]
        for doc in [*inputs, *generated]:
            compared += 1
            a, b = _outcome(ours, doc), _outcome(theirs, doc)
            if a == b:
                same += 1
                continue
            kinds[_kind(a, b)] += 1
            if len(differences) < 3:
                differences.append(f"input {_canonical(doc)[:240]}\n      regopy  {a[:240]}\n      regorus {b[:240]}")
    return compared, same, differences, kinds


def _outcome(evaluate: Evaluate, doc: dict[str, Any]) -> str:
    try:
        return _canonical(evaluate(doc))
    except Exception as exc:  # noqa: BLE001 - an engine error is an outcome to compare too
        return f"error: {type(exc).__name__}"


def timing(n: int, doc: dict[str, Any], data: dict[str, Any]) -> dict[str, tuple[float, float]]:
    """p50 and p99 (ms) of an uncached decision of ``doc`` on each engine, interleaved."""
    engines = {"regopy (hub engine)": regopy_engine(data), "regorus": regorus_engine(data)}
    samples: dict[str, list[float]] = {name: [] for name in engines}
    for evaluate in engines.values():
        for _ in range(50):
            evaluate(doc)
    for _ in range(n // 10):
        for name, evaluate in engines.items():
            for _ in range(10):
                started = time.perf_counter()
                evaluate(doc)
                samples[name].append(time.perf_counter() - started)
    out = {}
    for name, values in samples.items():
        ordered = sorted(values)
        out[name] = (statistics.median(ordered) * 1e3, ordered[min(len(ordered) - 1, int(0.99 * len(ordered)))] * 1e3)
    return out


def compare(n: int, n_inputs: int, doc: dict[str, Any], data: dict[str, Any]) -> None:
    """Print the differential and the timing (or why regorus cannot be measured here)."""
    try:
        import regorus
    except ImportError:
        print("regorus: not importable — no wheel of it is published by Microsoft; see bench/policy_engines.py "
              "for how to measure a third-party rebuild outside the project's environment")
        return
    print(f"regorus module: {regorus.__file__}")
    compared, same, differences, kinds = differential(n_inputs)
    print(f"differential: {compared:,} decisions (policy cases + generated inputs), {same:,} identical, "
          f"{compared - same:,} different")
    for kind, count in kinds.most_common():
        print(f"    {count:>6,}  {kind}")
    for text in differences:
        print("    " + text)
    for name, (p50, p99) in timing(n, doc, data).items():
        print(f"uncached {name:<20} p50 {p50:.3f} ms  p99 {p99:.3f} ms")
