"""The quota ledger on SQLite and PostgreSQL: charges stop exactly at the budget, refusals are whole."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
from sqlalchemy import select

from hub.errors import SettingsError
from hub.quota import Ledger, LedgerUnavailable, QuotaExceeded, grant_days
from hub.store.db import Store
from hub.store.models import QuotaDay, QuotaReservation
from tests.quota.conftest import DAY, Clock, quota


def charged(store: Store, grant: str = "g-1", day: str = DAY) -> int:
    with store.session() as session:
        found = session.get(QuotaDay, (grant, day))
        return 0 if found is None else found.charged


def open_reservations(store: Store) -> dict[str, int]:
    with store.session() as session:
        return dict(session.execute(select(QuotaReservation.request_id, QuotaReservation.rows)).all())


def test_charges_stop_exactly_at_the_budget_and_a_refusal_is_whole(ledger: Ledger, store: Store) -> None:
    for n in range(5):
        ledger.reserve(f"r{n}", quota(budget=100), 20)
    assert charged(store) == 100
    with pytest.raises(QuotaExceeded) as refused:
        ledger.reserve("r5", quota(budget=100), 1)
    assert refused.value.status == 403
    assert refused.value.reasons == ["rule quota: grant `g-1` daily budget of 100 rows on 2026-11-27: "
                                     "100 charged, 1 more requested"]
    assert charged(store) == 100 and "r5" not in open_reservations(store)


def test_a_page_larger_than_what_is_left_is_refused_not_truncated(ledger: Ledger, store: Store) -> None:
    for n in range(14):
        ledger.reserve(f"r{n}", quota(budget=100), 7)
    with pytest.raises(QuotaExceeded, match="98 charged, 7 more requested"):
        ledger.reserve("r14", quota(budget=100), 7)
    ledger.reserve("r15", quota(budget=100), 2)  # what is left still fits
    assert charged(store) == 100


def test_a_page_beyond_the_whole_budget_is_refused_on_a_fresh_day(ledger: Ledger, store: Store) -> None:
    with pytest.raises(QuotaExceeded, match="0 charged, 101 more requested"):
        ledger.reserve("r0", quota(budget=100), 101)
    assert charged(store) == 0 and open_reservations(store) == {}


def test_budgets_are_per_grant_and_per_day(ledger: Ledger, store: Store, clock: Clock) -> None:
    ledger.reserve("a", quota("g-1", 10), 10)
    ledger.reserve("b", quota("g-2", 10), 10)  # another grant: its own budget
    with pytest.raises(QuotaExceeded):
        ledger.reserve("c", quota("g-1", 10), 1)
    clock.advance(14 * 3600)  # 00:00 on 2026-11-28 in UTC+8: a new quota day
    reservation = ledger.reserve("d", quota("g-1", 10), 10)
    assert reservation.day == "2026-11-28"
    assert charged(store, "g-1", DAY) == 10 and charged(store, "g-1", "2026-11-28") == 10


def test_the_day_is_the_local_day_to_the_second(ledger: Ledger, clock: Clock) -> None:
    clock.advance(14 * 3600 - 1)  # 23:59:59 UTC+8
    assert ledger.reserve("late", quota(), 1).day == DAY
    clock.advance(1)
    assert ledger.reserve("early", quota(), 1).day == "2026-11-28"


def test_a_short_page_gives_back_at_once_and_a_full_one_needs_no_write(ledger: Ledger, store: Store) -> None:
    short = ledger.reserve("short", quota(), 20)
    full = ledger.reserve("full", quota(), 20)
    ledger.settle(short, 5)
    ledger.settle(full, 20)
    assert charged(store) == 25
    assert open_reservations(store) == {"full": 20}  # deleted in a batch by the sweep
    assert ledger.flush_confirmed() == 1
    assert charged(store) == 25 and open_reservations(store) == {}


def test_release_gives_everything_back_once(ledger: Ledger, store: Store) -> None:
    held = ledger.reserve("r", quota(), 30)
    ledger.release(held)
    ledger.release(held)  # a second close finds nothing to close
    assert charged(store) == 0 and open_reservations(store) == {}


def test_a_hold_gives_back_on_failure_before_the_append_and_keeps_it_after(ledger: Ledger, store: Store) -> None:
    before = ledger.reserve("before", quota(), 10)
    with pytest.raises(RuntimeError), ledger.hold(before):
        raise RuntimeError("page build failed")
    after = ledger.reserve("after", quota(), 10)
    with pytest.raises(RuntimeError), ledger.hold(after) as hold:
        hold.begin_append()
        raise RuntimeError("audit append timed out: the record may have landed")
    assert charged(store) == 10 and open_reservations(store) == {"after": 10}


def test_no_delivery_append_begins_once_the_lease_is_too_short(ledger: Ledger, store: Store, clock: Clock) -> None:
    held = ledger.reserve("slow", quota(), 10)
    clock.advance(ledger.lease_s - ledger.append_bound_s + 0.001)
    with pytest.raises(LedgerUnavailable, match="too old"), ledger.hold(held) as hold:
        hold.begin_append()
    assert charged(store) == 0  # refused before the append: given back


def test_a_lease_shorter_than_the_audit_append_bound_is_refused(store: Store) -> None:
    with pytest.raises(SettingsError, match="HUB_QUOTA_LEASE_S"):
        Ledger(store, lease_s=10, append_bound_s=15)


@pytest.mark.parametrize("page", [20, 7, 33])
def test_concurrent_reservations_never_exceed_the_budget(ledger: Ledger, store: Store, page: int) -> None:
    budget = 100
    gate = threading.Barrier(8)

    def one(n: int) -> int:
        if n < 8:
            gate.wait()
        try:
            return ledger.reserve(f"r{n}", quota(budget=budget), page).rows
        except QuotaExceeded:
            return 0

    with ThreadPoolExecutor(max_workers=8) as pool:
        granted = sum(pool.map(one, range(40)))
    assert granted == charged(store) == (budget // page) * page


def test_a_charge_that_fails_among_concurrent_ones_fails_alone(ledger: Ledger, store: Store) -> None:
    """SQLite writes the charges queued at one moment in one transaction, each under a
    savepoint: one that fails (a request id already holding a reservation) takes back its
    own charge and no other's; on PostgreSQL each charge is its own statement anyway."""
    ledger.reserve("dup", quota(budget=1000), 10)
    gate = threading.Barrier(8)

    def one(n: int) -> int:
        gate.wait()
        try:
            return ledger.reserve("dup" if n % 2 else f"r{n}", quota(budget=1000), 10).rows
        except LedgerUnavailable:
            return -1

    with ThreadPoolExecutor(max_workers=8) as pool:
        outcomes = list(pool.map(one, range(8)))
    assert outcomes == [10, -1] * 4
    assert charged(store) == 10 + 4 * 10
    assert open_reservations(store) == {"dup": 10, "r0": 10, "r2": 10, "r4": 10, "r6": 10}


def test_an_unreachable_store_is_unavailable_never_a_charge(tmp_path) -> None:  # type: ignore[no-untyped-def]
    from hub.store.db import open_store

    store = open_store(f"sqlite:///{tmp_path / 'gone.sqlite'}")
    ledger = Ledger(store, lease_s=30, append_bound_s=7)
    store.dispose()
    (tmp_path / "gone.sqlite").unlink()
    (tmp_path / "gone.sqlite").mkdir()  # no database can be opened there
    with pytest.raises(LedgerUnavailable, match="grant `g-1`") as caught:
        ledger.reserve("r", quota(), 1)
    assert caught.value.status == 503


def test_figures_of_an_empty_ledger(store: Store) -> None:
    assert grant_days(store) == []
