"""Leases: a large budget charged in chunks handed out in memory, still exact across processes and crashes."""

from __future__ import annotations

import threading
from collections.abc import Iterator

import pytest

from hub.audit import AuditLog
from hub.quota import CLOCK_SKEW_S, Ledger, QuotaExceeded, grant_days, reconcile
from hub.quota.ledger import LEASE_SHARE, LEASE_USE_S, is_lease
from hub.store.db import Store
from tests.quota.conftest import APPEND_BOUND_S, DAY, LEASE_S, Clock, deliver, quota, serving_ledger
from tests.quota.test_ledger import charged, open_reservations
from tests.quota.test_reconcile import add_grant

BUDGET = 64_000  # a lease takes BUDGET / LEASE_SHARE = 2,000 rows: twenty 100-row pages
LEASE = BUDGET // LEASE_SHARE


@pytest.fixture
def other(store: Store, clock: Clock) -> Iterator[Ledger]:
    """A second serving process's ledger on the same store."""
    yield from serving_ledger(store, clock, "other-host:2:ef01")


def test_pages_of_a_large_budget_come_from_one_lease(ledger: Ledger, store: Store) -> None:
    taken = [ledger.reserve(f"r{n}", quota(budget=BUDGET), 100) for n in range(20)]
    assert {r.lease for r in taken} == {taken[0].lease} and taken[0].lease is not None
    assert list(open_reservations(store).values()) == [LEASE]  # one reservation row: the lease
    assert charged(store) == LEASE
    for r in taken:
        ledger.settle(r, 100 if r.request_id != "r0" else 40)  # one short page
    assert ledger.retire_leases(every=True) == 1
    assert charged(store) == 19 * 100 + 40 and open_reservations(store) == {}


def test_a_small_budget_is_charged_page_by_page(ledger: Ledger, store: Store) -> None:
    r = ledger.reserve("r", quota(budget=100), 20)
    assert r.lease is None and open_reservations(store) == {"r": 20}


def test_a_page_that_does_not_fit_the_lease_retires_it_and_takes_a_new_one(ledger: Ledger, store: Store) -> None:
    first = [ledger.reserve(f"a{n}", quota(budget=BUDGET), 100) for n in range(19)]
    for r in first:
        ledger.settle(r, 100)
    big = ledger.reserve("big", quota(budget=BUDGET), 400)  # 100 left in the lease: it is closed
    assert big.lease not in (None, first[0].lease)
    assert charged(store) == 1900 + LEASE  # the old lease's 100 unused rows came back


def test_a_lease_stops_handing_out_pages_after_its_use_and_is_closed_by_the_sweep(
        ledger: Ledger, store: Store, clock: Clock) -> None:
    r = ledger.reserve("r", quota(budget=BUDGET), 100)
    clock.advance(LEASE_USE_S)
    assert ledger.retire_leases() == 0  # a page is in flight: the lease waits for it
    assert ledger.reserve("s", quota(budget=BUDGET), 100).lease != r.lease  # a new lease serves
    ledger.settle(r, 100)  # the last page of the retired lease: it closes
    assert charged(store) == 100 + LEASE


def test_two_processes_together_never_exceed_the_budget_and_deliver_all_of_it(
        ledger: Ledger, other: Ledger, store: Store) -> None:
    delivered: list[int] = []
    lock = threading.Lock()

    def serve(led: Ledger, name: str) -> None:
        n = 0
        while True:
            n += 1
            try:
                r = led.reserve(f"{name}-{n}", quota(budget=BUDGET), 100)
            except QuotaExceeded:
                return
            with lock:
                delivered.append(r.rows)
                assert sum(delivered) <= BUDGET
            led.settle(r, r.rows)

    threads = [threading.Thread(target=serve, args=(led, f"{tag}{i}")) for i in range(4)
               for led, tag in ((ledger, "a"), (other, "b"))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sum(delivered) <= BUDGET
    # rows still leased come back once the leases close; then the budget is used to the last row
    ledger.retire_leases(every=True)
    other.retire_leases(every=True)
    n = 0
    while True:
        n += 1
        try:
            r = (ledger if n % 2 else other).reserve(f"tail-{n}", quota(budget=BUDGET), 100)
        except QuotaExceeded:
            break
        delivered.append(r.rows)
        (ledger if n % 2 else other).settle(r, r.rows)
    ledger.retire_leases(every=True)
    other.retire_leases(every=True)
    assert sum(delivered) == BUDGET == charged(store)
    assert open_reservations(store) == {}


def test_a_killed_processs_lease_keeps_its_recorded_rows_and_frees_the_rest_at_its_expiry(
        ledger: Ledger, store: Store, audit: AuditLog, clock: Clock) -> None:
    add_grant(store, budget=BUDGET)
    taken = [ledger.reserve(f"r{n}", quota(budget=BUDGET), 100) for n in range(3)]
    for r in taken:
        deliver(audit, r.request_id, "g-1", 100, lease=r.lease)  # then kill -9: nothing settled or closed
    (lease,) = open_reservations(store)
    assert is_lease(lease)
    done = reconcile(store, clock())  # deliveries are recorded, but a lease is not done before its expiry
    assert (done.confirmed, done.released, done.still_open) == (0, 0, 1) and charged(store) == LEASE
    (figures,) = grant_days(store, "g-1", DAY)
    assert figures.problems == [] and figures.delivered == 300  # the ledger adds up with the lease open
    clock.advance(LEASE_S + CLOCK_SKEW_S)
    done = reconcile(store, clock())
    assert (done.confirmed, done.rows_returned) == (1, LEASE - 300)
    assert charged(store) == 300 and open_reservations(store) == {}
    (figures,) = grant_days(store, "g-1", DAY)
    assert figures.problems == []


def test_an_append_that_failed_after_it_began_leaves_the_lease_to_reconciliation(
        ledger: Ledger, store: Store, audit: AuditLog, clock: Clock) -> None:
    r = ledger.reserve("landed", quota(budget=BUDGET), 100)
    with ledger.hold(r) as hold:
        hold.begin_append()
    deliver(audit, "landed", "g-1", 100, lease=r.lease)  # the record landed; its caller saw an error
    hold.abandon()
    assert ledger.retire_leases(every=True) == 0  # not closed from memory: only the audit log can tell
    assert charged(store) == LEASE
    clock.advance(LEASE_S + CLOCK_SKEW_S)
    reconcile(store, clock())
    assert charged(store) == 100 and open_reservations(store) == {}


def test_near_the_end_of_the_budget_pages_are_charged_alone_without_asking_for_a_lease_each_time(
        ledger: Ledger, store: Store, clock: Clock, monkeypatch: pytest.MonkeyPatch) -> None:
    plain = Ledger(store, lease_s=LEASE_S, append_bound_s=APPEND_BOUND_S, clock=clock, monotonic=clock.monotonic,
                   holder="plain:3:0000", leasing=False)
    plain.reserve("most", quota(budget=BUDGET), BUDGET - 1000)  # 1,000 rows left: no room for a 2,000-row lease
    plain.dispose()
    charges: list[int] = []
    charge = ledger._charge_rows

    def counted(request_id: str, *args: object) -> tuple[bool, int]:
        charges.append(1)
        return charge(request_id, *args)  # type: ignore[arg-type]

    monkeypatch.setattr(ledger, "_charge_rows", counted)
    assert ledger.reserve("a", quota(budget=BUDGET), 100).lease is None and len(charges) == 2  # lease refused
    assert ledger.reserve("b", quota(budget=BUDGET), 100).lease is None and len(charges) == 3  # alone at once
    clock.advance(LEASE_USE_S)
    ledger.reserve("c", quota(budget=BUDGET), 100)
    assert len(charges) == 5  # a while later a lease is asked for again (and refused again)
    assert charged(store) == BUDGET - 1000 + 300
