"""Authentication at the API edge: the ``current_subject`` dependency.

Routers that need a caller declare ``subject: Subject = Depends(current_subject)``.
The bearer token is verified and its subject loaded once per token (``hub.verifier``,
remembered until the token expires); lockdowns and key revocations are checked on
every request against the process's revocation set (``hub.revocations``: at once for
changes made through this process, within ``HUB_STALENESS_S`` for the others).  Every refusal —
here and at ``/oauth/token`` — goes through ``reject``: one metric, one
``token.rejected`` audit event carrying the reason code (never the token), and a
401 problem whose detail tells an attacker nothing.
"""

from __future__ import annotations

import logging
from typing import Annotated

from fastapi import Depends, FastAPI, Request
from fastapi.responses import JSONResponse
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from starlette.concurrency import run_in_threadpool

from hub import metrics
from hub.api.context import ApiContext, client_ip, get_context, request_id
from hub.api.problems import problem
from hub.events import TOKEN_REJECTED, AuditEvent
from hub.identity import Subject
from hub.revocations import Revocations
from hub.tokens import TokenRejected
from hub.transport import scope_thumbprint
from hub.verifier import AccessVerifier

log = logging.getLogger("hub.api")
bearer = HTTPBearer(auto_error=False, scheme_name="bearer", bearerFormat="JWT",
                    description="EdDSA access token from POST /oauth/token (keys: /.well-known/jwks.json)")


def reject(ctx: ApiContext, request: Request, exc: TokenRejected) -> TokenRejected:
    """Count and audit a refused credential; return ``exc`` for the caller to raise."""
    metrics.TOKENS_REJECTED.labels(exc.stage, exc.reason).inc()
    log.info("credential rejected", extra={"request_id": request_id(request), "stage": exc.stage,
                                           "reason": exc.reason})
    event = AuditEvent(TOKEN_REJECTED, subject=exc.subject,
                       action="token" if exc.stage == "assertion" else "authenticate",
                       request_id=request_id(request), decision="deny", reasons=[exc.reason],
                       client_ip=client_ip(request), details={"stage": exc.stage, "reason": exc.reason})
    try:
        ctx.audit(event)
    except Exception:  # the refusal stands; the missing audit record is logged loudly
        log.exception("audit append failed for a rejected credential",
                      extra={"request_id": request_id(request)})
    return exc


async def token_rejected(request: Request, exc: Exception) -> JSONResponse:
    """401 problem+json with an OAuth error code and a ``WWW-Authenticate`` challenge."""
    assert isinstance(exc, TokenRejected)
    code = "invalid_client" if exc.stage == "assertion" else "invalid_token"
    challenge = 'Bearer realm="hub"' if exc.reason == "no_token" else f'Bearer realm="hub", error="{code}"'
    return problem(401, str(exc), title="unauthorized", error=code,
                   headers={"WWW-Authenticate": challenge})


def verifier_of(app: FastAPI, ctx: ApiContext) -> AccessVerifier:
    """The app's access-token verifier, built on first use."""
    found: AccessVerifier | None = getattr(app.state, "verifier", None)
    if found is None:
        revocations = Revocations(ctx.store, ctx.keys, ctx.settings.staleness_s)
        found = app.state.verifier = AccessVerifier(ctx.store, ctx.keys, ctx.tokens, revocations)
    return found


async def current_subject(request: Request,
                          credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)],
                          ctx: Annotated[ApiContext, Depends(get_context)]) -> Subject:
    """The authenticated, unsuspended subject of this request (401 otherwise).

    A remembered token checked against a fresh revocation state is decided on the event
    loop (memory only); anything that reads the store or the keys — a first sight of the
    token, a revocation state past ``HUB_STALENESS_S``, the audit record of a refusal —
    runs in a worker thread.
    """
    try:
        if credentials is None:
            raise TokenRejected("no_token", stage="access")
        verifier = verifier_of(request.app, ctx)
        token = credentials.credentials
        # a certificate-bound token (RFC 8705 cnf) needs its certificate on this very connection
        thumbprint = scope_thumbprint(request.scope)
        if verifier.ready(token):
            subject = verifier.subject(token, thumbprint)
        else:
            subject = await run_in_threadpool(verifier.subject, token, thumbprint)
    except TokenRejected as exc:
        raise await run_in_threadpool(reject, ctx, request, exc) from None
    request.state.subject = subject.id
    return subject


CurrentSubject = Annotated[Subject, Depends(current_subject)]
