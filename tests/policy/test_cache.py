"""The decision cache (issue 13): validity bounds on an injected clock, scoped invalidation, revocation."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from hub import workflow
from hub.events import discard
from hub.policy import PolicyPoint, RegopyEngine, StoreData, load_policies
from hub.store import Store, open_store
from hub.store.models import Partner
from tests.officer_desk import Desk
from tests.policy.helpers import NOW, READ, SUBJECT, request, resource, seed
from tests.policy.test_point import Counting

OTHER = {"id": "partner:hz-city-jw", "kind": "partner"}
CLOSES = NOW + timedelta(hours=3)  # the county's grant window closes at 13:00 UTC+8


class Clock:
    """An injected clock (epoch seconds) for the decision point."""

    def __init__(self) -> None:
        self.now = NOW.timestamp()

    def __call__(self) -> float:
        return self.now


def _approve(session: Any, desk: Desk, **overrides: Any) -> None:
    app = workflow.apply(session, discard, request(**overrides), now=NOW)
    desk.approve(session, discard, app.id, "own-fin", "sec-1", now=NOW)


@pytest.fixture
def seeded(hub_home: Path) -> Iterator[tuple[Store, Desk]]:
    s = open_store(f"sqlite:///{hub_home / 'hub.sqlite'}")
    with s.session() as session:
        desk = seed(session)
        session.add(Partner(id="hz-city-jw", clearance=3, jurisdiction="330100", purposes=["case-verification"],
                            created_at=NOW))
        session.flush()
        _approve(session, desk, valid_until=CLOSES)
        _approve(session, desk, partner="hz-city-jw")
    yield s, desk
    s.dispose()


@pytest.fixture
def store(seeded: tuple[Store, Desk]) -> Store:
    return seeded[0]


@pytest.fixture
def desk(seeded: tuple[Store, Desk]) -> Desk:
    return seeded[1]


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def point(store: Store, clock: Clock) -> PolicyPoint:
    return PolicyPoint(Counting(RegopyEngine()), load_policies(), StoreData(store), recheck_seconds=3600,
                       clock=clock)


def calls(point: PolicyPoint) -> int:
    return int(point.engine.calls)  # type: ignore[attr-defined]


def test_a_cached_decision_is_not_used_once_its_grant_window_closes(point: PolicyPoint, clock: Clock) -> None:
    assert point.decide(SUBJECT, "read", resource(), READ).allow
    clock.now = CLOSES.timestamp() - 0.001
    assert point.decide(SUBJECT, "read", resource(), READ).allow
    assert (calls(point), point.cache.hits) == (1, 1)  # one evaluation, then the cache
    clock.now = CLOSES.timestamp()  # valid_until is exclusive: closed at this very instant
    after = point.decide(SUBJECT, "read", resource(), READ)
    assert not after.allow and any("expired" in r for r in after.reasons), after.reasons
    assert calls(point) == 2


def test_a_cached_decision_is_not_used_after_the_local_day_changes(point: PolicyPoint, clock: Clock) -> None:
    clock.now = (NOW + timedelta(hours=13, minutes=59, seconds=59)).timestamp()  # 23:59:59 UTC+8
    point.decide(OTHER, "read", resource(), READ)
    point.decide(OTHER, "read", resource(), READ)
    assert (calls(point), point.cache.hits) == (1, 1)
    clock.now += 1  # 00:00:00 UTC+8 the next day
    assert point.decide(OTHER, "read", resource(), READ).allow
    assert calls(point) == 2 and point.cache.hits == 1


def test_an_explicit_time_is_part_of_the_key_and_never_expires(point: PolicyPoint, clock: Clock) -> None:
    context = {"time": "2026-11-27T10:00:00+08:00"}
    first = point.decide(SUBJECT, "read", resource(), READ, context)
    clock.now = CLOSES.timestamp() + 86400
    assert point.decide(SUBJECT, "read", resource(), READ, context) is first
    assert calls(point) == 1


def test_approving_a_grant_for_one_partner_keeps_the_others_entries(point: PolicyPoint, store: Store,
                                                                   desk: Desk) -> None:
    point.decide(SUBJECT, "read", resource(), READ)
    point.decide(OTHER, "read", resource(), READ)
    county_scope, city_scope = point.scopes.of(SUBJECT)[0], point.scopes.of(OTHER)[0]
    with store.session() as session:  # a second grant for the county partner only
        _approve(session, desk, purpose="case-verification", columns=["amount"], clear_columns=())
    hits, evaluations = point.cache.hits, calls(point)
    assert point.decide(OTHER, "read", resource(), READ).allow
    assert (point.cache.hits, calls(point)) == (hits + 1, evaluations)  # the city partner's entry stayed
    assert point.scopes.of(OTHER)[0] == city_scope and point.cache.scope_count(city_scope) == 1
    assert point.decide(SUBJECT, "read", resource(), READ).allow
    assert (point.cache.hits, calls(point)) == (hits + 1, evaluations + 1)  # the county partner's did not
    assert point.scopes.of(SUBJECT)[0] != county_scope


def test_revoking_a_grant_denies_the_next_request_and_spares_the_other_partner(
        point: PolicyPoint, store: Store, desk: Desk) -> None:
    assert point.decide(SUBJECT, "read", resource(), READ).allow
    assert point.decide(OTHER, "read", resource(), READ).allow
    county = point.decide(SUBJECT, "read", resource(), READ).grant
    with store.session() as session:
        desk.revoke(session, discard, str(county), "sec-1", "case closed", now=NOW)
    after = point.decide(SUBJECT, "read", resource(), READ)
    assert not after.allow and any("holds no grant" in r for r in after.reasons)
    hits = point.cache.hits
    assert point.decide(OTHER, "read", resource(), READ).allow and point.cache.hits == hits + 1


def test_a_lockdown_denies_the_next_request(point: PolicyPoint, store: Store, desk: Desk) -> None:
    assert point.decide(SUBJECT, "read", resource(), READ).allow
    with store.session() as session:
        desk.lockdown(session, discard, "hz-xihu-jw", "sec-1", "leaked extract", now=NOW)
    after = point.decide(SUBJECT, "read", resource(), READ)
    assert not after.allow and any("rule lockdown" in r for r in after.reasons)


def test_another_process_change_is_seen_once_the_data_is_older_than_the_staleness_bound(
        store: Store, clock: Clock) -> None:
    mono = [0.0]
    point = PolicyPoint(RegopyEngine(), load_policies(), StoreData(store), recheck_seconds=1.0, clock=clock,
                        monotonic=lambda: mono[0])
    assert point.decide(SUBJECT, "read", resource(), READ).allow
    with store.session() as session:  # no workflow call, no generation bump: as another process would
        session.get(Partner, "hz-xihu-jw").suspended = True  # type: ignore[union-attr]
    mono[0] = 0.999
    assert point.decide(SUBJECT, "read", resource(), READ).allow  # within the bound: may be stale
    mono[0] = 1.0
    assert not point.decide(SUBJECT, "read", resource(), READ).allow  # at the bound: never
