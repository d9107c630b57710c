"""Crash safety: SIGKILL during a burst of appends leaves a chain that verifies.

Every append that returned before the kill (the child printed its seq) must be there,
with the same request id; the chain verifies up to its last durable record.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys

from hub.audit import verify_chain
from hub.audit.query import get_record
from tests.audit.conftest import AuditEnv, event
from tests.audit.test_concurrency import APPENDER


def test_sigkill_mid_burst_loses_nothing_acknowledged(audit_env: AuditEnv) -> None:
    url = str(audit_env.store.engine.url)
    acknowledged: dict[int, str] = {}
    with subprocess.Popen([sys.executable, str(APPENDER), url, str(audit_env.home / "keys"),
                           "crash", "100000", "4"], stdout=subprocess.PIPE, text=True) as child:
        assert child.stdout is not None
        for line in child.stdout:
            request_id, seq = line.split()
            acknowledged[int(seq)] = request_id
            if len(acknowledged) >= 300:
                os.kill(child.pid, signal.SIGKILL)
                break
        child.wait(timeout=60)
    assert child.returncode == -signal.SIGKILL
    report = verify_chain(audit_env.store, audit_env.keys)
    assert report.ok, report.summary()
    assert report.last_seq is not None and report.last_seq >= max(acknowledged)
    for seq, request_id in acknowledged.items():
        record = get_record(audit_env.store, seq)
        assert record is not None and record.request_id == request_id
    assert audit_env.log.append(event(0, request_id="after")).seq == report.last_seq + 1


