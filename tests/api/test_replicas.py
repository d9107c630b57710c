"""Issues 13 and 26 from outside: real ``hub serve`` processes sharing one store.

Two ``hub serve`` processes on one PostgreSQL store (and one ``--workers 2`` server on
SQLite) serve concurrent clients.  A grant's daily budget holds for all of them together:
delivered rows ≤ budget every time (exactly ⌊budget / page⌋ pages), the refused pages are
403 with the quota reason; after ``kill -9`` under load the ledger equals the audit log's
delivery records for every grant and day; a killed process's reservation is freed once
its lease is over; a lockdown through one process is refused by the other within the
staleness bound; the audit chain verifies afterwards.

Servers run with ``HUB_QUOTA_LEASE_S=20``, ``HUB_AUDIT_LOCK_TIMEOUT_S=1`` (an append is
durable or failed within 7 s, so a page has 13 s from its reservation to its delivery
append) and ``HUB_STALENESS_S=1``, so the bounds are short; nothing here asserts how fast
anything is.
"""

from __future__ import annotations

import os
import subprocess
import threading
import time
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest

from hub.audit import AuditLog
from hub.quota import CLOCK_SKEW_S, grant_days, quota_day, reconcile
from hub.settings import load_settings
from hub.statements import lockdown_terms
from hub.store.db import Store, open_store
from hub.store.models import QuotaReservation
from tests.api.exchange_world import SUBSIDY, World, _enrol_officers, _register, grant
from tests.api.replicas import HUB, Server, pg_home, server_env, token

pytestmark = pytest.mark.postgres

LEASE_S, STALENESS_S = 20.0, 1.0
SERVER_SETTINGS = {"quota_lease_s": LEASE_S, "audit_lock_timeout_s": 1, "staleness_s": STALENESS_S}
ROWS = f"/v1/datasets/{SUBSIDY}/rows"
COLUMNS = "payment_id,amount,township_code"


@dataclass
class Replicas:
    world: World
    url: str
    servers: list[Server]
    logs: Path

    def env(self) -> dict[str, str]:
        return server_env(self.world.home, self.url, **SERVER_SETTINGS)

    def restart(self, index: int) -> Server:
        self.servers[index] = Server.start(self.env(), self.logs / f"server-{index}-{uuid.uuid4().hex[:6]}.log")
        return self.servers[index]

    def partner(self, name: str, budget: int) -> str:
        """Register a partner and approve its grant, through this test process: the servers see
        it within the staleness bound, which is waited out (a request before may be denied)."""
        _register(self.world, "partner", name, clearance=3, jurisdiction="330000", purposes=["case-verification"])
        gid = grant(self.world, name, SUBSIDY, "case-verification", ["payment_id", "amount", "township_code"],
                    [], max_rows=budget)
        time.sleep(STALENESS_S)
        return gid


@pytest.fixture(scope="module")
def pg_url(postgres_server: None) -> Iterator[str]:
    """One PostgreSQL database for the module's servers."""
    from tests.conftest import _pg_connect

    name = f"hub_replicas_{uuid.uuid4().hex[:10]}"
    with _pg_connect() as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    yield f"postgresql+psycopg://{os.environ.get('USER') or 'root'}@/{name}?host=/var/run/postgresql"
    with _pg_connect() as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def _source_home(request: pytest.FixtureRequest) -> Path:
    src = os.environ.get("HUB_TEST_PIPELINE_HOME")
    return Path(src) if src else request.getfixturevalue("pipeline_output").home


@pytest.fixture(scope="module")
def replicas(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory,
             pg_url: str) -> Iterator[Replicas]:
    """Two ``hub serve`` processes on one PostgreSQL store, with officers registered."""
    root = tmp_path_factory.mktemp("replicas")
    pg_home(_source_home(request), root / "home", pg_url)
    settings = load_settings(home=root / "home", database_url=pg_url)
    store = open_store(pg_url)
    world = World(root / "home", settings, store, AuditLog.from_settings(store, settings))
    _enrol_officers(world)
    built = Replicas(world, pg_url, [], root)
    built.servers = [Server.start(built.env(), root / f"server-{n}.log") for n in range(2)]
    yield built
    for server in built.servers:
        server.stop()
    world.close()


def fetch(client: httpx.Client, base: str, headers: dict[str, str], limit: int) -> tuple[int, int, Any]:
    """One page: (status, rows, body)."""
    response = client.get(base + ROWS, params={"purpose": "case-verification", "limit": limit,
                                               "columns": COLUMNS}, headers=headers, timeout=60)
    body = response.json()
    return response.status_code, len(body["rows"]) if response.status_code == 200 else 0, body


@pytest.mark.parametrize(("budget", "page"), [(100, 20), (100, 7), (250, 33)])
def test_concurrent_clients_through_both_replicas_never_exceed_the_budget(
        replicas: Replicas, budget: int, page: int) -> None:
    gid = replicas.partner(f"p-{budget}-{page}", budget)
    client_id = f"p-{budget}-{page}"
    headers = {"Authorization": f"Bearer {token(replicas.servers[0].url, replicas.world.clients[client_id])}"}
    gate = threading.Barrier(8)

    def worker(n: int) -> list[tuple[int, int, Any]]:
        gate.wait()
        with httpx.Client() as client:
            return [fetch(client, replicas.servers[(n + i) % 2].url, headers, page) for i in range(5)]

    with ThreadPoolExecutor(max_workers=8) as pool:
        outcomes = [o for batch in pool.map(worker, range(8)) for o in batch]
    served = [rows for status, rows, _ in outcomes if status == 200]
    refused = [body for status, _, body in outcomes if status != 200]
    assert served == [page] * (budget // page), outcomes  # whole pages, as many as fit
    assert sum(served) <= budget
    odd = [(b["status"], b.get("detail")) for b in refused
           if not (b["status"] == 403 and b["reasons"][0].startswith(f"rule quota: grant `{gid}`"))]
    assert refused and odd == []
    [figures] = grant_days(replicas.world.store, gid)
    assert (figures.delivered, figures.charged - figures.unconfirmed) == (sum(served), sum(served))
    assert figures.problems == []


def _holders_of(store: Store, pid: int) -> int:
    from sqlalchemy import func, select

    with store.session() as session:
        return int(session.scalar(select(func.count()).select_from(QuotaReservation)
                                  .where(QuotaReservation.holder.like(f"%:{pid}:%"))) or 0)


def _open_reservations(store: Store) -> int:
    reconcile(store)
    from sqlalchemy import func, select

    with store.session() as session:
        return int(session.scalar(select(func.count()).select_from(QuotaReservation)) or 0)


def test_kill_9_under_load_leaves_the_ledger_equal_to_the_audit_log(replicas: Replicas) -> None:
    budgets = {"under-fire-1": 1000, "under-fire-2": 600}
    grants = {name: replicas.partner(name, budget) for name, budget in budgets.items()}
    headers = {name: {"Authorization": f"Bearer {token(replicas.servers[0].url, replicas.world.clients[name])}"}
               for name in budgets}
    stop, lock = threading.Event(), threading.Lock()
    served, statuses, done = [0], [], [0]

    def load(n: int) -> None:
        """Request pages through both replicas until this grant's budget refuses three times running."""
        name, refusals, i = list(budgets)[n % 2], 0, 0
        with httpx.Client() as client:
            while not stop.is_set() and refusals < 3:
                i += 1
                try:
                    status, _, body = fetch(client, replicas.servers[(n + i) % 2].url, headers[name], 20)
                except httpx.TransportError:  # the server was killed under this request, or is restarting
                    time.sleep(0.2)
                    continue
                quota_refusal = status == 403 and body["reasons"][0].startswith("rule quota")
                refusals = refusals + 1 if quota_refusal else 0
                with lock:
                    statuses.append(status)
                    served[0] += status == 200
                time.sleep(0.02)
        with lock:
            done[0] += 1

    killed_holding = 0
    threads = [threading.Thread(target=load, args=(n,)) for n in range(4)]
    for thread in threads:
        thread.start()
    try:
        for round_ in range(3):  # kill -9 a serving process under load: a, b, a
            target, seen = round_ % 2, served[0]
            deadline = time.monotonic() + 120
            while served[0] < seen + 5 and done[0] < len(threads) and time.monotonic() < deadline:
                time.sleep(0.05)
            pid = replicas.servers[target].proc.pid
            replicas.servers[target].kill()
            killed_holding += _holders_of(replicas.world.store, pid)
            replicas.restart(target)
        for thread in threads:
            thread.join(timeout=300)
    finally:
        stop.set()
    assert served[0] >= 15 and set(statuses) <= {200, 403, 503}, set(statuses)
    # Every reservation a killed process held is closed once its lease is over.
    deadline = time.monotonic() + LEASE_S + CLOCK_SKEW_S + 60
    while _open_reservations(replicas.world.store) and time.monotonic() < deadline:
        time.sleep(0.5)
    assert _open_reservations(replicas.world.store) == 0
    for name, gid in grants.items():
        for figures in grant_days(replicas.world.store, gid):
            assert figures.charged == figures.delivered, figures  # ledger = Σ audit delivery rows
            assert figures.delivered <= budgets[name], figures
            assert figures.problems == []
    env = replicas.env()
    verify = subprocess.run([HUB, "quota", "verify"], env=env, capture_output=True, text=True, timeout=300)
    assert verify.returncode == 0, verify.stdout + verify.stderr
    chain = subprocess.run([HUB, "audit", "verify"], env=env, capture_output=True, text=True, timeout=300)
    assert chain.returncode == 0, chain.stdout + chain.stderr
    print(f"kill -9 x3: {served[0]} pages served, {killed_holding} reservations held by killed processes")


def test_a_dead_holders_reservation_is_freed_once_its_lease_is_over(replicas: Replicas) -> None:
    gid = replicas.partner("orphaned", 60)
    headers = {"Authorization": f"Bearer {token(replicas.servers[0].url, replicas.world.clients['orphaned'])}"}
    # What a process killed LEASE_S - 3 seconds ago, while it held 40 rows, left behind.
    made = datetime.now(UTC) - timedelta(seconds=LEASE_S - 3)
    expires = made + timedelta(seconds=LEASE_S)
    with replicas.world.store.session() as session:
        from hub.store.models import QuotaDay

        session.add(QuotaDay(grant_id=gid, day=quota_day(made), budget=60, charged=40))
        session.add(QuotaReservation(request_id=uuid.uuid4().hex, grant_id=gid, day=quota_day(made), rows=40,
                                     holder="gone-host:1:dead", created_at=made, expires_at=expires))
    with httpx.Client() as client:
        status, _, body = fetch(client, replicas.servers[1].url, headers, 30)
        assert status == 403 and "40 charged, 30 more requested" in body["reasons"][0]  # held until expiry
        free_after = expires + timedelta(seconds=CLOCK_SKEW_S + 1.1)  # + one refusal-sweep interval
        time.sleep(max(0.0, (free_after - datetime.now(UTC)).total_seconds()))
        status, rows, body = fetch(client, replicas.servers[1].url, headers, 30)
    assert (status, rows) == (200, 30), body


def test_a_lockdown_through_one_replica_is_refused_by_the_other_within_the_bound(replicas: Replicas) -> None:
    replicas.partner("to-lock", 10_000)
    a, b = replicas.servers[0].url, replicas.servers[1].url
    partner = {"Authorization": f"Bearer {token(a, replicas.world.clients['to-lock'])}"}
    officer = {"Authorization": f"Bearer {token(a, replicas.world.clients['sec-1'])}"}
    with httpx.Client() as client:
        assert fetch(client, b, partner, 5)[0] == 200
        assert fetch(client, b, partner, 5)[0] == 200  # token and decision now cached in b
        statement = replicas.world.desk.sign("sec-1", "lockdown", "partner:to-lock", lockdown_terms("to-lock"),
                                             note="leaked extract")
        locked = client.post(f"{a}/v1/partners/to-lock/lockdown", json={"statement": statement},
                             headers=officer, timeout=30)
        assert locked.status_code == 200, locked.text
        assert fetch(client, a, partner, 5)[0] == 401  # the process that locked down: at once
        time.sleep(STALENESS_S)  # b re-reads, on the next request, anything older than this
        assert fetch(client, b, partner, 5)[0] == 401


def test_workers_share_the_ledger_on_sqlite(request: pytest.FixtureRequest,
                                            tmp_path_factory: pytest.TempPathFactory) -> None:
    import shutil

    root = tmp_path_factory.mktemp("workers")
    shutil.copytree(_source_home(request), root / "home")
    settings = load_settings(home=root / "home")
    store = open_store(settings.metadata_url)
    world = World(root / "home", settings, store, AuditLog.from_settings(store, settings))
    _enrol_officers(world)
    _register(world, "partner", "eager", clearance=3, jurisdiction="330000", purposes=["case-verification"])
    gid = grant(world, "eager", SUBSIDY, "case-verification", ["payment_id", "amount", "township_code"], [],
                max_rows=100)
    server = Server.start(server_env(root / "home", None, **SERVER_SETTINGS), root / "workers.log", workers=2)
    try:
        headers = {"Authorization": f"Bearer {token(server.url, world.clients['eager'])}"}

        def worker(_: int) -> list[tuple[int, int, Any]]:
            with httpx.Client() as client:  # one connection each: spread over the two workers
                return [fetch(client, server.url, headers, 20) for _ in range(3)]

        with ThreadPoolExecutor(max_workers=8) as pool:
            outcomes = [o for batch in pool.map(worker, range(8)) for o in batch]
        served_spec = httpx.get(f"{server.url}/openapi.json", timeout=30).json()
    finally:
        server.stop()
    assert served_spec == world.app().openapi()  # issue 19: a worker serves the complete OpenAPI document
    assert sorted(rows for status, rows, _ in outcomes if status == 200) == [20] * 5, outcomes
    assert all(status == 403 for status, _, _ in outcomes if status != 200)
    [figures] = grant_days(store, gid)
    assert figures.delivered == 100 and figures.problems == []
    chain = subprocess.run([HUB, "audit", "verify"], env=server_env(root / "home", None), capture_output=True,
                           text=True, timeout=300)
    world.close()
    assert chain.returncode == 0, chain.stdout + chain.stderr
