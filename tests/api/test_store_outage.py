"""A real PostgreSQL metadata store stopped during traffic (issue 23, point 4).

The world of the exchange tests moves to a PostgreSQL server of the test's own
(``private_postgres``), the hub is served by uvicorn on port 0 exactly as ``hub serve``
serves it, and client threads send a mix of requests — token, catalog, rows in several
formats, changes, receipts, grants, applications, audit, checkpoints, readiness —
while the server is killed (``pg_ctl stop -m immediate``), left down, and started
again.  Phases are counted in responses, not seconds.  Then:

* no response is a 500 (or any 5xx but 503); every refusal is problem+json;
* every 503 carries ``Retry-After``, and each route that needs the store answered 503
  during the outage;
* every 200 delivery has its ``data.delivery`` record with the body's SHA-256, and every
  issued token its ``token.issued`` record;
* the same hub process serves again after the store returns (``/readyz`` ready, rows
  delivered), and the audit chain on PostgreSQL verifies.

A second test makes PostgreSQL refuse only audit writes (a trigger): ``/readyz`` goes
not ready although the store still answers reads, and comes back on its own.
"""

from __future__ import annotations

import hashlib
import itertools
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import select

from hub.api import create_app
from hub.audit import AuditLog, verify_chain
from hub.keys import KeyStore
from hub.settings import load_settings
from hub.store.models import AuditRecord
from tests.api.conftest import ASSERTION_TYPE, BASE_URL, TOKEN_URL, Client
from tests.api.exchange_world import SUBSIDY, World, build_world
from tests.api.served import Served
from tests.private_postgres import PrivateCluster, copy_store

WORKERS = 4
ROWS = f"/v1/datasets/{SUBSIDY}/rows"


@dataclass(frozen=True)
class Outcome:
    phase: str
    kind: str
    status: int
    content_type: str
    retry_after: str | None
    request_id: str | None
    body_sha256: str


@dataclass
class PgHub:
    world: World
    served: Served
    store: Any
    tokens: dict[str, str]


@pytest.fixture
def pg_hub(private_postgres: PrivateCluster, pipeline_output: Any, tmp_path: Path) -> Iterator[PgHub]:
    """The exchange world on a private PostgreSQL store, served by uvicorn (audit log on PostgreSQL)."""
    world = build_world(pipeline_output.home, tmp_path / "home")
    url = private_postgres.create_database("hub")
    world.audit.close()
    store = copy_store(world.store, url)
    world.store.dispose()
    settings = load_settings(home=world.home, database_url=url)
    audit = AuditLog.from_settings(store, settings, lock_timeout_s=2.0)
    app = create_app(settings, audit=audit.append, store=store, keys=KeyStore(settings.keys_dir),
                     public_url=BASE_URL)
    with Served(app, settings) as served:
        tokens = {name: served.token(world.clients[name]) for name in ("hz-xihu-jw", "zj-province", "sec-1")}
        yield PgHub(world, served, store, tokens)
    exchange = getattr(app.state, "exchange", None)
    if exchange is not None:
        exchange.close()  # its background writers finish while the store is still there
    audit.close()
    store.dispose()


class Traffic:
    """Client threads sending a fixed rotation of requests; outcomes tagged with the current phase."""

    def __init__(self, hub: PgHub) -> None:
        self.hub = hub
        self.phase = "before"
        self.outcomes: list[Outcome] = []
        self.bodies: dict[str, bytes] = {}  # request id → body of a 200 delivery
        self.lock = threading.Lock()
        self.changed = threading.Condition(self.lock)
        self.stop = threading.Event()
        self.threads = [threading.Thread(target=self._run, args=(i,), daemon=True) for i in range(WORKERS)]
        self.receipt_of: str | None = None

    def requests(self, i: int) -> Iterator[tuple[str, str, str, dict[str, Any]]]:
        county, province, officer = (self.hub.tokens[n] for n in ("hz-xihu-jw", "zj-province", "sec-1"))
        client: Client = self.hub.world.clients["zj-province"]
        fixed: list[tuple[str, str, str, dict[str, Any]]] = [
            ("rows", "GET", ROWS, {"token": county, "params": {"purpose": "case-verification", "limit": 20}}),
            ("rows", "GET", ROWS, {"token": province, "params": {"purpose": "case-verification", "limit": 50,
                                                                   "format": "csv"}}),
            ("rows", "GET", f"/v1/datasets/{SUBSIDY}/changes",
             {"token": province, "params": {"purpose": "case-verification", "since": "v1", "limit": 10}}),
            ("token", "POST", "/oauth/token", {"client": client}),
            ("catalog", "GET", "/v1/catalog", {"token": county}),
            ("catalog", "GET", f"/v1/catalog/{SUBSIDY}", {"token": county}),
            ("receipt", "GET", "/v1/receipts/{rid}", {"token": province}),
            ("grants", "GET", "/v1/grants", {"token": officer}),
            ("applications", "GET", "/v1/applications", {"token": officer}),
            ("audit", "GET", "/v1/audit", {"token": officer, "params": {"limit": 5}}),
            ("checkpoints", "GET", "/v1/audit/checkpoints", {"token": county}),
            ("readyz", "GET", "/readyz", {}),
        ]
        rotation = fixed[i % len(fixed):] + fixed[:i % len(fixed)]
        yield from itertools.cycle(rotation)

    def _send(self, http: httpx.Client, method: str, path: str, spec: dict[str, Any]) -> httpx.Response:
        headers = {"Authorization": f"Bearer {spec['token']}"} if "token" in spec else {}
        if "client" in spec:
            data = {"grant_type": "client_credentials", "client_assertion_type": ASSERTION_TYPE,
                    "client_assertion": spec["client"].assertion(aud=TOKEN_URL)}
            return http.post(path, data=data)
        if "{rid}" in path:
            path = path.format(rid=self.receipt_of or "none")
        return http.request(method, path, params=spec.get("params"), headers=headers)

    def _run(self, i: int) -> None:
        with httpx.Client(base_url=self.hub.served.base, timeout=60) as http:
            for kind, method, path, spec in self.requests(i):
                if self.stop.is_set():
                    return
                phase = self.phase
                response = self._send(http, method, path, spec)
                self._record(phase, kind, response)

    def _record(self, phase: str, kind: str, response: httpx.Response) -> None:
        rid = response.headers.get("x-hub-request-id")
        outcome = Outcome(phase, kind, response.status_code, response.headers.get("content-type", ""),
                          response.headers.get("retry-after"), rid, hashlib.sha256(response.content).hexdigest())
        with self.changed:
            self.outcomes.append(outcome)
            if kind == "rows" and response.status_code == 200 and rid:
                self.bodies[rid] = response.content
                if "csv" in outcome.content_type:
                    self.receipt_of = rid
            self.changed.notify_all()

    def wait_for(self, phase: str, count: int, status: int | None = None) -> None:
        """Block until ``count`` outcomes of ``phase`` (with ``status``) were recorded."""
        def enough() -> bool:
            return sum(1 for o in self.outcomes if o.phase == phase and status in (None, o.status)) >= count
        with self.changed:
            assert self.changed.wait_for(enough, timeout=300), f"traffic stalled in phase {phase}"

    def switch(self, phase: str) -> None:
        with self.changed:
            self.phase = phase

    def __enter__(self) -> Traffic:
        for thread in self.threads:
            thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop.set()
        for thread in self.threads:
            thread.join(timeout=120)


def _wait_ready(base: str) -> None:
    """Poll /readyz until ready (a liveness bound for a broken run, not a timing assertion)."""
    ready = threading.Event()
    with httpx.Client(base_url=base, timeout=30) as http:
        for _ in range(600):
            if http.get("/readyz").status_code == 200:
                ready.set()
                break
            ready.wait(0.1)
    assert ready.is_set(), "the hub never became ready again after the store returned"


def test_a_stopped_postgres_store_gives_503s_never_500s_and_loses_no_audit_record(
        pg_hub: PgHub, private_postgres: PrivateCluster) -> None:
    with Traffic(pg_hub) as traffic:
        traffic.wait_for("before", 40, status=200)
        traffic.switch("down")
        private_postgres.stop("immediate")
        traffic.wait_for("down", 240)
        down_checks = _one_of_each_while_down(pg_hub)
        private_postgres.start()
        traffic.switch("after")
        _wait_ready(pg_hub.served.base)
        traffic.switch("resumed")
        traffic.wait_for("resumed", 40, status=200)
    outcomes = traffic.outcomes
    _assert_no_500_and_503s_say_when(outcomes)
    _assert_every_route_was_503_while_down(down_checks)
    resumed = [o for o in outcomes if o.phase == "resumed" and o.kind == "rows" and o.status == 200]
    assert resumed, "no rows were delivered after the store returned"
    _assert_every_200_is_audited(pg_hub, traffic)
    report = verify_chain(pg_hub.store, KeyStore(pg_hub.world.settings.keys_dir))
    assert report.ok, report.summary()


FAIL_AUDIT = [
    "CREATE FUNCTION test_fail_audit() RETURNS trigger LANGUAGE plpgsql AS "
    "$$ BEGIN RAISE EXCEPTION 'injected: the audit disk is full'; END $$",
    "CREATE TRIGGER test_fail_audit BEFORE INSERT ON audit_records FOR EACH ROW EXECUTE FUNCTION test_fail_audit()",
]


def test_readyz_is_not_ready_while_postgres_refuses_audit_writes(pg_hub: PgHub) -> None:
    """The store answers reads; only audit appends fail (a trigger refuses them): not ready, no rows."""
    base, county = pg_hub.served.base, {"Authorization": f"Bearer {pg_hub.tokens['hz-xihu-jw']}"}
    params = {"purpose": "case-verification", "limit": 5}
    with httpx.Client(base_url=base, timeout=60) as http:
        assert http.get("/readyz").status_code == 200
        with pg_hub.store.engine.begin() as conn:
            for statement in FAIL_AUDIT:
                conn.exec_driver_sql(statement)
        refused = http.get(ROWS, params=params, headers=county)
        assert refused.status_code == 503 and refused.headers["retry-after"]
        assert http.get("/v1/catalog", headers=county).status_code == 200  # reads still work
        not_ready = http.get("/readyz")
        assert not_ready.status_code == 503 and not_ready.headers["retry-after"]
        assert not_ready.json()["checks"]["audit"] is False and not_ready.json()["checks"]["store"] is True
        with pg_hub.store.engine.begin() as conn:
            conn.exec_driver_sql("DROP TRIGGER test_fail_audit ON audit_records")
        assert http.get("/readyz").status_code == 200  # back without a restart, by its own probe
        assert http.get(ROWS, params=params, headers=county).status_code == 200


def _one_of_each_while_down(hub: PgHub) -> dict[str, httpx.Response]:
    county, officer = hub.tokens["hz-xihu-jw"], hub.tokens["sec-1"]
    auth = {"Authorization": f"Bearer {county}"}
    staff = {"Authorization": f"Bearer {officer}"}
    client = hub.world.clients["hz-xihu-jw"]
    with httpx.Client(base_url=hub.served.base, timeout=60) as http:
        return {
            "token": http.post("/oauth/token", data={"grant_type": "client_credentials",
                                                     "client_assertion_type": ASSERTION_TYPE,
                                                     "client_assertion": client.assertion(aud=TOKEN_URL)}),
            "rows": http.get(ROWS, params={"purpose": "case-verification"}, headers=auth),
            "changes": http.get(f"/v1/datasets/{SUBSIDY}/changes",
                                params={"purpose": "case-verification", "since": "v1"}, headers=auth),
            "catalog": http.get("/v1/catalog", headers=auth),
            "catalog entry": http.get(f"/v1/catalog/{SUBSIDY}", headers=auth),
            "receipt": http.get("/v1/receipts/abc", headers=auth),
            "apply": http.post("/v1/applications", headers=auth, json={
                "dataset": SUBSIDY, "purpose": "case-verification", "columns": ["payment_id"],
                "valid_from": "2026-01-01T00:00:00Z", "valid_until": "2026-02-01T00:00:00Z",
                "max_rows_per_day": 10}),
            "grants": http.get("/v1/grants", headers=staff),
            "applications": http.get("/v1/applications", headers=staff),
            "audit": http.get("/v1/audit", headers=staff),
            "checkpoints": http.get("/v1/audit/checkpoints", headers=auth),
            "readyz": http.get("/readyz"),
            "healthz": http.get("/healthz"),
        }


def _assert_no_500_and_503s_say_when(outcomes: list[Outcome]) -> None:
    statuses = {o.status for o in outcomes}
    assert all(s < 500 or s == 503 for s in statuses), sorted(statuses)
    for o in outcomes:
        if o.status >= 400:
            assert o.content_type == "application/problem+json", o
        if o.status == 503:
            assert o.retry_after, o
    down = [o for o in outcomes if o.phase == "down"]
    assert any(o.status == 503 for o in down) and all(o.status in (200, 503) for o in down), \
        sorted({(o.kind, o.status) for o in down})


def _assert_every_route_was_503_while_down(checks: dict[str, httpx.Response]) -> None:
    assert checks.pop("healthz").status_code == 200  # the process is alive: only readiness fails
    for name, response in checks.items():
        assert response.status_code == 503, (name, response.status_code, response.text)
        assert response.headers["retry-after"] and response.headers["content-type"] == "application/problem+json"


def _assert_every_200_is_audited(hub: PgHub, traffic: Traffic) -> None:
    with hub.store.session() as session:
        records = list(session.scalars(select(AuditRecord).where(
            AuditRecord.event.in_(("data.delivery", "token.issued")))))
    deliveries = {r.request_id: r for r in records if r.event == "data.delivery"}
    issued = {r.request_id for r in records if r.event == "token.issued"}
    for o in traffic.outcomes:
        if o.status != 200:
            continue
        if o.kind == "rows":
            record = deliveries.get(o.request_id)
            assert record is not None, f"200 delivery {o.request_id} ({o.phase}) has no audit record"
            assert record.response_sha256 == o.body_sha256
        elif o.kind == "token":
            assert o.request_id in issued, f"token issued by {o.request_id} ({o.phase}) was not audited"
