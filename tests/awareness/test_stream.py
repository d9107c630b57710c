"""Each stream detector: it fires on the attack it is for and stays quiet on the normal traffic
beside it.  Record times come from the pinned audit clock, never the wall clock."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import select

from hub.awareness import Thresholds
from hub.store.models import Alert, Dataset
from tests.awareness.conftest import Hub

PAYMENTS, INDICATORS = "finance.subsidy_payment", "statistics.indicators"


def _alerts(hub: Hub) -> list[Alert]:
    with hub.store.session() as session:
        return list(session.scalars(select(Alert).order_by(Alert.created_at, Alert.id)))


def _kinds(hub: Hub) -> list[tuple[str, str, str | None]]:
    return [(a.kind, a.severity, a.subject) for a in _alerts(hub)]


def _catalog(hub: Hub, **levels: int) -> None:
    with hub.store.session() as session:
        for name, level in {PAYMENTS: 3, INDICATORS: 1, **levels}.items():
            session.add(Dataset(id=name, layer="source", provider=name.split(".")[0], level_inferred=level,
                                exchangeable=True))


def _at_local(hub: Hub, day: int, hour: int, minute: int = 0) -> None:
    """Move the audit clock to ``hour``:``minute`` UTC+8 of day ``day`` after the start (never back)."""
    target = datetime(2026, 11, 2 + day, hour, minute, tzinfo=UTC) - timedelta(hours=8)
    assert target >= hub.clock.now, "the audit clock never goes back"
    hub.clock.now = target


def _workdays(hub: Hub, subject: str, days: int, hours: range, per_hour: int, rows: int,
              dataset: str = PAYMENTS, ip: str = "10.0.0.1") -> None:
    """Normal traffic: ``per_hour`` reads of ``rows`` rows in each working hour of ``days`` days."""
    for day in range(days):
        for hour in hours:
            _at_local(hub, day, hour)
            for _ in range(per_hour):
                hub.read(subject, dataset, rows, ip=ip, step_s=3600 / (per_hour + 1))


def test_volume_spike_against_the_partners_own_baseline(hub: Hub) -> None:
    _catalog(hub)
    _workdays(hub, "partner:p1", 4, range(9, 17), per_hour=6, rows=200)  # ~1,200 rows an active hour
    scanner = hub.scanner()
    scanner.drain(check_state=False)
    assert _alerts(hub) == []  # four normal days: no alert
    _at_local(hub, 4, 10)
    for _ in range(4):  # a bulk pull: 4 pages of 10,000 rows within a minute
        hub.read("partner:p1", PAYMENTS, 10_000, step_s=10)
    scanner.drain(check_state=False)
    [alert] = _alerts(hub)
    assert (alert.kind, alert.severity, alert.subject) == ("volume_spike", "high", "partner:p1")
    assert alert.details["history_hours"] == 32 and alert.details["median"] == 1200
    assert alert.details["rows_last_hour"] >= 30_000 > alert.details["rows_threshold"]
    first_spike_seq = max(hub.seqs) - 7  # the first page's decision
    assert alert.detected_seq is not None and alert.detected_seq > first_spike_seq


def test_a_new_partner_is_held_to_the_floor_not_to_its_thin_history(hub: Hub) -> None:
    _catalog(hub)
    _at_local(hub, 0, 10)
    for _ in range(9):  # 90,000 rows in the first hour it ever reads: below the new-partner floor (100,000)
        hub.read("partner:p2", INDICATORS, 10_000, step_s=5)
    scanner = hub.scanner()
    scanner.drain(check_state=False)
    assert _alerts(hub) == []
    hub.read("partner:p2", INDICATORS, 20_000, step_s=5)
    scanner.drain(check_state=False)
    assert _kinds(hub) == [("volume_spike", "high", "partner:p2")]


def test_off_hours_read_of_sensitive_data(hub: Hub) -> None:
    _catalog(hub)
    _workdays(hub, "partner:p1", 3, range(9, 18), per_hour=2, rows=50)
    _at_local(hub, 3, 18, 30)  # just after its usual hours: within the ±1 hour margin
    hub.read("partner:p1", PAYMENTS, 50)
    _at_local(hub, 3, 19, 30)
    hub.read("partner:p1", INDICATORS, 50)  # level 1: hours do not matter
    scanner = hub.scanner()
    scanner.drain(check_state=False)
    assert _alerts(hub) == []
    _at_local(hub, 4, 3)  # 03:00, a bulk read of personal data
    for _ in range(3):
        hub.read("partner:p1", PAYMENTS, 500, step_s=20)
    scanner.drain(check_state=False)
    [alert] = _alerts(hub)
    assert (alert.kind, alert.severity, alert.dataset) == ("off_hours", "high", PAYMENTS)
    assert alert.details["hour"] == 3 and alert.details["usual_hours"] == list(range(8, 19))
    assert alert.count == 3


def test_without_history_the_configured_work_hours_apply(hub: Hub) -> None:
    _catalog(hub)
    _at_local(hub, 0, 23)
    hub.read("partner:p2", PAYMENTS, 10)
    hub.scanner().drain(check_state=False)
    assert _kinds(hub) == [("off_hours", "warning", "partner:p2")]


def test_enumeration_by_distinct_lookup_values(hub: Hub) -> None:
    _catalog(hub)
    _at_local(hub, 0, 10)
    for i in range(30):  # a partner checking the same few people again and again: 3 distinct values
        hub.read("partner:p1", PAYMENTS, 1, lookups=[f"recipient_id_number:eq:{i % 3:016x}"], step_s=5)
    scanner = hub.scanner()
    scanner.drain(check_state=False)
    assert _alerts(hub) == []
    for i in range(45):  # walking ID numbers one by one
        hub.read("partner:p2", PAYMENTS, 1, lookups=[f"recipient_id_number:eq:{i + 100:016x}"], step_s=2)
    scanner.drain(check_state=False)
    assert _kinds(hub) == [("enumeration", "high", "partner:p2")]
    assert _alerts(hub)[0].details["distinct_values"] == 45


def test_credential_stuffing_from_one_ip_but_not_a_locked_partners_refusals(hub: Hub) -> None:
    for _ in range(30):
        hub.token_failure("198.51.100.7", subject="partner:p1", reason="suspended")  # locked down: refused
    for _ in range(9):
        hub.token_failure("198.51.100.8")  # below the threshold (10)
    scanner = hub.scanner()
    scanner.drain(check_state=False)
    assert _alerts(hub) == []
    for _ in range(60):
        hub.token_failure("203.0.113.66", reason="bad_signature")
    scanner.drain(check_state=False)
    assert _kinds(hub) == [("credential_failures", "critical", "ip:203.0.113.66")]


def test_new_ip_and_unusual_dataset_once_the_partner_has_history(hub: Hub) -> None:
    _catalog(hub, **{"audit.findings": 3})
    _workdays(hub, "partner:p1", 8, range(9, 12), per_hour=1, rows=10, dataset=INDICATORS)
    # p2 is new: everything it does is new, and nothing of it is unusual yet
    hub.token("partner:p2", "192.0.2.50")
    hub.read("partner:p2", "audit.findings", 10, ip="192.0.2.50")
    scanner = hub.scanner()
    scanner.drain(check_state=False)
    assert _alerts(hub) == []
    _at_local(hub, 8, 10)
    hub.token("partner:p1", "192.0.2.99")
    hub.read("partner:p1", "audit.findings", 10, ip="192.0.2.99")
    scanner.drain(check_state=False)
    assert sorted(_kinds(hub)) == [("new_client_ip", "warning", "partner:p1"),
                                   ("unusual_dataset", "high", "partner:p1")]
    unusual = next(a for a in _alerts(hub) if a.kind == "unusual_dataset")
    assert unusual.details["new_ip"] is True and unusual.dataset == "audit.findings"


@pytest.mark.parametrize(("denials", "severity"), [(19, None), (20, "high"), (99, "high"), (100, "critical")])
def test_denial_burst_boundaries(hub: Hub, denials: int, severity: str | None) -> None:
    for _ in range(denials):
        hub.deny("partner:p1")
    hub.scanner().drain(check_state=False)
    assert _kinds(hub) == ([("denial_burst", severity, "partner:p1")] if severity else [])


def test_denials_spread_beyond_the_window_are_no_burst(hub: Hub) -> None:
    for _ in range(60):  # one denial every 20 s: 15 in any 5-minute window
        hub.deny("partner:p1", step_s=20)
    hub.scanner().drain(check_state=False)
    assert _alerts(hub) == []


def test_thresholds_come_from_settings(hub: Hub) -> None:
    strict: Any = replace(Thresholds(), denial_burst=5)
    for _ in range(6):
        hub.deny("partner:p2")
    hub.scanner(strict).drain(check_state=False)
    assert _kinds(hub) == [("denial_burst", "high", "partner:p2")]
