"""Request middleware (pure ASGI, so streamed bodies pass through untouched).

For every HTTP request it assigns a request id (``request.state.request_id`` and
the ``X-Hub-Request-Id`` response header), caps the request header section (431)
and body (413) at the settings' limits, turns a store that cannot be reached into
a 503 and any other unexpected exception into a 500 problem (logged with its
traceback, never sent), and records the request in the metrics and the JSON access log by route
template — never the raw path or query string, which may carry personal data.
"""

from __future__ import annotations

import functools
import logging
import time
import uuid
from typing import Any

from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from hub import metrics
from hub.api.problems import PayloadTooLarge, internal_error, is_store_down, problem, unavailable

access_log = logging.getLogger("hub.api.access")
log = logging.getLogger("hub.api")
MAX_BODY_BYTES = 1 << 20
MAX_HEADER_BYTES = 16 << 10


class RequestMiddleware:
    def __init__(self, app: ASGIApp, max_body: int = MAX_BODY_BYTES, max_header: int = MAX_HEADER_BYTES) -> None:
        self.app = app
        self.max_body = max_body
        self.max_header = max_header

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        request_id = uuid.uuid4().hex
        state = scope.setdefault("state", {})
        state["request_id"] = request_id
        status, started = 500, False
        received = 0

        async def capped_receive() -> Message:
            nonlocal received
            message = await receive()
            received += len(message.get("body", b""))
            if received > self.max_body:
                raise PayloadTooLarge(self.max_body)
            return message

        async def tagged_send(message: Message) -> None:
            nonlocal status, started
            if message["type"] == "http.response.start":
                started, status = True, message["status"]
                MutableHeaders(scope=message).append("X-Hub-Request-Id", request_id)
            await send(message)

        begun = time.perf_counter()
        try:
            if _header_bytes(scope) > self.max_header:
                await problem(431, f"request headers exceed {self.max_header} bytes",
                              title="request header fields too large")(scope, receive, tagged_send)
                return
            if self._declared_length(scope) > self.max_body:
                await problem(413, f"request body exceeds {self.max_body} bytes")(scope, receive, tagged_send)
                return
            if _has_nul(scope):  # no store takes NUL in text (PostgreSQL refuses it): say so, once, here
                await problem(400, "a NUL character (%00) is not accepted in the path or query parameters")(
                    scope, receive, tagged_send)
                return
            await self.app(scope, capped_receive, tagged_send)
        except Exception as exc:
            if started:
                log.exception("error after the response started", extra={"request_id": request_id})
                raise
            if is_store_down(exc):
                log.warning("metadata store unavailable", extra={"request_id": request_id}, exc_info=exc)
                await unavailable()(scope, receive, tagged_send)
                return
            log.exception("unhandled error", extra={"request_id": request_id})
            await internal_error()(scope, receive, tagged_send)
        finally:
            self._record(scope, request_id, status, time.perf_counter() - begun)

    @staticmethod
    def _declared_length(scope: Scope) -> int:
        for name, value in scope.get("headers", ()):
            if name == b"content-length":
                return int(value) if value.isdigit() else 0
        return 0

    @staticmethod
    def _record(scope: Scope, request_id: str, status: int, seconds: float) -> None:
        route = getattr(scope.get("route"), "path", None) or "<unmatched>"
        counter, latency = _series(scope["method"], route, status)
        counter.inc()
        latency.observe(seconds)
        access_log.info("request", extra={
            "request_id": request_id, "method": scope["method"], "route": route, "status": status,
            "duration_ms": round(seconds * 1000, 2), "subject": scope["state"].get("subject")})


@functools.lru_cache(maxsize=4096)
def _series(method: str, route: str, status: int) -> tuple[Any, Any]:
    """The request counter and latency histogram of (method, route template, status), looked up once
    (``labels`` takes a lock and builds its key on every call).  Route templates and methods are the
    app's own, statuses are three digits: the cache stays small."""
    return metrics.HTTP_REQUESTS.labels(method, route, str(status)), metrics.HTTP_LATENCY.labels(route)


def _header_bytes(scope: Scope) -> int:
    """Size of the header section as received: each ``name: value`` line with its CRLF."""
    return sum(len(name) + len(value) + 4 for name, value in scope.get("headers", ()))


def _has_nul(scope: Scope) -> bool:
    query = scope.get("query_string", b"")
    return "\x00" in scope.get("path", "") or b"%00" in query or b"\x00" in query
