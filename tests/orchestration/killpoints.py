"""``hub run`` in a child process that stops at a chosen point, so a test can ``kill -9`` it there.

The child patches one function of the hub before running the real ``hub run``: when
the chosen point is reached it writes its pid (and, in a redaction-pool worker, the
worker's pid) to a marker file and sleeps, holding whatever it holds (an open DuckDB
transaction, a half-run SQLMesh plan, uncommitted snapshots, a busy redaction pool).
The test waits for the marker (an event, bounded by a deadline), then kills.

Points:
- ``ingest``: inside the load of the fourth raw resource, after its first batch
  (three resources committed, one transaction open);
- ``transform``: after SQLMesh evaluated five models of its run;
- ``publish``: inside a redaction-pool worker, during the publish stage (some
  snapshots written, none committed).  The pool is forced on for any input size.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

CHILD = r'''
import os, sys, time
from pathlib import Path

point, marker = sys.argv[1], Path(sys.argv[2])

def stop_here(what):
    with marker.open("a") as fh:
        fh.write(f"{what} {os.getpid()}\n")
    time.sleep(3600)

if point == "ingest":
    import hub.warehouse as warehouse
    real, calls = warehouse.ingest_resource, []

    def ingest_resource(*args, **kwargs):
        calls.append(1)
        if len(calls) == 4:
            kwargs["on_batch"] = lambda batch, rows: stop_here("ingest")
        return real(*args, **kwargs)

    warehouse.ingest_resource = ingest_resource
elif point == "transform":
    import hub.transform as transform
    real_progress, seen = transform._RecordingConsole.update_snapshot_evaluation_progress, []

    def progress(self, *args, **kwargs):
        real_progress(self, *args, **kwargs)
        seen.append(1)
        if len(seen) == 5:
            stop_here("transform")

    transform._RecordingConsole.update_snapshot_evaluation_progress = progress
elif point == "publish":
    import catalog.redact as redact
    redact.IN_PROCESS_BELOW = 1

    def chunk(texts):
        stop_here("publish-worker")

    redact._redact_chunk = chunk

from hub.cli import main
sys.argv = ["hub", "run"]
main()
'''


def start(home: Path, point: str, marker: Path) -> subprocess.Popen[bytes]:
    """Start ``hub run`` on ``home`` in a child that stops at ``point``."""
    marker.unlink(missing_ok=True)
    env = {**os.environ, "HUB_HOME": str(home)}
    env.pop("HUB_DATABASE_URL", None)
    return subprocess.Popen([sys.executable, "-c", CHILD, point, str(marker)], env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)


def wait_for_marker(child: subprocess.Popen[bytes], marker: Path, deadline_s: float = 540) -> list[int]:
    """The pids written to ``marker`` once the child reached its point (fails if it exits first)."""
    deadline = time.monotonic() + deadline_s
    while time.monotonic() < deadline:
        if marker.exists() and marker.read_text().endswith("\n"):
            return [int(line.split()[1]) for line in marker.read_text().splitlines()]
        if child.poll() is not None:
            err = child.stderr.read().decode(errors="replace")[-2000:] if child.stderr else ""
            raise AssertionError(f"hub run exited ({child.returncode}) before its kill point: {err}")
        time.sleep(0.05)
    raise AssertionError(f"hub run did not reach its kill point within {deadline_s} s")


def children(pid: int) -> list[int]:
    """Live processes whose parent is ``pid`` (from /proc)."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        fields = stat.rsplit(")", 1)[1].split()  # after "pid (comm)": state, ppid, ...
        if int(fields[1]) == pid and fields[0] != "Z":
            found.append(int(entry.name))
    return found


def alive(pid: int) -> bool:
    """Whether ``pid`` runs (a zombie does not)."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


def kill_9(child: subprocess.Popen[bytes]) -> None:
    os.kill(child.pid, signal.SIGKILL)
    assert child.wait() == -signal.SIGKILL
    if child.stderr:
        child.stderr.close()


def wait_gone(pids: list[int], deadline_s: float = 60) -> list[int]:
    """The ``pids`` still alive once they all ended or the deadline passed (an event wait, not a timing)."""
    deadline = time.monotonic() + deadline_s
    while time.monotonic() < deadline:
        left = [p for p in pids if alive(p)]
        if not left:
            return []
        time.sleep(0.05)
    return [p for p in pids if alive(p)]
