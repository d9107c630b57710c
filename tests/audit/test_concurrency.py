"""Many writers — threads and processes, SQLite and PostgreSQL — never fork or lose the chain."""

from __future__ import annotations

import subprocess
import sys
import threading
from pathlib import Path

import pytest

from hub.audit import AuditLog, CheckpointPolicy, verify_chain
from hub.keys import KeyStore
from hub.store import Store, open_store
from tests.audit.conftest import AuditEnv, event

APPENDER = Path(__file__).with_name("appender.py")


def hammer(log: AuditLog, writers: int, each: int) -> list[int]:
    seqs: list[int] = []
    lock = threading.Lock()

    def work(w: int) -> None:
        mine = [log.append(event(i, request_id=f"{w}-{i}")).seq for i in range(each)]
        with lock:
            seqs.extend(mine)

    pool = [threading.Thread(target=work, args=(w,)) for w in range(writers)]
    for t in pool:
        t.start()
    for t in pool:
        t.join()
    return seqs


def assert_exact_chain(store: Store, keys: KeyStore, seqs: list[int], total: int) -> None:
    assert sorted(seqs) == list(range(1, total + 1))  # every append got its own seq, no gap
    report = verify_chain(store, keys)
    assert report.ok, report.summary()
    assert report.records == total


def test_8_threads_x_2000_appends_sqlite(fast_env: AuditEnv) -> None:
    seqs = hammer(fast_env.log, 8, 2000)
    assert_exact_chain(fast_env.store, fast_env.keys, seqs, 16000)


@pytest.mark.postgres
def test_8_threads_on_postgresql(postgres_url: str, tmp_path: Path) -> None:
    store = open_store(postgres_url)
    keys = KeyStore(tmp_path / "keys")
    with AuditLog(store, keys, policy=CheckpointPolicy(every=100)) as log:
        seqs = hammer(log, 8, 150)
        with store.session() as session:  # the in-transaction sink serializes with the writer
            log.sink(session, event(0, event="grant.created"))
    assert_exact_chain(store, keys, [*seqs, 1201], 1201)
    store.dispose()


def run_appenders(url: str, keys_dir: Path, procs: int, count: int, threads: int) -> list[str]:
    children = [subprocess.Popen([sys.executable, str(APPENDER), url, str(keys_dir), f"p{n}",
                                  str(count), str(threads)], stdout=subprocess.PIPE, text=True)
                for n in range(procs)]
    lines = []
    for child in children:
        out, _ = child.communicate(timeout=120)
        assert child.returncode == 0
        lines.extend(out.split())
    return lines


def test_several_processes_share_one_chain_sqlite(fast_env: AuditEnv) -> None:
    url = str(fast_env.store.engine.url)
    fast_env.fill(3)  # the parent's writer holds a connection too
    lines = run_appenders(url, fast_env.home / "keys", procs=2, count=50, threads=2)
    seqs = [int(s) for s in lines[1::2]]
    assert_exact_chain(fast_env.store, fast_env.keys, [1, 2, 3, *seqs], 203)
    # the parent's writer last wrote seq 3: it must find the head the children moved
    assert fast_env.log.append(event(0)).seq == 204
    assert_exact_chain(fast_env.store, fast_env.keys, [1, 2, 3, *seqs, 204], 204)


@pytest.mark.postgres
def test_several_processes_share_one_chain_postgresql(postgres_url: str, tmp_path: Path) -> None:
    store = open_store(postgres_url)
    keys = KeyStore(tmp_path / "keys")
    lines = run_appenders(postgres_url, tmp_path / "keys", procs=2, count=50, threads=2)
    assert_exact_chain(store, keys, [int(s) for s in lines[1::2]], 200)
    store.dispose()
