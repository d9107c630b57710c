"""Fixtures for the API tests: a real app on a real SQLite store under HUB_HOME.

``RecordingAuditFake`` is a FAKE audit log (the audit log is a boundary these
tests do not exercise): it records token events so tests can assert them, and
can be switched to fail to simulate an audit outage.
"""

from __future__ import annotations

import base64
import functools
import json
import os
import shutil
import time
import uuid
from collections.abc import Iterator
from contextlib import ExitStack
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import anyio.from_thread
import httpx
import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from fastapi import FastAPI

from hub.api import CurrentSubject, create_app
from hub.errors import Unavailable
from hub.events import AuditEvent
from hub.identity import register_partner
from hub.keys import KeyStore
from hub.settings import Settings, load_settings
from hub.store.db import Store, open_store
from tests.officer_desk import Desk

BASE_URL = "http://testserver"
TOKEN_URL = f"{BASE_URL}/oauth/token"
ASSERTION_TYPE = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"


class AsgiClient:
    """A synchronous HTTP client for an ASGI app: httpx over ``ASGITransport``, lifespan run.

    (Starlette's TestClient warns about httpx; this is the same idea in a few lines.)
    """

    def __init__(self, app: FastAPI, base_url: str = BASE_URL) -> None:
        self.app = app
        self.base_url = base_url
        self._stack = ExitStack()

    def __enter__(self) -> AsgiClient:
        self.portal = self._stack.enter_context(anyio.from_thread.start_blocking_portal())
        self._stack.enter_context(self.portal.wrap_async_context_manager(
            self.app.router.lifespan_context(self.app)))
        transport = httpx.ASGITransport(self.app, client=("127.0.0.1", 50123))
        self.http = httpx.AsyncClient(transport=transport, base_url=self.base_url)
        self._stack.callback(lambda: self.portal.call(self.http.aclose))
        return self

    def __exit__(self, *exc: object) -> None:
        self._stack.close()

    def request(self, method: str, url: str, **kwargs: Any) -> httpx.Response:
        response: httpx.Response = self.portal.call(functools.partial(self.http.request, method, url,
                                                                      **kwargs))
        return response

    def get(self, url: str, **kwargs: Any) -> httpx.Response:
        return self.request("GET", url, **kwargs)

    def post(self, url: str, **kwargs: Any) -> httpx.Response:
        return self.request("POST", url, **kwargs)


class RecordingAuditFake:
    """FAKE audit log: records events in memory; ``failing=True`` simulates an outage."""

    def __init__(self) -> None:
        self.events: list[AuditEvent] = []
        self.failing = False

    def __call__(self, event: AuditEvent) -> None:
        if self.failing:
            raise Unavailable("fake audit log is down")
        self.events.append(event)

    def sink(self, session: Any, event: AuditEvent) -> None:
        self(event)

    def named(self, name: str) -> list[AuditEvent]:
        return [e for e in self.events if e.event == name]


@dataclass
class Client:
    """A registered client with its private key, as a partner system would hold it."""

    client_id: str
    kid: str
    key: Any
    extra: dict[str, Any] = field(default_factory=dict)

    def assertion(self, **overrides: Any) -> str:
        return sign(self.key, assertion_claims(self.client_id, **overrides), kid=self.kid)


def assertion_claims(cid: str, *, lifetime: int = 60, skew: int = 0, **overrides: Any) -> dict[str, Any]:
    now = int(time.time()) + skew
    claims: dict[str, Any] = {"iss": cid, "sub": cid, "aud": TOKEN_URL, "iat": now,
                              "exp": now + lifetime, "jti": uuid.uuid4().hex}
    claims.update(overrides)
    return {k: v for k, v in claims.items() if v is not None}


def sign(key: Any, claims: dict[str, Any], *, kid: str | None = None, alg: str = "EdDSA",
         headers: dict[str, Any] | None = None) -> str:
    extra = dict(headers or {})
    if kid is not None:
        extra["kid"] = kid
    return jwt.encode(claims, key, algorithm=alg, headers=extra or None)


def b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def raw_jwt(header: dict[str, Any], claims: dict[str, Any], signature: bytes = b"") -> str:
    """Assemble a JWT by hand (for alg=none and forged HMAC tokens pyjwt refuses to make)."""
    return ".".join([b64(json.dumps(header).encode()), b64(json.dumps(claims).encode()), b64(signature)])


@pytest.fixture
def suite() -> str:
    """The cryptographic suite of the hub under test (a test parametrizes ``suite`` to run under ``gm``)."""
    return "international"


@pytest.fixture
def settings(hub_home: Path, suite: str) -> Settings:
    return load_settings(home=hub_home, crypto_suite=suite)


@pytest.fixture
def audit() -> RecordingAuditFake:
    return RecordingAuditFake()


@pytest.fixture(scope="session")
def store_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A SQLite metadata store migrated to head once per session (copied per test: fast)."""
    path = tmp_path_factory.mktemp("store-template") / "hub.sqlite"
    open_store(f"sqlite:///{path}").dispose()
    return path


@pytest.fixture
def store(settings: Settings, store_template: Path) -> Iterator[Store]:
    """A fresh real SQLite store at ``HUB_HOME/hub.sqlite``, schema at head."""
    shutil.copyfile(store_template, settings.home / "hub.sqlite")
    store = open_store(settings.metadata_url, migrate=False)
    yield store
    store.dispose()


@pytest.fixture
def keys(settings: Settings) -> KeyStore:
    return KeyStore.from_settings(settings)


def mount_test_routes(app: FastAPI) -> FastAPI:
    """Test-only routes: one protected by ``current_subject``, one that fails unexpectedly."""

    @app.get("/test/whoami")
    def whoami(subject: CurrentSubject) -> dict[str, Any]:
        return {"id": subject.id, "kind": subject.kind, "clearance": subject.clearance,
                "jurisdiction": subject.jurisdiction, "purposes": list(subject.purposes),
                "role": subject.role, "owner_of": subject.owner_of}

    @app.get("/test/boom")
    def boom() -> None:
        raise RuntimeError("secret internal detail 330106199001011234")

    return app


@pytest.fixture
def app(settings: Settings, audit: RecordingAuditFake, store: Store, keys: KeyStore) -> FastAPI:
    return mount_test_routes(create_app(settings, audit=audit, public_url=BASE_URL, store=store,
                                        keys=keys))


@pytest.fixture
def client(app: FastAPI) -> Iterator[AsgiClient]:
    with AsgiClient(app) as asgi_client:
        yield asgi_client


def public_pem(key: Any) -> bytes:
    return key.public_key().public_bytes(serialization.Encoding.PEM,
                                         serialization.PublicFormat.SubjectPublicKeyInfo)


def register(store: Store, audit: RecordingAuditFake, kind: str, local: str, key: Any = None,
             **kw: Any) -> Client:
    """Register a client with its own key pair (Ed25519 unless ``key`` is given); an officer
    through the one-time bootstrap, signing with that key (at most two here)."""
    key = key or Ed25519PrivateKey.generate()
    with store.session() as session:
        if kind == "partner":
            reg = register_partner(session, audit.sink, local, public_pem=public_pem(key), **kw)
            return Client(reg.client_id, reg.kid, key)
        desk = Desk()
        signer = desk.signer(local, key)
        desk.bootstrap(session, audit.sink, local, kw["role"], kw.get("owner_of"))
    return Client(f"officer:{local}", signer.kid, key)


@pytest.fixture
def partner(store: Store, audit: RecordingAuditFake) -> Client:
    return register(store, audit, "partner", "hz-xihu-jw", clearance=3, jurisdiction="330106",
                     purposes=["case-verification"])


@pytest.fixture
def other_partner(store: Store, audit: RecordingAuditFake) -> Client:
    return register(store, audit, "partner", "zj-province", clearance=2, jurisdiction="330000",
                     purposes=["statistics"])


@pytest.fixture
def officer(store: Store, audit: RecordingAuditFake) -> Client:
    return register(store, audit, "officer", "sec-1", role="security")


def get_token(client: AsgiClient, assertion: str) -> Any:
    return client.post("/oauth/token", data={"grant_type": "client_credentials",
                                             "client_assertion_type": ASSERTION_TYPE,
                                             "client_assertion": assertion})


@pytest.fixture(scope="module")
def world(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    """A per-module copy of the session pipeline output with partners, officers and approved grants."""
    from tests.api.exchange_world import build_world

    src = os.environ.get("HUB_TEST_PIPELINE_HOME")
    home = Path(src) if src else request.getfixturevalue("pipeline_output").home
    built = build_world(home, tmp_path_factory.mktemp(request.module.__name__.rsplit(".", 1)[-1]) / "home")
    yield built
    built.close()


@pytest.fixture(scope="module")
def http(world: Any) -> Iterator[AsgiClient]:
    """An ASGI client on the world's exchange app."""
    with AsgiClient(world.app()) as client:
        yield client


class Bearers(dict[str, dict[str, str]]):
    """Bearer headers per client of the world, each token issued when first used and issued
    again once it is half way through its life (an access token lives at most 600 s, and a
    module of property tests on a loaded machine can take longer than that)."""

    REISSUE_AFTER_S = 300.0

    def __init__(self, http: AsgiClient, world: Any) -> None:
        super().__init__()
        self.http, self.world = http, world
        self.issued: dict[str, float] = {}

    def __getitem__(self, name: str) -> dict[str, str]:
        from tests.api.exchange_world import bearer

        if name not in self or time.monotonic() - self.issued[name] > self.REISSUE_AFTER_S:
            self[name] = bearer(self.http, self.world.clients[name])
            self.issued[name] = time.monotonic()
        return super().__getitem__(name)


@pytest.fixture
def auth(world: Any, http: AsgiClient) -> dict[str, dict[str, str]]:
    """Bearer headers for every client of the world (issued on first use in the test)."""
    return Bearers(http, world)
