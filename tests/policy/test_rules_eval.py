"""``hub policy eval`` names the officer rule (id and revision) that shaped a mask, a cap or a denial."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest
import yaml

from hub.cli import _common
from hub.cli import policy as policy_cmds
from hub.policy.cases import CASES_DIR

RULES = {"revision": "r9",
         "masks": [{"id": "m-phone", "match": {"clearance": 3}, "columns": {"pii": "CN_MOBILE"}, "strategy": "drop"}],
         "row_caps": [{"id": "c-l3", "match": {"min_level": 3}, "max_rows": 40}]}


def _eval(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], tmp_path: Path,
          rules: dict[str, object], *extra: str) -> str:
    fixtures = yaml.safe_load((CASES_DIR / "fixtures.yaml").read_text(encoding="utf-8"))
    (tmp_path / "input.json").write_text(json.dumps(fixtures["input"]), encoding="utf-8")
    (tmp_path / "data.json").write_text(json.dumps({**fixtures["data"], "rules": rules}), encoding="utf-8")
    monkeypatch.setattr(sys, "argv", ["hub", "eval", str(tmp_path / "input.json"), "--data",
                                      str(tmp_path / "data.json"), *extra])
    monkeypatch.setattr(_common.console, "width", 250)
    capsys.readouterr()
    assert _common.run_app(policy_cmds.app) == 0
    return capsys.readouterr().out


def test_eval_names_the_officer_rules_that_shaped_the_decision(
        monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    decision = json.loads(_eval(monkeypatch, capsys, tmp_path, RULES, "--json"))
    assert decision["allow"] and decision["columns"]["recipient_phone"] == "drop" and decision["max_rows"] == 40
    assert any("officer rule `m-phone` (rules r9) masks `recipient_phone` as `drop`" in r for r in decision["reasons"])
    assert any("officer rule `c-l3` (rules r9) caps the request at 40 rows" in r for r in decision["reasons"])
    denied = _eval(monkeypatch, capsys, tmp_path, {"revision": "r10", "denies": [
        {"id": "d-xihu", "match": {"subject": "partner:hz-xihu-jw"}}]})
    assert "DENY" in denied and "officer rule `d-xihu` (rules r10)" in denied
