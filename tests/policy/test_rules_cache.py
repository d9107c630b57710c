"""Decisions cached by the decision point never outlive an officer access window's edge,
and activating officer rules invalidates cached decisions (injected clock, no wall time)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import yaml

from hub.policy import PolicyPoint, RegopyEngine, StaticData, load_policies
from hub.policy.cases import CASES_DIR
from hub.policy.data import bump
from hub.policy.point import valid_until

WINDOW = {"revision": "r3", "windows": [{"id": "w-l3", "match": {"min_level": 3}, "working_days": True,
                                         "from": "08:00", "until": "20:00"}]}
FIXTURES = yaml.safe_load((CASES_DIR / "fixtures.yaml").read_text(encoding="utf-8"))


def _at(text: str) -> float:
    return datetime.fromisoformat(text).timestamp()


class Clock:
    def __init__(self, now: float) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


def _point(data: dict[str, Any], clock: Clock) -> PolicyPoint:
    return PolicyPoint(RegopyEngine(), load_policies(), StaticData(data), recheck_seconds=3600, clock=clock)


def _read(point: PolicyPoint) -> Any:
    inp = FIXTURES["input"]
    return point.decide(inp["subject"], inp["action"], inp["resource"], inp["request"], {})


def test_a_decision_cached_inside_a_window_is_not_served_past_its_edge() -> None:
    clock = Clock(_at("2026-11-27T19:59:59+08:00"))  # a Friday, one second before the window closes
    point = _point({**FIXTURES["data"], "rules": WINDOW}, clock)
    assert _read(point).allow and len(point.cache) == 1
    clock.now = _at("2026-11-27T19:59:59.900+08:00")
    assert _read(point).allow  # still inside: the cached decision
    clock.now = _at("2026-11-27T20:00:00+08:00")
    denied = _read(point)
    assert not denied.allow and any("officer rule `w-l3` (rules r3)" in r for r in denied.reasons)


def test_validity_bound_with_and_without_windows() -> None:
    windows = [{"working_days": True, "from_ns": 8 * 3600 * 10**9, "until_ns": 20 * 3600 * 10**9}]
    assert valid_until(_at("2026-11-27T19:59:59+08:00"), (), windows) == _at("2026-11-27T20:00:00+08:00")
    assert valid_until(_at("2026-11-27T07:00:00+08:00"), (), windows) == _at("2026-11-27T08:00:00+08:00")
    assert valid_until(_at("2026-11-27T21:00:00+08:00"), (), windows) == _at("2026-11-28T00:00:00+08:00")
    assert valid_until(_at("2026-11-27T19:59:59+08:00"), ()) == _at("2026-11-28T00:00:00+08:00")


def test_activating_officer_rules_invalidates_cached_decisions() -> None:
    """The rules are shared policy data: a new revision changes every subject's scope revision."""
    clock = Clock(_at("2026-11-27T10:00:00+08:00"))
    data: dict[str, Any] = dict(FIXTURES["data"])
    point = _point(data, clock)
    before = _read(point)
    assert before.allow and before.columns["recipient_phone"] == "mask_middle"
    assert _read(point) is before  # served from the cache
    data["rules"] = {"revision": "r1", "masks": [{"id": "m-phone", "match": {"clearance": 3},
                                                  "columns": {"pii": "CN_MOBILE"}, "strategy": "drop"}]}
    bump()  # what committing an activation does (hub.policy.data.changed_on_commit)
    after = _read(point)
    assert after.columns["recipient_phone"] == "drop" and after.data_revision != before.data_revision
    data.pop("rules")
    bump()  # a rollback to r0
    assert _read(point).columns["recipient_phone"] == "mask_middle"
