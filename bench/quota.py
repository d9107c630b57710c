"""Benchmark: the daily-budget reservation on the hot path, on SQLite and PostgreSQL.

    .venv/bin/python bench/quota.py [--n 2000] [--workers 4] [--seconds 3] [--no-postgres]

Per backend, in the same run and on the same store:

- sequential cost of one request's ledger work: ``Ledger.reserve`` (the conditional
  charge and the reservation record: one statement on PostgreSQL, one write transaction
  on SQLite) against three baselines — a ``SELECT 1`` round trip (the floor of any store
  call), a one-row ``INSERT`` committed the way the ledger commits (no wait for its own
  flush: the baseline of the ratio) and the same insert committed durably (an fsync: what
  a per-request durable charge would cost); a short page's ``settle`` (one more write; a
  full page's needs none on the request path); off the request path, per reservation:
  the sweep's deletion of settled full pages (``flush_confirmed``, 500 per statement)
  and ``reconcile`` of reservations left by a crashed process, confirmed from the audit
  log's delivery records in batches of 2000;
- ``--threads`` threads of ONE process reserving at once on one grant (one API process
  under many connections), and ``--workers`` processes reserving at once, all on ONE
  grant (every replica serving one partner: they queue on that grant-day's row) and each
  on its own grant; each against the same threads or processes doing the baseline insert,
  for ``--seconds``.

PostgreSQL is the local server (README, "Tests and PostgreSQL"); a fresh database is
made and dropped.  The full request path with and without two replicas is measured by
``bench/exchange.py`` (``hey``); this script isolates what the ledger adds to it.
"""

from __future__ import annotations

import argparse
import multiprocessing
import os
import statistics
import tempfile
import time
import uuid
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from sqlalchemy import text

from hub.policy import Quota
from hub.store.db import Store, open_store

BIG = 10**15  # a budget no benchmark reaches
LEASE_S, APPEND_BOUND_S = 60.0, 15.0


def _pct(samples: list[float], q: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))] * 1e3


def _timed(n: int, step: Callable[[int], object]) -> list[float]:
    out = []
    for i in range(n):
        t0 = time.perf_counter()
        step(i)
        out.append(time.perf_counter() - t0)
    return out


def _ledger(store: Store):  # type: ignore[no-untyped-def]
    from hub.quota import Ledger

    return Ledger(store, lease_s=LEASE_S, append_bound_s=APPEND_BOUND_S)


def _scratch(store: Store) -> None:
    with store.engine.begin() as conn:
        conn.execute(text("CREATE TABLE IF NOT EXISTS bench_scratch (id VARCHAR(64) PRIMARY KEY, n BIGINT)"))


def _insert_relaxed(ledger) -> None:  # type: ignore[no-untyped-def]
    """A one-row insert through the ledger's own write path (driver connection, relaxed commit)."""
    from hub.quota.ledger import _for

    sql = _for(ledger.dialect, "INSERT INTO bench_scratch (id, n) VALUES (:id, 1)")
    ledger._write(lambda cur: cur.execute(sql, {"id": uuid.uuid4().hex}))


def _insert_durable(store: Store) -> None:
    """The same insert on the store's driver connection, committed durably (an fsync)."""
    from hub.quota.ledger import _for

    raw = store.engine.raw_connection()
    try:
        raw.cursor().execute(_for(store.engine.dialect.name, "INSERT INTO bench_scratch (id, n) VALUES (:id, 1)"),
                             {"id": uuid.uuid4().hex})
        raw.commit()
    finally:
        raw.close()


def sequential(store: Store, n: int) -> dict[str, list[float]]:
    """Interleaved batches of each operation, so machine noise hits every side alike."""
    _scratch(store)
    ledger = _ledger(store)
    quota = Quota("g-seq", BIG)
    results: dict[str, list[float]] = {"select 1": [], "insert (baseline)": [], "insert, durable": [],
                                       "reserve": [], "settle short page": []}

    def select_one(_: int) -> None:
        raw = ledger.engine.raw_connection()
        try:
            raw.cursor().execute("SELECT 1").fetchone()
        finally:
            raw.close()

    def insert_one(_: int) -> None:
        _insert_relaxed(ledger)

    def insert_durably(_: int) -> None:
        _insert_durable(store)

    held: list = []  # type: ignore[type-arg]

    def settle_one(_: int) -> None:
        ledger.settle(held.pop(), 7)

    for _ in range(n // 50):
        results["select 1"] += _timed(50, select_one)
        results["insert (baseline)"] += _timed(50, insert_one)
        results["insert, durable"] += _timed(50, insert_durably)
        results["reserve"] += _timed(50, lambda i: held.append(ledger.reserve(uuid.uuid4().hex, quota, 20)))
        results["settle short page"] += _timed(50, settle_one)
    ledger.dispose()
    return results


def flush_cost(store: Store, n: int) -> float:
    """Seconds per settled full page deleted by the sweep's ``flush_confirmed``."""
    ledger = _ledger(store)
    quota = Quota("g-flush", BIG)
    for _ in range(n):
        ledger.settle(ledger.reserve(uuid.uuid4().hex, quota, 20), 20)
    t0 = time.perf_counter()
    assert ledger.flush_confirmed() == n
    seconds = time.perf_counter() - t0
    ledger.dispose()
    return seconds / n


def reconcile_cost(store: Store, home: Path, n: int) -> float:
    """Seconds per reservation confirmed by one ``reconcile`` pass (delivery records present)."""
    from hub.audit import AuditLog
    from hub.events import DATA_DELIVERY, AuditEvent
    from hub.keys import KeyStore
    from hub.quota import reconcile

    ledger = _ledger(store)
    quota = Quota("g-rec", BIG)
    ids = [uuid.uuid4().hex for _ in range(n)]
    for rid in ids:
        ledger.reserve(rid, quota, 20)
    audit = AuditLog(store, KeyStore(home / "keys"))
    with ThreadPoolExecutor(max_workers=32) as pool:
        list(pool.map(lambda rid: audit.append(AuditEvent(DATA_DELIVERY, subject="partner:p", request_id=rid,
                                                          grant="g-rec", rows=20, decision="ok")), ids))
    audit.close()
    t0 = time.perf_counter()
    done = reconcile(store, grant="g-rec")
    seconds = time.perf_counter() - t0
    assert done.confirmed >= n, done
    ledger.dispose()
    return seconds / n


def _worker(url: str, mode: str, grant: str, seconds: float, start_at: float, out: object) -> None:
    store = open_store(url, migrate=False)
    ledger = _ledger(store)
    quota = Quota(grant, BIG)
    while time.time() < start_at:
        time.sleep(0.001)
    lat = []
    end = time.perf_counter() + seconds
    while time.perf_counter() < end:
        t0 = time.perf_counter()
        if mode == "reserve":
            ledger.reserve(uuid.uuid4().hex, quota, 20)
        else:
            _insert_relaxed(ledger)
        lat.append(time.perf_counter() - t0)
    ledger.dispose()
    store.dispose()
    out.put(lat)  # type: ignore[attr-defined]


def concurrent(url: str, mode: str, workers: int, seconds: float, one_grant: bool) -> tuple[float, float, float]:
    """(operations/s over all processes, p50 ms, p99 ms)."""
    ctx = multiprocessing.get_context("spawn")
    out = ctx.Queue()
    start_at = time.time() + 3.0  # every process imported and connected before the clock starts
    procs = [ctx.Process(target=_worker, args=(url, mode, "g-one" if one_grant else f"g-{w}", seconds,
                                               start_at, out)) for w in range(workers)]
    for p in procs:
        p.start()
    lat = [x for _ in procs for x in out.get(timeout=seconds + 120)]
    for p in procs:
        p.join()
    return len(lat) / seconds, _pct(lat, 0.5), _pct(lat, 0.99)


def threaded(store: Store, mode: str, threads: int, seconds: float) -> tuple[float, float, float]:
    """(operations/s over ``threads`` threads of this process, p50 ms, p99 ms), on one grant."""
    ledger = _ledger(store)
    quota = Quota("g-threads", BIG)

    def one(_: int) -> list[float]:
        lat = []
        end = time.perf_counter() + seconds
        while time.perf_counter() < end:
            t0 = time.perf_counter()
            if mode == "reserve":
                ledger.reserve(uuid.uuid4().hex, quota, 20)
            else:
                _insert_relaxed(ledger)
            lat.append(time.perf_counter() - t0)
        return lat

    with ThreadPoolExecutor(max_workers=threads) as pool:
        lat = [x for batch in pool.map(one, range(threads)) for x in batch]
    ledger.dispose()
    return len(lat) / seconds, _pct(lat, 0.5), _pct(lat, 0.99)


def run_backend(name: str, url: str, home: Path, args: argparse.Namespace) -> None:
    store = open_store(url)
    print(f"\n== {name} ==")
    seq = sequential(store, args.n)
    base = statistics.median(seq["insert (baseline)"])
    for label, samples in seq.items():
        p50 = statistics.median(samples)
        print(f"{label:<22} p50 {p50 * 1e3:7.3f} ms  p99 {_pct(samples, 0.99):7.3f} ms   "
              f"x{p50 / base:4.2f} of a one-row insert")
    print(f"{'settle full page':<22} no store write on the request path")
    per = flush_cost(store, min(args.n, 2000))
    print(f"{'sweep: settled rows':<22} {per * 1e6:7.1f} us per settled full page deleted (500 per statement)")
    per = reconcile_cost(store, home, min(args.n, 2000))
    print(f"{'sweep: crashed holder':<22} {per * 1e6:7.1f} us per reservation confirmed from the audit log "
          "(batches of 2000)")
    b_rate, b50, b99 = threaded(store, "insert", args.threads, args.seconds)
    r_rate, r50, r99 = threaded(store, "reserve", args.threads, args.seconds)
    print(f"{args.threads} threads, one process: insert {b_rate:8,.0f}/s  p50 {b50:6.2f} ms  p99 {b99:6.2f} ms;"
          f"  reserve {r_rate:8,.0f}/s  p50 {r50:6.2f} ms  p99 {r99:6.2f} ms   x{r_rate / b_rate:4.2f}")
    store.dispose()
    b_rate, b50, b99 = concurrent(url, "insert", args.workers, args.seconds, False)
    print(f"{args.workers} processes, one-row insert (baseline) {b_rate:8,.0f}/s  p50 {b50:6.2f} ms  p99 {b99:6.2f} ms")
    for one_grant in (True, False):
        where = "one grant" if one_grant else "a grant each"
        r_rate, r50, r99 = concurrent(url, "reserve", args.workers, args.seconds, one_grant)
        print(f"{args.workers} processes, reserve on {where:<12} {r_rate:8,.0f}/s  p50 {r50:6.2f} ms  "
              f"p99 {r99:6.2f} ms   x{r_rate / b_rate:4.2f} of the baseline rate")


def _postgres_db() -> tuple[str, Callable[[], None]] | None:
    try:
        import psycopg

        admin = psycopg.connect(dbname="postgres", autocommit=True, connect_timeout=3)
    except Exception as exc:  # noqa: BLE001 - a bench without PostgreSQL still runs SQLite
        print(f"(PostgreSQL unreachable, skipped: {exc!s:.80})")
        return None
    name = f"hub_bench_quota_{uuid.uuid4().hex[:8]}"
    admin.execute(f'CREATE DATABASE "{name}"')
    user = os.environ.get("USER") or "root"

    def drop() -> None:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.close()

    return f"postgresql+psycopg://{user}@/{name}?host=/var/run/postgresql", drop


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=2000, help="sequential operations per side")
    parser.add_argument("--workers", type=int, default=4, help="concurrent processes")
    parser.add_argument("--threads", type=int, default=16, help="concurrent threads of one process")
    parser.add_argument("--seconds", type=float, default=3.0, help="duration of each concurrent run")
    parser.add_argument("--no-postgres", action="store_true", help="SQLite only")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        home = Path(tmp)
        run_backend("SQLite (WAL; store FULL, ledger NORMAL)", f"sqlite:///{home / 'hub.sqlite'}", home, args)
        made = None if args.no_postgres else _postgres_db()
        if made is not None:
            url, drop = made
            try:
                run_backend("PostgreSQL 15 (local socket; ledger synchronous_commit=off)", url, home, args)
            finally:
                drop()


if __name__ == "__main__":
    main()
