"""Logging in and out: the login page, one-time links, the link-issuing endpoint, logout.

``POST /console/login-links`` takes a login statement signed with an officer's own key
(``{"statement": JWS}``) and answers the one-time URL; ``hub console login --key``
does the same against the store.  ``GET /console/login/{token}`` redeems a link (once,
within 5 minutes), opens a server-side session and sets its cookie.  Every issued
link, login, refused login and logout is an audit record.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response
from pydantic import BaseModel, Field

from hub import statements
from hub.api.context import ApiContext, client_ip
from hub.api.workflow import sink_of
from hub.console import links, sessions
from hub.console.links import LinkRefused
from hub.console.web import SECURITY_HEADERS, ConsoleRoute, Ctx, CurrentOfficer, audit, form_of, render, state_of
from hub.events import CONSOLE_LOGIN, CONSOLE_LOGOUT, AuditEvent

router = APIRouter(route_class=ConsoleRoute, include_in_schema=False)
api = APIRouter(tags=["console"])  # JSON endpoint (problem+json errors, in the OpenAPI spec)


class LoginStatement(BaseModel):
    statement: str = Field(min_length=16, max_length=statements.MAX_STATEMENT_BYTES,
                           description="a `login` statement (target `console`, terms "
                                       '{"console": "login", "officer": ID}) signed with the officer\'s own key')


@api.post("/console/login-links", status_code=201)
def issue_link(body: LoginStatement, request: Request, ctx: Ctx) -> dict[str, Any]:
    """A one-time console login URL (5 minutes, one visit) for a login statement signed by an
    enrolled officer's own key; refused for anyone else (partners included)."""
    state = state_of(request)
    base = public_base(ctx)
    with ctx.store.session() as session:
        link = links.issue(session, sink_of(ctx), body.statement, secret=state.login.secret, base_url=base,
                           now=state.clock())
    return {"url": link.url, "officer": link.officer, "expires_at": link.expires_at.isoformat()}


@router.get("/console/login")
def login_page(request: Request) -> Response:
    """How to log in (no session needed)."""
    state = state_of(request)
    return render(request, "login.html", hint=state.login.hint(_lang(request)))


def public_base(ctx: ApiContext) -> str:
    """The hub's public URL (``HUB_PUBLIC_URL``), which links point at."""
    return ctx.tokens.token_url.removesuffix("/oauth/token")


def _lang(request: Request) -> str:
    from hub.console.web import lang

    return lang(request)


def _secure(request: Request) -> bool:
    return request.url.scheme == "https" or request.headers.get("x-forwarded-proto") == "https"


@router.get("/console/login/{token}")
def redeem(token: str, request: Request, ctx: Ctx) -> Response:
    """Open a session from a one-time link (refused when forged, expired or used before)."""
    state = state_of(request)
    now = state.clock()
    try:
        with ctx.store.session() as session:
            officer = state.login.redeem(session, token[:300], now)
            cookie = sessions.open_session(session, officer, state.login.name, now)
            sink_of(ctx)(session, AuditEvent(CONSOLE_LOGIN, subject=f"officer:{officer.id}", action="login",
                                             decision="ok", client_ip=client_ip(request),
                                             details={"provider": state.login.name}))
    except LinkRefused as exc:
        audit(ctx, request, AuditEvent(CONSOLE_LOGIN, subject=None, action="login", decision="deny",
                                       reasons=[str(exc)], details={"provider": state.login.name}))
        return render(request, "login.html", status_code=403, refused=str(exc),
                      hint=state.login.hint(_lang(request)))
    response = RedirectResponse("/console/", status_code=303, headers=SECURITY_HEADERS)
    response.set_cookie(sessions.COOKIE, cookie, httponly=True, samesite="strict", secure=_secure(request),
                        path="/console", max_age=int(sessions.ABSOLUTE.total_seconds()))
    return response


@router.post("/console/logout")
async def logout(request: Request, current: CurrentOfficer, ctx: Ctx) -> Response:
    """End the session (CSRF-checked)."""
    await form_of(request, current)
    with ctx.store.session() as session:
        sessions.end(session, current.session_id, state_of(request).clock())
        sink_of(ctx)(session, AuditEvent(CONSOLE_LOGOUT, subject=current.subject, action="logout", decision="ok",
                                         client_ip=client_ip(request), reasons=["session ended: logout"]))
    response = RedirectResponse("/console/login", status_code=303, headers=SECURITY_HEADERS)
    response.delete_cookie(sessions.COOKIE, path="/console")
    return response
