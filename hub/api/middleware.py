"""Request middleware (pure ASGI, so streamed bodies pass through untouched).

For every HTTP request it assigns a request id (``request.state.request_id`` and
the ``X-Hub-Request-Id`` response header), caps the request body, turns an
unexpected exception into a 500 problem (logged with its traceback, never sent),
and records the request in the metrics and the JSON access log by route
template — never the raw path or query string, which may carry personal data.
"""

from __future__ import annotations

import logging
import time
import uuid

from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from hub import metrics
from hub.api.problems import PayloadTooLarge, internal_error, problem

access_log = logging.getLogger("hub.api.access")
log = logging.getLogger("hub.api")
MAX_BODY_BYTES = 1 << 20


class RequestMiddleware:
    def __init__(self, app: ASGIApp, max_body: int = MAX_BODY_BYTES) -> None:
        self.app = app
        self.max_body = max_body

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
            if self._declared_length(scope) > self.max_body:
                await problem(413, f"request body exceeds {self.max_body} bytes")(scope, receive, tagged_send)
                return
            if _has_nul(scope):  # no store takes NUL in text (PostgreSQL refuses it): say so, once, here
                await problem(400, "a NUL character (%00) is not accepted in the path or query parameters")(
                    scope, receive, tagged_send)
                return
            await self.app(scope, capped_receive, tagged_send)
        except Exception:
            log.exception("unhandled error", extra={"request_id": request_id})
            if started:
                raise
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
        metrics.HTTP_REQUESTS.labels(scope["method"], route, str(status)).inc()
        metrics.HTTP_LATENCY.labels(route).observe(seconds)
        access_log.info("request", extra={
            "request_id": request_id, "method": scope["method"], "route": route, "status": status,
            "duration_ms": round(seconds * 1000, 2), "subject": scope["state"].get("subject")})


def _has_nul(scope: Scope) -> bool:
    query = scope.get("query_string", b"")
    return "\x00" in scope.get("path", "") or b"%00" in query or b"\x00" in query
