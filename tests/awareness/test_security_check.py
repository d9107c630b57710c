"""``hub security check`` on a demo-like home: both report files, a PDF that renders (pdftoppm),
the audit holding the report's SHA-256; and the alerts, risk and security commands around it."""

from __future__ import annotations

import hashlib
import itertools
import json
import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import typer
from PIL import Image
from sqlalchemy import select, text

from hub.audit import verify_chain
from hub.audit.record import set_clock
from hub.awareness import build_scanner
from hub.awareness.report import run_security_check
from hub.cli import _common
from hub.cli import awareness as awareness_cmds
from hub.keys import KeyStore
from hub.settings import get_settings
from hub.store.models import AuditRecord
from tests.api.conftest import AsgiClient
from tests.api.exchange_world import SUBSIDY, World, bearer, build_world
from tests.awareness.conftest import Hub

hub_app = typer.Typer(no_args_is_help=True)
awareness_cmds.register(hub_app)
PASSPHRASE = "correct horse battery"


def hub(monkeypatch: pytest.MonkeyPatch, *args: str) -> int:
    monkeypatch.setattr(sys, "argv", ["hub", *args])
    monkeypatch.setattr(_common.console, "_width", 250)  # the private field: restored to None, not pinned
    return _common.run_app(hub_app)


def pdftoppm() -> str:
    found = shutil.which("pdftoppm")
    if found is None:
        if os.environ.get("HUB_REQUIRE_PDFTOPPM"):
            pytest.fail("pdftoppm is required (HUB_REQUIRE_PDFTOPPM): apt-get install poppler-utils")
        pytest.skip("pdftoppm not installed (apt-get install poppler-utils; CI installs it)")
    return found


@pytest.fixture(scope="module")
def demo(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    """A demo-like home: the pipeline's output, partners, officers, grants, some traffic and an alert."""
    start = (datetime.now(UTC) + timedelta(days=1)).replace(hour=2, minute=0, second=0, microsecond=0)
    ticks = itertools.count()
    set_clock(lambda: start + timedelta(milliseconds=200 * next(ticks)))
    src = os.environ.get("HUB_TEST_PIPELINE_HOME")
    home = Path(src) if src else request.getfixturevalue("pipeline_output").home
    world = build_world(home, tmp_path_factory.mktemp("security-check") / "home")
    with AsgiClient(world.app()) as http:
        for partner in ("hz-xihu-jw", "zj-province"):
            headers = bearer(http, world.clients[partner])
            for limit in (50, 120, 80):
                params = {"purpose": "case-verification", "limit": limit}
                assert http.get(f"/v1/datasets/{SUBSIDY}/rows", params=params, headers=headers).status_code == 200
        leaky = bearer(http, world.clients["leaky"])
        for _ in range(25):
            http.get("/v1/datasets/audit.findings/rows", params={"purpose": "case-verification"}, headers=leaky)
    build_scanner(world.settings, world.store, world.audit.sink, KeyStore(world.settings.keys_dir)).drain()
    yield world
    world.close()
    set_clock(None)


@pytest.fixture
def demo_env(demo: World, monkeypatch: pytest.MonkeyPatch) -> World:
    monkeypatch.setenv("HUB_HOME", str(demo.home))
    monkeypatch.delenv("HUB_DATABASE_URL", raising=False)
    monkeypatch.setenv("HUB_OFFICER_PASSPHRASE", PASSPHRASE)
    get_settings.cache_clear()
    return demo


def test_security_check_writes_both_reports_and_audits_their_digests(demo_env: World, tmp_path: Path,
                                                                      monkeypatch: pytest.MonkeyPatch,
                                                                      capsys: pytest.CaptureFixture[str]) -> None:
    tool = pdftoppm()
    assert hub(monkeypatch, "security", "check", "--json") == 0
    summary = json.loads(capsys.readouterr().out)
    html, pdf = Path(summary["html"]), Path(summary["pdf"])
    assert html.parent == pdf.parent == demo_env.home / "reports"
    assert html.name.startswith("security-check-") and html.stem == pdf.stem
    assert summary["passed"] and "0 failed" in summary["checks"]["policy cases"]
    page = html.read_text(encoding="utf-8")
    assert "audit chain OK" in page and "data:image/png;base64," in page and "leaky" in page
    assert page.count("<img") == 3  # rows per partner, denials, alerts by kind

    subprocess.run([tool, "-png", "-r", "60", "-f", "1", "-l", "1", str(pdf), str(tmp_path / "page")], check=True)
    [png] = list(tmp_path.glob("page*.png"))
    image = Image.open(png).convert("L")
    dark = sum(image.histogram()[:200])  # pixels darker than light grey
    assert image.size[0] > 400 and dark > 0.01 * image.size[0] * image.size[1]  # text and charts, not blank
    shutil.copy(png, Path(os.environ.get("HUB_KEEP_REPORT_PNG", tmp_path)) / "security-check-page1.png")

    with demo_env.store.session() as session:
        record = session.scalars(select(AuditRecord).where(AuditRecord.event == "security.check")
                                 .order_by(AuditRecord.seq.desc())).first()
    assert record is not None and record.seq == summary["audit_seq"] and record.decision == "ok"
    assert record.details["html"] == {"file": html.name, "sha256": hashlib.sha256(html.read_bytes()).hexdigest()}
    assert record.details["pdf"] == {"file": pdf.name, "sha256": hashlib.sha256(pdf.read_bytes()).hexdigest()}
    assert record.details["open_alerts"] >= 1
    assert verify_chain(demo_env.store, KeyStore(demo_env.settings.keys_dir)).ok


def test_alert_commands_sign_with_the_officers_key(demo_env: World, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                   capsys: pytest.CaptureFixture[str]) -> None:
    keys = {o: demo_env.desk.write_key(o, tmp_path / f"{o}.key", PASSPHRASE.encode()) for o in ("sec-1", "sec-2")}
    assert hub(monkeypatch, "alerts", "list", "--state", "open", "--json") == 0
    listed = json.loads(capsys.readouterr().out)
    [alert] = [a for a in listed if a["kind"] == "denial_burst" and a["subject"] == "partner:leaky"]
    assert hub(monkeypatch, "alerts", "ack", alert["id"], "--reason", "calling the partner") == 1
    assert "--key" in capsys.readouterr().err  # no key, no action
    assert hub(monkeypatch, "alerts", "ack", alert["id"], "--reason", "calling the partner",
               "--key", str(keys["sec-1"])) == 0
    assert hub(monkeypatch, "alerts", "resolve", alert["id"], "--reason", "a misconfigured client",
               "--key", str(keys["sec-2"])) == 0
    capsys.readouterr()
    assert hub(monkeypatch, "alerts", "show", alert["id"], "--json") == 0
    shown = json.loads(capsys.readouterr().out)
    assert shown["state"] == "resolved" and shown["acknowledged"]["by"] == "officer:sec-1"
    assert shown["resolved"] == {**shown["resolved"], "by": "officer:sec-2", "reason": "a misconfigured client"}
    assert hub(monkeypatch, "alerts", "list") == 0 and alert["id"] in capsys.readouterr().out


def test_risk_and_scan_commands(demo_env: World, monkeypatch: pytest.MonkeyPatch,
                                capsys: pytest.CaptureFixture[str]) -> None:
    assert hub(monkeypatch, "risk", "report", "--json") == 0
    report = json.loads(capsys.readouterr().out)
    assert report["datasets"][0]["dataset"] == SUBSIDY and report["datasets"][0]["parts"]["rows_delivered"] == 500
    assert hub(monkeypatch, "risk", "report") == 0
    assert "grants unused for 30 days" in capsys.readouterr().out
    assert hub(monkeypatch, "alerts", "scan") == 0
    assert "observed" in capsys.readouterr().out


def test_a_tampered_log_fails_the_check_and_the_report_says_where(hub: Hub) -> None:
    for _ in range(5):
        hub.deny("partner:p1")
    with hub.store.session() as session:
        session.execute(text("UPDATE audit_records SET decision = 'allow' WHERE seq = :s"), {"s": hub.seqs[1]})
    result = run_security_check(hub.settings)
    assert not result.passed and result.html.exists() and result.pdf.exists()
    assert f"first bad seq {hub.seqs[1]}" in result.html.read_text(encoding="utf-8")
    with hub.store.session() as session:
        record = session.scalars(select(AuditRecord).where(AuditRecord.event == "security.check")).one()
    assert record.decision == "error" and record.details["chain_ok"] is False
