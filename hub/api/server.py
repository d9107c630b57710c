"""How the hub runs its API under uvicorn: one configuration for ``hub serve``, the demo and tests.

* ``proxy_headers=False``: uvicorn would otherwise believe ``X-Forwarded-For`` from
  127.0.0.1 (its default ``--forwarded-allow-ips``, or ``FORWARDED_ALLOW_IPS``), and
  any local process could name the client address the audit log records.  Proxies
  are trusted only through ``HUB_TRUSTED_PROXIES`` (``create_app`` installs uvicorn's
  ``ProxyHeadersMiddleware`` with exactly those addresses; default none).
* ``http="h11"`` with ``h11_max_incomplete_event_size``: the httptools parser has no
  limit on the header section, so a client could make the server buffer megabytes
  before the app sees a byte.  h11 refuses (400) a request line plus headers over
  ``HUB_MAX_HEADER_BYTES`` + 64 KiB (room for long query strings); the app refuses
  (431) a header section over ``HUB_MAX_HEADER_BYTES``.
* ``serve_metrics``: with ``HUB_METRICS_ADDRESS`` the Prometheus metrics get a
  listener of their own (for a network only the scraper reaches).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import uvicorn

from hub import metrics
from hub.settings import Settings

REQUEST_LINE_ROOM = 64 << 10


def server_options(settings: Settings, *, host: str, port: int, log_level: str = "info",
                   **overrides: Any) -> dict[str, Any]:
    """The uvicorn options the hub serves with (see the module docstring)."""
    options: dict[str, Any] = {
        "host": host, "port": port, "log_level": log_level,
        "access_log": False,  # query strings carry filters and cursors; the hub logs by route itself
        "proxy_headers": False, "server_header": False,
        "http": "h11", "h11_max_incomplete_event_size": settings.max_header_bytes + REQUEST_LINE_ROOM,
    }
    options.update(overrides)
    return options


def server_config(app: Any, settings: Settings, *, host: str, port: int, log_level: str = "info",
                  **overrides: Any) -> uvicorn.Config:
    """The uvicorn configuration the hub serves ``app`` with (see the module docstring)."""
    return uvicorn.Config(app, **server_options(settings, host=host, port=port, log_level=log_level, **overrides))


@dataclass
class MetricsListener:
    """The separate ``/metrics`` listener: where it listens, and ``stop``."""

    host: str
    port: int
    stop: Callable[[], None]


def serve_metrics(address: str) -> MetricsListener:
    """Serve the Prometheus metrics on ``HOST:PORT`` (port 0: any free one) in a background thread."""
    from prometheus_client import start_http_server

    host, _, port = address.rpartition(":")
    server, thread = start_http_server(int(port), addr=host.strip("[]"), registry=metrics.REGISTRY)

    def stop() -> None:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)

    return MetricsListener(host.strip("[]"), int(server.server_port), stop)
