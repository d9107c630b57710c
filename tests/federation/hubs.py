"""Two hubs on one machine for the federation tests: each its own HUB_HOME and its own ``hub serve``.

``make_hub`` copies a HUB_HOME a real ``hub run`` produced (both hubs hold the same
data, so a model run at one must yield exactly what it yields at the other), enrols
its officers (each holding its own key, ``tests.officer_desk``) and gives it its
federation identity.  ``Hub.serve`` starts ``hub serve --fd N`` as a separate process
on a socket this process bound to port 0 and listens on before the child starts:
the address is known at once and a request made before the server is ready waits in
the socket's backlog (no race, no polling window).
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

from hub import hubid
from hub.audit import AuditLog
from hub.federation import identity
from hub.settings import Settings, load_settings
from hub.store.db import Store, open_store
from tests.officer_desk import Desk

OFFICERS: dict[str, tuple[str, str | None]] = {
    "own-fin": ("owner", "finance"), "sec-1": ("security", None), "sec-2": ("security", None)}
STOP_TIMEOUT_S = 60


@dataclass
class Hub:
    """One hub: its home, settings, store and audit log (this process), officers, and its server."""

    name: str
    home: Path
    settings: Settings
    store: Store
    audit: AuditLog
    desk: Desk = field(default_factory=Desk)
    url: str = ""
    process: subprocess.Popen[bytes] | None = None
    listener: socket.socket | None = None  # bound, not yet handed to its server

    def bind(self) -> str:
        """Bind and listen on a free port (the server starts later, ``serve``); return the base URL."""
        self.listener = socket.socket()
        self.listener.bind(("127.0.0.1", 0))
        self.listener.listen(64)
        self.url = f"http://127.0.0.1:{self.listener.getsockname()[1]}"
        return self.url

    def serve(self) -> str:
        """Start ``hub serve`` on the inherited socket (bound now unless ``bind`` did); return its base URL."""
        if self.listener is None:
            self.bind()
        sock, self.listener = self.listener, None
        assert sock is not None
        env = {**os.environ, "HUB_HOME": str(self.home), "HUB_PUBLIC_URL": self.url}
        env.pop("HUB_DATABASE_URL", None)
        log = (self.home.parent / f"{self.name}-serve.log").open("wb")
        command = [str(Path(sys.executable).parent / "hub"), "serve", "--fd", str(sock.fileno())]
        self.process = subprocess.Popen(command, env=env, pass_fds=(sock.fileno(),), stdout=log,
                                        stderr=subprocess.STDOUT)
        sock.close()
        log.close()
        return self.url

    def get(self, path: str, **kw: Any) -> httpx.Response:
        return httpx.get(self.url + path, timeout=180, **kw)

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGINT)  # uvicorn's graceful stop
            try:
                self.process.wait(timeout=STOP_TIMEOUT_S)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.audit.close()
        self.store.dispose()

    def serve_log(self) -> str:
        path = self.home.parent / f"{self.name}-serve.log"
        return path.read_text(errors="replace") if path.exists() else ""


def make_hub(src: Path, root: Path, name: str, name_zh: str) -> Hub:
    """A copy of ``src`` as hub ``name`` with its officers and federation identity."""
    home = root / name
    shutil.copytree(src, home)
    settings = load_settings(home=home)
    store = open_store(settings.metadata_url)
    hub = Hub(name, home, settings, store, AuditLog.from_settings(store, settings))
    with store.session() as session:
        hubid.renew(session)  # a copy of another hub's home is another hub: statements for one are refused by the other
    with store.session() as session:
        hub.desk.enrol_all(session, hub.audit.sink, OFFICERS)
    identity.init(settings, name, name_zh)
    return hub
