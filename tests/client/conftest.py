"""A real hub served over HTTP for the partner client, with a 100,000-row dataset and a fault injector.

``hub`` (module scope) copies the session's pipeline home into a world with partners,
officers and grants (``tests.api.exchange_world``), replicates the published
``finance.subsidy_payment`` snapshot to 100,000 rows as a new current version (as
``bench/exchange.py`` does), and serves the real app under uvicorn on a socket bound to
port 0 before the app is built, so the app's public URL (the token audience) is the
address the client really uses.

``FaultInjector`` is a FAULT INJECTOR, not part of the hub: an ASGI middleware in front
of the app that answers the requests it is told to with ``503`` or ``429`` and a
``Retry-After``, as the hub does while a dependency is down (nothing delivered,
nothing audited), holds the ones it is told to hold until ``release`` is set (so a
test can kill a client at a known point, without timing), and passes every other
request through untouched.
"""

from __future__ import annotations

import json
import socket
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import anyio.to_thread
import duckdb
import pytest
import uvicorn

from hub.api.server import server_config
from hub.client import Credentials
from hub.kms.parquet import snapshot_reader
from hub.store.models import Dataset, DatasetVersion
from tests.api.exchange_world import SUBSIDY, World, build_world

ROWS = 100_000
HOLD = -1  # a FaultInjector rule's answer: hold the request until ``release``
PROVINCE = "zj-province"


class FaultInjector:
    """FAULT INJECTOR (test-only ASGI middleware): answers chosen requests 503/429 before the hub sees them."""

    def __init__(self, app: Any) -> None:
        self.app = app
        self.rule: Callable[[str, int], int | None] = lambda path, n: None  # (path, nth request) → status
        self.seen: dict[str, int] = {}
        self.injected: list[tuple[str, int]] = []
        self.lock = threading.Lock()
        self.holding = threading.Event()  # set while a request is held
        self.release = threading.Event()

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] == "http":
            path = scope["path"]
            with self.lock:
                self.seen[path] = n = self.seen.get(path, 0) + 1
                status = self.rule(path, n)
                if status and status != HOLD:
                    self.injected.append((path, status))
            if status == HOLD:
                self.holding.set()
                await anyio.to_thread.run_sync(self.release.wait)
                status = None
            if status:
                body = json.dumps({"type": "urn:hub:problem:service-unavailable", "title": "injected fault",
                                   "status": status, "detail": "fault injector"}).encode()
                await send({"type": "http.response.start", "status": status,
                            "headers": [(b"content-type", b"application/problem+json"), (b"retry-after", b"2"),
                                        (b"content-length", str(len(body)).encode())]})
                await send({"type": "http.response.body", "body": body})
                return
        await self.app(scope, receive, send)

    def reset(self, rule: Callable[[str, int], int | None] | None = None) -> None:
        with self.lock:
            self.rule = rule or (lambda path, n: None)
            self.seen, self.injected = {}, []
            self.holding.clear()
            self.release.clear()


@dataclass
class ServedHub:
    world: World
    base: str
    faults: FaultInjector
    keys: dict[str, Path] = field(default_factory=dict)

    def credentials(self, who: str = PROVINCE) -> Credentials:
        client = self.world.clients[who]
        return Credentials(client.client_id, client.key, client.kid)


def replicate(world: World, rows: int) -> set[int]:
    """Make ``rows`` copies-with-new-ids of the subsidy snapshot the current version; return the ids."""
    with world.store.session() as session:
        ds = session.get(Dataset, SUBSIDY)
        assert ds is not None
        src = session.query(DatasetVersion).filter_by(dataset_id=SUBSIDY, version=ds.current_version).one()
        out = world.settings.published_dir / SUBSIDY / "v9000.parquet"
        con = duckdb.connect()
        con.register("src", snapshot_reader(world.settings).read_table(src.path))  # sealed (issue 17)
        n = con.execute("SELECT count(*) FROM src").fetchone()[0]  # type: ignore[index]
        con.execute(f"""COPY (SELECT (g.i * {n} + s._row_id) AS _row_id, s.* EXCLUDE (_row_id, payment_id),
                               (g.i * {n} + s.payment_id) AS payment_id
                        FROM src s, range({rows // n + 1}) g(i) ORDER BY 1 LIMIT {rows})
                        TO '{out}' (FORMAT parquet)""")
        ids = {r[0] for r in con.execute("SELECT payment_id FROM read_parquet(?)", [str(out)]).fetchall()}
        session.add(DatasetVersion(dataset_id=SUBSIDY, version="v9000", number=9000, content_sha256="replicated",
                                   schema_sha256=src.schema_sha256, row_count=rows, path=str(out),
                                   created_at=src.created_at))
        ds.current_version, ds.row_count = "v9000", rows
    return ids


@pytest.fixture(scope="module")
def hub(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServedHub]:
    home = tmp_path_factory.mktemp("client") / "home"
    world = build_world(request.getfixturevalue("pipeline_output").home, home)
    world.ids = replicate(world, ROWS)  # type: ignore[attr-defined]
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    base = f"http://127.0.0.1:{sock.getsockname()[1]}"
    faults = FaultInjector(world.app(public_url=base))
    server = uvicorn.Server(server_config(faults, world.settings, host="127.0.0.1", port=0, log_level="warning"))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    started = threading.Event()
    while not started.wait(0.02):  # an event wait, bounded only to fail a broken start
        if server.started:
            started.set()
        elif not thread.is_alive():
            raise RuntimeError("uvicorn did not start")
    served = ServedHub(world, base, faults)
    for name, client in world.clients.items():
        if client.client_id.startswith("partner:"):
            path = home / "clients" / f"{name}.pem"
            path.parent.mkdir(exist_ok=True)
            from cryptography.hazmat.primitives import serialization

            path.write_bytes(client.key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                                      serialization.NoEncryption()))
            served.keys[name] = path
    yield served
    server.should_exit = True
    thread.join(timeout=30)
    world.close()
