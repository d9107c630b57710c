"""How the hub runs its API under uvicorn: one configuration for ``hub serve``, the demo and tests.

* ``proxy_headers=False``: uvicorn would otherwise believe ``X-Forwarded-For`` from
  127.0.0.1 (its default ``--forwarded-allow-ips``, or ``FORWARDED_ALLOW_IPS``), and
  any local process could name the client address the audit log records.  Proxies
  are trusted only through ``HUB_TRUSTED_PROXIES`` (``create_app`` installs uvicorn's
  ``ProxyHeadersMiddleware`` with exactly those addresses; default none).
* ``http=CappedHttpToolsProtocol``: uvicorn's httptools protocol (the llhttp parser, a
  fraction of h11's CPU per request) with a cap on the request head that the hub owns:
  httptools itself has no limit on the header section, so a client could make the
  server buffer megabytes before the app sees a byte.  The protocol counts the bytes
  received while a request's head is incomplete and answers 431 (problem+json, then
  closes the connection) once they pass ``HUB_MAX_HEADER_BYTES`` + 64 KiB (room for
  long query strings; uvicorn's ``h11_max_incomplete_event_size`` option carries the
  figure to every worker process); the app refuses (431) a header section over
  ``HUB_MAX_HEADER_BYTES`` exactly (``hub.api.middleware``).  What the server holds of
  an unfinished head is thus bounded by the cap plus one read (256 KiB).
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
from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

from hub import metrics
from hub.api.problems import problem
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
        "http": TlsHttpToolsProtocol if tls else CappedHttpToolsProtocol,
        "h11_max_incomplete_event_size": settings.max_header_bytes + REQUEST_LINE_ROOM, **tls,
    }
    options.update(overrides)
    return options


def server_config(app: Any, settings: Settings, *, host: str, port: int, log_level: str = "info",
                  **overrides: Any) -> uvicorn.Config:
    """The uvicorn configuration the hub serves ``app`` with (see the module docstring)."""
    return uvicorn.Config(app, **server_options(settings, host=host, port=port, log_level=log_level, **overrides))


class CappedHttpToolsProtocol(HttpToolsProtocol):
    """httptools with the hub's cap on a request's head (see the module docstring)."""

    def __init__(self, config: uvicorn.Config, *args: Any, **kwargs: Any) -> None:
        super().__init__(config, *args, **kwargs)
        self.head_limit = config.h11_max_incomplete_event_size or (16 << 10) + REQUEST_LINE_ROOM
        self._in_head, self._head_bytes = True, 0

    def on_message_begin(self) -> None:
        super().on_message_begin()
        self._in_head, self._head_bytes = True, 0

    def on_headers_complete(self) -> None:
        self._in_head = False
        super().on_headers_complete()

    def data_received(self, data: bytes) -> None:
        super().data_received(data)
        if not self._in_head or self.transport.is_closing():
            return
        # every byte since this head began is head (at most the rest of a pipelined request before it)
        self._head_bytes += len(data)
        if self._head_bytes > self.head_limit:
            self.refuse_head()

    def refuse_head(self) -> None:
        """431 problem+json and close: the head grew past the cap before it ended."""
        body = bytes(problem(431, f"request line and headers exceed {self.head_limit} bytes",
                             title="request header fields too large").body)
        self.transport.write(b"".join([
            b"HTTP/1.1 431 Request Header Fields Too Large\r\n",
            b"content-type: application/problem+json\r\n",
            b"content-length: " + str(len(body)).encode("ascii") + b"\r\n",
            b"connection: close\r\n\r\n", body]))
        self.transport.close()


class TlsHttpToolsProtocol(CappedHttpToolsProtocol):
    """The capped httptools protocol, passing the connection's TLS facts (the client certificate) to the
    app (ASGI ``tls``)."""

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
