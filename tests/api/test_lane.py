"""The data lane (``hub.api.lane``): the same answers as the FastAPI routes, with less per-request work.

Each request is asked twice with the same remembered token — once through the lane, once
with the lane switched off (the FastAPI route) — and the two answers must be the same
contract: status, content type, the set of headers, the body (problem+json or the page),
the next-page link; both deliveries carry a receipt that verifies.  What the lane must not
take (a first sight of a token, a missing or malformed parameter) goes to the route.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest
from sqlalchemy import select

from hub.api.lane import HubApi
from hub.audit import decode_receipt, verify_receipt
from hub.audit.pubkeys import key_map
from hub.events import TOKEN_REJECTED
from hub.keys import KeyStore
from hub.policy.data import bump
from hub.store.models import AuditRecord, Suspension
from tests.api.conftest import AsgiClient
from tests.api.exchange_world import SUBSIDY, World, bearer

ROWS = f"/v1/datasets/{SUBSIDY}/rows"
PER_REQUEST = {"x-hub-request-id", "x-hub-receipt", "date"}
# (path, params, whether the lane takes it)
CASES: list[tuple[str, dict[str, Any], bool]] = [
    (ROWS, {"purpose": "case-verification", "limit": 5}, True),
    (ROWS, {"purpose": "case-verification", "limit": 3, "columns": "payment_id,amount,recipient_phone"}, True),
    (ROWS, {"purpose": "case-verification", "limit": 4, "filter": ["amount:gt:100", "payment_id:lt:900"]}, True),
    (ROWS, {"purpose": "case-verification", "limit": 2, "format": "csv"}, True),
    (ROWS, {"purpose": "case-verification", "filter": "recipient_phone:prefix:13"}, True),  # 400: masked
    (ROWS, {"purpose": "case-verification", "columns": "no_such_column"}, True),  # 400 naming it
    (ROWS, {"purpose": "marketing"}, True),  # 403 with reasons
    (ROWS, {"purpose": "case-verification", "format": "yaml"}, True),  # 400: the format
    (f"/v1/datasets/{SUBSIDY}/changes", {"purpose": "case-verification", "since": "v0"}, True),
    ("/v1/datasets/no.such_dataset/rows", {"purpose": "case-verification"}, True),  # 404
    (ROWS, {"limit": 5}, False),  # no purpose: FastAPI's 400
    (ROWS, {"purpose": "case-verification", "limit": 0}, False),
    (ROWS, {"purpose": "case-verification", "limit": "ten"}, False),
    (ROWS, {"purpose": "x" * 65}, False),
    (f"/v1/datasets/{SUBSIDY}/changes", {"purpose": "case-verification"}, False),  # no since
]


@pytest.fixture(scope="module")
def http(world: World) -> Iterator[AsgiClient]:
    with AsgiClient(world.app()) as client:
        yield client


@pytest.fixture(scope="module")
def auth(http: AsgiClient, world: World) -> dict[str, str]:
    headers = bearer(http, world.clients["zj-province"])
    first = http.get(ROWS, params={"purpose": "case-verification", "limit": 1}, headers=headers)
    assert first.status_code == 200, first.text  # the route verified the token: it is remembered now
    return headers


def both(http: AsgiClient, path: str, params: dict[str, Any], headers: dict[str, str]
         ) -> tuple[httpx.Response, httpx.Response, int]:
    """The answer with the lane, the answer of the route, and how many requests the lane served."""
    app = http.app
    assert isinstance(app, HubApi) and app.lane is not None
    before = app.lane.served
    laned = http.get(path, params=params, headers=headers)
    served = app.lane.served - before
    stack, app.lane_stack = app.lane_stack, None
    try:
        routed = http.get(path, params=params, headers=headers)
    finally:
        app.lane_stack = stack
    return laned, routed, served


def comparable(response: httpx.Response) -> tuple[int, str, frozenset[str], Any]:
    body: Any = response.json() if "json" in response.headers["content-type"] else response.text
    if isinstance(body, dict) and "request_id" in body:
        body = {k: v for k, v in body.items() if k != "request_id"}
    return (response.status_code, response.headers["content-type"],
            frozenset(h for h in response.headers if h not in PER_REQUEST), body)


@pytest.mark.parametrize(("path", "params", "taken"), CASES)
def test_the_lane_answers_as_the_route_does(http: AsgiClient, auth: dict[str, str], world: World, path: str,
                                            params: dict[str, Any], taken: bool) -> None:
    laned, routed, served = both(http, path, params, auth)
    assert served == (1 if taken else 0)
    assert comparable(laned) == comparable(routed), (laned.text[:300], routed.text[:300])
    assert laned.headers.get("link") == routed.headers.get("link")
    if laned.status_code == 200:
        keys = key_map(KeyStore(world.settings.keys_dir))
        for response in (laned, routed):
            receipt = decode_receipt(response.headers["x-hub-receipt"])
            assert receipt["request_id"] == response.headers["x-hub-request-id"]
            assert receipt["response_sha256"] == hashlib.sha256(response.content).hexdigest()
            verify_receipt(receipt, keys)


def test_the_lane_follows_cursors_as_the_route_does(http: AsgiClient, auth: dict[str, str]) -> None:
    params = {"purpose": "case-verification", "limit": 7}
    laned, routed, served = both(http, ROWS, params, auth)
    assert served == 1 and laned.headers["link"] == routed.headers["link"]
    cursor = laned.headers["link"].split("cursor=")[1].split(">")[0]
    after_lane, after_route, served = both(http, ROWS, {**params, "cursor": httpx.QueryParams(
        f"cursor={cursor}")["cursor"]}, auth)
    assert served == 1 and comparable(after_lane) == comparable(after_route)
    assert after_lane.json()["rows"] and after_lane.json()["rows"] != laned.json()["rows"]


def test_a_token_the_process_never_saw_goes_to_the_route(http: AsgiClient, world: World) -> None:
    app = http.app
    assert isinstance(app, HubApi) and app.lane is not None
    before = app.lane.served
    fresh = bearer(http, world.clients["hz-xihu-jw"])
    assert http.get(ROWS, params={"purpose": "case-verification", "limit": 1}, headers=fresh).status_code == 200
    assert http.get(ROWS, params={"purpose": "case-verification", "limit": 1}).status_code == 401
    assert http.get(ROWS, params={"purpose": "case-verification"}, headers={"Authorization": "Basic eA=="}
                    ).status_code == 401
    assert app.lane.served == before  # none of them: first sight, no credential, another scheme
    assert http.get(ROWS, params={"purpose": "case-verification", "limit": 1}, headers=fresh).status_code == 200
    assert app.lane.served == before + 1  # now remembered


def test_a_lockdown_refuses_a_remembered_token_in_the_lane_and_is_audited(
        http: AsgiClient, world: World) -> None:
    app = http.app
    assert isinstance(app, HubApi) and app.lane is not None
    who = bearer(http, world.clients["leaky"])
    params = {"purpose": "case-verification", "limit": 1}
    assert http.get(ROWS, params=params, headers=who).status_code == 200  # remembered from here on
    with world.store.session() as session:
        session.add(Suspension(partner_id="leaky", reason="lane test", created_by="officer:sec-1",
                               created_at=datetime.now(UTC)))
    bump()  # as a lockdown committed through this process does (hub.policy.data.changed_on_commit)
    before = app.lane.served
    refused = http.get(ROWS, params=params, headers=who)
    assert app.lane.served == before + 1
    assert refused.status_code == 401 and refused.headers["content-type"] == "application/problem+json"
    assert refused.headers["www-authenticate"].startswith("Bearer") and "rows" not in refused.json()
    with world.store.session() as session:
        record = session.scalars(select(AuditRecord).where(
            AuditRecord.request_id == refused.headers["x-hub-request-id"])).one()
    assert record.event == TOKEN_REJECTED and record.reasons == ["suspended"]
