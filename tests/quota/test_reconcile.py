"""Reconciliation with the audit log: delivered rows stay charged, undelivered ones come back after the lease."""

from __future__ import annotations

from datetime import timedelta

import pytest

from hub.audit import AuditLog
from hub.quota import CLOCK_SKEW_S, Ledger, grant_days, reconcile
from hub.store.db import Store
from hub.store.models import Grant, Partner
from tests.quota.conftest import DAY, NOW, Clock, deliver, quota
from tests.quota.test_ledger import charged, open_reservations


def add_grant(store: Store, gid: str = "g-1", budget: int = 100) -> None:
    with store.session() as session:
        if session.get(Partner, "p") is None:
            session.add(Partner(id="p", clearance=3, jurisdiction="330106", purposes=[], created_at=NOW))
            session.flush()
        session.add(Grant(id=gid, partner_id="p", dataset_id="d", valid_from=NOW, valid_until=NOW,
                          max_rows_per_day=budget, created_at=NOW))


def test_a_recorded_delivery_counts_as_used_though_its_process_never_settled(
        ledger: Ledger, store: Store, audit: AuditLog, clock: Clock) -> None:
    ledger.reserve("crashed-after-append", quota(), 20)
    deliver(audit, "crashed-after-append", "g-1", 20)  # then kill -9: no settle
    ledger.reserve("crashed-short", quota(), 20)
    deliver(audit, "crashed-short", "g-1", 3)  # a short page, never settled
    done = reconcile(store, clock())  # confirmed at once, lease or not
    assert (done.confirmed, done.released, done.rows_returned) == (2, 0, 17)
    assert charged(store) == 23 and open_reservations(store) == {}


def test_an_undelivered_reservation_is_released_at_its_lease_and_not_before(
        ledger: Ledger, store: Store, clock: Clock) -> None:
    ledger.reserve("crashed-before-append", quota(), 40)
    clock.advance(ledger.lease_s + CLOCK_SKEW_S - 0.001)
    done = reconcile(store, clock())
    assert (done.released, done.still_open) == (0, 1) and charged(store) == 40
    clock.advance(0.001)
    done = reconcile(store, clock())
    assert (done.released, done.rows_returned) == (1, 40)
    assert charged(store) == 0 and open_reservations(store) == {}


def test_the_freed_rows_can_be_charged_again(ledger: Ledger, store: Store, clock: Clock) -> None:
    ledger.reserve("dead", quota(budget=50), 50)
    clock.advance(ledger.lease_s + CLOCK_SKEW_S)
    reconcile(store, clock())
    assert ledger.reserve("alive", quota(budget=50), 50).rows == 50


def test_reconciling_one_grant_and_day_leaves_the_others(ledger: Ledger, store: Store, clock: Clock) -> None:
    ledger.reserve("a", quota("g-1"), 10)
    ledger.reserve("b", quota("g-2"), 10)
    clock.advance(ledger.lease_s + CLOCK_SKEW_S)
    assert reconcile(store, clock(), grant="g-1", day=DAY).released == 1
    assert open_reservations(store) == {"b": 10}


def test_reconcilers_racing_close_each_reservation_once(ledger: Ledger, store: Store, clock: Clock) -> None:
    from concurrent.futures import ThreadPoolExecutor

    for n in range(30):
        ledger.reserve(f"r{n}", quota(budget=1000), 10)
    clock.advance(ledger.lease_s + CLOCK_SKEW_S)
    with ThreadPoolExecutor(max_workers=4) as pool:
        results = list(pool.map(lambda _: reconcile(store, clock(), batch=7), range(4)))
    assert sum(r.released for r in results) == 30
    assert charged(store) == 0  # given back once each, not four times


def test_figures_put_the_ledger_beside_the_audit_log(
        ledger: Ledger, store: Store, audit: AuditLog, clock: Clock) -> None:
    add_grant(store)
    done = ledger.reserve("done", quota(), 20)
    deliver(audit, "done", "g-1", 20)
    ledger.settle(done, 20)
    ledger.reserve("in-flight", quota(), 30)
    [figures] = grant_days(store, "g-1")
    assert (figures.approved, figures.charged, figures.delivered, figures.open_rows, figures.open_count) == (
        100, 50, 20, 30, 1)
    assert figures.problems == []
    clock.advance(ledger.lease_s + CLOCK_SKEW_S)
    reconcile(store, clock())
    [figures] = grant_days(store, "g-1", DAY)
    assert (figures.charged, figures.delivered, figures.open_rows) == (20, 20, 0) and figures.problems == []
    assert grant_days(store, "g-1", "2026-11-28") == []


def test_an_overrun_and_a_ledger_that_disagrees_are_named(store: Store, audit: AuditLog) -> None:
    add_grant(store)
    for n in range(3):  # 120 rows delivered with no charge at all (as the old in-process ledger could)
        deliver(audit, f"r{n}", "g-1", 40)
    [figures] = grant_days(store)
    assert figures.problems == ["delivered 120 rows, over the approved budget of 100",
                                "ledger charged 0 rows, audit log accounts for 120 (120 delivered + 0 held)"]


def test_a_delivery_without_a_quota_day_counts_on_the_day_of_its_timestamp(store: Store, audit: AuditLog) -> None:
    from hub.events import DATA_DELIVERY, AuditEvent
    from hub.quota.ledger import quota_day, utc_now

    audit.append(AuditEvent(DATA_DELIVERY, subject="partner:p", request_id="old", grant="g-9", rows=5,
                            decision="ok"))
    [figures] = grant_days(store, "g-9")
    assert (figures.day, figures.delivered) == (quota_day(utc_now()), 5)


@pytest.mark.parametrize("hours", [0, 13.99])
def test_a_lease_never_outlives_its_bound(ledger: Ledger, store: Store, clock: Clock, hours: float) -> None:
    clock.advance(hours * 3600)
    ledger.reserve("r", quota(), 10)
    from hub.store.models import QuotaReservation

    with store.session() as session:
        held = session.get(QuotaReservation, "r")
        assert held is not None
        assert held.expires_at - held.created_at == timedelta(seconds=ledger.lease_s)
        assert held.created_at == clock() and held.holder == "test-host:1:abcd"


def test_a_sweep_deletes_its_own_settled_rows_and_closes_only_expired_ones(
        ledger: Ledger, store: Store, audit: AuditLog, clock: Clock) -> None:
    from hub.quota import Sweeper

    mine = ledger.reserve("mine", quota(), 20)
    ledger.settle(mine, 20)  # delivered in full by this process
    ledger.reserve("in-flight", quota(), 20)  # a live request of another process, not delivered yet
    ledger.reserve("delivered-elsewhere", quota(), 20)
    deliver(audit, "delivered-elsewhere", "g-1", 20)  # its process died before settling
    sweeper = Sweeper(ledger, 3600, clock=clock)
    sweeper.sweep()
    assert open_reservations(store) == {"in-flight": 20, "delivered-elsewhere": 20}  # not expired yet
    clock.advance(ledger.lease_s + CLOCK_SKEW_S)
    sweeper.sweep()
    assert open_reservations(store) == {} and charged(store) == 40  # 20 released, 40 delivered
