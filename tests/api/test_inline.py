"""Warm data requests prepared on the event loop (``hub.inline``), everything else in a worker thread.

The loop only ever uses what is in memory: a cold request, a refusal to record, a page
whose rendition was evicted all give up there and run in a thread — and giving up leaves
no trace: one decision record per request, and the rows a page took from its process's
quota lease are back in it.
"""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import func, select

from hub import inline
from hub.events import DATA_DECISION, DATA_DELIVERY, AuditEvent
from hub.exchange.service import Exchange
from hub.store.models import AuditRecord, QuotaDay, QuotaReservation
from tests.api.conftest import AsgiClient, Bearers
from tests.api.exchange_world import SUBSIDY, World

ROWS = f"/v1/datasets/{SUBSIDY}/rows"
PARAMS = {"purpose": "case-verification", "limit": 5}


def _records(world: World, request_id: str) -> list[tuple[str, str | None]]:
    with world.store.session() as session:
        return [(r.event, r.decision) for r in session.scalars(
            select(AuditRecord).where(AuditRecord.request_id == request_id).order_by(AuditRecord.seq))]


def _get(http: AsgiClient, headers: dict[str, str], **params: Any) -> Any:
    return http.get(ROWS, params={**PARAMS, **params}, headers=headers)


def test_a_warm_request_is_prepared_on_the_loop_and_answers_as_a_cold_one(
        world: World, http: AsgiClient, auth: dict[str, dict[str, str]]) -> None:
    cold = _get(http, auth["zj-province"])
    exchange = http.app.state.exchange
    assert isinstance(exchange, Exchange) and cold.status_code == 200
    before = exchange.prepared_inline
    warm = _get(http, auth["zj-province"])
    assert warm.status_code == 200 and exchange.prepared_inline == before + 1
    assert warm.content == cold.content and warm.headers["Link"] == cold.headers["Link"]
    assert _records(world, warm.headers["X-Hub-Request-Id"]) == [(DATA_DECISION, "allow"), (DATA_DELIVERY, "ok")]
    assert warm.headers["X-Hub-Receipt"]


def test_a_cached_refusal_is_recorded_once_from_a_thread(
        world: World, http: AsgiClient, auth: dict[str, dict[str, str]]) -> None:
    for _ in range(2):  # the second refusal's decision is cached: the loop still may not record it
        exchange = http.app.state.exchange if hasattr(http.app.state, "exchange") else None
        before = exchange.prepared_inline if exchange is not None else 0
        refused = _get(http, auth["zj-province"], purpose="statistics")  # no grant for this purpose
        assert refused.status_code == 403
        assert _records(world, refused.headers["X-Hub-Request-Id"]) == [(DATA_DECISION, "deny")]
        assert http.app.state.exchange.prepared_inline == before


def test_a_refusal_after_the_allow_is_recorded_from_a_thread_never_on_the_loop(
        world: World, http: AsgiClient, auth: dict[str, dict[str, str]], monkeypatch: pytest.MonkeyPatch) -> None:
    first = _get(http, auth["zj-province"])
    exchange: Exchange = http.app.state.exchange
    appended_on_loop: list[bool] = []
    append = exchange.append

    def watched(event: AuditEvent) -> object:
        appended_on_loop.append(inline.active())
        return append(event)

    monkeypatch.setattr(exchange, "append", watched)
    cursor = first.headers["Link"].split("cursor=")[1].split(">")[0]
    forged = _get(http, auth["zj-province"], cursor=cursor[:-4] + ("AAAA" if not cursor.endswith("AAAA") else "BBBB"))
    assert forged.status_code == 400  # a cursor that does not verify: refused after the allow
    assert _records(world, forged.headers["X-Hub-Request-Id"]) == [(DATA_DECISION, "allow")]
    assert appended_on_loop == [False]


def test_a_page_given_up_half_way_gives_its_rows_back_to_the_lease(
        world: World, http: AsgiClient, auth: dict[str, dict[str, str]]) -> None:
    assert _get(http, auth["zj-province"]).status_code == 200
    exchange: Exchange = http.app.state.exchange
    for key in [k for k in exchange.views.cache.kept() if k[0] == "json"]:
        exchange.views.cache.discard(key)  # the rendition is gone: the loop reserves, then gives up
    before = exchange.prepared_inline
    page = _get(http, auth["zj-province"])
    assert page.status_code == 200 and exchange.prepared_inline == before
    assert _records(world, page.headers["X-Hub-Request-Id"]) == [(DATA_DECISION, "allow"), (DATA_DELIVERY, "ok")]
    exchange.quota.retire_leases(every=True)  # leases closed: what is charged is what was delivered
    with world.store.session() as session:
        charged = session.scalar(select(func.coalesce(func.sum(QuotaDay.charged), 0)))
        delivered = session.scalar(select(func.coalesce(func.sum(AuditRecord.rows), 0))
                                   .where(AuditRecord.event == DATA_DELIVERY, AuditRecord.grant.is_not(None)))
    assert charged == delivered > 0


def test_an_app_shut_down_gives_its_leased_rows_back(world: World) -> None:
    app = world.app()
    with AsgiClient(app) as client:
        assert _get(client, Bearers(client, world)["zj-province"]).status_code == 200
        exchange: Exchange = app.state.exchange
        assert exchange.quota._lease_ids  # the page came from a lease this process holds
    assert app.state.exchange is None and not exchange.quota._lease_ids  # closed with the app
    with world.store.session() as session:
        open_rows = session.scalar(select(func.count()).select_from(QuotaReservation))
        charged = session.scalar(select(func.coalesce(func.sum(QuotaDay.charged), 0)))
        delivered = session.scalar(select(func.coalesce(func.sum(AuditRecord.rows), 0))
                                   .where(AuditRecord.event == DATA_DELIVERY, AuditRecord.grant.is_not(None)))
    assert open_rows == 0 and charged == delivered
