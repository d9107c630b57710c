"""A real uvicorn server on port 0, configured exactly as ``hub serve`` configures it.

``Served(app, settings)`` runs ``hub.api.server.server_config`` in a background thread
and exposes ``base`` (``http://127.0.0.1:PORT``) once the socket listens; ``token``
fetches an access token for a registered client over real HTTP.
"""

from __future__ import annotations

import threading
from typing import Any

import httpx
import uvicorn
from fastapi import FastAPI

from hub.api.server import server_config
from hub.settings import Settings
from tests.api.conftest import ASSERTION_TYPE, TOKEN_URL, Client

START_TIMEOUT_S = 30


class Served:
    """uvicorn serving ``app`` on 127.0.0.1 and a free port (use as a context manager)."""

    def __init__(self, app: FastAPI, settings: Settings) -> None:
        self.server = uvicorn.Server(server_config(app, settings, host="127.0.0.1", port=0, log_level="warning"))
        self.thread = threading.Thread(target=self.server.run, name="served-uvicorn", daemon=True)
        self.base = ""

    def __enter__(self) -> Served:
        self.thread.start()
        started = threading.Event()
        while not started.wait(0.02):  # an event wait, not a window: bounded only to fail a broken start
            if self.server.started:
                started.set()
            elif not self.thread.is_alive():
                raise RuntimeError("uvicorn did not start")
        port = self.server.servers[0].sockets[0].getsockname()[1]
        self.base = f"http://127.0.0.1:{port}"
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=START_TIMEOUT_S)

    def token(self, client: Client, http: httpx.Client | None = None) -> str:
        """An access token for ``client`` (its assertion's audience is the app's token URL)."""
        data = {"grant_type": "client_credentials", "client_assertion_type": ASSERTION_TYPE,
                "client_assertion": client.assertion(aud=TOKEN_URL)}
        response = (http or httpx).post(f"{self.base}/oauth/token", data=data, timeout=30)  # type: ignore[attr-defined]
        response.raise_for_status()
        return str(response.json()["access_token"])

    def bearer(self, client: Client) -> dict[str, Any]:
        return {"Authorization": f"Bearer {self.token(client)}"}
