"""``hub demo --no-serve`` end to end: seeded, run, actors and grants, two partners' views over HTTP."""

from __future__ import annotations

import io
import os
import re
from datetime import UTC, datetime
from pathlib import Path

from rich.console import Console
from sqlalchemy import select

from hub import demo
from hub.audit import verify_chain
from hub.console import links, stats
from hub.keys import KeyStore
from hub.settings import get_settings
from hub.store import open_store
from hub.store.models import Grant, Officer, Partner
from tests.test_home import exposed


def test_demo_ends_in_a_working_exchange(hub_home: Path, monkeypatch):
    monkeypatch.setattr(demo, "SCALE", 300)
    out = io.StringIO()
    caller_umask = os.umask(0o022)  # a caller whose files would be 0644 (issue 23, point 6)
    try:
        demo.run_demo(serve=False, port=0, console=Console(file=out, width=200))
    finally:
        os.umask(caller_umask)
    text = out.getvalue()
    assert exposed(hub_home) == [], "files under HUB_HOME readable by group or others"
    store = open_store(get_settings().metadata_url)
    with store.session() as s:
        assert {p.id for p in s.scalars(select(Partner))} == set(demo.PARTNERS)
        assert {o.id for o in s.scalars(select(Officer))} == set(demo.OFFICERS)
        grants = list(s.scalars(select(Grant)))
    assert len(grants) == len(demo.GRANTS)
    assert all({a["officer"] for a in g.approvals} >= {"finance-owner", "security-1"} for g in grants)
    assert all(a["kid"] and a["statement"] for g in grants for a in g.approvals)
    # the demo made and holds the officers' keys, and says so; every officer action is signed
    assert "holds their keys" in " ".join(text.split())
    report = verify_chain(store, KeyStore(get_settings().keys_dir))
    # 2 bootstraps, security-2 enrolled by two (1 waiting + 2), two approvals per grant, the console login
    assert report.ok and report.officer_signatures == 5 + 2 * len(demo.GRANTS) + 1, report.summary()
    # the demo prints a one-time console link for security-1, and the overview counts the demo's deliveries
    link = re.search(r"(http://127\.0\.0\.1:\d+/console/login/\S+)", text)
    assert link, text[-800:]
    with store.session() as s:
        officer = links.redeem(s, link.group(1).rsplit("/", 1)[1], secret=links.console_secret(get_settings().keys_dir))
        assert officer.id == "security-1"
        hourly, _ = stats.traffic(s, datetime.now(UTC))
    assert sum(hourly.deliveries) >= len(demo.PARTNERS) and sum(hourly.rows) > 0
    # the side-by-side: county partner sees the name it holds a clear grant for, the province a mask
    assert "finance.subsidy_payment, payment_id" in text
    assert "*" in text and "ps_" in text
    # a second run is idempotent: no duplicate actors or grants
    demo.run_demo(serve=False, port=0, console=Console(file=io.StringIO(), width=200))
    with store.session() as s:
        assert len(list(s.scalars(select(Grant)))) == len(demo.GRANTS)


_SERVE = """
from hub import demo

async def app(scope, receive, send):  # any ASGI app: what is under test is how the demo waits
    if scope["type"] == "http":
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": b"up"})

server = demo._Server(app, demo._bind(0))
server.start()
print(server.sock.getsockname()[1], flush=True)
demo.serve_until_stopped(server)
server.stop()
print("stopped cleanly", flush=True)
"""


def test_the_served_demo_stops_cleanly_on_sigterm(hub_home: Path) -> None:
    """uvicorn runs in a thread in `hub demo`, where it installs no signal handler of its own: a
    service manager's SIGTERM must still stop it the way Ctrl-C does (the audit log closed after)."""
    import signal
    import subprocess
    import sys

    import httpx

    proc = subprocess.Popen([sys.executable, "-c", _SERVE], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True, env={**os.environ, "HUB_HOME": str(hub_home)})
    try:
        assert proc.stdout is not None
        port = int(proc.stdout.readline())
        assert httpx.get(f"http://127.0.0.1:{port}/", timeout=10).text == "up"
        proc.send_signal(signal.SIGTERM)
        out, err = proc.communicate(timeout=30)
    finally:
        proc.kill()
    assert proc.returncode == 0, err[-2000:]
    assert "stopped cleanly" in out
