"""Every table-driven case in policies/tests on the embedded engine and on the OPA test double."""

from __future__ import annotations

import pytest

from hub.policy import OpaEngine, PolicyPoint, RegopyEngine, StaticData, load_policies
from hub.policy.cases import Case, load_cases, run_case

CASES = load_cases()


def test_there_are_enough_cases_for_every_rule() -> None:
    assert len(CASES) >= 40
    rules = {c.rule for c in CASES}
    assert {"never-exchanged", "lockdown", "unconditional", "grant", "two-person", "jurisdiction",
            "actions", "officer-deny", "officer-window", "officer-cap", "officer-mask", "officer-purpose"} <= rules
    for rule in rules - {"two-person", "officer-cap", "officer-mask"}:
        outcomes = {c.expect["allow"] for c in CASES if c.rule == rule and "allow" in c.expect}
        assert outcomes == {True, False}, f"rule {rule} lacks an allow or a deny case"
    # a row cap shapes an allow: its two sides are a lowered and an untouched max_rows
    caps = {c.expect.get("max_rows") for c in CASES if c.rule == "officer-cap"}
    assert {500, 10000} <= caps
    # a mask rule tightens a column, or leaves the built-in mask where it does not apply
    phones = {c.expect.get("columns", {}).get("recipient_phone") for c in CASES if c.rule == "officer-mask"}
    assert {"drop", "mask_middle"} <= phones
    # every officer rule kind also shows a rule set that validation refuses
    refused = {c.rule for c in CASES if "invalid" in c.expect}
    assert {"officer-deny", "officer-window", "officer-cap", "officer-mask", "officer-purpose"} <= refused
    # the two-person rule's two sides are "clear" and "masked", not allow and deny
    strategies = {c.expect.get("columns", {}).get("recipient_name") for c in CASES if c.rule == "two-person"}
    assert {"clear", "mask_name"} <= strategies


@pytest.fixture(scope="module")
def regopy_point() -> PolicyPoint:
    return PolicyPoint(RegopyEngine(), load_policies(), StaticData({}), recheck_seconds=0)


@pytest.mark.parametrize("case", CASES, ids=[f"{c.source}:{c.name}" for c in CASES])
def test_case_on_regopy(regopy_point: PolicyPoint, case: Case) -> None:
    outcome = run_case(regopy_point, case)
    assert outcome.passed, outcome.problems


def test_cases_on_opa_double(double_url: str) -> None:
    engine = OpaEngine(double_url, timeout_s=5)
    point = PolicyPoint(engine, load_policies(), StaticData({}), recheck_seconds=0)
    failures = {}
    for case in CASES:
        outcome = run_case(point, case)
        if not outcome.passed:
            failures[case.name] = outcome.problems
    assert failures == {}
