"""The officer console (监督管理台): server-rendered pages for security officers and data owners.

Served by the hub itself under ``/console/`` on the same store, decision point and audit
log as the API (no second source of truth): Jinja2 templates, htmx for partial updates,
Apache ECharts for charts, all vendored (``static/vendor``, no CDN).  Officers log in
with a one-time link issued to a statement signed with their own key
(``hub.console.links``; ``providers`` is where OIDC plugs in later), get a server-side
session (``sessions``), and every action they take is a statement signed with their own
key, in the browser (``static/console.js``, WebCrypto) or elsewhere and pasted, that
``hub.workflow`` verifies as it verifies the CLI's and the API's.  ``mount(app)``
adds the console to the exchange API app; docs/console.md is the officer's guide.
"""

from __future__ import annotations

from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles

from hub.console.links import console_secret
from hub.console.providers import OfficerStatementLogin
from hub.console.routes import applications, audit, catalog, grants, login, overview, policy, rules
from hub.console.web import HERE, ConsoleState

ROUTERS = (login.router, overview.router, catalog.router, applications.router, grants.router, audit.router,
           policy.router, rules.router)


def mount(app: FastAPI) -> None:
    """Add the console's routes, its static files and its state to ``app`` (``create_app`` calls it)."""
    ctx = app.state.ctx
    app.state.console = ConsoleState(login=OfficerStatementLogin(console_secret(ctx.settings.keys_dir)))
    app.include_router(login.api)
    for router in ROUTERS:
        app.include_router(router)
    app.mount("/console/static", StaticFiles(directory=HERE / "static"), name="console-static")
