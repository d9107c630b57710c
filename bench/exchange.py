"""Exchange throughput: the full path (policy, masking, audit) against bare baselines.

Prepare a HUB_HOME once (any scale; the bench scales the subsidy snapshot itself)::

    hub sandbox seed /tmp/bench-home/sandbox --scale 400
    HUB_HOME=/tmp/bench-home hub run

then ``python bench/exchange.py --home /tmp/bench-home --scale 1000000``.  The bench
copies that home, replicates ``finance.subsidy_payment`` to ``--scale`` rows as a new
published version, registers a province partner with an approved grant (two-person
rule) and measures, in the same run:

(a) masked rows/s streamed as Arrow and NDJSON through the full path (in-process
    ASGI, pages of 100,000 rows with cursors) vs DuckDB reading the same columns of
    the same snapshot and writing the same format (no policy, masking or audit);
(b) requests/s for 100-row JSON requests, 32 concurrent clients, through ``hub serve``
    (real uvicorn, its own process) vs a bare FastAPI endpoint returning the same rows.

Beside each it prints a ceiling: the masked DuckDB queries the hub planned for those
very requests, run alone, with no HTTP, authentication, policy or audit: (a) every
page's query and encoding in-process, (b) the 100-row query behind a bare FastAPI
endpoint.  DESIGN.md has the masks run as SQL in DuckDB, so the full path cannot be
faster than its ceiling; where a ceiling is below a target, so is any full path.

Each figure is the best of ``--repeat`` runs, full path and baseline alternating, so
other load on the machine hits both alike; (b) warms both servers up for a second.
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import os
import pickle
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import duckdb
import httpx

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from hub.audit import decode_receipt  # noqa: E402
from hub.exchange import execute, formats  # noqa: E402
from hub.kms.parquet import snapshot_reader  # noqa: E402
from hub.store.models import Dataset, DatasetVersion  # noqa: E402
from tests.api.conftest import AsgiClient  # noqa: E402
from tests.api.exchange_world import SUBSIDY, World, bearer, build_world  # noqa: E402

PAGE = 100_000
BARE_APP = """
import duckdb, sys
from fastapi import FastAPI, Response
app = FastAPI()
path = sys.argv[1]
db = duckdb.connect()
SQL = "SELECT to_json(t) FROM (SELECT * EXCLUDE (_row_id) FROM read_parquet(?) LIMIT 100) AS t"
@app.get("/rows")
def rows() -> Response:
    lines = [r[0] for r in db.cursor().execute(SQL, [path]).fetchall()]
    return Response(('{"rows":[' + ",".join(lines) + "]}").encode(), media_type="application/json")
"""

# The ceiling of (b): the hub's own planned 100-row query (pickled Plan, run by
# hub.exchange.execute and encoded by hub.exchange.formats), no auth, policy or audit.
CEILING_APP = """
import pickle, sys, duckdb
from fastapi import FastAPI, Response
from hub.exchange import execute, formats
app = FastAPI()
path, plan_file = sys.argv[1], sys.argv[2]
plan, table = pickle.load(open(plan_file, "rb"))
db = duckdb.connect()
db.execute(f"CREATE TABLE {table} AS SELECT * FROM read_parquet(?)", [path])
@app.get("/rows")
def rows() -> Response:
    page = execute.run(db.cursor(), plan, "json", b"x" * 32)
    return Response(b"".join(formats.encode("json", page.table, page.next_cursor)), media_type="application/json")
"""


@contextmanager
def captured_plans() -> Iterator[list[tuple[Any, Any, str]]]:
    """Record (connection, plan, format) of every ``execute.run`` the exchange makes meanwhile."""
    seen: list[tuple[Any, Any, str]] = []
    original = execute.run

    def recording(con: Any, plan: Any, fmt: str, secret: bytes) -> Any:
        seen.append((con, plan, fmt))
        return original(con, plan, fmt, secret)

    execute.run = recording  # type: ignore[assignment]
    try:
        yield seen
    finally:
        execute.run = original  # type: ignore[assignment]


def stream_ceiling(plans: list[tuple[Any, Any, str]]) -> tuple[int, float]:
    """Run the recorded page queries and encode them: the masks without HTTP, policy or audit."""
    rows, started = 0, time.perf_counter()
    for con, plan, fmt in plans:
        cur = con.cursor()
        try:
            page = execute.run(cur, plan, fmt, b"x" * 32)
        finally:
            cur.close()
        digest = hashlib.sha256()
        for chunk in formats.encode(fmt, page.table, page.next_cursor):
            digest.update(chunk)
        rows += page.rows
    return rows, time.perf_counter() - started


def scale_snapshot(world: World, scale: int) -> str:
    """Replicate the subsidy snapshot to ``scale`` rows as version ``v9999`` and make it current."""
    with world.store.session() as session:
        ds = session.get(Dataset, SUBSIDY)
        assert ds is not None
        src = next(
            v for v in session.query(DatasetVersion).filter_by(dataset_id=SUBSIDY, version=ds.current_version)
        )
        out = world.settings.published_dir / SUBSIDY / "v9999.parquet"
        con = duckdb.connect()
        # published snapshots are sealed (issue 17): read the source one decrypted in memory
        con.register("src", snapshot_reader(world.settings).read_table(src.path))
        n = con.execute("SELECT count(*) FROM src").fetchone()[0]  # type: ignore[index]
        con.execute(
            f"""COPY (SELECT (g.i * {n} + s._row_id) AS _row_id, s.* EXCLUDE (_row_id, payment_id),
                        (g.i * {n} + s.payment_id) AS payment_id
                        FROM src s, range({scale // n + 1}) g(i)
                        ORDER BY 1 LIMIT {scale}) TO '{out}' (FORMAT parquet)"""
        )
        session.add(
            DatasetVersion(
                dataset_id=SUBSIDY,
                version="v9999",
                number=9999,
                content_sha256="bench",
                schema_sha256=src.schema_sha256,
                row_count=scale,
                path=str(out),
                created_at=src.created_at,
            )
        )
        ds.current_version = "v9999"
    return str(out)


def stream_full(http: AsgiClient, headers: dict[str, str], fmt: str, columns: str) -> tuple[int, float]:
    params = {"purpose": "case-verification", "format": fmt, "limit": PAGE, "columns": columns}
    rows, started = 0, time.perf_counter()
    while True:
        response = http.get(f"/v1/datasets/{SUBSIDY}/rows", params=params, headers=headers)
        assert response.status_code == 200, response.text[:300]
        rows += int(decode_receipt(response.headers["X-Hub-Receipt"])["rows"])
        link = response.headers.get("Link")
        if not link:
            return rows, time.perf_counter() - started
        params["cursor"] = link.split("cursor=")[1].split(">")[0]


def stream_baseline(path: str, fmt: str, columns: str) -> tuple[int, float]:
    cols = ", ".join(f'"{c}"' for c in columns.split(","))
    started = time.perf_counter()
    con = duckdb.connect()
    if fmt == "ndjson":
        table = con.execute(
            f"SELECT to_json(struct_pack({', '.join(f'{c} := {c}' for c in cols.split(', '))})) "
            f"AS __json FROM read_parquet(?)",
            [path],
        ).to_arrow_table()
    else:
        table = con.execute(f"SELECT {cols} FROM read_parquet(?)", [path]).to_arrow_table()
    digest = hashlib.sha256()
    for chunk in formats.encode(fmt, table, None):
        digest.update(chunk)
    return table.num_rows, time.perf_counter() - started


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_up(url: str) -> None:
    for _ in range(200):
        try:
            if httpx.get(url, timeout=1).status_code < 500:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.1)
    raise RuntimeError(f"server at {url} did not start")


async def hammer(url: str, headers: dict[str, str], params: dict[str, str], seconds: float) -> float:
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


def cpu_seconds(pid: int) -> float:
    """User + system CPU seconds a process has used so far (Linux ``/proc``)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def measured(url: str, headers: dict[str, str], params: dict[str, str], seconds: float,
             pid: int) -> tuple[float, float]:
    """(requests/s, server CPU ms per request) of one ``hammer`` run against the server ``pid``."""
    cpu = cpu_seconds(pid)
    rate = asyncio.run(hammer(url, headers, params, seconds))
    return rate, (cpu_seconds(pid) - cpu) * 1e3 / max(1.0, rate * seconds)


def start_app(source: str, port: int, argv: list[str]) -> subprocess.Popen[bytes]:
    """Serve the FastAPI ``app`` defined by ``source`` (with ``sys.argv[1:] = argv``) on ``port``."""
    app_file = Path(tempfile.mkdtemp()) / "app.py"
    app_file.write_text(source)
    return subprocess.Popen(
        [
            sys.executable,
            "-c",
            f"import sys; sys.path.insert(0, {str(Path(__file__).resolve().parents[1])!r}); "
            f"sys.argv=['x', *{argv!r}]; "
            f"exec(open({str(app_file)!r}).read()); import uvicorn; "
            f"uvicorn.run(app, port={port}, access_log=False, log_level='warning')",
        ]
    )


Rate = tuple[float, float]  # (requests/s, server CPU ms per request)


def requests_per_second(world: World, path: str, plan_file: Path, seconds: float,
                        repeat: int = 1) -> tuple[Rate, Rate, Rate]:
    """(hub serve, bare FastAPI, ceiling) measured alternately, best of ``repeat`` each."""
    port, bare_port, ceiling_port = free_port(), free_port(), free_port()
    env = {**os.environ, "HUB_HOME": str(world.home), "HUB_PUBLIC_URL": f"http://127.0.0.1:{port}"}
    hub = subprocess.Popen(
        [str(Path(sys.executable).parent / "hub"), "serve", "--port", str(port)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    bare = start_app(BARE_APP, bare_port, [path])
    ceiling = start_app(CEILING_APP, ceiling_port, [path, str(plan_file)])
    try:
        base = f"http://127.0.0.1:{port}"
        bare_url, ceiling_url = f"http://127.0.0.1:{bare_port}/rows", f"http://127.0.0.1:{ceiling_port}/rows"
        for url in (base + "/healthz", bare_url, ceiling_url):
            wait_up(url)
        client = world.clients["zj-province"]
        token = httpx.post(
            base + "/oauth/token",
            data={
                "grant_type": "client_credentials",
                "client_assertion_type": "urn:ietf:params:oauth:client-assertion-type:jwt-bearer",
                "client_assertion": client.assertion(aud=base + "/oauth/token"),
            },
        ).json()["access_token"]
        headers = {"Authorization": f"Bearer {token}"}
        hub_url, params = f"{base}/v1/datasets/{SUBSIDY}/rows", {"purpose": "case-verification", "limit": "100"}
        runs = [(hub_url, headers, params, hub.pid), (bare_url, {}, {}, bare.pid),
                (ceiling_url, {}, {}, ceiling.pid)]
        # every server warms up for a second first (first requests pay one-off start-up costs), then
        # they alternate, best of ``repeat`` each, so load from elsewhere on the machine hits all alike
        for url, hdrs, prms, _ in runs:
            asyncio.run(hammer(url, hdrs, prms, 1.0))
        best = [(0.0, 0.0)] * len(runs)
        for _ in range(repeat):
            for i, (url, hdrs, prms, pid) in enumerate(runs):
                best[i] = max(best[i], measured(url, hdrs, prms, seconds, pid))
        return best[0], best[1], best[2]
    finally:
        for proc in (hub, bare, ceiling):
            proc.terminate()
            proc.wait(timeout=20)


def small_page_plan(http: AsgiClient, headers: dict[str, str], out: Path) -> Path:
    """Pickle the plan the hub makes for (b)'s 100-row JSON request, with its snapshot table's name."""
    with captured_plans() as plans:
        response = http.get(f"/v1/datasets/{SUBSIDY}/rows", params={"purpose": "case-verification", "limit": "100"},
                            headers=headers)
    assert response.status_code == 200, response.text[:300]
    plan = plans[-1][1]
    table = re.search(r'"snapshot_[0-9a-f]{24}"', plan.sql)
    assert table, "the 100-row plan should read the in-memory snapshot table"
    out.write_bytes(pickle.dumps((plan, table.group(0))))
    return out


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--home", type=Path, required=True, help="a HUB_HOME after `hub run` (see above)")
    parser.add_argument("--scale", type=int, default=1_000_000, help="subsidy rows to serve")
    parser.add_argument("--seconds", type=float, default=10.0, help="duration of each req/s run")
    parser.add_argument("--repeat", type=int, default=3, help="runs of each measurement (best is kept)")
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="hub-bench-"))
    world = build_world(args.home, work / "home", max_rows=10**12)
    try:
        path = scale_snapshot(world, args.scale)
        columns = (
            "payment_id,recipient_id_number,recipient_name,recipient_phone,bank_card,township_code,amount"
        )
        with AsgiClient(world.app()) as http:
            headers = bearer(http, world.clients["zj-province"])
            print(
                f"(a) {args.scale:,} subsidy rows, province partner (clearance 2: ID pseudonymised, "
                "phone/card masked), pages of 100,000"
            )
            for fmt, target in (("arrow", 1_000_000), ("ndjson", 150_000)):
                # alternate the two, best of ``--repeat`` each: other load on the machine hits both alike
                full_rate = base_rate = ceiling_rate = 0.0
                for _ in range(args.repeat):
                    with captured_plans() as plans:
                        rows, secs = stream_full(http, headers, fmt, columns)
                    base_rows, base_secs = stream_baseline(path, fmt, columns)
                    ceil_rows, ceil_secs = stream_ceiling(plans)
                    assert ceil_rows == rows == base_rows, (ceil_rows, rows, base_rows)
                    full_rate, base_rate = max(full_rate, rows / secs), max(base_rate, base_rows / base_secs)
                    ceiling_rate = max(ceiling_rate, ceil_rows / ceil_secs)
                print(
                    f"    {fmt:<6} full {full_rate:>12,.0f} rows/s  baseline {base_rate:>12,.0f} rows/s  "
                    f"ratio {full_rate / base_rate:.2f}x   (target >= {target:,} rows/s, >= 0.5x)\n"
                    f"           ceiling: the same masked queries alone {ceiling_rate:>12,.0f} rows/s  "
                    f"= {ceiling_rate / base_rate:.2f}x baseline"
                )
            plan_file = small_page_plan(http, headers, work / "plan.pickle")
        world.audit.close()
        (full, full_cpu), (bare, bare_cpu), (ceil, ceil_cpu) = requests_per_second(
            world, path, plan_file, args.seconds, args.repeat)
        print(
            f"(b) 100-row JSON, 32 clients: hub serve {full:,.0f} req/s   bare FastAPI {bare:,.0f} req/s   "
            f"ratio {full / bare:.2f}x   (target >= 800 req/s, >= 0.5x)\n"
            f"    ceiling: the hub's masked 100-row query alone behind FastAPI {ceil:,.0f} req/s\n"
            f"    server CPU per request: hub serve {full_cpu:.1f} ms, bare FastAPI {bare_cpu:.1f} ms, "
            f"ceiling {ceil_cpu:.1f} ms"
        )
    finally:
        world.store.dispose()
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
