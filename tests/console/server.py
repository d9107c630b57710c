"""A real uvicorn server for the browser tests, on a port the OS picks (port 0)."""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import uvicorn


@contextmanager
def serving(make_app: Any) -> Iterator[tuple[str, Any]]:
    """Serve ``make_app(base_url)`` on 127.0.0.1 and a free port; yield ``(base_url, app)``."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    base = f"http://127.0.0.1:{sock.getsockname()[1]}"
    app = make_app(base)
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning", access_log=False))
    started = threading.Event()

    def run() -> None:
        server.run(sockets=[sock])

    original = server.startup

    async def startup(sockets: Any = None) -> None:
        await original(sockets=sockets)
        started.set()

    server.startup = startup  # type: ignore[method-assign]
    thread = threading.Thread(target=run, name="console-test-server", daemon=True)
    thread.start()
    if not started.wait(60):
        raise RuntimeError("the test server did not start")
    try:
        yield base, app
    finally:
        server.should_exit = True
        thread.join(30)
        sock.close()
