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
* TLS (``HUB_TLS_CERT``/``HUB_TLS_KEY``, ``hub serve --tls-cert --tls-key``): TLS 1.2 as
  the floor and AEAD suites only (``hub.transport``); with ``HUB_TLS_CLIENT_CA`` the
  server asks for client certificates and hands the verified one to the app as the
  ASGI ``tls`` extension (``scope["extensions"]["tls"]["client_cert_chain"]``), which
  uvicorn itself does not fill in: ``TlsH11Protocol`` adds it per connection.
"""

from __future__ import annotations

import ssl
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import uvicorn
from uvicorn.protocols.http.h11_impl import H11Protocol

from hub import metrics
from hub.settings import Settings
from hub.transport import server_ssl_options

REQUEST_LINE_ROOM = 64 << 10


def server_options(settings: Settings, *, host: str, port: int, log_level: str = "info",
                   **overrides: Any) -> dict[str, Any]:
    """The uvicorn options the hub serves with (see the module docstring)."""
    tls = server_ssl_options(settings)
    options: dict[str, Any] = {
        "host": host, "port": port, "log_level": log_level,
        "access_log": False,  # query strings carry filters and cursors; the hub logs by route itself
        "proxy_headers": False, "server_header": False,
        "http": TlsH11Protocol if tls else "h11",
        "h11_max_incomplete_event_size": settings.max_header_bytes + REQUEST_LINE_ROOM, **tls,
    }
    options.update(overrides)
    return options


def server_config(app: Any, settings: Settings, *, host: str, port: int, log_level: str = "info",
                  **overrides: Any) -> uvicorn.Config:
    """The uvicorn configuration the hub serves ``app`` with (see the module docstring)."""
    return uvicorn.Config(app, **server_options(settings, host=host, port=port, log_level=log_level, **overrides))


class TlsH11Protocol(H11Protocol):
    """h11 that passes the connection's TLS facts (the client certificate) to the app (ASGI ``tls``)."""

    def connection_made(self, transport: Any) -> None:  # type: ignore[override]
        super().connection_made(transport)
        ssl_object = transport.get_extra_info("ssl_object")
        if ssl_object is None:
            return
        der = ssl_object.getpeercert(binary_form=True)
        tls = {"server_cert": None, "client_cert_chain": [ssl.DER_cert_to_PEM_cert(der)] if der else [],
               "tls_version": ssl_object.version(), "cipher_suite": (ssl_object.cipher() or ("",))[0]}
        inner = self.app

        async def with_tls(scope: Any, receive: Any, send: Any) -> None:
            scope.setdefault("extensions", {})["tls"] = tls
            await inner(scope, receive, send)

        self.app = with_tls


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
