"""``hub federation`` at the command line: init, identity, and two officers registering a publisher with their keys."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from hub.cli import app
from hub.settings import get_settings
from hub.store import Store
from tests.federation.conftest import Publisher
from tests.officer_desk import Desk

runner = CliRunner()
PASSPHRASE = "correct horse battery staple"


@pytest.fixture(autouse=True)
def _fresh_settings(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HUB_OFFICER_PASSPHRASE", PASSPHRASE)
    get_settings.cache_clear()


def test_init_prints_the_identity_and_the_name_never_changes(hub_home: Path) -> None:
    made = runner.invoke(app, ["federation", "init", "county_330106", "--name-zh", "西湖区汇通节点"])
    assert made.exit_code == 0, made.output
    doc = json.loads(made.output)
    assert doc["hub"] == "county_330106" and doc["keys"][0]["status"] == "current" and len(doc["fingerprint"]) == 64
    shown = runner.invoke(app, ["federation", "identity", "--out", str(hub_home / "me.json")])
    assert json.loads((hub_home / "me.json").read_text(encoding="utf-8")) == doc == json.loads(shown.output)
    renamed = runner.invoke(app, ["federation", "init", "other_name"])
    assert renamed.exit_code != 0 and "never changes" in str(renamed.exception)


def test_two_officers_register_a_publisher_from_its_identity_file(hub_home: Path, store: Store, desk: Desk,
                                                                 province: Publisher, tmp_path: Path) -> None:
    identity = tmp_path / "zj_province.json"
    identity.write_text(json.dumps(province.document(), ensure_ascii=False), encoding="utf-8")
    keys = {o: desk.write_key(o, tmp_path / f"{o}.key", PASSPHRASE.encode()) for o in ("own-fin", "sec-1")}
    args = ["federation", "trust", "zj_province", "--identity", str(identity), "--url", "https://hub.zj.example"]
    first = runner.invoke(app, [*args, "--key", str(keys["own-fin"])])
    assert first.exit_code == 0 and "once a second officer signs" in first.output, first.output
    listed = runner.invoke(app, ["federation", "publishers", "--json"])
    assert json.loads(listed.output) == []
    second = runner.invoke(app, [*args, "--key", str(keys["sec-1"])])
    assert second.exit_code == 0 and "registered by two officers" in second.output, second.output
    [publisher] = json.loads(runner.invoke(app, ["federation", "publishers", "--json"]).output)
    assert publisher["hub"] == "zj_province" and publisher["url"] == "https://hub.zj.example"
    assert publisher["fingerprint"] == province.document()["fingerprint"] and publisher["withdrawn_at"] is None
    wrong = runner.invoke(app, ["federation", "trust", "rogue_hub", "--identity", str(identity),
                                "--key", str(keys["sec-1"])])
    assert wrong.exit_code != 0 and "is of hub `zj_province`, not `rogue_hub`" in str(wrong.exception)
