"""Authentication at the API edge: the ``current_subject`` dependency.

Routers that need a caller declare ``subject: Subject = Depends(current_subject)``.
The bearer token is verified (``hub.tokens``) and the subject loaded from the
store on every request, so a lockdown takes effect at once.  Every refusal —
here and at ``/oauth/token`` — goes through ``reject``: one metric, one
``token.rejected`` audit event carrying the reason code (never the token), and a
401 problem whose detail tells an attacker nothing.
"""

from __future__ import annotations

import logging
from typing import Annotated

from fastapi import Depends, Request
from fastapi.responses import JSONResponse
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from hub import metrics
from hub.api.context import ApiContext, client_ip, get_context, request_id
from hub.api.problems import problem
from hub.certificates import check_binding
from hub.events import TOKEN_REJECTED, AuditEvent
from hub.identity import Subject
from hub.tokens import TokenRejected, subject_for, verify_access_token
from hub.transport import scope_thumbprint

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


def current_subject(request: Request,
                    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)],
                    ctx: Annotated[ApiContext, Depends(get_context)]) -> Subject:
    """The authenticated, unsuspended subject of this request (401 otherwise)."""
    try:
        if credentials is None:
            raise TokenRejected("no_token", stage="access")
        claims = verify_access_token(ctx.keys, credentials.credentials, ctx.tokens)
        check_binding(claims, scope_thumbprint(request.scope))  # a certificate-bound token needs its certificate
        with ctx.store.session() as session:
            subject = subject_for(session, claims)
    except TokenRejected as exc:
        raise reject(ctx, request, exc) from None
    request.state.subject = subject.id
    return subject


CurrentSubject = Annotated[Subject, Depends(current_subject)]
