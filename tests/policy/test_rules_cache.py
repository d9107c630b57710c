"""Decisions cached by the decision point never outlive an officer access window's edge."""

from __future__ import annotations

from datetime import datetime

import yaml

from hub.policy import PolicyPoint, RegopyEngine, StaticData, load_policies
from hub.policy.cases import CASES_DIR

WINDOW = {"revision": "r3", "windows": [{"id": "w-l3", "match": {"min_level": 3}, "working_days": True,
                                         "from": "08:00", "until": "20:00"}]}


def _point(rules: dict[str, object] | None) -> PolicyPoint:
    data = yaml.safe_load((CASES_DIR / "fixtures.yaml").read_text(encoding="utf-8"))["data"]
    point = PolicyPoint(RegopyEngine(), load_policies(), StaticData({**data, "rules": rules}), recheck_seconds=3600)
    point.refresh(force=True)
    return point


def _at(text: str) -> float:
    return datetime.fromisoformat(text).timestamp()


def test_a_decision_made_inside_a_window_expires_at_its_edge() -> None:
    point = _point(WINDOW)
    # Friday 19:59:59 Shanghai: the window closes one second later
    assert point._expiry(_at("2026-11-27T19:59:59+08:00")) == _at("2026-11-27T20:00:00+08:00")
    # before it opens, the entry lasts until it opens
    assert point._expiry(_at("2026-11-27T07:00:00+08:00")) == _at("2026-11-27T08:00:00+08:00")
    # after it closes, until midnight (the next day may not be a working day)
    assert point._expiry(_at("2026-11-27T21:00:00+08:00")) == _at("2026-11-28T00:00:00+08:00")


def test_without_windows_the_expiry_is_as_before() -> None:
    point = _point(None)
    assert point._expiry(_at("2026-11-27T19:59:59+08:00")) == _at("2026-11-28T00:00:00+08:00")
