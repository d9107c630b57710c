"""The data lane: ``GET /v1/datasets/{dataset}/rows`` and ``/changes`` without FastAPI's per-request machinery.

Profiled under ``hey`` (issue 13), a 100-row page spent more of its CPU in the framework
than in the exchange: FastAPI's dependency and parameter resolution, the exception and
telemetry middleware, route matching over every route of the app.  The lane answers the
common case of the two data routes itself — a well-formed query string and a bearer token
this process has already verified and remembers (``hub.verifier``) — with the SAME code the routes run
for everything that matters: the request middleware (request id, header cap, metrics,
access log, 503 for a store that is down, 500 otherwise), the revocation check on every
request (``AccessVerifier.subject``), ``Exchange.read_async``, the problem+json renderers
and ``hub.api.data.data_response``.

Everything else goes to the FastAPI routes, which stay registered and stay the OpenAPI
description of the contract: a first sight of a token, no or another credential, a
missing or malformed parameter (FastAPI's validation produces the exact 400), a HEAD, a
root path, an app with overridden dependencies.  The lane never decides a request
differently from the routes; it only skips work when the routes would do nothing but pass
values through.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qsl

from fastapi import FastAPI
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.types import ASGIApp, Receive, Scope, Send

from hub.api.auth import reject, token_rejected, verifier_of
from hub.api.data import data_response, exchange_of
from hub.api.problems import hub_error
from hub.errors import HubError
from hub.exchange.service import RowsQuery, split_columns
from hub.tokens import TokenRejected
from hub.transport import scope_thumbprint

if TYPE_CHECKING:
    from hub.api.context import ApiContext

PATH = re.compile(r"/v1/datasets/(?P<dataset>[^/]+)/(?P<action>rows|changes)")
# the routes' declared limits (hub.api.data): a value over one goes to the route for its 400
MAX_LENGTH = {"purpose": 64, "columns": 8192, "order_by": 130, "cursor": 2048, "format": 16, "since": 32}
MAX_LIMIT = 100_000
ACTIONS = {"rows": "read", "changes": "changes"}


@dataclass(frozen=True)
class LaneRequest:
    """What the lane needs of a request it takes: the route, the dataset, the token and the query."""

    route: Any
    dataset: str
    action: str
    token: str
    query: RowsQuery
    items: list[tuple[str, str]]  # the query string's parameters, in order


def _bearer(scope: Scope) -> str | None:
    """The bearer token as ``HTTPBearer`` reads it (first ``Authorization`` header), or None."""
    for name, value in scope["headers"]:
        if name == b"authorization":
            scheme, _, param = value.decode("latin-1").partition(" ")
            param = param.strip()
            return param if scheme.lower() == "bearer" and param else None
    return None


def _query(raw: bytes, changes: bool) -> tuple[RowsQuery, list[tuple[str, str]]] | None:
    """The query as the routes would parse it, with its items (the next page's link reuses them), or None
    when the route must answer (a 400 of FastAPI's)."""
    # as Starlette's ``QueryParams`` parses it (latin-1, blanks kept; ``get`` is the last value), without
    # building its multi-dict
    items = parse_qsl(raw.decode("latin-1"), keep_blank_values=True)
    params = dict(items)
    values: dict[str, str | None] = {}
    for name, most in MAX_LENGTH.items():
        value = params.get(name)
        if value is not None and len(value) > most:
            return None
        values[name] = value
    if values["purpose"] is None or (changes and values["since"] is None):
        return None
    limit_text, limit = params.get("limit"), None
    if limit_text is not None:
        if not (limit_text.isascii() and limit_text.isdigit()):
            return None
        limit = int(limit_text)
        if not 1 <= limit <= MAX_LIMIT:
            return None
    return RowsQuery(values["purpose"] or "", values["format"] or "json", split_columns(values["columns"]),
                     [v for k, v in items if k == "filter"], values["order_by"], limit, values["cursor"],
                     values["since"] if changes else None), items


class DataLane:
    """Takes the data requests it can answer exactly as the routes would (``take``); as an ASGI app,
    answers the one ``take`` put in ``scope["hub.lane"]``."""

    def __init__(self, app: FastAPI) -> None:
        self.app = app
        from hub.api.data import router  # the routes the lane stands in for (their path, for metrics)

        self.routes: dict[str, Any] = {getattr(r, "path", ""): r for r in router.routes}
        self.served = 0  # requests the lane answered (tests)

    def take(self, scope: Scope) -> LaneRequest | None:
        """The request's lane form, or None: the FastAPI routes answer it."""
        if scope["method"] != "GET" or scope.get("root_path") or self.app.dependency_overrides:
            return None  # (overridden dependencies: the routes' own, which the lane would not see)
        m = PATH.fullmatch(scope["path"])
        if m is None:
            return None
        route = self.routes.get(f"/v1/datasets/{{dataset}}/{m['action']}")
        token = _bearer(scope)
        if route is None or token is None:
            return None
        verifier = getattr(self.app.state, "verifier", None)
        if verifier is None or not verifier.remembered(token):
            return None  # a first sight of this token: the route verifies it (store, keys)
        try:
            parsed = _query(scope["query_string"], m["action"] == "changes")
        except HubError:  # more columns than allowed: the route's 400
            return None
        if parsed is None:
            return None
        return LaneRequest(route, m["dataset"], ACTIONS[m["action"]], token, *parsed)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Answer the request ``take`` took (inside the request middleware: see ``HubApi``)."""
        taken: LaneRequest = scope["hub.lane"]
        self.served += 1
        scope["app"], scope["route"] = self.app, taken.route
        scope["path_params"] = {"dataset": taken.dataset}
        scope["hub.query_items"] = taken.items
        request = Request(scope, receive)
        ctx: ApiContext = self.app.state.ctx
        try:
            verifier, thumbprint = verifier_of(self.app, ctx), scope_thumbprint(scope)
            try:  # as ``current_subject``: in place when no store read is due, else in a worker thread
                if verifier.ready(taken.token):
                    subject = verifier.subject(taken.token, thumbprint)
                else:
                    subject = await run_in_threadpool(verifier.subject, taken.token, thumbprint)
            except TokenRejected as exc:
                raise await run_in_threadpool(reject, ctx, request, exc) from None
            request.state.subject = subject.id
            response = await data_response(request, subject, exchange_of(self.app, ctx), taken.action,
                                           taken.dataset, taken.query)
        except TokenRejected as exc:
            response = await token_rejected(request, exc)
        except HubError as exc:
            response = await hub_error(request, exc)
        await response(scope, receive, send)


class HubApi(FastAPI):
    """The exchange API: FastAPI, with the data lane in front of its middleware stack for data requests."""

    lane: DataLane | None = None
    lane_stack: ASGIApp | None = None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        lane, stack = self.lane, self.lane_stack
        if lane is not None and stack is not None and scope["type"] == "http":
            taken = lane.take(scope)
            if taken is not None:
                scope["hub.lane"] = taken
                await stack(scope, receive, send)
                return
        await super().__call__(scope, receive, send)

