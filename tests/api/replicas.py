"""Real ``hub serve`` processes on one metadata store, and clients for them.

``pg_home(src, dst, url)`` copies a HUB_HOME made by a real ``hub run`` and moves its
metadata (catalog, versions, audit chain…) into the PostgreSQL database at ``url``, as
an operator moving to the scale-out shape would.  ``Server.start`` runs ``hub serve
--port 0`` (optionally ``--workers N``) as a child process and reads the port uvicorn
logs; ``Server.kill`` is ``kill -9``.
"""

from __future__ import annotations

import os
import re
import shutil
import signal
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import func, insert, select, text

from hub.store.db import open_store
from hub.store.models import Base
from tests.api.conftest import ASSERTION_TYPE, Client

HUB = str(Path(sys.executable).parent / "hub")
PUBLIC_URL = "http://hub.test"
_RUNNING = re.compile(rb"Uvicorn running on http://127\.0\.0\.1:(\d+)")


def copy_metadata(src_url: str, dst_url: str) -> None:
    """Every row of every table of the store at ``src_url`` into the (migrated) store at ``dst_url``."""
    src, dst = open_store(src_url), open_store(dst_url)
    try:
        with src.engine.connect() as read, dst.engine.begin() as write:
            for table in Base.metadata.sorted_tables:
                rows = [dict(r._mapping) for r in read.execute(select(table))]
                if table.name == "hub_identity":  # the same hub, moved: its id, not the one migration 0016 made
                    write.execute(table.delete())
                if rows:
                    write.execute(insert(table), rows)
                column = table.autoincrement_column
                if column is not None:  # explicit ids do not move PostgreSQL's sequences: move them
                    top = write.execute(select(func.max(column))).scalar()
                    if top is not None:
                        write.execute(text("SELECT setval(pg_get_serial_sequence(:t, :c), :n)"),
                                      {"t": table.name, "c": column.name, "n": top})
    finally:
        src.dispose()
        dst.dispose()


def pg_home(src: Path, dst: Path, url: str) -> None:
    """A copy of the HUB_HOME ``src`` at ``dst`` whose metadata store is PostgreSQL at ``url``."""
    shutil.copytree(src, dst)
    copy_metadata(f"sqlite:///{dst / 'hub.sqlite'}", url)
    (dst / "hub.sqlite").unlink()


@dataclass
class Server:
    """One ``hub serve`` child process."""

    proc: subprocess.Popen[bytes]
    url: str
    log: Path
    killed: bool = field(default=False)

    @classmethod
    def start(cls, env: dict[str, str], log: Path, workers: int = 1, timeout_s: float = 120) -> Server:
        with log.open("wb") as sink:
            proc = subprocess.Popen([HUB, "serve", "--port", "0", "--workers", str(workers)],
                                    env=env, stdout=sink, stderr=subprocess.STDOUT, start_new_session=True)
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            found = _RUNNING.search(log.read_bytes())
            if found:
                server = cls(proc, f"http://127.0.0.1:{int(found.group(1))}", log)
                server.wait_ready(deadline)
                return server
            if proc.poll() is not None:
                break
            time.sleep(0.1)
        proc.kill()
        raise RuntimeError(f"hub serve did not start: {log.read_text(errors='replace')[-2000:]}")

    def wait_ready(self, deadline: float) -> None:
        while time.monotonic() < deadline:
            try:
                if httpx.get(f"{self.url}/healthz", timeout=5).status_code == 200:
                    return
            except httpx.TransportError:
                pass
            time.sleep(0.1)
        self.stop()
        raise RuntimeError(f"hub serve never became healthy: {self.log.read_text(errors='replace')[-2000:]}")

    def kill(self) -> None:
        """``kill -9`` the server (its whole process group, workers included)."""
        os.killpg(self.proc.pid, signal.SIGKILL)
        self.proc.wait(timeout=30)
        self.killed = True

    def stop(self) -> None:
        if self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.kill()


def server_env(home: Path, database_url: str | None, **settings: Any) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("HUB_")}
    env.update(HUB_HOME=str(home), HUB_PUBLIC_URL=PUBLIC_URL)
    if database_url:
        env["HUB_DATABASE_URL"] = database_url
    env.update({f"HUB_{k.upper()}": str(v) for k, v in settings.items()})
    return env


def token(base_url: str, who: Client) -> str:
    """An access token from ``base_url`` (the audience is the shared public URL)."""
    response = httpx.post(f"{base_url}/oauth/token", timeout=30, data={
        "grant_type": "client_credentials", "client_assertion_type": ASSERTION_TYPE,
        "client_assertion": who.assertion(aud=f"{PUBLIC_URL}/oauth/token")})
    assert response.status_code == 200, response.text
    return str(response.json()["access_token"])
