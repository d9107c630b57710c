"""Containment end to end through the exchange API: a critical alert locks the partner down and its
next request is refused; lifting needs two officers.  A dataset circuit breaker stops every partner
at once and needs two officers to resume; a forced key rotation stops the old key for good."""

from __future__ import annotations

import itertools
import os
from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from sqlalchemy import select

from hub import statements
from hub.audit import verify_chain
from hub.audit.record import set_clock
from hub.awareness import Scanner, Thresholds
from hub.identity import add_partner_key
from hub.keys import KeyStore
from hub.store.models import Alert, AuditRecord, ClientKey
from tests.api.conftest import AsgiClient, Client, get_token, public_pem
from tests.api.exchange_world import SUBSIDY, World, bearer, build_world

FINDINGS = "audit.findings"  # conditional, and none of the partners holds a grant on it


@pytest.fixture
def audit_clock() -> Iterator[None]:
    """Record times 50 ms apart from 10:00 (UTC+8) tomorrow, whatever the machine's speed and the time of
    day: the detectors' windows and usual hours never depend on the wall clock."""
    start = (datetime.now(UTC) + timedelta(days=1)).replace(hour=2, minute=0, second=0, microsecond=0)
    ticks = itertools.count()
    set_clock(lambda: start + timedelta(milliseconds=50 * next(ticks)))
    yield
    set_clock(None)


@pytest.fixture
def world(request: pytest.FixtureRequest, tmp_path: Path, audit_clock: None) -> Iterator[World]:
    src = os.environ.get("HUB_TEST_PIPELINE_HOME")
    home = Path(src) if src else request.getfixturevalue("pipeline_output").home
    built = build_world(home, tmp_path / "home")
    yield built
    built.close()


@pytest.fixture
def http(world: World) -> Iterator[AsgiClient]:
    with AsgiClient(world.app()) as client:
        yield client


def scanner(world: World, **playbooks: list[str]) -> Scanner:
    thresholds = Thresholds.from_settings(world.settings)
    if playbooks:
        thresholds = replace(thresholds, playbooks={k.replace("__", ":"): v for k, v in playbooks.items()})
    return Scanner(world.store, world.audit.sink, KeyStore(world.settings.keys_dir), thresholds)


def rows(http: AsgiClient, headers: dict[str, str], dataset: str = SUBSIDY, **params: Any) -> Any:
    return http.get(f"/v1/datasets/{dataset}/rows", params={"purpose": "case-verification", "limit": 5, **params},
                    headers=headers)


def assert_chain_verifies(world: World) -> None:
    """`hub audit verify` holds after the act: the signatures checked, the store against the chain."""
    report = verify_chain(world.store, KeyStore(world.settings.keys_dir))
    assert report.ok, [str(p) for p in report.problems]


def lift(http: AsgiClient, world: World, officer: str, partner: str) -> Any:
    headers = bearer(http, world.clients[officer])
    state = http.get(f"/v1/partners/{partner}/lockdown", headers=headers).json()
    statement = world.desk.sign(officer, "lift", f"partner:{partner}", state["lift_terms"])
    return http.post(f"/v1/partners/{partner}/lockdown/lift", json={"statement": statement}, headers=headers)


def test_a_critical_alert_locks_the_partner_down_and_two_officers_lift_it(http: AsgiClient, world: World) -> None:
    partner = bearer(http, world.clients["hz-xihu-jw"])
    assert rows(http, partner).status_code == 200
    for _ in range(100):  # probing: a hundred denied requests in seconds (critical: 5 x 20)
        assert rows(http, partner, FINDINGS).status_code == 403
    result = scanner(world).run_once(check_state=False)
    [raised] = [c.alert for c in result.raised]
    assert (raised.kind, raised.severity, raised.subject) == ("denial_burst", "critical", "partner:hz-xihu-jw")
    assert raised.actions[0]["action"] == "lockdown" and raised.actions[0]["target"] == "partner:hz-xihu-jw"

    refused = rows(http, partner)  # the very next request, with the token it already holds
    assert refused.status_code == 401
    assert get_token(http, world.clients["hz-xihu-jw"].assertion()).status_code == 401
    assert rows(http, bearer(http, world.clients["zj-province"])).status_code == 200  # others unaffected
    with world.store.session() as session:
        lock = session.scalars(select(AuditRecord).where(AuditRecord.event == "partner.lockdown")).one()
        assert lock.subject == "system:awareness" and lock.details["alert"] == raised.id

    first = lift(http, world, "sec-1", "hz-xihu-jw")
    assert first.status_code == 202 and first.json()["locked"]
    assert get_token(http, world.clients["hz-xihu-jw"].assertion()).status_code == 401  # one officer is not enough
    again = lift(http, world, "sec-1", "hz-xihu-jw")  # nor the same officer twice
    assert again.status_code == 202 and again.json()["locked"]
    second = lift(http, world, "own-fin", "hz-xihu-jw")
    assert second.status_code == 200 and second.json()["lifted"]
    assert rows(http, bearer(http, world.clients["hz-xihu-jw"])).status_code == 200
    assert_chain_verifies(world)


def test_a_dataset_circuit_breaker_stops_every_partner_and_two_officers_resume(http: AsgiClient,
                                                                              world: World) -> None:
    leaky = bearer(http, world.clients["leaky"])
    for i in range(45):  # walks recipients one by one: enumeration, high
        response = rows(http, leaky, filter=f"payment_id:eq:{i + 1}", limit=1)
        assert response.status_code == 200
    result = scanner(world, enumeration__high=["suspend_dataset"]).run_once(check_state=False)
    [raised] = [c.alert for c in result.raised]
    assert (raised.kind, raised.dataset, raised.severity) == ("enumeration", SUBSIDY, "high")
    assert raised.actions[0]["action"] == "suspend_dataset"

    for partner in ("zj-province", "hz-xihu-jw", "leaky"):  # every partner at once, grants or not
        refused = rows(http, bearer(http, world.clients[partner]))
        assert refused.status_code == 403 and "rule circuit-breaker" in refused.text

    sec1, own = bearer(http, world.clients["sec-1"]), bearer(http, world.clients["own-fin"])
    state = http.get(f"/v1/datasets/{SUBSIDY}/suspension", headers=sec1).json()
    assert state["suspended"] and state["suspensions"][0]["alert"] == raised.id
    first = world.desk.sign("sec-1", "resume", f"dataset:{SUBSIDY}", state["resume_terms"])
    assert http.post(f"/v1/datasets/{SUBSIDY}/suspension/lift", json={"statement": first},
                     headers=sec1).status_code == 202
    assert rows(http, bearer(http, world.clients["zj-province"])).status_code == 403
    second = world.desk.sign("own-fin", "resume", f"dataset:{SUBSIDY}", state["resume_terms"])
    resumed = http.post(f"/v1/datasets/{SUBSIDY}/suspension/lift", json={"statement": second}, headers=own)
    assert resumed.status_code == 200 and resumed.json()["resumed"]
    assert rows(http, bearer(http, world.clients["zj-province"])).status_code == 200
    assert_chain_verifies(world)


def test_an_officer_suspends_a_dataset_with_one_signature(http: AsgiClient, world: World) -> None:
    sec2 = bearer(http, world.clients["sec-2"])
    unsigned = http.post(f"/v1/datasets/{SUBSIDY}/suspension", json={"statement": "x" * 40}, headers=sec2)
    assert unsigned.status_code == 400
    statement = world.desk.sign("sec-2", "suspend", f"dataset:{SUBSIDY}", statements.suspend_terms(SUBSIDY),
                                note="leaked extract found on a forum")
    assert http.post(f"/v1/datasets/{SUBSIDY}/suspension", json={"statement": statement},
                     headers=sec2).status_code == 201
    assert rows(http, bearer(http, world.clients["hz-xihu-jw"])).status_code == 403
    partner = bearer(http, world.clients["zj-province"])
    assert http.get(f"/v1/datasets/{SUBSIDY}/suspension", headers=partner).status_code == 403
    assert_chain_verifies(world)


def test_a_forced_key_rotation_stops_the_old_key_for_good(http: AsgiClient, world: World) -> None:
    old: Client = world.clients["leaky"]
    leaky = bearer(http, old)
    for _ in range(25):
        rows(http, leaky, FINDINGS)
    result = scanner(world, denial_burst__high=["rotate_key"]).run_once(check_state=False)
    [raised] = [c.alert for c in result.raised]
    assert raised.actions[0]["action"] == "rotate_key" and raised.actions[0]["revoked_keys"] == [old.kid]
    assert rows(http, leaky).status_code == 401
    assert get_token(http, old.assertion()).status_code == 401
    fresh_key = Ed25519PrivateKey.generate()
    with world.store.session() as session:
        registration = add_partner_key(session, world.audit.sink, "leaky", public_pem=public_pem(fresh_key))
    fresh = Client(registration.client_id, registration.kid, fresh_key)
    assert get_token(http, fresh.assertion()).status_code == 401  # still locked down
    assert lift(http, world, "sec-2", "leaky").status_code == 202
    assert lift(http, world, "own-fin", "leaky").status_code == 200
    assert rows(http, bearer(http, fresh)).status_code == 200
    assert get_token(http, old.assertion()).status_code == 401  # the old key stays revoked
    with world.store.session() as session:
        assert session.get(ClientKey, old.kid).revoked_at is not None  # type: ignore[union-attr]
        alert = session.get(Alert, raised.id)
        assert alert is not None and alert.state == "open"  # containment does not close the alert

    assert_chain_verifies(world)
