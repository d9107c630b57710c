"""Hostile input, fail-closed behaviour, lockdown, tracing, and one request through real uvicorn."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

import httpx
import pytest
import uvicorn
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from hub.exchange.service import Exchange
from hub.keys import KeyStore
from hub.policy import OpaEngine, PolicyPoint, StoreData, load_policies
from hub.statements import lockdown_terms
from tests.api.conftest import AsgiClient
from tests.api.exchange_world import SUBSIDY, World, bearer

ROWS = f"/v1/datasets/{SUBSIDY}/rows"
PURPOSE = {"purpose": "case-verification"}
HUB_CLI = str(Path(sys.executable).parent / "hub")


@pytest.fixture
def county(world: World, http: AsgiClient) -> dict[str, str]:
    """A token per test: a module-wide one could expire (600 s) before the module ends."""
    return bearer(http, world.clients["hz-xihu-jw"])


def assert_safe(response: httpx.Response) -> None:
    """Never a 5xx; a refusal is problem+json; an answer stays inside the county's scope."""
    assert response.status_code < 500, response.text
    if response.status_code != 200:
        assert response.headers["content-type"].startswith("application/problem+json")
        assert response.json()["detail"]
        return
    for row in response.json()["rows"]:
        assert str(row.get("township_code", "330106")).startswith("330106")
        id_number = row.get("recipient_id_number")
        assert id_number is None or id_number.startswith("ps_")


HOSTILE = [
    "township_code:eq:' OR 1=1 --",
    "township_code:prefix:%",
    "amount:gt:1; DROP TABLE x",
    "recipient_id_number:eq:1",
    "../../etc/passwd:eq:1",
    "township_code:in:" + "|".join(["1"] * 500),
    '"township_code":eq:1',
    "township_code:like:33%",
    "a" * 5000,
    "县:eq:杭州",
    "payment_id:lt:\u0000",
    "township_code:prefix:" + "3" * 300,
    ":eq:1",
    "payment_id:ge:abc",
]


@pytest.mark.parametrize("flt", HOSTILE)
def test_hostile_filters(http: AsgiClient, county: dict[str, str], flt: str) -> None:
    assert_safe(http.get(ROWS, params={**PURPOSE, "filter": flt}, headers=county))


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("order_by", "amount; DROP TABLE x"),
        ("order_by", "-recipient_id_number"),
        ("order_by", "x" * 500),
        ("columns", "recipient_id_number,../../secret"),
        ("columns", '"payment_id" --'),
        ("columns", ",".join(["payment_id"] * 300)),
        ("cursor", "eyJiIjoiIn0.AAAA"),
        ("cursor", "a.b.c"),
        ("cursor", "x" * 3000),
        ("limit", "-1"),
        ("limit", "99999999999"),
        ("format", "xml"),
        ("purpose", "p" * 100),
        ("purpose", 'case-verification"'),
        ("purpose", 'marketing" OR "1"="1'),
        ("purpose", "Case Verification"),
        ("filter", "township_code:prefix:3301"),
    ],
)
def test_hostile_parameters(http: AsgiClient, county: dict[str, str], name: str, value: str) -> None:
    assert_safe(http.get(ROWS, params={**PURPOSE, name: value}, headers=county))


@pytest.mark.parametrize(
    "path",
    [
        "/v1/datasets/..%2F..%2Fetc%2Fpasswd/rows",
        "/v1/datasets/raw_finance.x/rows",
        "/v1/datasets/" + "d" * 400 + "/rows",
        "/v1/datasets/统计/rows",
    ],
)
def test_hostile_dataset_names(http: AsgiClient, county: dict[str, str], path: str) -> None:
    response = http.get(path, params=PURPOSE, headers=county)
    assert 400 <= response.status_code < 500


def test_foreign_cursor_refused(world: World, http: AsgiClient, county: dict[str, str]) -> None:
    other = bearer(http, world.clients["zj-province"])
    first = http.get(ROWS, params={**PURPOSE, "limit": 2}, headers=other)
    cursor = first.headers["Link"].split("cursor=")[1].split(">")[0]
    response = http.get(ROWS, params={**PURPOSE, "limit": 2, "cursor": cursor}, headers=county)
    assert response.status_code == 400 and "cursor" in response.json()["detail"]


COLUMNS = st.sampled_from(
    [
        "township_code",
        "amount",
        "payment_id",
        "recipient_id_number",
        "period",
        "x",
        "",
        "1=1",
        'township_code"',
        "名字",
    ]
)
OPS = st.sampled_from(["eq", "ne", "lt", "le", "gt", "ge", "in", "prefix", "like", ""])


@settings(deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(column=COLUMNS, op=OPS, value=st.text(max_size=40), raw=st.text(max_size=60))
def test_filters_property(
    http: AsgiClient, county: dict[str, str], column: str, op: str, value: str, raw: str
) -> None:
    params: dict[str, Any] = {**PURPOSE, "limit": 200, "filter": [f"{column}:{op}:{value}", raw]}
    assert_safe(http.get(ROWS, params=params, headers=county))


def test_a_purpose_that_is_not_a_slug_is_a_400_naming_it(http: AsgiClient, county: dict[str, str]) -> None:
    response = http.get(ROWS, params={"purpose": 'case-verification"'}, headers=county)
    assert response.status_code == 400
    assert "purpose" in response.json()["detail"]


@settings(deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(purpose=st.text(max_size=70))
def test_purpose_property(http: AsgiClient, county: dict[str, str], purpose: str) -> None:
    assert_safe(http.get(ROWS, params={"purpose": purpose, "limit": 50}, headers=county))


def failing_app(world: World, **kw: Any) -> AsgiClient:
    return AsgiClient(world.app(**kw))


def test_policy_engine_down_is_503_without_rows(world: World) -> None:
    app = world.app()
    point = PolicyPoint(OpaEngine("http://127.0.0.1:9", 0.5), load_policies(), StoreData(world.store))
    app.state.exchange = Exchange(
        world.settings, world.store, world.audit.append, KeyStore(world.settings.keys_dir), point
    )
    with AsgiClient(app) as client:
        response = client.get(ROWS, params=PURPOSE, headers=bearer(client, world.clients["hz-xihu-jw"]))
        assert response.status_code == 503 and "rows" not in response.text
        assert client.get("/readyz").status_code == 503


def test_audit_down_is_503_without_rows(world: World) -> None:
    app = world.app()
    with AsgiClient(app) as client:
        headers = bearer(client, world.clients["hz-xihu-jw"])
        exchange = app.state.exchange = Exchange(
            world.settings,
            world.store,
            _down,
            KeyStore(world.settings.keys_dir),
            PolicyPoint(*_embedded(world)),
        )
        response = client.get(ROWS, params=PURPOSE, headers=headers)
        assert response.status_code == 503 and "rows" not in response.text
        assert exchange.audit is _down


def _down(event: Any) -> None:
    from hub.audit import AuditUnavailable

    raise AuditUnavailable("FAKE outage: the audit store is down")


def _embedded(world: World) -> tuple[Any, Any, Any]:
    from hub.policy import RegopyEngine

    return RegopyEngine(), load_policies(), StoreData(world.store)


def test_lockdown_stops_a_partner(world: World, http: AsgiClient) -> None:
    from tests.api.exchange_world import _register, grant, subsidy_columns

    _register(world, "partner", "gone", clearance=3, jurisdiction="330106", purposes=["case-verification"])
    grant(world, "gone", SUBSIDY, "case-verification", subsidy_columns(world), [])
    headers = bearer(http, world.clients["gone"])
    assert http.get(ROWS, params=PURPOSE, headers=headers).status_code == 200
    sec = bearer(http, world.clients["sec-1"])
    statement = world.desk.sign("sec-1", "lockdown", "partner:gone", lockdown_terms("gone"), note="leaked extract")
    locked = http.post("/v1/partners/gone/lockdown", json={"statement": statement}, headers=sec)
    assert locked.status_code == 200, locked.text
    response = http.get(ROWS, params=PURPOSE, headers=headers)
    assert response.status_code in (401, 403) and "rows" not in response.text


def test_trace_names_the_leaking_partner(world: World, http: AsgiClient, tmp_path: Path) -> None:
    headers = bearer(http, world.clients["leaky"])
    response = http.get(ROWS, params={**PURPOSE, "format": "csv", "limit": 40}, headers=headers)
    leak = tmp_path / "leak.csv"
    leak.write_bytes(response.content)
    env = {**os.environ, "HUB_HOME": str(world.home), "COLUMNS": "250"}
    env.pop("HUB_DATABASE_URL", None)
    done = subprocess.run([HUB_CLI, "trace", str(leak)], env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert "leaked by partner:leaky" in done.stdout
    assert response.headers["X-Hub-Request-Id"][:12] in done.stdout.replace("\n", "")
    clean = tmp_path / "clean.csv"
    clean.write_text("a,b\nps_" + "0" * 32 + ",x\n")
    miss = subprocess.run(
        [HUB_CLI, "trace", str(clean)], env=env, capture_output=True, text=True, timeout=120
    )
    assert miss.returncode == 1


def test_through_real_uvicorn(world: World) -> None:
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))  # port 0, read back, handed to uvicorn: no window for another taker
    port = int(sock.getsockname()[1])
    server = uvicorn.Server(
        uvicorn.Config(world.app(public_url=f"http://127.0.0.1:{port}"), access_log=False, log_level="warning")
    )
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    try:
        deadline = time.monotonic() + 120
        while not server.started:  # bounded, and not past a server that died
            assert thread.is_alive() and time.monotonic() < deadline, "uvicorn did not start"
            time.sleep(0.02)
        base = f"http://127.0.0.1:{port}"
        client = world.clients["hz-xihu-jw"]
        claims_aud = f"{base}/oauth/token"
        token = httpx.post(
            claims_aud,
            data={
                "grant_type": "client_credentials",
                "client_assertion_type": "urn:ietf:params:oauth:client-assertion-type:jwt-bearer",
                "client_assertion": client.assertion(aud=claims_aud),
            },
        ).json()["access_token"]
        response = httpx.get(
            base + ROWS, params={**PURPOSE, "limit": 10}, headers={"Authorization": f"Bearer {token}"}
        )
        assert response.status_code == 200 and len(response.json()["rows"]) == 10
        assert response.headers["X-Hub-Receipt"]
    finally:
        server.should_exit = True
        thread.join(timeout=10)
        sock.close()


def test_a_grant_holders_repeated_request_is_decided_from_the_cache(http: AsgiClient,
                                                                  county: dict[str, str]) -> None:
    from hub.api.data import exchange_of

    point = exchange_of(http.app, http.app.state.ctx).point
    params = {**PURPOSE, "limit": 3, "columns": "payment_id,amount"}
    assert http.get(ROWS, params=params, headers=county).status_code == 200
    hits, misses = point.cache.hits, point.cache.misses
    for _ in range(3):  # the budget is charged per page in the store, not decided in the input
        assert http.get(ROWS, params=params, headers=county).status_code == 200
    assert (point.cache.hits, point.cache.misses) == (hits + 3, misses)


def test_the_daily_quota_holds_for_back_to_back_requests(world: World, http: AsgiClient) -> None:
    from tests.api.exchange_world import _register, grant, subsidy_columns

    _register(world, "partner", "thrifty", clearance=3, jurisdiction="330000", purposes=["case-verification"])
    grant(world, "thrifty", SUBSIDY, "case-verification", subsidy_columns(world), [], max_rows=150)
    headers = bearer(http, world.clients["thrifty"])
    outcomes = []
    for limit in (100, 100, 50, 1):
        response = http.get(ROWS, params={**PURPOSE, "limit": limit}, headers=headers)
        rows = len(response.json()["rows"]) if response.status_code == 200 else 0
        outcomes.append((response.status_code, rows))
    # 100 used + 100 asked > 150: denied; the 50 left are served; then the quota is spent
    assert outcomes == [(200, 100), (403, 0), (200, 50), (403, 0)]
    assert "rule quota" in response.json()["detail"]


def test_the_daily_quota_holds_for_concurrent_requests(world: World, http: AsgiClient) -> None:
    from concurrent.futures import ThreadPoolExecutor

    from tests.api.exchange_world import _register, grant, subsidy_columns

    _register(world, "partner", "eager", clearance=3, jurisdiction="330000", purposes=["case-verification"])
    grant(world, "eager", SUBSIDY, "case-verification", subsidy_columns(world), [], max_rows=100)
    headers = bearer(http, world.clients["eager"])

    def fetch(_: int) -> tuple[int, int]:
        response = http.get(ROWS, params={**PURPOSE, "limit": 20}, headers=headers)
        return response.status_code, len(response.json()["rows"]) if response.status_code == 200 else 0

    with ThreadPoolExecutor(max_workers=8) as pool:
        outcomes = list(pool.map(fetch, range(12)))
    assert sum(rows for _, rows in outcomes) == 100, outcomes
    assert sorted(status for status, _ in outcomes) == [200] * 5 + [403] * 7


@pytest.mark.parametrize("since", ["", "v0", "v1\"", "../../etc/passwd", "v" + "9" * 40, "x" * 500, "v-1", "中文"])
def test_hostile_since_versions(http: AsgiClient, county: dict[str, str], since: str) -> None:
    response = http.get(f"/v1/datasets/{SUBSIDY}/changes", params={**PURPOSE, "since": since}, headers=county)
    assert 400 <= response.status_code < 500, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
