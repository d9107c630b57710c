"""The hub's SQLite write lock: held across processes (flock beside the store), freed by a killed holder."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
from pathlib import Path

from hub.store.db import sqlite_write_lock

PROBE = """
import fcntl, os, sys
fd = os.open(sys.argv[1], os.O_RDWR | os.O_CREAT, 0o600)
try:
    fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
except BlockingIOError:
    print("busy")
else:
    print("free")
"""
HOLDER = """
import sys, time
from hub.store.db import sqlite_write_lock
with sqlite_write_lock(sys.argv[1]):
    print("held", flush=True)
    time.sleep(600)
"""


def probe(lock_file: Path) -> str:
    return subprocess.run([sys.executable, "-c", PROBE, str(lock_file)], capture_output=True, text=True,
                          timeout=60).stdout.strip()


def test_another_process_waits_while_a_writer_holds_the_lock(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'hub.sqlite'}"
    lock_file = tmp_path / "hub.sqlite.write-lock"
    with sqlite_write_lock(url):
        assert probe(lock_file) == "busy"
    assert probe(lock_file) == "free"


def test_threads_of_one_process_take_turns(tmp_path: Path) -> None:
    lock = sqlite_write_lock(f"sqlite:///{tmp_path / 'hub.sqlite'}")
    inside, most = [0], [0]
    guard = threading.Lock()

    def write() -> None:
        for _ in range(200):
            with lock:
                with guard:
                    inside[0] += 1
                    most[0] = max(most[0], inside[0])
                with guard:
                    inside[0] -= 1

    threads = [threading.Thread(target=write) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert most[0] == 1


def test_a_killed_holder_does_not_leave_the_lock_held(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'hub.sqlite'}"
    holder = subprocess.Popen([sys.executable, "-c", HOLDER, url], stdout=subprocess.PIPE, text=True,
                              env={**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[2])})
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "held"
        assert probe(tmp_path / "hub.sqlite.write-lock") == "busy"
    finally:
        holder.send_signal(signal.SIGKILL)
        holder.wait(timeout=60)
        if holder.stdout is not None:
            holder.stdout.close()
    with sqlite_write_lock(url):  # would block for ever if the kernel had not released it
        pass
    assert probe(tmp_path / "hub.sqlite.write-lock") == "free"
