"""Problem details (RFC 9457): the one way every API error is rendered.

``HubError`` subclasses render with their ``status`` and ``title`` and their
message as ``detail`` (messages name the thing); server-side faults render a
generic detail and are logged instead.  Validation errors become 400 naming the
parameter, unknown routes 404, wrong methods 405 — all ``application/problem+json``.
A metadata store that cannot be reached (connection refused or lost, pool
exhausted, database locked) on any endpoint is a 503 with ``Retry-After``, never a
500: the driver's errors are mapped here, once, whatever code met them.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Mapping
from http import HTTPStatus
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from sqlalchemy import exc as sa_exc
from starlette.exceptions import HTTPException

from hub.errors import HubError, Unavailable

MEDIA_TYPE = "application/problem+json"
RETRY_AFTER_S = 5
UNAVAILABLE_DETAIL = "a service the hub depends on is unavailable; retry later"
log = logging.getLogger("hub.api")

# The store's "cannot serve now" errors: the server is down, restarting or unreachable,
# the connection broke, the pool is exhausted, SQLite is locked past its timeout.
# (IntegrityError, ProgrammingError, DataError are faults of the hub: they stay 500s.)
STORE_DOWN: tuple[type[Exception], ...] = (sa_exc.OperationalError, sa_exc.InterfaceError,
                                           sa_exc.TimeoutError, sa_exc.DisconnectionError)


class PayloadTooLarge(HTTPException):
    """The request body is over the cap (an ``HTTPException`` so body parsing re-raises it)."""

    def __init__(self, limit: int) -> None:
        super().__init__(413, f"request body exceeds {limit} bytes")


def problem_type(title: str) -> str:
    """A stable URN naming the problem kind, e.g. ``urn:hub:problem:not-found``."""
    return "urn:hub:problem:" + re.sub(r"[^a-z0-9]+", "-", title.lower()).strip("-")


def problem(status: int, detail: str, *, title: str | None = None,
            headers: Mapping[str, str] | None = None, **extra: Any) -> JSONResponse:
    """A problem+json response."""
    title = title or HTTPStatus(status).phrase.lower()
    body = {"type": problem_type(title), "title": title, "status": status, "detail": detail, **extra}
    return JSONResponse(body, status_code=status, headers=dict(headers or {}), media_type=MEDIA_TYPE)


def _request_id(request: Request) -> str | None:
    return getattr(request.state, "request_id", None)


async def hub_error(request: Request, exc: Exception) -> JSONResponse:
    """Render a ``HubError``; 5xx details stay in the log, not in the response."""
    assert isinstance(exc, HubError)
    if exc.status >= 500 and exc.status != 501:
        log.error("%s: %s", exc.title, exc, extra={"request_id": _request_id(request)})
        detail = UNAVAILABLE_DETAIL if isinstance(exc, Unavailable) or exc.retryable else "internal error"
        headers = {"Retry-After": str(RETRY_AFTER_S)} if exc.retryable else None
        return problem(exc.status, detail, title=exc.title, headers=headers)
    challenge = {"WWW-Authenticate": 'Bearer realm="hub"'} if exc.status == 401 else None
    return problem(exc.status, str(exc), title=exc.title, headers=challenge)


async def store_unavailable(request: Request, exc: Exception) -> JSONResponse:
    """503 with ``Retry-After`` for a metadata store that cannot be reached (logged, not sent)."""
    log.warning("metadata store unavailable: %s", type(exc).__name__, extra={"request_id": _request_id(request)},
                exc_info=exc)
    return unavailable()


def unavailable() -> JSONResponse:
    """The 503 problem of a dependency that is down."""
    return problem(503, UNAVAILABLE_DETAIL, title="service unavailable",
                   headers={"Retry-After": str(RETRY_AFTER_S)})


def is_store_down(exc: BaseException) -> bool:
    """Whether ``exc`` says the metadata store cannot serve now (or a DBAPI error lost its connection)."""
    if isinstance(exc, STORE_DOWN):
        return True
    return isinstance(exc, sa_exc.DBAPIError) and bool(exc.connection_invalidated)


def _where(loc: tuple[Any, ...]) -> str:
    kind = {"query": "query parameter", "path": "path parameter", "header": "header",
            "cookie": "cookie", "body": "body field"}.get(str(loc[0]) if loc else "", "input")
    name = ".".join(str(p) for p in loc[1:])
    return f"{kind} `{name}`" if name else kind


async def validation_error(request: Request, exc: Exception) -> JSONResponse:
    """400 naming each bad parameter (the submitted value is never echoed)."""
    assert isinstance(exc, RequestValidationError)
    errors = [{"parameter": _where(tuple(e.get("loc", ()))), "message": str(e.get("msg", "invalid"))}
              for e in exc.errors()]
    detail = "; ".join(f"{e['parameter']}: {e['message']}" for e in errors) or "invalid request"
    return problem(400, detail, title="invalid request", errors=errors)


async def http_error(request: Request, exc: Exception) -> JSONResponse:
    """Starlette's 404 / 405 and any ``HTTPException`` as problem+json."""
    assert isinstance(exc, HTTPException)
    status = exc.status_code
    details = {404: "no resource at this path",
               405: f"method {request.method} is not allowed on this path"}
    detail = details.get(status) or (exc.detail if isinstance(exc.detail, str) else "request refused")
    return problem(status, detail, headers=exc.headers)


def internal_error() -> JSONResponse:
    """The response for an unexpected exception: generic, no traceback."""
    return problem(500, "internal error; the incident is logged", title="internal error")


def install(app: FastAPI) -> None:
    """Register the problem+json handlers on ``app``."""
    app.add_exception_handler(HubError, hub_error)
    for kind in STORE_DOWN:
        app.add_exception_handler(kind, store_unavailable)
    app.add_exception_handler(RequestValidationError, validation_error)
    app.add_exception_handler(HTTPException, http_error)
