"""Serving the exchange API: one process, or N worker processes on one listening socket.

``serve`` migrates the metadata store once, then runs uvicorn with ``build_app`` as
the app factory: each worker process builds its own store connections, audit writer,
decision point, token verifier and exchange.  What they share lives in the store and
under ``HUB_HOME``: the grants and policy data, the quota ledger (one atomic charge per
page, ``hub.quota``), the audit chain (each writer extends the head another moved,
``hub.audit.log``) and the keys.  A worker that dies is replaced by uvicorn's
supervisor; its reservations are reconciled with the audit log (``hub.quota.reconcile``).
"""

from __future__ import annotations

import socket
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from fastapi import FastAPI

from hub.errors import SettingsError

MAX_WORKERS = 64
WORKER_HEALTHCHECK_S = 60


def build_app() -> FastAPI:
    """The exchange API of one serving process (uvicorn's app factory)."""
    from hub.api import create_app
    from hub.api.jsonlog import configure_logging
    from hub.audit import AuditLog
    from hub.settings import get_settings
    from hub.store.db import open_store

    settings = get_settings()
    configure_logging()
    store = open_store(settings.metadata_url)
    audit = AuditLog.from_settings(store, settings)
    # HUB_AWARENESS_WATCH: each worker runs the detector thread; they share the cursor in the
    # store, so each audit record is observed once (hub.awareness.scanner)
    app = create_app(settings, audit=audit.append, store=store, awareness=settings.awareness_watch)
    inner = app.router.lifespan_context

    @asynccontextmanager
    async def lifespan(application: Any) -> AsyncIterator[None]:
        async with inner(application):
            yield
        exchange = getattr(app.state, "exchange", None)
        if exchange is not None:
            exchange.close()
        audit.close()
        store.dispose()

    app.router.lifespan_context = lifespan
    return app


def serve(host: str, port: int, workers: int = 1, *, fd: int | None = None) -> None:
    """Serve on ``host:port`` with ``workers`` processes (1: this process alone), or on the inherited,
    already bound socket ``fd`` (one process: a test or a supervisor that bound the port itself).

    Every worker runs with the hub's uvicorn options (``hub.api.server.server_options``: no
    proxy headers unless ``HUB_TRUSTED_PROXIES``, httptools with the hub's header cap, no access log).
    ``HUB_METRICS_ADDRESS`` starts the metrics listener in this process: with several
    workers it shows this process's registry only (each worker counts for itself).
    """
    import uvicorn

    from hub.api.server import serve_metrics, server_options
    from hub.settings import get_settings
    from hub.store.db import open_store

    if not 1 <= workers <= MAX_WORKERS:
        raise SettingsError(f"--workers must be between 1 and {MAX_WORKERS}, not {workers}")
    if fd is not None and workers != 1:
        raise SettingsError("--fd serves in one process: leave out --workers")
    settings = get_settings()
    open_store(settings.metadata_url).dispose()  # migrate once, before any worker starts
    listener = serve_metrics(settings.metrics_address) if settings.metrics_address else None
    # A worker answers the supervisor's health check only once its interpreter is up; on a
    # busy host that takes longer than uvicorn's 5 s default, which would kill and respawn
    # workers forever.
    try:
        if fd is not None:  # adopted with its own family (uvicorn's `fd` option assumes a Unix socket)
            config = uvicorn.Config("hub.server:build_app", factory=True,
                                    **server_options(settings, host=host, port=port))
            uvicorn.Server(config).run(sockets=[socket.socket(fileno=fd)])
            return
        uvicorn.run("hub.server:build_app", factory=True, workers=workers if workers > 1 else None,
                    timeout_worker_healthcheck=WORKER_HEALTHCHECK_S,
                    **server_options(settings, host=host, port=port))
    finally:
        if listener is not None:
            listener.stop()
