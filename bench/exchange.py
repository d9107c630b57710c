"""Exchange throughput under real load: ``hey`` against ``hub serve`` and a bare FastAPI ceiling.

Prepare a HUB_HOME once (``bench/pipeline.py`` leaves one behind), then::

    .venv/bin/python bench/exchange.py --home /tmp/bench/p100k/hub --scale 1000000

The load comes from ``hey`` (Debian package ``hey``: ``apt-get install -y hey``), a Go
client, not from Python clients competing for the same two cores.  The bench copies the
home, replicates ``finance.subsidy_payment`` to ``--scale`` rows as a new published
version, registers a province partner with an approved grant (two-person rule) and
measures, in the same run:

(a) bulk pages of 100,000 rows (Arrow and NDJSON, seven columns, following the
    cursors) through ``hub serve``: COLD — the first page of a fresh server, which
    reads the snapshot and builds the partner's masked view (and, for NDJSON, its JSON
    rendition) — and WARM — every page again, the view kept; against DuckDB reading
    the same columns of the same snapshot and writing the same format in this process
    (no HTTP, policy, masking or audit).  Targets (issue 13): warm Arrow >= 1,500,000
    rows/s; warm >= 0.5x the DuckDB baseline for both formats.
(b) 100-row JSON pages, ``hey -c 32`` for ``--seconds``, through the full path (token,
    decision, quota reservation, masked view, one audit batch, signed receipt) vs the
    same 100 rows as pre-built bytes from a bare FastAPI endpoint, sync and async, in
    the same uvicorn: the framework's ceiling.  Targets: >= 2,000 requests/s, p99 <= 50 ms.
    Printed beside it: the ratio to the ceiling, the decision-cache hit rate (when the
    build exposes one) and the audit appends and records per request, from the server's
    own metrics and audit log.

``--workers N`` serves with N processes (``hub serve --workers N`` where the hub has the
flag, else N uvicorn workers of the same app started here).

The hub is served with its awareness detectors OFF (``HUB_AWARENESS_WATCH=false``,
docs/awareness.md): under ``hey`` the bench partner's hundreds of requests per second are a
``volume_spike`` for the detector, whose playbook locks the partner down within seconds,
after which the hub answers 401 — correct containment, but not the request path being
measured.  Only 200 responses count in the requests/s printed, the status histogram is
printed beside it, and no target is reported as met when any response was not a 200.
"""

from __future__ import annotations

import argparse
import hashlib
import os
import re
import secrets
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import duckdb
import httpx
from sqlalchemy import func, select

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.serving import free_port, wait_up  # noqa: E402
from hub.audit import decode_receipt  # noqa: E402
from hub.exchange import formats  # noqa: E402
from hub.kms.parquet import snapshot_reader  # noqa: E402
from hub.store.models import AuditRecord, Dataset, DatasetVersion  # noqa: E402
from tests.api.exchange_world import SUBSIDY, World, build_world  # noqa: E402

PAGE = 100_000
COLUMNS = "payment_id,recipient_id_number,recipient_name,recipient_phone,bank_card,township_code,amount"
PARTNER = "zj-province"
HUB = str(Path(sys.executable).parent / "hub")
BARE_APP = """
import sys
from fastapi import FastAPI, Response
app = FastAPI()
body = open(sys.argv[1], "rb").read()
@app.get("/sync")
def sync_rows() -> Response:
    return Response(body, media_type="application/json")
@app.get("/async")
async def async_rows() -> Response:
    return Response(body, media_type="application/json")
"""
# N uvicorn workers of the hub app, for a hub without ``hub serve --workers``.
WORKERS_APP = """
from hub.api import create_app
from hub.audit import AuditLog
from hub.settings import get_settings
from hub.store.db import open_store
def make():
    settings = get_settings()
    store = open_store(settings.metadata_url)
    return create_app(settings, audit=AuditLog.from_settings(store, settings).append, store=store)
"""


@dataclass
class Hey:
    """One ``hey`` run: requests/s, latency percentiles (ms), responses by status."""

    total_s: float
    p50_ms: float
    p99_ms: float
    statuses: dict[int, int]
    errors: int

    @property
    def ok(self) -> int:
        return self.statuses.get(200, 0)

    @property
    def rps(self) -> float:
        """200 responses per second: a refusal (401, 403, 503) is not a served page."""
        return self.ok / self.total_s if self.total_s > 0 else 0.0

    @property
    def clean(self) -> bool:
        """Every response a 200 and no transport error."""
        return self.errors == 0 and set(self.statuses) <= {200} and self.ok > 0

    def histogram(self) -> str:
        shown = ", ".join(f"{code}: {n:,}" for code, n in sorted(self.statuses.items()))
        return f"responses {{{shown}}}" + (f", {self.errors:,} transport errors" if self.errors else "")


def require_hey() -> str:
    found = shutil.which("hey")
    if not found:
        sys.exit("bench/exchange.py needs `hey` (a Go HTTP load generator): apt-get install -y hey")
    return found


def parse_hey(text: str) -> Hey:
    def number(pattern: str) -> float:
        m = re.search(pattern, text)
        return float(m.group(1)) if m else float("nan")

    statuses = {int(code): int(n) for code, n in re.findall(r"\[(\d{3})\]\s+(\d+) responses", text)}
    errors = sum(int(n) for n in re.findall(r"\[(\d+)\]\s+Get ", text))
    return Hey(number(r"Total:\s+([\d.]+) secs"), number(r"50% in ([\d.]+) secs") * 1e3,
               number(r"99% in ([\d.]+) secs") * 1e3, statuses, errors)


def run_hey(url: str, seconds: float, connections: int, headers: dict[str, str] | None = None) -> Hey:
    args = [require_hey(), "-z", f"{seconds}s", "-c", str(connections), "-disable-compression"]
    for name, value in (headers or {}).items():
        args += ["-H", f"{name}: {value}"]
    out = subprocess.run([*args, url], capture_output=True, text=True, check=True).stdout
    return parse_hey(out)






def scale_snapshot(world: World, scale: int) -> str:
    """Replicate the subsidy snapshot to ``scale`` rows as version ``v9999`` and make it current."""
    with world.store.session() as session:
        ds = session.get(Dataset, SUBSIDY)
        assert ds is not None
        src = session.scalars(select(DatasetVersion).filter_by(dataset_id=SUBSIDY, version=ds.current_version)).one()
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
        session.add(DatasetVersion(dataset_id=SUBSIDY, version="v9999", number=9999, content_sha256="bench",
                                   schema_sha256=src.schema_sha256, row_count=scale, path=str(out),
                                   created_at=src.created_at))
        ds.current_version = "v9999"
    return str(out)


class Server:
    """``hub serve`` on a free port (N workers), with a token for the bench's partner."""

    def __init__(self, world: World, workers: int) -> None:
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.metrics_token = secrets.token_urlsafe(24)  # the operator's scraper credential (HUB_METRICS_TOKEN)
        # detectors off: under hey the partner's rate is a volume spike whose playbook locks it down
        env = {**os.environ, "HUB_HOME": str(world.home), "HUB_PUBLIC_URL": self.base,
               "HUB_METRICS_TOKEN": self.metrics_token, "HUB_AWARENESS_WATCH": "false"}
        help_text = subprocess.run([HUB, "serve", "--help"], capture_output=True, text=True, env=env).stdout
        if workers == 1 or "--workers" in help_text:
            extra = ["--workers", str(workers)] if workers > 1 else []
            cmd = [HUB, "serve", "--port", str(self.port), *extra]
        else:  # this hub has no --workers: N uvicorn workers of the same app
            app_dir = Path(tempfile.mkdtemp())
            (app_dir / "bench_hub_app.py").write_text(WORKERS_APP)
            env["PYTHONPATH"] = f"{app_dir}{os.pathsep}{env.get('PYTHONPATH', '')}"
            cmd = [sys.executable, "-m", "uvicorn", "bench_hub_app:make", "--factory", "--port", str(self.port),
                   "--workers", str(workers), "--no-access-log", "--log-level", "warning"]
        self.proc = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        wait_up(self.base + "/healthz", self.proc)
        client = world.clients[PARTNER]
        token = httpx.post(self.base + "/oauth/token", data={
            "grant_type": "client_credentials",
            "client_assertion_type": "urn:ietf:params:oauth:client-assertion-type:jwt-bearer",
            "client_assertion": client.assertion(aud=self.base + "/oauth/token")}).json()["access_token"]
        self.headers = {"Authorization": f"Bearer {token}"}

    def rows_url(self, **params: Any) -> str:
        return f"{self.base}/v1/datasets/{SUBSIDY}/rows?" + str(httpx.QueryParams(params))

    def metrics(self) -> dict[str, float]:
        """The server's Prometheus samples by name with labels; empty if /metrics is not readable."""
        response = httpx.get(self.base + "/metrics", headers={"Authorization": f"Bearer {self.metrics_token}"})
        if response.status_code != 200:
            return {}
        samples: dict[str, float] = {}
        for line in response.text.splitlines():
            if line and not line.startswith("#"):
                name, _, value = line.rpartition(" ")
                samples[name] = samples.get(name, 0.0) + float(value)
        return samples

    def cpu_seconds(self) -> float:
        """User + system CPU seconds the server and its worker processes have used so far (Linux /proc)."""
        pids = [self.proc.pid]
        children = Path(f"/proc/{self.proc.pid}/task/{self.proc.pid}/children")
        if children.exists():
            pids += [int(p) for p in children.read_text().split()]
        return sum(process_cpu(pid) for pid in pids)

    def stop(self) -> None:
        self.proc.terminate()
        try:
            self.proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.proc.kill()


def process_cpu(pid: int) -> float:
    """User + system CPU seconds of process ``pid`` so far (0 when it is gone)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def stream(server: Server, fmt: str) -> tuple[int, float, float]:
    """Every page of the dataset in ``fmt``: (rows, seconds of the first page, seconds of all)."""
    params: dict[str, Any] = {"purpose": "case-verification", "format": fmt, "limit": PAGE, "columns": COLUMNS}
    rows, first, started = 0, 0.0, time.perf_counter()
    with httpx.Client(timeout=600) as http:
        while True:
            response = http.get(f"{server.base}/v1/datasets/{SUBSIDY}/rows", params=params, headers=server.headers)
            assert response.status_code == 200, response.text[:300]
            first = first or time.perf_counter() - started
            receipt = decode_receipt(response.headers["X-Hub-Receipt"])
            assert receipt["response_sha256"] == hashlib.sha256(response.content).hexdigest()
            rows += int(receipt["rows"])
            link = response.headers.get("Link")
            if not link:
                return rows, first, time.perf_counter() - started
            params["cursor"] = link.split("cursor=")[1].split(">")[0]


def baseline(path: str, fmt: str) -> tuple[int, float]:
    """DuckDB reads the same columns of the snapshot and writes the same format (hashed, as the hub does)."""
    cols = [f'"{c}"' for c in COLUMNS.split(",")]
    started = time.perf_counter()
    con = duckdb.connect()
    if fmt == "ndjson":
        packed = ", ".join(f"{c} := {c}" for c in cols)
        sql = f"SELECT to_json(struct_pack({packed})) AS __json FROM read_parquet(?)"
    else:
        sql = f"SELECT {', '.join(cols)} FROM read_parquet(?)"
    table = con.execute(sql, [path]).to_arrow_table()
    digest = formats.Digest()
    for _ in digest.wrap(formats.encode(fmt, table, None)):
        pass
    return table.num_rows, time.perf_counter() - started


def bulk(world: World, path: str, workers: int, repeat: int) -> None:
    print(f"(a) {world_rows(path):,} subsidy rows, province partner (ID pseudonymised, name/phone/card masked), "
          f"pages of {PAGE:,}, {len(COLUMNS.split(','))} columns")
    for fmt in ("arrow", "ndjson"):
        server = Server(world, workers)  # a fresh server: its first page is cold
        try:
            rows, cold, _ = stream(server, fmt)
            warm = max(rows / stream(server, fmt)[2] for _ in range(repeat))
        finally:
            server.stop()
        base_rows, _ = baseline(path, fmt)
        base = max(base_rows / baseline(path, fmt)[1] for _ in range(repeat))
        assert base_rows == rows, (base_rows, rows)
        target = "   (targets: >= 1,500,000 rows/s, >= 0.5x)" if fmt == "arrow" else "   (target: >= 0.5x)"
        print(f"    {fmt:<6} warm {warm:>12,.0f} rows/s  baseline {base:>12,.0f} rows/s  ratio {warm / base:.2f}x"
              f"{target}\n           cold first page (snapshot read + view built"
              f"{' + JSON rendition' if fmt == 'ndjson' else ''}): {cold:.2f} s")


def world_rows(path: str) -> int:
    row = duckdb.connect().execute("SELECT count(*) FROM read_parquet(?)", [path]).fetchone()
    return int(row[0]) if row else 0


def audit_records(world: World) -> int:
    with world.store.session() as session:
        return int(session.scalar(select(func.count()).select_from(AuditRecord)) or 0)


def small_pages(world: World, seconds: float, connections: int, workers: int) -> None:
    server = Server(world, workers)
    bare_port = free_port()
    body_file = Path(tempfile.mkdtemp()) / "rows.json"
    try:
        url = server.rows_url(purpose="case-verification", limit=100)
        first = httpx.get(url, headers=server.headers, timeout=600)  # cold: the view is built
        assert first.status_code == 200, first.text[:300]
        body_file.write_bytes(first.content)
        app_file = body_file.with_name("bare.py")
        app_file.write_text(BARE_APP)
        bare = subprocess.Popen([sys.executable, "-c",
                                 f"import sys; sys.argv = ['bare', {str(body_file)!r}]; "
                                 f"exec(open({str(app_file)!r}).read()); import uvicorn; "
                                 f"uvicorn.run(app, port={bare_port}, access_log=False, log_level='warning')"])
        try:
            wait_up(f"http://127.0.0.1:{bare_port}/sync", bare)
            warm = run_hey(url, 2, connections, server.headers)  # warm-up: one-off costs out of the way
            if not warm.clean:
                print(f"    warning: the warm-up run was not all 200: {warm.histogram()}")
            before, records, cpu = server.metrics(), audit_records(world), server.cpu_seconds()
            hub = run_hey(url, seconds, connections, server.headers)
            cpu = server.cpu_seconds() - cpu
            after, records = server.metrics(), audit_records(world) - records
            bare_cpu = [process_cpu(bare.pid)]
            sync = run_hey(f"http://127.0.0.1:{bare_port}/sync", seconds, connections)
            bare_cpu.append(process_cpu(bare.pid))
            asyn = run_hey(f"http://127.0.0.1:{bare_port}/async", seconds, connections)
            bare_cpu.append(process_cpu(bare.pid))
        finally:
            bare.terminate()
            bare.wait(timeout=30)
    finally:
        server.stop()
    ceiling = max(sync.rps, asyn.rps)
    delta = {k: after.get(k, 0.0) - before.get(k, 0.0) for k in after}
    met = hub.rps >= 2000 and hub.p99_ms <= 50
    print("    load average (1, 5, 15 min) at the end of the runs: " + ", ".join(f"{x:.2f}" for x in os.getloadavg()))
    verdict = ("targets MET" if met else "targets MISSED") if hub.clean else \
        "targets NOT JUDGED: some responses were not 200 (see the histogram)"
    print(f"(b) 100-row JSON pages, hey -c {connections} for {seconds:.0f} s, hub serve with {workers} worker(s), "
          f"awareness detectors off (HUB_AWARENESS_WATCH=false)\n"
          f"    full path  {hub.rps:>8,.0f} req/s (200s only)  p50 {hub.p50_ms:6.1f} ms  p99 {hub.p99_ms:6.1f} ms   "
          f"(targets: >= 2,000 req/s, p99 <= 50 ms: {verdict})\n"
          f"               {hub.histogram()}\n"
          f"    bare FastAPI, pre-built bytes: sync {sync.rps:>8,.0f} req/s (p99 {sync.p99_ms:.1f} ms)  "
          f"async {asyn.rps:>8,.0f} req/s (p99 {asyn.p99_ms:.1f} ms)"
          f"{'' if sync.clean and asyn.clean else '  NOT ALL 200: ' + sync.histogram() + ' / ' + asyn.histogram()}\n"
          f"    ratio to the ceiling (the faster bare route): {hub.rps / ceiling:.2f}x")
    served = hub.ok or 1
    print(f"    server CPU per request: hub {cpu * 1e3 / served:.2f} ms (all server processes, user + system); "
          f"bare sync {(bare_cpu[1] - bare_cpu[0]) * 1e3 / max(1, sync.ok):.2f} ms, "
          f"async {(bare_cpu[2] - bare_cpu[1]) * 1e3 / max(1, asyn.ok):.2f} ms")
    print(f"    audit records per request: {records / served:.2f}", end="")
    if not delta:
        print("   (/metrics not readable with the operator's token: no appends, cache or page counts)")
        return
    if workers > 1:  # /metrics answers from whichever worker takes the request: counts of one process
        print(f"   (with {workers} workers /metrics shows one worker's counts: ratios below are of that worker)")
        served = int(metric(delta, "hub_exchange_pages_total")) or served
    appends = metric(delta, "hub_audit_append_seconds_count")
    print(f"   audit appends (batches) per request: {appends / served:.2f}")
    hits, misses = metric(delta, "hub_decision_cache_total", 'outcome="hit"'), metric(
        delta, "hub_decision_cache_total", 'outcome="miss"')
    rate = f"{hits / (hits + misses):.4f} ({hits:,.0f} hits, {misses:,.0f} misses)" if hits + misses else \
        "not exposed by this build's /metrics"
    print(f"    decision-cache hit rate: {rate}")
    tokens = metric(delta, "hub_token_cache_total", 'outcome="hit"'), metric(delta, "hub_token_cache_total",
                                                                            'outcome="miss"')
    if sum(tokens):
        print(f"    token-cache hit rate: {tokens[0] / sum(tokens):.4f}")
    from_views = metric(delta, "hub_exchange_pages_total", 'source="view"')
    print(f"    pages cut from masked views: {from_views:,.0f} of {served:,} responses")
    on_loop = metric(delta, "hub_exchange_prepared_total", 'where="loop"')
    in_thread = metric(delta, "hub_exchange_prepared_total", 'where="thread"')
    if on_loop + in_thread:
        print(f"    pages prepared on the event loop (warm, hub.inline): {on_loop:,.0f}; in a worker thread: "
              f"{in_thread:,.0f}")


def metric(samples: dict[str, float], name: str, label: str = "") -> float:
    """The sum of the samples of ``name`` (whatever their labels, or those carrying ``label``)."""
    return sum(v for k, v in samples.items() if k.split("{", 1)[0] == name and label in k)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--home", type=Path, required=True, help="a HUB_HOME after `hub run` (see above)")
    parser.add_argument("--scale", type=int, default=1_000_000, help="subsidy rows to serve")
    parser.add_argument("--seconds", type=float, default=20.0, help="duration of each hey run in (b)")
    parser.add_argument("--connections", type=int, default=32, help="hey -c in (b)")
    parser.add_argument("--workers", type=int, default=1, help="server processes")
    parser.add_argument("--repeat", type=int, default=2, help="warm passes in (a) (the best is kept)")
    parser.add_argument("--only", choices=("a", "b"), default=None, help="run one part")
    args = parser.parse_args()
    require_hey()
    work = Path(tempfile.mkdtemp(prefix="hub-bench-"))
    world = build_world(args.home, work / "home", max_rows=10**12)
    try:
        path = scale_snapshot(world, args.scale)
        world.audit.close()
        if args.only in (None, "a"):
            bulk(world, path, args.workers, args.repeat)
        if args.only in (None, "b"):
            small_pages(world, args.seconds, args.connections, args.workers)
    finally:
        world.store.dispose()
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
