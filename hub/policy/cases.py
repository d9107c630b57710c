"""Table-driven policy cases (``policies/tests/*.yaml|json``) and their runner.

``policies/tests/fixtures.yaml`` holds a base ``data`` and ``input``; each case file
may override both, and each case overrides again (deep merge: objects merge, other
values replace).  A case states the expected ``allow`` and, optionally, ``grant``,
``columns`` (a subset of column → strategy), ``row_filter``, ``max_rows``, ``quota`` and
``reasons`` (fragments each found in some reason).  ``hub policy test`` and the
pytest suite run the same cases on every engine.
"""

from __future__ import annotations

import copy
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from hub.errors import BadRequest
from hub.policy.data import StaticData
from hub.policy.decision import Decision
from hub.policy.point import PolicyPoint

CASES_DIR = Path(__file__).resolve().parents[2] / "policies" / "tests"
DATA_KEYS = ("partners", "officers", "grants", "suspensions", "limits", "dataset_suspensions")


@dataclass(frozen=True)
class Case:
    """One policy case: a full input and data document and what must come out."""

    name: str
    rule: str
    input: dict[str, Any]
    data: dict[str, Any]
    expect: dict[str, Any]
    source: str = ""


@dataclass
class Outcome:
    """A case's result on one engine."""

    case: Case
    decision: Decision
    problems: list[str] = field(default_factory=list)

    @property
    def passed(self) -> bool:
        return not self.problems


def merge(base: Any, override: Any) -> Any:
    """Deep merge: objects merge key by key, anything else replaces."""
    if isinstance(base, dict) and isinstance(override, dict):
        out = dict(base)
        for key, value in override.items():
            out[key] = merge(base.get(key), value) if key in base else copy.deepcopy(value)
        return out
    return copy.deepcopy(override)


def _read(path: Path) -> dict[str, Any]:
    text = path.read_text(encoding="utf-8")
    try:
        doc = json.loads(text) if path.suffix == ".json" else yaml.safe_load(text)
    except (ValueError, yaml.YAMLError) as exc:
        raise BadRequest(f"policy case file `{path.name}` is not valid: {exc}") from None
    if not isinstance(doc, dict):
        raise BadRequest(f"policy case file `{path.name}` must hold an object")
    return doc


def load_cases(directory: Path | None = None) -> list[Case]:
    """Every case under ``directory`` (default ``policies/tests``), fixtures applied."""
    root = directory or CASES_DIR
    fixtures = _read(root / "fixtures.yaml") if (root / "fixtures.yaml").exists() else {}
    files = sorted(p for p in root.iterdir()
                   if p.suffix in {".yaml", ".yml", ".json"} and p.stem != "fixtures")
    cases: list[Case] = []
    for path in files:
        doc = _read(path)
        data = merge(fixtures.get("data", {}), doc.get("data", {}))
        inp = merge(fixtures.get("input", {}), doc.get("input", {}))
        for raw in doc.get("cases", []):
            if "name" not in raw or "expect" not in raw:
                raise BadRequest(f"a case in `{path.name}` lacks `name` or `expect`")
            case_data = merge(data, raw.get("data", {}))
            for key in DATA_KEYS:
                case_data.setdefault(key, {})
            cases.append(Case(name=raw["name"], rule=raw.get("rule", doc.get("rule", "")),
                              input=merge(inp, raw.get("input", {})), data=case_data,
                              expect=raw["expect"], source=path.name))
    names = [c.name for c in cases]
    duplicates = sorted({n for n in names if names.count(n) > 1})
    if duplicates:
        raise BadRequest(f"duplicate policy case names: {duplicates}")
    return cases


def check(expect: dict[str, Any], decision: Decision) -> list[str]:
    """What in ``decision`` differs from ``expect`` (empty when it matches)."""
    problems = []
    got = decision.to_dict()
    for key in ("allow", "grant", "row_filter", "max_rows", "quota"):
        if key in expect and expect[key] != got[key]:
            problems.append(f"{key}: expected {expect[key]!r}, got {got[key]!r}")
    for column, strategy in (expect.get("columns") or {}).items():
        if got["columns"].get(column) != strategy:
            problems.append(f"column {column}: expected {strategy!r}, got {got['columns'].get(column)!r}")
    for fragment in expect.get("reasons", []):
        if not any(fragment in reason for reason in got["reasons"]):
            problems.append(f"no reason contains {fragment!r}")
    return problems


def run_case(point: PolicyPoint, case: Case) -> Outcome:
    """Evaluate ``case`` on ``point`` (its data source is replaced by the case's data)."""
    point.source = StaticData(case.data)
    inp = case.input
    decision = point.decide(inp.get("subject", {}), inp.get("action", ""), inp.get("resource", {}),
                            inp.get("request", {}), inp.get("context"))
    problems = check(case.expect, decision)
    if decision.error:
        problems.append(f"engine error: {decision.error}")
    return Outcome(case, decision, problems)
