"""What every console page shares: state, rendering, the session gate, CSRF, errors.

``ConsoleState`` (on ``app.state.console``) holds the templates, the clock (tests move
it), the login provider and the background verification jobs.  ``ConsoleRoute`` is the
route class of every console router: a ``HubError`` or a bad parameter becomes an HTML
page with the message and its status (never a traceback, never a 500 for bad input),
and a request without a live session is redirected to the login page.  Every response
carries a strict Content-Security-Policy (scripts and styles from the hub only), no
caching and no referrer, so a login link never leaks through a ``Referer``.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Coroutine
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import quote

from fastapi import Depends, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.routing import APIRoute
from jinja2 import Environment, FileSystemLoader, select_autoescape

from hub.api.context import ApiContext, client_ip, get_context
from hub.api.workflow import sink_of
from hub.console import i18n, sessions
from hub.console.jobs import VerifyJobs
from hub.console.providers import OfficerStatementLogin
from hub.errors import HubError
from hub.events import CONSOLE_LOGOUT, AuditEvent
from hub.policy.cases import SuiteRuns

log = logging.getLogger("hub.console")
HERE = Path(__file__).parent
SECURITY_HEADERS = {
    "Content-Security-Policy": ("default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
                                "connect-src 'self'; frame-ancestors 'none'; form-action 'self'; base-uri 'none'"),
    "X-Frame-Options": "DENY", "X-Content-Type-Options": "nosniff", "Referrer-Policy": "no-referrer",
    "Cache-Control": "no-store",
}


def _utcnow() -> datetime:
    return datetime.now(UTC)


@dataclass
class ConsoleState:
    """The console's share of the app (``app.state.console``)."""

    login: OfficerStatementLogin
    clock: Callable[[], datetime] = _utcnow
    jobs: VerifyJobs = field(default_factory=VerifyJobs)
    suite: SuiteRuns = field(default_factory=SuiteRuns)  # the policy page's case outcomes, per revision
    env: Environment = field(default_factory=lambda: _environment())


def _environment() -> Environment:
    env = Environment(loader=FileSystemLoader(HERE / "templates"), autoescape=select_autoescape(["html"]),
                      trim_blocks=True, lstrip_blocks=True)
    env.filters["local"] = i18n.local
    return env


def state_of(request: Request) -> ConsoleState:
    found: ConsoleState = request.app.state.console
    return found


class LoginRequired(Exception):
    """No live session: the gate sends the browser to the login page."""


def lang(request: Request) -> str:
    return i18n.lang_of(request.query_params.get("lang"), request.cookies.get(i18n.LANG_COOKIE))


def render(request: Request, template: str, status_code: int = 200, current: sessions.Current | None = None,
           **values: Any) -> HTMLResponse:
    """Render ``template`` in the request's language, with the security headers."""
    chosen = lang(request)
    page = state_of(request).env.get_template(template).render(
        t=i18n.text(chosen), lang=chosen, current=current, path=request.url.path, age=i18n.age, **values)
    response = HTMLResponse(page, status_code=status_code, headers=SECURITY_HEADERS)
    if request.query_params.get("lang") in i18n.LANGS:
        response.set_cookie(i18n.LANG_COOKIE, chosen, httponly=True, samesite="strict", path="/console")
    return response


def _error_page(request: Request, status: int, message: str) -> HTMLResponse:
    return render(request, "error.html", status_code=status, message=message,
                  current=getattr(request.state, "console_current", None))


def _login_redirect(request: Request) -> Response:
    target = quote(request.url.path, safe="/")
    if request.headers.get("HX-Request"):
        return Response(status_code=401, headers={"HX-Redirect": f"/console/login?next={target}"})
    return RedirectResponse(f"/console/login?next={target}", status_code=303, headers=SECURITY_HEADERS)


def _validation_message(exc: RequestValidationError) -> str:
    parts = []
    for error in exc.errors():
        where = ".".join(str(p) for p in error.get("loc", ())[1:]) or "input"
        parts.append(f"`{where}`: {error.get('msg', 'invalid')}")
    return "; ".join(parts) or "invalid request"


class ConsoleRoute(APIRoute):
    """Renders errors as console pages and sends requests without a session to the login page."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()

        async def guarded(request: Request) -> Response:
            try:
                response = await handler(request)
            except LoginRequired:
                return _login_redirect(request)
            except RequestValidationError as exc:
                return _error_page(request, 400, _validation_message(exc))
            except HubError as exc:
                if exc.status >= 500:
                    log.error("console: %s: %s", exc.title, exc)
                    return _error_page(request, exc.status, "a service the hub depends on is unavailable; "
                                                            "retry later")
                return _error_page(request, exc.status, str(exc))
            for name, value in SECURITY_HEADERS.items():
                response.headers.setdefault(name, value)
            return response

        return guarded


Ctx = Annotated[ApiContext, Depends(get_context)]


def current_officer(request: Request, ctx: Ctx) -> sessions.Current:
    """The officer of the request's live session; ``LoginRequired`` otherwise (audits timeouts)."""
    state = state_of(request)
    now = state.clock()
    with ctx.store.session() as session:
        found, ended = sessions.resume(session, request.cookies.get(sessions.COOKIE), now)
        if ended is not None:  # timed out just now: the end is audited with it
            sink_of(ctx)(session, AuditEvent(
                CONSOLE_LOGOUT, subject=f"officer:{ended.officer_id}", action="logout", decision="ok",
                client_ip=client_ip(request), reasons=[f"session ended: {ended.end_reason}"]))
    if found is None:
        raise LoginRequired()
    request.state.console_current = found
    request.state.subject = found.subject
    return found


CurrentOfficer = Annotated[sessions.Current, Depends(current_officer)]


MAX_UPLOAD = 64 * 1024


@dataclass(frozen=True)
class Upload:
    """An uploaded file of a console form, read (at most ``MAX_UPLOAD`` + 1 bytes) and closed."""

    name: str
    data: bytes

    @property
    def too_large(self) -> bool:
        return len(self.data) > MAX_UPLOAD


async def form_of(request: Request, current: sessions.Current) -> dict[str, Any]:
    """The posted form (uploads read and closed), after its CSRF token matched the session's."""
    from starlette.datastructures import UploadFile

    from hub.errors import Forbidden

    async with request.form(max_files=2, max_fields=100) as form:
        if not current.csrf_ok(str(form.get("csrf") or "")):
            raise Forbidden("the form's CSRF token is missing or wrong (reload the page and submit again)")
        values: dict[str, Any] = {}
        for name, value in form.multi_items():
            if isinstance(value, UploadFile):
                values[name] = Upload(value.filename or "", await value.read(MAX_UPLOAD + 1))
            else:
                values[name] = value
    return values


def audit(ctx: ApiContext, request: Request, event: AuditEvent) -> None:
    """Append a console event (fails closed: the audit log down → 503 page)."""
    from hub.errors import Unavailable

    try:
        ctx.audit(AuditEvent(**{**event.fields(), "client_ip": client_ip(request),
                                "request_id": getattr(request.state, "request_id", None)}))
    except HubError:
        raise
    except Exception as exc:  # noqa: BLE001 - the audit log is down: nothing happens without its record
        raise Unavailable(f"audit log unavailable: {exc}") from None
