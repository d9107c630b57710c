"""Benchmark: durable audit appends/s with 1, 8 and 64 concurrent writers on SQLite.

Three ways to write the same record with the same durability (WAL, synchronous=FULL,
nothing acknowledged before its commit), measured in the same run on the same disk:

* ``group``   — ``hub.audit.AuditLog.append``: hash-chained, one writer thread, group commit;
* ``plain``   — a plain un-chained INSERT, one commit per insert, one connection per writer;
* ``chained`` — hash-chained without group commit: each writer BEGIN IMMEDIATE, reads the
  head, inserts, commits (what a naive chained log does).

Each configuration runs for ``--seconds``; ratios are printed against ``plain``.
Usage: ``python bench/audit.py [--seconds 3] [--writers 1,8,64] [--dir DIR]``.
"""

from __future__ import annotations

import argparse
import json
import shutil
import sqlite3
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path

from hub.audit import AuditLog, CheckpointPolicy, verify_chain
from hub.audit.record import chain, event_fields
from hub.events import AuditEvent
from hub.keys import KeyStore
from hub.store import open_store

EVENT = AuditEvent(
    "data.delivery", subject="partner:hz-xihu-jw", action="read", request_id="r-0123456789abcdef",
    dataset="finance.subsidy_payment", dataset_version="v12", purpose="case-verification",
    decision="allow", reasons=["grant g-17 covers purpose case-verification"], grant="g-17",
    rows=1000, response_sha256="a" * 64, client_ip="127.0.0.1", details={"format": "csv"},
)
FIELDS = event_fields(EVENT)
COLUMNS = ["seq", "ts", "event", "subject", "action", "request_id", "dataset", "dataset_version",
           "purpose", "decision", "reasons", "grant", "policy_revision", "obligations_digest", "rows",
           "response_sha256", "client_ip", "details", "prev_hash", "hash"]


CPU_US: dict[str, float] = {}  # process CPU time per operation of the last run of each kind


def timed(writers: int, seconds: float, make_worker: Callable[[], Callable[[], None]],
          kind: str = "") -> float:
    """Run ``writers`` threads calling their worker until time is up; return completed ops/s."""
    stop = threading.Event()
    counts = [0] * writers

    def loop(i: int) -> None:
        work = make_worker()
        while not stop.is_set():
            work()
            counts[i] += 1

    threads = [threading.Thread(target=loop, args=(i,)) for i in range(writers)]
    start, cpu = time.perf_counter(), time.process_time()
    for t in threads:
        t.start()
    time.sleep(seconds)
    stop.set()
    for t in threads:
        t.join()
    CPU_US[kind] = (time.process_time() - cpu) / max(1, sum(counts)) * 1e6
    return sum(counts) / (time.perf_counter() - start)


def connect(path: Path) -> sqlite3.Connection:
    conn = sqlite3.connect(path, timeout=60, isolation_level=None, check_same_thread=False)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("PRAGMA synchronous=FULL")
    return conn


def bench_group(folder: Path, writers: int, seconds: float) -> float:
    store = open_store(f"sqlite:///{folder / 'group.sqlite'}")
    log = AuditLog(store, KeyStore(folder / "keys"), policy=CheckpointPolicy(every=1000, seconds=60))
    rate = timed(writers, seconds, lambda: lambda: log.append(EVENT) and None, "group")
    log.close()
    report = verify_chain(store, KeyStore(folder / "keys"))
    assert report.ok, report.summary()
    store.dispose()
    return rate


def bench_plain(folder: Path, writers: int, seconds: float) -> float:
    path = folder / "plain.sqlite"
    setup = connect(path)
    cols = ", ".join(f'"{c}"' for c in COLUMNS[1:-2])
    setup.execute(f"CREATE TABLE plain (id INTEGER PRIMARY KEY, {cols})")
    row = tuple(json.dumps(FIELDS[c]) if c in ("reasons", "details") else FIELDS.get(c, "")
                for c in COLUMNS[1:-2])
    sql = f"INSERT INTO plain ({cols}) VALUES ({', '.join('?' * len(row))})"

    def worker() -> Callable[[], None]:
        conn = connect(path)

        def insert() -> None:
            conn.execute("BEGIN")
            conn.execute(sql, row)
            conn.execute("COMMIT")

        return insert

    return timed(writers, seconds, worker)


def bench_chained(folder: Path, writers: int, seconds: float) -> float:
    path = folder / "chained.sqlite"
    open_store(f"sqlite:///{path}").dispose()
    names = ", ".join(f'"{c}"' for c in COLUMNS)
    sql = f"INSERT INTO audit_records ({names}) VALUES ({', '.join('?' * len(COLUMNS))})"

    def worker() -> Callable[[], None]:
        conn = connect(path)

        def append() -> None:
            conn.execute("BEGIN IMMEDIATE")
            head = conn.execute("SELECT seq, hash FROM audit_records ORDER BY seq DESC LIMIT 1").fetchone()
            seq, prev = head if head else (0, "0" * 64)
            record = chain(FIELDS, seq + 1, prev, time.strftime("%Y-%m-%dT%H:%M:%S+00:00"))
            conn.execute(sql, tuple(json.dumps(record[c]) if c in ("reasons", "details") else record[c]
                                    for c in COLUMNS))
            conn.execute("COMMIT")

        return append

    return timed(writers, seconds, worker)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=3.0)
    parser.add_argument("--writers", default="1,8,64")
    parser.add_argument("--dir", type=Path, default=Path("."), help="where the databases go (a real disk)")
    args = parser.parse_args()
    print(f"{'writers':>7} {'group appends/s':>16} {'plain inserts/s':>16} {'chained no-group/s':>19} "
          f"{'group/plain':>11} {'group/chained':>13} {'group CPU us/append':>19}")
    for writers in (int(w) for w in args.writers.split(",")):
        folder = Path(tempfile.mkdtemp(prefix="hub-bench-audit-", dir=args.dir))
        try:
            group = bench_group(folder, writers, args.seconds)
            plain = bench_plain(folder, writers, args.seconds)
            chained = bench_chained(folder, writers, args.seconds)
        finally:
            shutil.rmtree(folder, ignore_errors=True)
        print(f"{writers:>7} {group:>16,.0f} {plain:>16,.0f} {chained:>19,.0f} "
              f"{group / plain:>10.2f}x {group / chained:>12.2f}x {CPU_US['group']:>19.0f}", flush=True)
        if writers == 64:
            verdict = "meets" if group >= 10_000 else "MISSES"
            print(f"target >= 10,000 durable appends/s at 64 writers: {verdict} ({group:,.0f}/s)")


if __name__ == "__main__":
    main()
