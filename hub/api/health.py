"""Operations endpoints: ``/healthz`` (process up), ``/readyz`` (dependencies), ``/metrics``.

Readiness checks the metadata store and the key store, plus any probe another
component registers in ``app.state.readiness`` (name → callable returning
``True`` when ready), e.g. the policy engine or the audit log.  A probe that
raises counts as not ready.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Annotated

from fastapi import APIRouter, Depends, Request, Response
from fastapi.responses import JSONResponse
from sqlalchemy import text

from hub import metrics
from hub.api.context import ApiContext, get_context
from hub.api.problems import problem

router = APIRouter(tags=["operations"])
log = logging.getLogger("hub.api")


def _store_ready(ctx: ApiContext) -> bool:
    with ctx.store.engine.connect() as conn:
        return conn.execute(text("SELECT 1")).scalar() == 1


def _keys_ready(ctx: ApiContext) -> bool:
    return bool(ctx.keys.keys("token"))


def _run(name: str, probe: Callable[[], bool]) -> bool:
    try:
        return bool(probe())
    except Exception:
        log.warning("readiness probe failed", extra={"probe": name}, exc_info=True)
        return False


@router.get("/healthz")
def healthz() -> dict[str, str]:
    """The process is up."""
    return {"status": "ok"}


@router.get("/readyz", responses={503: {"description": "a dependency is not ready (problem+json)"}})
def readyz(request: Request, ctx: Annotated[ApiContext, Depends(get_context)]) -> JSONResponse:
    """The store, the key store and every registered probe are ready."""
    probes: dict[str, Callable[[], bool]] = {"store": lambda: _store_ready(ctx),
                                             "keys": lambda: _keys_ready(ctx)}
    probes.update(request.app.state.readiness)
    checks = {name: _run(name, probe) for name, probe in probes.items()}
    if all(checks.values()):
        return JSONResponse({"status": "ready", "checks": checks})
    failing = ", ".join(name for name, ok in checks.items() if not ok)
    return problem(503, f"not ready: {failing}", title="not ready", checks=checks)


@router.get("/metrics", response_class=Response,
            responses={200: {"content": {"text/plain": {}}, "description": "Prometheus text format"}})
def prometheus() -> Response:
    """Request, token, decision, delivery and audit metrics in the Prometheus text format."""
    body, content_type = metrics.render()
    return Response(body, media_type=content_type)
