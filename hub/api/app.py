"""The exchange API application: ``create_app(settings)`` assembles it.

The factory wires the metadata store, the hub key store, the token rules and the
audit callable into an ``ApiContext`` on ``app.state.ctx``, installs the request
middleware and the problem+json handlers, and mounts the routers.  Later routers
(catalog, datasets, workflow) are mounted by the same factory and take the caller
from ``hub.api.auth.current_subject``.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from fastapi import FastAPI
from starlette.types import ASGIApp
from uvicorn.middleware.proxy_headers import ProxyHeadersMiddleware

from hub import console
from hub.api import alerts as alerts_api
from hub.api import audit as audit_api
from hub.api import catalog, data, federation, health, oauth, openapi, problems, wellknown, workflow
from hub.api import rules as rules_api
from hub.api.auth import token_rejected
from hub.api.context import ApiContext, Audit, ReadinessProbe
from hub.api.lane import DataLane, HubApi
from hub.api.middleware import RequestMiddleware
from hub.errors import SettingsError, Unavailable
from hub.events import AuditEvent
from hub.keys import KeyStore
from hub.settings import Settings
from hub.store.db import Store, open_store
from hub.tokens import TokenConfig, TokenRejected

DEFAULT_PUBLIC_URL = "http://127.0.0.1:8000"
MAX_TOKEN_TTL_S = 600
TITLE = "Huitong (汇通) exchange API"
DESCRIPTION = (
    "Partner platforms read supervision data under policy (DESIGN.md §5). Every delivery carries a "
    "signed receipt in `X-Hub-Receipt` (a compact JWS); the audit keys that verify receipts and "
    "checkpoints are served, current and retired with their validity, at `GET /.well-known/audit-jwks.json` "
    "(docs/audit.md §6 verifies one with curl and openssl only). Errors are problem+json: a dependency "
    "that is down is a 503 with `Retry-After`, never a 500.")


def _audit_not_configured(event: AuditEvent) -> None:
    raise Unavailable("no audit log configured for the API")


def token_config(settings: Settings, public_url: str | None = None,
                 token_ttl_s: int | None = None) -> TokenConfig:
    """Token rules from explicit values, else settings (``public_url``, ``token_ttl_s``), else defaults."""
    base = public_url or getattr(settings, "public_url", None) or DEFAULT_PUBLIC_URL
    ttl = token_ttl_s or getattr(settings, "token_ttl_s", None) or MAX_TOKEN_TTL_S
    if not 1 <= ttl <= MAX_TOKEN_TTL_S:
        raise SettingsError(f"HUB_TOKEN_TTL_S: {ttl} must be between 1 and {MAX_TOKEN_TTL_S} seconds")
    if not base.startswith(("http://", "https://")):
        raise SettingsError(f"HUB_PUBLIC_URL: `{base}` must be an http:// or https:// URL")
    return TokenConfig(token_url=base.rstrip("/") + "/oauth/token", ttl_s=ttl)


def _watcher(ctx: ApiContext) -> Any:
    """The awareness detectors' thread for this process (``hub.awareness.watcher``), or None
    when the audit callable has no in-transaction sink to record alerts with."""
    from hub.awareness import build_watcher

    sink = getattr(getattr(ctx.audit, "__self__", None), "sink", None)
    if sink is None:
        return None
    return build_watcher(ctx.settings, ctx.store, sink, ctx.keys)


def create_app(settings: Settings, *, audit: Audit | None = None, public_url: str | None = None,
               token_ttl_s: int | None = None, store: Store | None = None,
               keys: KeyStore | None = None, awareness: bool = False) -> FastAPI:
    """Build the exchange API.

    ``audit`` appends token events to the audit log; without one, token issuance
    fails closed (503).  ``store`` and ``keys`` default to those of ``settings``.
    ``awareness`` runs the detectors in a background thread while the app runs
    (``hub serve`` and ``hub demo`` pass ``HUB_AWARENESS_WATCH``).
    """
    owned = store is None
    ctx = ApiContext(settings=settings, store=store or open_store(settings.metadata_url),
                     keys=keys or KeyStore.from_settings(settings),
                     tokens=token_config(settings, public_url, token_ttl_s),
                     audit=audit or _audit_not_configured)

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        ctx.keys.current("token")  # the first signing key exists before the first request
        watcher = _watcher(ctx) if awareness else None
        if watcher is not None:
            watcher.start()
        app.state.watcher = watcher
        yield
        if watcher is not None:
            watcher.stop()
        data.close_exchange(app)
        if owned:
            ctx.store.dispose()

    # redirect_slashes=False: a name ending in "/" (or %2F) is an unknown name (404 problem), never
    # a redirect — Starlette's redirect answered on the decoded path, before authentication
    app = HubApi(title=TITLE, version="1", lifespan=lifespan, description=DESCRIPTION, redirect_slashes=False)
    app.state.ctx = ctx
    readiness: dict[str, ReadinessProbe] = {}
    app.state.readiness = readiness
    problems.install(app)
    app.add_exception_handler(TokenRejected, token_rejected)
    app.add_middleware(RequestMiddleware, max_body=settings.max_body_bytes, max_header=settings.max_header_bytes)
    if settings.trusted_proxy_list:  # outermost: the client address is settled before anything reads it
        app.add_middleware(ProxyHeadersMiddleware,  # type: ignore[arg-type]
                           trusted_hosts=settings.trusted_proxy_list)
    for module in (oauth, wellknown, federation, health, catalog, data, workflow, audit_api, alerts_api,
                   rules_api):
        app.include_router(module.router)
    health.install(app)
    console.mount(app)  # the officer console (监督管理台) under /console/
    app.openapi = lambda: openapi.build(app)  # type: ignore[method-assign]
    _install_lane(app, settings)
    return app


def _install_lane(app: HubApi, settings: Settings) -> None:
    """The data lane (``hub.api.lane``) behind the same request middleware (and proxy headers) as the app."""
    app.lane = DataLane(app)
    stack: ASGIApp = RequestMiddleware(app.lane, max_body=settings.max_body_bytes,
                                       max_header=settings.max_header_bytes)
    if settings.trusted_proxy_list:
        stack = ProxyHeadersMiddleware(stack, trusted_hosts=settings.trusted_proxy_list)  # type: ignore[arg-type,assignment]
    app.lane_stack = stack
