"""Alerts and the risk report over the API (officers only), signed acknowledgement and resolution,
the Prometheus gauge, and the detector thread the API process runs."""

from __future__ import annotations

import itertools
import os
import re
import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from hub.audit import verify_chain
from hub.audit.record import set_clock
from hub.awareness import build_scanner, build_watcher
from hub.keys import KeyStore
from tests.api.conftest import AsgiClient
from tests.api.exchange_world import SUBSIDY, World, bearer, build_world

FINDINGS = "audit.findings"


@pytest.fixture(scope="module")
def world(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    start = (datetime.now(UTC) + timedelta(days=1)).replace(hour=2, minute=0, second=0, microsecond=0)
    ticks = itertools.count()
    set_clock(lambda: start + timedelta(milliseconds=50 * next(ticks)))
    src = os.environ.get("HUB_TEST_PIPELINE_HOME")
    home = Path(src) if src else request.getfixturevalue("pipeline_output").home
    built = build_world(home, tmp_path_factory.mktemp("awareness-api") / "home")
    yield built
    built.close()
    set_clock(None)


@pytest.fixture(scope="module")
def http(world: World) -> Iterator[AsgiClient]:
    with AsgiClient(world.app()) as client:
        yield client


@pytest.fixture(scope="module")
def alert_id(world: World, http: AsgiClient) -> str:
    partner = bearer(http, world.clients["zj-province"])
    for _ in range(30):
        assert http.get(f"/v1/datasets/{FINDINGS}/rows", params={"purpose": "case-verification"},
                        headers=partner).status_code == 403
    scanner = build_scanner(world.settings, world.store, world.audit.sink, KeyStore(world.settings.keys_dir))
    [change] = scanner.run_once(check_state=False).raised
    return change.alert.id


def test_officers_list_alerts_and_partners_cannot(world: World, http: AsgiClient, alert_id: str) -> None:
    listed = http.get("/v1/alerts", params={"state": "open"}, headers=bearer(http, world.clients["sec-1"]))
    assert listed.status_code == 200
    [alert] = [a for a in listed.json()["alerts"] if a["id"] == alert_id]
    assert (alert["kind"], alert["subject"], alert["severity"]) == ("denial_burst", "partner:zj-province", "high")
    assert alert["count"] == 30 and len(alert["evidence"]) == 30 and alert["terms"]["alert"] == alert_id
    for partner in ("zj-province", "hz-xihu-jw"):
        assert http.get("/v1/alerts", headers=bearer(http, world.clients[partner])).status_code == 403
        assert http.get("/v1/risk", headers=bearer(http, world.clients[partner])).status_code == 403
    assert http.get("/v1/alerts").status_code == 401
    bad = http.get("/v1/alerts", params={"state": "maybe"}, headers=bearer(http, world.clients["sec-1"]))
    assert bad.status_code == 400 and "state" in bad.text


def test_the_console_overview_shows_the_live_alerts(world: World, alert_id: str) -> None:
    from tests.console.helpers import log_in

    with AsgiClient(world.app()) as console:
        log_in(console, world.desk, "sec-1")
        page = console.get("/console/", params={"lang": "en"})
    assert page.status_code == 200
    row = re.search(rf'<tr id="alert-{alert_id}">(.*?)</tr>', page.text)
    assert row, "the overview does not list the open alert"
    cells = re.findall(r"<td[^>]*>(.*?)</td>", row.group(1))
    assert cells[1:4] == ["high", "denial_burst", "partner:zj-province"] and cells[-2:] == ["30", "open"]
    assert int(re.search(r'id="alerts-open">(\d+)<', page.text).group(1)) >= 1  # type: ignore[union-attr]


def test_an_alert_is_acknowledged_and_resolved_with_signed_statements(world: World, http: AsgiClient,
                                                                     alert_id: str) -> None:
    sec1, sec2 = bearer(http, world.clients["sec-1"]), bearer(http, world.clients["sec-2"])
    alert = http.get(f"/v1/alerts/{alert_id}", headers=sec1).json()
    forged = world.desk.sign("sec-2", "ack", f"alert:{alert_id}", alert["terms"], note="looking into it")
    assert http.post(f"/v1/alerts/{alert_id}/ack", json={"statement": forged}, headers=sec1).status_code == 403
    silent = world.desk.sign("sec-1", "ack", f"alert:{alert_id}", alert["terms"])
    assert http.post(f"/v1/alerts/{alert_id}/ack", json={"statement": silent}, headers=sec1).status_code == 400
    ack = world.desk.sign("sec-1", "ack", f"alert:{alert_id}", alert["terms"], note="looking into it")
    acked = http.post(f"/v1/alerts/{alert_id}/ack", json={"statement": ack}, headers=sec1)
    assert acked.status_code == 200, acked.text
    assert acked.json()["state"] == "acknowledged"
    assert acked.json()["acknowledged"]["by"] == "officer:sec-1"
    stale = world.desk.sign("sec-2", "resolve", f"alert:{alert_id}", alert["terms"], note="partner misconfigured")
    assert http.post(f"/v1/alerts/{alert_id}/resolve", json={"statement": stale},
                     headers=sec2).status_code == 403  # signed over the alert as it was (open)
    now_terms = http.get(f"/v1/alerts/{alert_id}", headers=sec2).json()["terms"]
    resolve = world.desk.sign("sec-2", "resolve", f"alert:{alert_id}", now_terms, note="partner misconfigured")
    resolved = http.post(f"/v1/alerts/{alert_id}/resolve", json={"statement": resolve}, headers=sec2)
    assert resolved.status_code == 200 and resolved.json()["resolved"]["reason"] == "partner misconfigured"
    audit = http.get("/v1/audit", params={"event": "alert.resolved"}, headers=sec2).json()["records"]
    assert audit[-1]["details"]["alert"] == alert_id and audit[-1]["details"]["signed"]
    assert http.get("/v1/alerts/al-nothing", headers=sec2).status_code == 404
    report = verify_chain(world.store, KeyStore(world.settings.keys_dir))  # the signed ack and resolve hold
    assert report.ok, [str(p) for p in report.problems]


def test_the_open_alerts_gauge(world: World, http: AsgiClient, alert_id: str) -> None:
    from hub.metrics import REGISTRY

    value = REGISTRY.get_sample_value("hub_alerts_open", {"severity": "high", "kind": "denial_burst"})
    assert value is not None and value >= 1  # set by the pass that raised it


def test_the_risk_report_shows_its_parts(world: World, http: AsgiClient) -> None:
    province = bearer(http, world.clients["zj-province"])
    assert http.get(f"/v1/datasets/{SUBSIDY}/rows", params={"purpose": "case-verification", "limit": 7},
                    headers=province).status_code == 200
    report = http.get("/v1/risk", headers=bearer(http, world.clients["own-fin"])).json()
    [subsidy] = [d for d in report["datasets"] if d["dataset"] == SUBSIDY]
    assert subsidy["parts"]["level"] >= 3 and subsidy["parts"]["partners"] == 3
    assert subsidy["parts"]["rows_delivered"] >= 7
    [province_row] = [p for p in report["partners"] if p["partner"] == "zj-province"]
    assert province_row["parts"]["datasets_granted"] == 1
    assert report["grants_unused"] == []  # every grant is days old, not 30
    assert report["grants_without_end"] == [] and report["stale_partner_keys"] == []


def test_the_decision_record_holds_lookup_fingerprints_never_the_values(world: World, http: AsgiClient) -> None:
    """What the enumeration detector counts: one keyed fingerprint per filter value, the value kept out."""
    county = bearer(http, world.clients["hz-xihu-jw"])
    for value in ("DB", "TK", "DB"):
        response = http.get(f"/v1/datasets/{SUBSIDY}/rows", headers=county,
                            params={"purpose": "case-verification", "limit": 1, "filter": f"program_code:eq:{value}"})
        assert response.status_code == 200, response.text
    records = http.get("/v1/audit", params={"event": "data.decision", "subject": "partner:hz-xihu-jw"},
                       headers=bearer(http, world.clients["sec-1"])).json()["records"]
    prints = [r["details"]["lookups"] for r in records[-3:]]
    assert all(len(p) == 1 and p[0].startswith("program_code:eq:") for p in prints)
    assert prints[0] == prints[2] != prints[1]  # equal values, equal fingerprints: distinct ones are countable
    assert not any(p[0].endswith((":DB", ":TK")) for p in prints)


def test_the_api_process_runs_the_detectors_in_a_thread(world: World, http: AsgiClient) -> None:
    """The watcher (what ``hub serve`` starts) picks new records up by itself; waits on its passes."""
    watcher = build_watcher(world.settings.model_copy(update={"awareness_interval_s": 0.05}), world.store,
                            world.audit.sink, KeyStore(world.settings.keys_dir))
    partner = bearer(http, world.clients["hz-xihu-jw"])
    for _ in range(21):
        http.get(f"/v1/datasets/{FINDINGS}/rows", params={"purpose": "case-verification"}, headers=partner)
    found = threading.Event()

    def check() -> bool:
        listed = http.get("/v1/alerts", params={"kind": "denial_burst"}, headers=bearer(http, world.clients["sec-1"]))
        return any(a["subject"] == "partner:hz-xihu-jw" for a in listed.json()["alerts"])

    watcher.start()
    try:
        for _ in range(600):  # the thread's passes, not a timing assertion: up to 30 s on a loaded machine
            if check():
                found.set()
                break
            threading.Event().wait(0.05)
    finally:
        watcher.stop()
    assert found.is_set() and watcher.passes >= 1
