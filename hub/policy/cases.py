"""Table-driven policy cases (``policies/tests/*.yaml|json``) and their runner.

``policies/tests/fixtures.yaml`` holds a base ``data`` and ``input``; each case file
may override both, and each case overrides again (deep merge: objects merge, other
values replace).  A case states the expected ``allow`` and, optionally, ``grant``,
``columns`` (a subset of column → strategy), ``row_filter``, ``max_rows``, ``quota`` and
``reasons`` (fragments each found in some reason) — or ``invalid`` (fragments each
found in a problem validation finds with the case's officer rules, ``data.rules``:
such a rule set must be refused before it could decide anything).  ``hub policy test`` and the
pytest suite run the same cases on every engine.
"""

from __future__ import annotations

import copy
import hashlib
import json
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from hub.errors import BadRequest
from hub.packaged import policy_cases_dir
from hub.policy.data import StaticData
from hub.policy.decision import Decision
from hub.policy.point import PolicyPoint
from hub.policy.sources import PolicySet

CASES_DIR = policy_cases_dir()
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


def _case_files(root: Path) -> list[Path]:
    """The case documents under ``root``, ``fixtures.yaml`` included, in name order."""
    return sorted(p for p in root.iterdir() if p.suffix in {".yaml", ".yml", ".json"})


def load_cases(directory: Path | None = None) -> list[Case]:
    """Every case under ``directory`` (default ``policies/tests``), fixtures applied."""
    root = directory or CASES_DIR
    fixtures = _read(root / "fixtures.yaml") if (root / "fixtures.yaml").exists() else {}
    files = [p for p in _case_files(root) if p.stem != "fixtures"]
    cases: list[Case] = []
    for path in files:
        cases += _cases_of(_read(path), fixtures, path.name)
    names = [c.name for c in cases]
    duplicates = sorted({n for n in names if names.count(n) > 1})
    if duplicates:
        raise BadRequest(f"duplicate policy case names: {duplicates}")
    return cases


def _cases_of(doc: dict[str, Any], fixtures: dict[str, Any], source: str,
              rules: dict[str, Any] | None = None) -> list[Case]:
    """The cases of one case document over ``fixtures`` (``rules``: forced as ``data.rules``)."""
    data = merge(fixtures.get("data", {}), doc.get("data", {}))
    inp = merge(fixtures.get("input", {}), doc.get("input", {}))
    cases = []
    for raw in doc.get("cases", []):
        if not isinstance(raw, dict) or "name" not in raw or "expect" not in raw:
            raise BadRequest(f"a case in `{source}` lacks `name` or `expect`")
        case_data = merge(data, raw.get("data", {}))
        for key in DATA_KEYS:
            case_data.setdefault(key, {})
        if rules is not None:
            case_data["rules"] = rules
        cases.append(Case(name=raw["name"], rule=raw.get("rule", doc.get("rule", "")),
                          input=merge(inp, raw.get("input", {})), data=case_data,
                          expect=raw["expect"], source=source))
    return cases


def draft_cases(rules: dict[str, Any], directory: Path | None = None) -> list[Case]:
    """The policy cases an officer rule set carries (``cases``), each run with those rules
    over the fixtures of ``policies/tests`` (their data may add grants, partners…)."""
    root = directory or CASES_DIR
    fixtures = _read(root / "fixtures.yaml") if (root / "fixtures.yaml").exists() else {}
    body = {k: v for k, v in rules.items() if k != "cases"}
    return _cases_of({"cases": rules.get("cases") or []}, fixtures, f"rules {rules.get('revision', '')}", body)


def run_cases(cases: list[Case], policies: PolicySet | None = None) -> list[Outcome]:
    """Run ``cases`` on the embedded engine, under ``policies`` (default: the shipped ones)."""
    from hub.policy.engine import RegopyEngine
    from hub.policy.sources import load_policies

    point = PolicyPoint(RegopyEngine(), policies or load_policies(), StaticData({}), recheck_seconds=0)
    return [run_case(point, case) for case in cases]


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


def check_rules(case: Case) -> Outcome:
    """A case expecting its officer rules to be refused at validation (``expect.invalid``)."""
    from hub.policy.rules.checks import rule_problems

    resource = case.input.get("resource") or {}
    problems = rule_problems(case.data.get("rules"),
                             lambda d: resource.get("columns") if d == resource.get("dataset") else None)
    missing = [f"validation does not refuse with {f!r} (problems: {problems or 'none'})"
               for f in case.expect["invalid"] if not any(f in p for p in problems)]
    return Outcome(case, Decision(allow=False, reasons=tuple(problems) or ("valid",)), missing)


def run_case(point: PolicyPoint, case: Case) -> Outcome:
    """Evaluate ``case`` on ``point`` (its data source is replaced by the case's data)."""
    if "invalid" in case.expect:
        return check_rules(case)
    point.source = StaticData(case.data)
    inp = case.input
    decision = point.decide(inp.get("subject", {}), inp.get("action", ""), inp.get("resource", {}),
                            inp.get("request", {}), inp.get("context"))
    problems = check(case.expect, decision)
    if decision.error:
        problems.append(f"engine error: {decision.error}")
    return Outcome(case, decision, problems)


def cases_digest(directory: Path | None = None) -> str:
    """SHA-256 over the case files' names and contents: the same cases, the same digest."""
    root = directory or CASES_DIR
    digest = hashlib.sha256()
    for path in _case_files(root):
        digest.update(path.name.encode() + b"\0" + path.read_bytes() + b"\0")
    return digest.hexdigest()


class SuiteRuns:
    """The case suite's outcomes for a policy revision, run once per (revision, cases digest).

    The console's policy page shows them on every visit; the suite takes seconds of CPU
    on the embedded engine, so it is run again only when the policies or the cases
    change.  Visits that arrive while it runs wait for that run instead of starting
    their own.
    """

    def __init__(self, directory: Path | None = None) -> None:
        self.directory = directory
        self.runs = 0
        self._lock = threading.Lock()
        self._key: tuple[str, str] | None = None
        self._outcomes: list[Outcome] = []

    def outcomes(self, policies: PolicySet) -> list[Outcome]:
        """The outcomes of every case under ``policies`` (from the last run when nothing changed)."""
        key = (policies.revision, cases_digest(self.directory))
        with self._lock:
            if key != self._key:
                self._outcomes = run_cases(load_cases(self.directory), policies)
                self._key, self.runs = key, self.runs + 1
            return self._outcomes
