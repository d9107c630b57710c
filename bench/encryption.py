"""The cost of encryption at rest on the exchange (issue 17), plain and sealed in the same run.

Takes a ``HUB_HOME`` after ``hub run`` (e.g. ``bench/pipeline.py --home DIR`` leaves
``DIR/encrypted``), registers the bench partners (``tests.api.exchange_world``), and writes
the subsidy dataset at ``--scale`` rows twice: ``v9999`` plain Parquet and ``v9998`` sealed
exactly as publishing seals it (``hub.kms.parquet.Sealer``: the level >= 3 and free-text
columns under the version's personal data key, the rest and the footer under its general
key; SM4-GCM frames under the gm suite).  Then, in the same run:

(cold) loading the snapshot into Arrow, as the exchange does on a first request: plain
       ``pq.read_table`` vs decrypting in memory (``Sealer.read_table``), best of --repeat;
(warm) requests/s of 100-row JSON requests, 32 concurrent clients, through two ``hub serve``
       processes (real uvicorn) whose current snapshot is the plain one in the first and
       the sealed one in the second, alternating runs, best of --repeat.  Warm, the exchange
       serves from its in-memory copy of the snapshot (``hub.exchange.tables``), so no
       Parquet byte is read or decrypted per request; the ratio sealed / plain shows what is
       left (target >= 0.9x).

Usage: .venv/bin/python bench/pipeline.py --scale 20000 --home /tmp/pb [--suite gm]
       .venv/bin/python bench/encryption.py --home /tmp/pb/encrypted --scale 200000 [--suite gm]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import duckdb
import httpx
import pyarrow.parquet as pq

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.serving import free_port, wait_up  # noqa: E402
from hub.kms.parquet import Sealer, file_kind, snapshot_key_id, snapshot_reader  # noqa: E402
from hub.settings import load_settings  # noqa: E402
from hub.store.db import open_store  # noqa: E402
from hub.store.models import Dataset, DatasetColumn, DatasetVersion  # noqa: E402
from tests.api.exchange_world import SUBSIDY, World, build_world  # noqa: E402

PLAIN, SEALED = 9999, 9998


def write_versions(world: World, scale: int) -> tuple[Path, Path]:
    """The subsidy snapshot replicated to ``scale`` rows, as a plain (made current) and a sealed version."""
    sealer = snapshot_reader(world.settings)
    with world.store.session() as session:
        ds = session.get(Dataset, SUBSIDY)
        assert ds is not None
        src = session.query(DatasetVersion).filter_by(dataset_id=SUBSIDY, version=ds.current_version).one()
        folder = world.settings.published_dir / SUBSIDY
        plain, sealed = folder / f"v{PLAIN}.parquet", folder / f"v{SEALED}.parquet"
        con = duckdb.connect()
        con.register("src", sealer.read_table(src.path))  # the published snapshot, decrypted in memory
        n = con.execute("SELECT count(*) FROM src").fetchone()[0]  # type: ignore[index]
        table = con.execute(
            f"""SELECT (g.i * {n} + s._row_id) AS _row_id, s.* EXCLUDE (_row_id, payment_id),
                       (g.i * {n} + s.payment_id) AS payment_id
                FROM src s, range({scale // n + 1}) g(i) ORDER BY 1 LIMIT {scale}"""
        ).to_arrow_table()
        pq.write_table(table, plain, compression="zstd")
        cols = session.query(DatasetColumn).filter_by(dataset_id=SUBSIDY).all()
        sensitive = [c.name for c in cols if c.level >= 3 or c.free_text]
        keys = sealer.keys
        sealer.write(table, sealed, keys.create(f"bench:v{SEALED}", snapshot_key_id(SUBSIDY, SEALED)), sensitive,
                     personal=keys.create(f"bench:v{SEALED}:p", snapshot_key_id(SUBSIDY, SEALED, personal=True)))
        for number, path in ((PLAIN, plain), (SEALED, sealed)):
            session.add(DatasetVersion(dataset_id=SUBSIDY, version=f"v{number}", number=number,
                                       content_sha256=f"bench{number}", schema_sha256=src.schema_sha256,
                                       row_count=scale, path=str(path), created_at=src.created_at))
        ds.current_version = f"v{PLAIN}"
    assert file_kind(plain) == "plain" and file_kind(sealed) in {"encrypted", "sealed"}
    return plain, sealed


def cold_load(sealer: Sealer, plain: Path, sealed: Path, repeat: int) -> tuple[float, float]:
    """Best seconds to load each snapshot into Arrow (plain pyarrow vs decrypting in memory)."""
    best = [float("inf"), float("inf")]
    for _ in range(repeat):
        for i, read in enumerate((lambda: pq.read_table(plain), lambda: sealer.read_table(sealed))):
            started = time.perf_counter()
            assert read().num_rows > 0
            best[i] = min(best[i], time.perf_counter() - started)
    return best[0], best[1]


def sealed_home(world: World, work: Path) -> Path:
    """A copy of the world's HUB_HOME whose current subsidy snapshot is the sealed version."""
    home = work / "sealed-home"
    shutil.copytree(world.home, home)
    store = open_store(load_settings(home=home).metadata_url)
    try:
        with store.session() as session:
            ds = session.get(Dataset, SUBSIDY)
            assert ds is not None
            ds.current_version = f"v{SEALED}"
    finally:
        store.dispose()
    return home






async def hammer(url: str, headers: dict[str, str], params: dict[str, str], seconds: float) -> float:
    """Requests/s of 32 concurrent clients for ``seconds`` (every response must be 200)."""
    async with httpx.AsyncClient(limits=httpx.Limits(max_connections=32), timeout=30) as client:
        done, stop = 0, time.perf_counter() + seconds

        async def worker() -> None:
            nonlocal done
            while time.perf_counter() < stop:
                response = await client.get(url, params=params, headers=headers)
                assert response.status_code == 200, response.text[:300]
                done += 1

        started = time.perf_counter()
        await asyncio.gather(*(worker() for _ in range(32)))
        return done / (time.perf_counter() - started)


def warm_rates(world: World, homes: tuple[Path, Path], seconds: float, repeat: int) -> tuple[float, float]:
    """(plain, sealed) hub serve requests/s, measured alternately, best of ``repeat``."""
    ports = free_port(), free_port()
    hub = str(Path(sys.executable).parent / "hub")
    logs = None if os.environ.get("BENCH_SERVER_LOG") else subprocess.DEVNULL
    procs = [subprocess.Popen([hub, "serve", "--port", str(port)],
                              env={**os.environ, "HUB_HOME": str(home), "HUB_PUBLIC_URL": f"http://127.0.0.1:{port}"},
                              stdout=subprocess.DEVNULL, stderr=logs)
             for home, port in zip(homes, ports, strict=True)]
    try:
        runs = []
        for port in ports:
            base = f"http://127.0.0.1:{port}"
            wait_up(base + "/healthz", seconds=30)
            token = httpx.post(base + "/oauth/token", data={
                "grant_type": "client_credentials",
                "client_assertion_type": "urn:ietf:params:oauth:client-assertion-type:jwt-bearer",
                "client_assertion": world.clients["zj-province"].assertion(aud=base + "/oauth/token")},
            ).json()["access_token"]
            runs.append((f"{base}/v1/datasets/{SUBSIDY}/rows", {"Authorization": f"Bearer {token}"},
                         {"purpose": "case-verification", "limit": "100"}))
        for url, headers, params in runs:  # warm: the first requests load the snapshot into memory
            asyncio.run(hammer(url, headers, params, 2.0))
        best = [0.0, 0.0]
        for _ in range(repeat):
            for i, (url, headers, params) in enumerate(runs):
                best[i] = max(best[i], asyncio.run(hammer(url, headers, params, seconds)))
        return best[0], best[1]
    finally:
        for proc in procs:
            proc.terminate()
            try:
                proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(timeout=20)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--home", type=Path, required=True, help="a HUB_HOME after `hub run` (copied, not changed)")
    parser.add_argument("--scale", type=int, default=200_000, help="subsidy rows in each snapshot")
    parser.add_argument("--seconds", type=float, default=5.0, help="duration of each req/s run")
    parser.add_argument("--repeat", type=int, default=3, help="runs of each measurement (best is kept)")
    parser.add_argument("--suite", choices=("international", "gm"), default=None,
                        help="HUB_CRYPTO_SUITE of the bench (and its servers); use the suite the home was run with")
    args = parser.parse_args()
    if args.suite:
        os.environ["HUB_CRYPTO_SUITE"] = args.suite  # a deployment setting: the world and both servers read it
    work = Path(tempfile.mkdtemp(prefix="hub-bench-enc-"))
    world = build_world(args.home, work / "home", max_rows=10**12)
    try:
        plain, sealed = write_versions(world, args.scale)
        suite = world.settings.crypto_suite
        print(f"{args.scale:,} subsidy rows; suite {suite}; sealed file: {file_kind(sealed)} "
              f"({sealed.stat().st_size:,} bytes, plain {plain.stat().st_size:,})")
        cold_plain, cold_sealed = cold_load(snapshot_reader(world.settings), plain, sealed, args.repeat)
        print(f"(cold) load into Arrow: plain {cold_plain * 1e3:,.0f} ms   sealed {cold_sealed * 1e3:,.0f} ms   "
              f"ratio sealed/plain {cold_sealed / cold_plain:.2f}x")
        world.store.dispose()
        warm_plain, warm_sealed = warm_rates(world, (world.home, sealed_home(world, work)), args.seconds, args.repeat)
        print(f"(warm) 100-row JSON, 32 clients, hub serve: plain {warm_plain:,.0f} req/s   sealed "
              f"{warm_sealed:,.0f} req/s   ratio sealed/plain {warm_sealed / warm_plain:.2f}x   (target >= 0.9x)")
    finally:
        world.store.dispose()
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
