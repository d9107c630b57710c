"""``POST /oauth/token``: the client-credentials grant with a ``private_key_jwt`` assertion.

A partner or officer system proves who it is with a JWT signed by its registered
key (RFC 7523) and receives a short-lived access token.  The issuance is
audited before the token leaves; if the audit log is down, no token is issued.
"""

from __future__ import annotations

import logging
from typing import Annotated

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel

from hub import metrics
from hub.api.auth import reject
from hub.api.context import ApiContext, client_ip, get_context, request_id
from hub.certificates import bind_at_token
from hub.errors import BadRequest, Unavailable
from hub.events import TOKEN_ISSUED, AuditEvent
from hub.tokens import ASSERTION_TYPE, TokenRejected, authenticate_client, issue_access_token
from hub.transport import scope_thumbprint

router = APIRouter(tags=["oauth"])
log = logging.getLogger("hub.api")


class OAuthRequestError(BadRequest):
    """A token request that is not a client-credentials grant with a JWT assertion."""

    title = "invalid token request"


class TokenResponse(BaseModel):
    access_token: str
    token_type: str = "Bearer"
    expires_in: int


def _check_grant(grant_type: str, assertion_type: str) -> None:
    if grant_type != "client_credentials":
        raise OAuthRequestError("grant_type must be client_credentials")
    if assertion_type != ASSERTION_TYPE:
        raise OAuthRequestError(f"client_assertion_type must be {ASSERTION_TYPE}")


@router.post("/oauth/token", response_model=TokenResponse,
             responses={400: {"description": "malformed token request (problem+json)"},
                        401: {"description": "client authentication failed (problem+json)"},
                        503: {"description": "audit log unavailable: no token issued"}})
def token(request: Request,
          grant_type: Annotated[str, Form()],
          client_assertion_type: Annotated[str, Form()],
          client_assertion: Annotated[str, Form(description="JWT: iss=sub=client id, aud=token URL")],
          ctx: Annotated[ApiContext, Depends(get_context)]) -> JSONResponse:
    """Exchange a signed client assertion for an EdDSA access token."""
    _check_grant(grant_type, client_assertion_type)
    try:
        with ctx.store.session() as session:
            subject, client_kid = authenticate_client(session, client_assertion, ctx.tokens)
            cnf = bind_at_token(session, subject.id, scope_thumbprint(request.scope))  # mutual TLS (RFC 8705)
    except TokenRejected as exc:
        raise reject(ctx, request, exc) from None
    issued = issue_access_token(ctx.keys, subject, ctx.tokens, client_kid=client_kid, cnf=cnf)
    event = AuditEvent(TOKEN_ISSUED, subject=subject.id, action="token", request_id=request_id(request),
                       decision="ok", client_ip=client_ip(request),
                       details={"kid": issued.kid, "jti": issued.jti, "expires_in": issued.expires_in})
    try:
        ctx.audit(event)
    except Exception as exc:
        log.exception("audit append failed; token withheld", extra={"request_id": request_id(request)})
        raise Unavailable("audit log unavailable") from exc
    metrics.TOKENS_ISSUED.labels(subject.kind).inc()
    body = TokenResponse(access_token=issued.token, expires_in=issued.expires_in)
    return JSONResponse(body.model_dump(), headers={"Cache-Control": "no-store", "Pragma": "no-cache"})
