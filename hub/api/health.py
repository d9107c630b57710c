"""Operations endpoints: ``/healthz`` (process up), ``/readyz`` (dependencies), ``/metrics``.

Readiness checks the metadata store, the key store, the policy point and the audit
log, plus any probe another component registers in ``app.state.readiness`` (name →
callable returning ``True`` when ready).  A probe that raises counts as not ready.
The audit probe is not ready while the audit writer's last append failed (not only
while its store is unreachable): see ``hub.audit.health``.

``/metrics`` answers only an operator's scraper: ``Authorization: Bearer
<HUB_METRICS_TOKEN>``.  Without that setting it is refused here, and ``hub serve``
serves the metrics on their own listener when ``HUB_METRICS_ADDRESS`` is set
(``hub.api.server``).
"""

from __future__ import annotations

import hmac
import logging
from collections.abc import Callable
from typing import Annotated

from fastapi import APIRouter, Depends, FastAPI, Request, Response
from fastapi.responses import JSONResponse
from sqlalchemy import text

from hub import metrics
from hub.api.context import ApiContext, get_context
from hub.api.problems import problem
from hub.errors import Forbidden, Unauthorized

router = APIRouter(tags=["operations"])
log = logging.getLogger("hub.api")
Probe = Callable[[], bool]


def _store_ready(ctx: ApiContext) -> bool:
    with ctx.store.engine.connect() as conn:
        return conn.execute(text("SELECT 1")).scalar() == 1


def _keys_ready(ctx: ApiContext) -> bool:
    return bool(ctx.keys.keys("token")) and bool(ctx.keys.keys("audit") or ctx.keys.current("audit"))


def _policy_ready(app: FastAPI) -> bool:
    from hub.api.data import exchange_of

    point = exchange_of(app, app.state.ctx).point
    point.refresh()
    return bool(point._loaded_policy)


def _audit_ready(app: FastAPI) -> bool:
    """The audit log's last append did not fail (or a probe append just succeeded), and its
    store takes a write transaction now."""
    ctx: ApiContext = app.state.ctx
    log_object = getattr(ctx.audit, "__self__", None)
    ready = getattr(log_object, "ready", None)
    if callable(ready) and not ready():
        return False
    engine = getattr(log_object, "engine", None) or ctx.store.engine
    with engine.connect() as conn:
        if conn.dialect.name == "sqlite":
            conn.exec_driver_sql("BEGIN IMMEDIATE")
            conn.exec_driver_sql("ROLLBACK")
            return True
        return conn.exec_driver_sql("SHOW transaction_read_only").scalar() == "off"


def install(app: FastAPI) -> None:
    """Register the policy point's and the audit log's readiness probes."""
    app.state.readiness["policy"] = lambda: _policy_ready(app)
    app.state.readiness["audit"] = lambda: _audit_ready(app)


def _run(name: str, probe: Probe) -> bool:
    try:
        return bool(probe())
    except Exception:
        log.warning("readiness probe failed", extra={"probe": name}, exc_info=True)
        return False


@router.get("/healthz")
def healthz() -> dict[str, str]:
    """The process is up."""
    return {"status": "ok"}


@router.get("/readyz", responses={503: {"description": "a dependency is not ready (problem+json, "
                                                       "`checks` names it; `Retry-After` set)"}})
def readyz(request: Request, ctx: Annotated[ApiContext, Depends(get_context)]) -> JSONResponse:
    """The store, the key store, the policy point, the audit log and every registered probe are ready."""
    probes: dict[str, Probe] = {"store": lambda: _store_ready(ctx), "keys": lambda: _keys_ready(ctx)}
    probes.update(request.app.state.readiness)
    checks = {name: _run(name, probe) for name, probe in probes.items()}
    if all(checks.values()):
        return JSONResponse({"status": "ready", "checks": checks})
    failing = ", ".join(name for name, ok in checks.items() if not ok)
    return problem(503, f"not ready: {failing}", title="not ready", checks=checks, headers={"Retry-After": "5"})


def _operator(request: Request, ctx: ApiContext) -> None:
    token = ctx.settings.metrics_token
    if token is None:
        raise Forbidden("metrics are not served here without an operator credential: set HUB_METRICS_TOKEN, "
                        "or HUB_METRICS_ADDRESS to serve them on a separate listener")
    scheme, _, given = request.headers.get("authorization", "").partition(" ")
    expected = token.get_secret_value().encode("utf-8")
    if scheme.lower() != "bearer" or not hmac.compare_digest(given.strip().encode("utf-8"), expected):
        raise Unauthorized("metrics need the operator's bearer token (HUB_METRICS_TOKEN)")


@router.get("/metrics", response_class=Response,
            responses={200: {"content": {"text/plain": {}}, "description": "Prometheus text format"},
                       401: {"description": "missing or wrong operator bearer token (problem+json)"},
                       403: {"description": "no HUB_METRICS_TOKEN configured: metrics are not served here"}})
def prometheus(request: Request, ctx: Annotated[ApiContext, Depends(get_context)]) -> Response:
    """Request, token, decision, delivery and audit metrics (operators: `Bearer <HUB_METRICS_TOKEN>`)."""
    _operator(request, ctx)
    body, content_type = metrics.render()
    return Response(body, media_type=content_type)
