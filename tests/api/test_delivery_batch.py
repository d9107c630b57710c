"""One audit batch per delivery, with the quota reservation around it (issue 13).

An allowed request appends its decision record and its delivery record (rows, SHA-256,
the quota day) together — one call of the audit log's batch append — before the page
leaves.  A request whose reservation can no longer be delivered inside its lease is
refused (503) with the decision recorded alone and its rows given back at once.
"""

from __future__ import annotations

import itertools
from collections.abc import Awaitable, Callable
from typing import Any

import pytest
from sqlalchemy import func, select

from hub.events import AuditEvent
from hub.exchange.service import Exchange
from hub.store.models import AuditRecord, QuotaDay, QuotaReservation
from tests.api.conftest import AsgiClient
from tests.api.exchange_world import SUBSIDY, World

ROWS = f"/v1/datasets/{SUBSIDY}/rows"
PARAMS = {"purpose": "case-verification", "limit": 5}


def _exchange(http: AsgiClient, headers: dict[str, str]) -> Exchange:
    assert http.get(ROWS, params=PARAMS, headers=headers).status_code == 200  # the app builds its exchange
    exchange = http.app.state.exchange
    assert isinstance(exchange, Exchange)
    return exchange


def _records(world: World, request_id: str) -> list[AuditRecord]:
    with world.store.session() as session:
        return list(session.scalars(select(AuditRecord).where(AuditRecord.request_id == request_id)
                                    .order_by(AuditRecord.seq)))


def _charged(world: World, grant: str) -> int:
    with world.store.session() as session:
        return int(session.scalar(select(func.coalesce(func.sum(QuotaDay.charged), 0))
                                  .where(QuotaDay.grant_id == grant)) or 0)


def test_decision_and_delivery_are_one_batch_with_the_quota_day(world: World, http: AsgiClient,
                                                                 auth: dict[str, dict[str, str]],
                                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    exchange = _exchange(http, auth["zj-province"])
    batches: list[list[str]] = []
    appended: Callable[[list[AuditEvent]], Awaitable[list[object]]] = exchange._append_many_async

    async def counting(events: list[AuditEvent]) -> list[object]:
        batches.append([e.event for e in events])
        return await appended(events)

    monkeypatch.setattr(exchange, "_append_many_async", counting)
    response = http.get(ROWS, params=PARAMS, headers=auth["zj-province"])
    assert response.status_code == 200
    assert batches == [["data.decision", "data.delivery"]]
    decision, delivery = _records(world, response.headers["X-Hub-Request-Id"])
    assert (decision.event, decision.decision, delivery.event) == ("data.decision", "allow", "data.delivery")
    assert delivery.seq == decision.seq + 1 and delivery.rows == 5
    assert delivery.details["quota_day"] and delivery.details["format"] == "json"


def test_a_lease_that_runs_out_before_the_append_records_the_decision_alone(
        world: World, http: AsgiClient, auth: dict[str, dict[str, str]], monkeypatch: pytest.MonkeyPatch) -> None:
    exchange = _exchange(http, auth["zj-province"])
    exchange.quota.retire_leases(every=True)  # the first page's lease closed: its rows are back
    ticks = itertools.count()  # every reading of the ledger's clock is 10^9 s after the last: whatever
    # was reserved (from a lease or alone) is too old to deliver by the time its append would begin

    def monotonic() -> float:
        return next(ticks) * 1e9

    monkeypatch.setattr(exchange.quota, "monotonic", monotonic)
    before = {g: _charged(world, g) for g in _grants(world)}
    response = http.get(ROWS, params=PARAMS, headers=auth["zj-province"])
    assert response.status_code == 503 and "rows" not in response.text
    records = _records(world, response.headers["X-Hub-Request-Id"])
    assert [(r.event, r.decision) for r in records] == [("data.decision", "allow")]
    assert records[0].reasons[-1] == "not delivered: 503 quota ledger unavailable", records[0].reasons
    exchange.quota.retire_leases(every=True)  # a lease taken for the page holds its rows until it is closed
    assert {g: _charged(world, g) for g in _grants(world)} == before  # nothing was charged for the page
    with world.store.session() as session:
        assert session.get(QuotaReservation, response.headers["X-Hub-Request-Id"]) is None


def _grants(world: World) -> list[Any]:
    with world.store.session() as session:
        return list(session.scalars(select(QuotaDay.grant_id).distinct()))
