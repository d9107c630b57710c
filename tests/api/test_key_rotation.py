"""Master-key rotation while requests run: none is lost, and every older snapshot still decodes.

A real uvicorn server serves the exchange with ``HUB_EXCHANGE_MEMORY_ROWS=0`` (every
request decrypts its snapshot file), partner threads keep requesting, and a reader
that unwraps its data keys afresh each time (as a newly started process would) keeps
opening every published snapshot, while the master key is rotated three times (each
rotation re-wraps every data key).  Every request answers 200 with its rows and every
read succeeds; afterwards every data key is wrapped by the newest master version, the
older versions are still there, and a snapshot published before the first rotation
decodes with a fresh process's keys.
"""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

import httpx

from hub.api import create_app
from hub.audit.verify import stored_records
from hub.events import KEYS_ROTATED
from hub.keys import KeyStore
from hub.kms import data_keys, open_kms
from hub.kms.inventory import rotate
from hub.kms.parquet import Sealer, file_kind
from tests.api.conftest import BASE_URL
from tests.api.exchange_world import SUBSIDY, World, bearer
from tests.api.live_server import live_server

ROUNDS = 3


def _snapshots(world: World) -> list[Path]:
    return sorted(world.settings.published_dir.rglob("v*.parquet"))


def test_rotation_under_load_loses_no_request(world: World, http: Any) -> None:
    settings = world.settings.model_copy(update={"exchange_memory_rows": 0})
    snapshots = _snapshots(world)
    assert snapshots and all(file_kind(p) != "plain" for p in snapshots)
    before = {p: Sealer(data_keys(settings)).read_table(p) for p in snapshots}
    app = create_app(settings, audit=world.audit.append, store=world.store, keys=KeyStore.from_settings(settings),
                     public_url=BASE_URL)
    headers = bearer(http, world.clients["hz-xihu-jw"])
    stop = threading.Event()
    outcomes: list[int] = []
    reads: list[int] = []
    errors: list[str] = []

    def partner(port: int) -> None:
        with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=30) as client:
            while not stop.is_set():
                response = client.get(f"/v1/datasets/{SUBSIDY}/rows",
                                      params={"purpose": "case-verification", "limit": 20}, headers=headers)
                outcomes.append(response.status_code)
                if response.status_code != 200:
                    errors.append(response.text[:200])

    def fresh_reader() -> None:
        while not stop.is_set():
            for path in snapshots:
                try:
                    reads.append(Sealer(data_keys(settings)).read_table(path).num_rows)
                except Exception as exc:  # noqa: BLE001 - any failure is what the test looks for
                    errors.append(f"{path.name}: {exc}")

    with live_server(app, settings) as port:
        workers = [threading.Thread(target=partner, args=(port,)) for _ in range(3)]
        workers.append(threading.Thread(target=fresh_reader))
        for worker in workers:
            worker.start()
        try:
            done = [rotate(settings, "master", world.audit) for _ in range(ROUNDS)]
            while len(outcomes) < 30 or len(reads) < 2 * len(snapshots):
                stop.wait(0.05)
        finally:
            stop.set()
            for worker in workers:
                worker.join(timeout=60)
    assert not errors, errors[:3]
    assert outcomes and set(outcomes) == {200}
    assert all(d.rewrapped > 0 for d in done)
    kms = open_kms(settings)
    versions = [m.version for m in kms.versions()]
    assert len(versions) >= ROUNDS + 1
    assert {i.master_version for i in data_keys(settings, kms).infos()} == {versions[-1]}
    for path, table in before.items():
        assert Sealer(data_keys(settings)).read_table(path).equals(table), path.name
    rotations = [r for r in stored_records(world.store) if r["event"] == KEYS_ROTATED]
    assert len(rotations) == ROUNDS and all(r["details"]["key"] == "master" for r in rotations)
