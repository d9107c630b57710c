"""``hub application|grant|lockdown`` and ``hub policy test|eval`` end to end on a HUB_HOME."""

from __future__ import annotations

import json
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest
import typer
import yaml

from hub.cli import _common
from hub.cli import policy as policy_cmds
from hub.cli import workflow as workflow_cmds
from hub.events import discard
from hub.settings import get_settings
from hub.store import open_store
from hub.store.models import Application, Approval, AuditRecord, Grant, Partner
from hub.workflow import apply
from tests.policy.helpers import NOW, request, seed

# Only the command groups under test are mounted (as hub/cli/__init__.py mounts them), so
# the test does not import every other command module.
hub_app = typer.Typer(no_args_is_help=True)
workflow_cmds.register(hub_app)
hub_app.add_typer(policy_cmds.app, name="policy")
hub_app.add_typer(workflow_cmds.application_app, name="application")
hub_app.add_typer(workflow_cmds.grant_app, name="grant")


def hub(monkeypatch: pytest.MonkeyPatch, *args: str) -> int:
    monkeypatch.setattr(sys, "argv", ["hub", *args])
    monkeypatch.setattr(_common.console, "width", 250)  # tables unsqueezed, ids readable
    return _common.run_app(hub_app)


PASSPHRASE = "correct horse battery"


@dataclass
class Officers:
    app_id: str
    keys: dict[str, Path]


@pytest.fixture
def officers(hub_home: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Officers:
    """A seeded store with a pending application; each officer's key in its own file."""
    monkeypatch.delenv("HUB_OFFICER_KEY", raising=False)
    monkeypatch.setenv("HUB_OFFICER_PASSPHRASE", PASSPHRASE)
    store = open_store(get_settings().metadata_url)
    with store.session() as session:
        desk = seed(session)
        app = apply(session, discard, request(), now=NOW)
    store.dispose()
    keys = {o: desk.write_key(o, tmp_path / f"{o}.key", PASSPHRASE.encode()) for o in desk.private}
    return Officers(app.id, keys)


def _state(app_id: str) -> tuple[str, list[str], list[str]]:
    store = open_store(get_settings().metadata_url)
    with store.session() as session:
        app = session.get(Application, app_id)
        assert app is not None
        deciders = [a.officer_id for a in session.query(Approval).filter_by(application_id=app_id)]
        events = [r.event for r in session.query(AuditRecord).order_by(AuditRecord.seq)]
    store.dispose()
    return app.status, deciders, events


def test_an_approval_without_the_officers_key_is_refused(monkeypatch: pytest.MonkeyPatch,
                                                          capsys: pytest.CaptureFixture[str],
                                                          officers: Officers) -> None:
    assert hub(monkeypatch, "application", "approve", officers.app_id, "--officer", "own-fin") == 1
    err = capsys.readouterr().err
    assert "signed with the officer's own key" in err and "--key" in err
    assert _state(officers.app_id)[:2] == ("pending", [])


def test_workflow_commands(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str],
                           officers: Officers) -> None:
    app_id, keys = officers.app_id, officers.keys
    assert hub(monkeypatch, "application", "list") == 0
    assert app_id in capsys.readouterr().out
    assert hub(monkeypatch, "application", "show", app_id) == 0
    shown = capsys.readouterr().out
    assert "terms sha256" in shown and "recipient_name" in shown
    assert hub(monkeypatch, "application", "approve", app_id, "--key", str(keys["own-fin"])) == 0
    assert hub(monkeypatch, "application", "approve", app_id, "--key", str(keys["own-fin"])) == 1
    assert "already decided" in capsys.readouterr().err
    # the owner's key once more, now naming the security officer: refused, still pending
    assert hub(monkeypatch, "application", "approve", app_id, "--officer", "sec-1",
               "--key", str(keys["own-fin"])) == 1
    assert "not a registered key of officer `sec-1`" in capsys.readouterr().err
    assert _state(app_id)[:2] == ("pending", ["own-fin"])
    assert hub(monkeypatch, "application", "approve", app_id, "--comment", "ok", "--key", str(keys["sec-1"])) == 0
    store = open_store(get_settings().metadata_url)
    with store.session() as session:
        grant = session.query(Grant).one()
        assert session.get(Application, app_id).status == "approved"  # type: ignore[union-attr]
    assert hub(monkeypatch, "grant", "list") == 0
    assert grant.id in capsys.readouterr().out
    assert hub(monkeypatch, "grant", "revoke", grant.id, "--reason", "case closed") == 1  # no key
    assert hub(monkeypatch, "grant", "revoke", grant.id, "--reason", "case closed",
               "--key", str(keys["sec-1"])) == 0
    assert hub(monkeypatch, "lockdown", "hz-xihu-jw", "--reason", "leak", "--key", str(keys["own-fin"])) == 1
    assert "only security officers" in capsys.readouterr().err
    assert hub(monkeypatch, "lockdown", "hz-xihu-jw", "--reason", "leak", "--key", str(keys["sec-1"])) == 0
    assert hub(monkeypatch, "lockdown", "nobody", "--reason", "x", "--key", str(keys["sec-1"])) == 1
    assert "nobody" in capsys.readouterr().err
    with store.session() as session:
        assert session.get(Partner, "hz-xihu-jw").suspended  # type: ignore[union-attr]
    assert hub(monkeypatch, "lift-lockdown", "hz-xihu-jw", "--key", str(keys["sec-1"])) == 0
    assert "a second officer must sign" in capsys.readouterr().out
    with store.session() as session:
        assert session.get(Partner, "hz-xihu-jw").suspended  # type: ignore[union-attr]
    assert hub(monkeypatch, "lift-lockdown", "hz-xihu-jw", "--key", str(keys["own-fin"])) == 0
    with store.session() as session:
        assert not session.get(Partner, "hz-xihu-jw").suspended  # type: ignore[union-attr]
    store.dispose()
    events = _state(app_id)[2]
    assert {"application.decided", "grant.created", "grant.revoked", "partner.lockdown", "officer.signed",
            "partner.lockdown_lifted"} <= set(events)


def test_a_wrong_passphrase_names_the_key(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str],
                                          officers: Officers) -> None:
    monkeypatch.setenv("HUB_OFFICER_PASSPHRASE", "not the passphrase")
    assert hub(monkeypatch, "application", "approve", officers.app_id, "--key", str(officers.keys["sec-1"])) == 1
    assert "passphrase is wrong" in capsys.readouterr().err
    monkeypatch.setenv("HUB_OFFICER_KEY", str(officers.keys["sec-1"]))  # the configured key
    monkeypatch.setenv("HUB_OFFICER_PASSPHRASE", PASSPHRASE)
    assert hub(monkeypatch, "application", "reject", officers.app_id, "--comment", "no") == 0
    assert _state(officers.app_id)[:2] == ("rejected", ["sec-1"])
    assert hub(monkeypatch, "application", "list", "--status", "rejected") == 0


def test_policy_test_passes_and_fails(monkeypatch: pytest.MonkeyPatch, hub_home: Path, tmp_path: Path,
                                      capsys: pytest.CaptureFixture[str]) -> None:
    assert hub(monkeypatch, "policy", "test") == 0
    assert "all cases pass" in capsys.readouterr().out
    cases = Path(__file__).resolve().parents[2] / "policies" / "tests"
    (tmp_path / "fixtures.yaml").write_text((cases / "fixtures.yaml").read_text())
    wrong = {"cases": [{"name": "wrong", "expect": {"allow": False}}]}
    (tmp_path / "wrong.yaml").write_text(yaml.safe_dump(wrong))
    assert hub(monkeypatch, "policy", "test", "--cases", str(tmp_path)) == 1
    assert "1 policy case(s) failing" in capsys.readouterr().err


def test_policy_eval_explains(monkeypatch: pytest.MonkeyPatch, hub_home: Path, tmp_path: Path,
                              capsys: pytest.CaptureFixture[str]) -> None:
    fixtures_file = Path(__file__).resolve().parents[2] / "policies/tests/fixtures.yaml"
    fixtures = yaml.safe_load(fixtures_file.read_text())
    (tmp_path / "in.json").write_text(json.dumps(fixtures["input"]))
    (tmp_path / "data.json").write_text(json.dumps(fixtures["data"]))
    inp, data = str(tmp_path / "in.json"), str(tmp_path / "data.json")
    assert hub(monkeypatch, "policy", "eval", inp, "--data", data) == 0
    out = capsys.readouterr().out
    assert "ALLOW" in out and "g-17" in out and "pseudonym" in out
    assert hub(monkeypatch, "policy", "eval", str(tmp_path / "in.json")) == 0  # empty store: deny, explained
    assert "rule registered" in capsys.readouterr().out
    assert hub(monkeypatch, "policy", "eval", str(tmp_path / "missing.json")) == 1
    assert "missing.json" in capsys.readouterr().err


def test_policy_test_also_runs_on_the_opa_server(monkeypatch: pytest.MonkeyPatch, hub_home: Path,
                                                 double_url: str, capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setenv("HUB_OPA_URL", double_url)
    get_settings.cache_clear()
    try:
        assert hub(monkeypatch, "policy", "test") == 0
    finally:
        get_settings.cache_clear()
    out = capsys.readouterr().out
    assert f"opa {double_url}" in out and "all cases pass" in out
