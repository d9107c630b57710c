"""Issue 23, point 5: what the API must not tell, and to whom.

One test per leak: ``/changes?since`` answers a partner without a grant before telling
it the current version; unknown, unpublished and not-exchanged datasets look alike;
``/metrics`` answers only the operator (or listens apart); an oversized header or body
is refused; ``X-Forwarded-For`` is believed only from ``HUB_TRUSTED_PROXIES``.
"""

from __future__ import annotations

import json
import socket
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest
from sqlalchemy import select

from hub.api import create_app
from hub.api.server import REQUEST_LINE_ROOM, serve_metrics
from hub.keys import KeyStore
from hub.settings import load_settings
from hub.store.models import AuditRecord, Dataset, DatasetVersion
from tests.api.conftest import BASE_URL, AsgiClient
from tests.api.exchange_world import SUBSIDY, World, _register, bearer
from tests.api.served import Served

PURPOSE = {"purpose": "case-verification"}
UNKNOWN, NOT_A_PUBLISHED_LAYER, UNPUBLISHED = "finance.no_such_table", "raw_finance.payroll", "finance.next_table"
NEVER_SHARED = "finance.never_shared"


@pytest.fixture(scope="module")
def stranger(world: World) -> Any:
    """A registered partner that holds no grant at all."""
    return _register(world, "partner", "stranger", clearance=3, jurisdiction="330106",
                     purposes=["case-verification"])


@pytest.fixture(scope="module")
def unpublished(world: World) -> str:
    """A cataloged dataset of a published layer whose first snapshot is not published yet."""
    with world.store.session() as session:
        session.add(Dataset(id=UNPUBLISHED, layer="source", provider="finance", name_en="next table",
                            exchangeable=True, current_version=None))
    return UNPUBLISHED


@pytest.fixture(scope="module")
def never_shared(world: World) -> str:
    """A published dataset whose sharing type is 不予共享: never exchanged, hidden from partners."""
    with world.store.session() as session:
        session.add(Dataset(id=NEVER_SHARED, layer="source", provider="finance", name_en="never shared",
                            exchangeable=True, current_version="v1", sharing_type_inferred="none",
                            level_inferred=2))
        session.flush()
        session.add(DatasetVersion(dataset_id=NEVER_SHARED, version="v1", number=1, content_sha256="0" * 64,
                                   schema_sha256="0" * 64, row_count=0, path="/nonexistent/v1.parquet",
                                   created_at=datetime.now(UTC)))
    return NEVER_SHARED


def _records(world: World, request_id: str) -> list[AuditRecord]:
    with world.store.session() as session:
        return list(session.scalars(select(AuditRecord).where(AuditRecord.request_id == request_id)))


# --- /changes?since: decide first --------------------------------------------------------------


def test_changes_since_tells_no_version_to_a_partner_without_a_grant(world: World, http: AsgiClient,
                                                                      auth: dict[str, dict[str, str]],
                                                                      stranger: Any) -> None:
    current = http.get(f"/v1/datasets/{SUBSIDY}/rows", params={**PURPOSE, "limit": 1},
                       headers=auth["hz-xihu-jw"]).headers["X-Hub-Dataset-Version"]
    url = f"/v1/datasets/{SUBSIDY}/changes"
    # with a grant, the 400 for an unknown `since` names the current version (the partner may know it)
    granted = http.get(url, params={**PURPOSE, "since": "v0"}, headers=auth["hz-xihu-jw"])
    assert granted.status_code == 400 and f"`{current}`" in granted.json()["detail"]
    for since in ("v0", current, "v999"):
        refused = http.get(url, params={**PURPOSE, "since": since}, headers=bearer(http, stranger))
        assert refused.status_code == 403, refused.text
        assert refused.headers.get("X-Hub-Dataset-Version") is None
        assert "current version" not in refused.text and f"`{current}`" not in refused.text
        assert "rule" in refused.json()["detail"]  # the policy's reasons, not the version check
        decision = [r for r in _records(world, refused.headers["X-Hub-Request-Id"]) if r.event == "data.decision"]
        assert [r.decision for r in decision] == ["deny"]


# --- unknown and unpublished look the same ------------------------------------------------------


def _shape(response: httpx.Response, name: str) -> tuple[int, str, tuple[str, ...], str]:
    body = response.json()
    return (response.status_code, response.headers["content-type"], tuple(sorted(body)),
            str(body["detail"]).replace(name, "NAME"))


@pytest.mark.parametrize("partner", ["hz-xihu-jw", "stranger"])
@pytest.mark.parametrize("path", ["/v1/catalog/{}", "/v1/datasets/{}/rows", "/v1/datasets/{}/changes"])
def test_an_unknown_and_an_unpublished_dataset_answer_alike(http: AsgiClient, world: World, stranger: Any,
                                                            unpublished: str, never_shared: str, partner: str,
                                                            path: str) -> None:
    headers = bearer(http, world.clients[partner])
    params = {**PURPOSE, "since": "v1"}
    answers = {name: http.get(path.format(name), params=params, headers=headers)
               for name in (UNKNOWN, NOT_A_PUBLISHED_LAYER, unpublished, never_shared)}
    shapes = {name: _shape(answer, name) for name, answer in answers.items()}
    assert len(set(shapes.values())) == 1, shapes
    assert next(iter(shapes.values()))[0] == 404
    if path.startswith("/v1/datasets/"):  # the data routes decide first: the audit keeps the real reason
        request_id = answers[never_shared].headers["X-Hub-Request-Id"]
        decision = [r for r in _records(world, request_id) if r.event == "data.decision"]
        assert [r.decision for r in decision] == ["deny"]
        assert any("never-exchanged" in reason for reason in decision[0].reasons)


def test_the_partner_catalog_lists_only_published_datasets(http: AsgiClient, world: World,
                                                           unpublished: str) -> None:
    listed = {d["dataset"] for d in http.get("/v1/catalog", headers=bearer(http, world.clients["hz-xihu-jw"]))
              .json()["datasets"]}
    assert SUBSIDY in listed and unpublished not in listed and NOT_A_PUBLISHED_LAYER not in listed
    officer = {d["dataset"] for d in http.get("/v1/catalog", headers=bearer(http, world.clients["sec-1"]))
               .json()["datasets"]}
    assert unpublished in officer  # officers see the whole catalog


# --- /metrics ----------------------------------------------------------------------------------


def test_metrics_answer_only_the_operator_or_on_their_own_listener(world: World) -> None:
    token = "scraper-secret-abcdefghijklmnop"
    settings = load_settings(home=world.home, metrics_token=token)
    app = create_app(settings, audit=world.audit.append, store=world.store, keys=KeyStore(settings.keys_dir),
                     public_url=BASE_URL)
    listener = serve_metrics("127.0.0.1:0")
    try:
        with Served(app, settings) as served:
            assert httpx.get(f"{served.base}/metrics").status_code == 401
            partner = served.bearer(world.clients["hz-xihu-jw"])
            assert httpx.get(f"{served.base}/metrics", headers=partner).status_code == 401
            ok = httpx.get(f"{served.base}/metrics", headers={"Authorization": f"Bearer {token}"})
            assert ok.status_code == 200 and "hub_http_requests_total" in ok.text
            apart = httpx.get(f"http://{listener.host}:{listener.port}/metrics")
            assert apart.status_code == 200 and "hub_tokens_issued_total" in apart.text
    finally:
        listener.stop()


# --- header and body sizes ---------------------------------------------------------------------


def test_a_one_megabyte_header_is_refused_by_the_served_hub(world: World) -> None:
    with Served(world.app(), world.settings) as served:
        try:
            response = httpx.get(f"{served.base}/healthz", headers={"X-Big": "a" * (1 << 20)}, timeout=30)
            assert response.status_code in (400, 431), response.status_code
        except httpx.TransportError:
            pass  # the server closed the connection while the header was still being sent: refused too
        middling = httpx.get(f"{served.base}/healthz", headers={"X-Big": "a" * 20_000}, timeout=30)
        assert middling.status_code == 431
        assert middling.headers["content-type"] == "application/problem+json"
        assert "16384" in middling.json()["detail"]
        assert httpx.get(f"{served.base}/healthz", headers={"X-Fine": "a" * 8_000}).status_code == 200


def test_an_unending_request_head_is_refused_with_431_before_it_is_buffered(world: World) -> None:
    """The served hub runs httptools, which has no header cap of its own: the hub's protocol counts the
    head's bytes as they arrive and answers 431 once they pass the cap, without waiting for the head's end."""
    settings = load_settings(home=world.home, max_header_bytes=2048)  # the server's cap: 2 KiB + 64 KiB
    with Served(world.app(), settings) as served:
        port = int(served.base.rsplit(":", 1)[1])
        cap = 2048 + REQUEST_LINE_ROOM
        head = b"GET /healthz HTTP/1.1\r\nHost: hub\r\n" + (b"X-Filler: " + b"a" * 4086 + b"\r\n") * 16
        head += b"X-Tail: " + b"a" * (cap + 1 - len(head) - 8)  # one byte over the cap, the head unfinished
        assert len(head) == cap + 1
        with socket.create_connection(("127.0.0.1", port), timeout=30) as sock:
            sock.sendall(head)
            answer = b""
            while chunk := sock.recv(65536):  # the server answers and closes: the head never ends
                answer += chunk
        status, _, body = answer.partition(b"\r\n\r\n")
        assert status.startswith(b"HTTP/1.1 431 "), status[:80]
        assert b"content-type: application/problem+json" in status
        problem = json.loads(body)
        assert problem["status"] == 431 and str(cap) in problem["detail"]
        # the same server still serves, and the app's own cap (the world app's 16 KiB) answers a
        # finished head under the protocol's cap but over the app's setting
        assert httpx.get(f"{served.base}/healthz", headers={"X-Big": "a" * 20_000}).status_code == 431
        assert httpx.get(f"{served.base}/healthz").status_code == 200


def test_header_and_body_limits_are_settings(world: World) -> None:
    settings = load_settings(home=world.home, max_header_bytes=2048, max_body_bytes=4096)
    app = create_app(settings, audit=world.audit.append, store=world.store, keys=KeyStore(settings.keys_dir),
                     public_url=BASE_URL)
    with AsgiClient(app) as client:
        assert client.get("/healthz", headers={"X-Big": "a" * 3000}).status_code == 431
        assert client.get("/healthz", headers={"X-Small": "a" * 1000}).status_code == 200
        form = {"content-type": "application/x-www-form-urlencoded"}
        assert client.post("/oauth/token", content=b"a=" + b"x" * 5000, headers=form).status_code == 413
        assert client.post("/oauth/token", content=b"a=" + b"x" * 3000, headers=form).status_code == 400


# --- X-Forwarded-For ---------------------------------------------------------------------------


def _token_ip(world: World, served: Served, forwarded_for: str) -> str | None:
    from tests.api.conftest import ASSERTION_TYPE, TOKEN_URL

    client = world.clients["hz-xihu-jw"]
    response = httpx.post(f"{served.base}/oauth/token", headers={"X-Forwarded-For": forwarded_for}, data={
        "grant_type": "client_credentials", "client_assertion_type": ASSERTION_TYPE,
        "client_assertion": client.assertion(aud=TOKEN_URL)})
    assert response.status_code == 200, response.text
    [record] = [r for r in _records(world, response.headers["X-Hub-Request-Id"]) if r.event == "token.issued"]
    return record.client_ip


@pytest.mark.parametrize(("trusted", "forwarded_for", "recorded"), [
    ("", "203.0.113.9", "127.0.0.1"),                            # default: no proxy is trusted
    ("10.0.0.0/8", "203.0.113.9", "127.0.0.1"),                   # a proxy list without loopback
    ("127.0.0.1", "203.0.113.9", "203.0.113.9"),                  # the local proxy is trusted
    ("127.0.0.1, 10.0.0.0/8", "198.51.100.7, 203.0.113.9, 10.1.2.3", "203.0.113.9"),  # right-most untrusted hop
    ("127.0.0.1", "not-an-address", None),                       # a trusted proxy's garbage is no address
])
def test_x_forwarded_for_is_believed_only_from_trusted_proxies(world: World, trusted: str, forwarded_for: str,
                                                                recorded: str | None) -> None:
    settings = load_settings(home=world.home, trusted_proxies=trusted)
    app = create_app(settings, audit=world.audit.append, store=world.store, keys=KeyStore(settings.keys_dir),
                     public_url=BASE_URL)
    with Served(app, settings) as served:
        assert _token_ip(world, served, forwarded_for) == recorded


def test_hub_serve_does_not_let_uvicorn_trust_loopback_proxies(world: World,
                                                               monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FORWARDED_ALLOW_IPS", "*")  # uvicorn's own switch must not matter
    with Served(world.app(), world.settings) as served:
        assert served.server.config.proxy_headers is False
        assert _token_ip(world, served, "203.0.113.9") == "127.0.0.1"
