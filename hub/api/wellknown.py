"""Public keys under ``/.well-known/``: who verifies what, with nothing but what the API serves.

* ``/.well-known/jwks.json`` — the access-token signing keys (the current signer and
  older ones, which keep verifying the tokens they signed until those expire).
* ``/.well-known/audit-jwks.json`` — the audit signing keys, current and retired, with
  their validity: they verify delivery receipts (``X-Hub-Receipt``) and audit
  checkpoints, so a partner checks its evidence alone (docs/audit.md §6).

Both are public, cacheable (``Cache-Control``, a strong ``ETag`` over the exact bytes,
``304`` on ``If-None-Match``) and served as canonical JSON.
"""

from __future__ import annotations

import hashlib
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response

from hub.api.context import ApiContext, get_context
from hub.audit.canonical import canonical_json
from hub.audit.pubkeys import audit_jwks

router = APIRouter(tags=["keys"])
JWKS_MEDIA_TYPE = "application/jwk-set+json"
MAX_AGE_S = 300
AUDIT_JWKS_PATH = "/.well-known/audit-jwks.json"

_EXAMPLE = {"keys": [{"alg": "EdDSA", "crv": "Ed25519", "kid": "audit-01796586000000000000-a1b2c3",
                      "kty": "OKP", "status": "current", "use": "sig",
                      "valid_from": "2026-12-06T08:00:00+00:00", "valid_until": None,
                      "x": "11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo"}]}


def _cacheable(request: Request, document: dict[str, Any]) -> Response:
    body = canonical_json(document)
    etag = '"' + hashlib.sha256(body).hexdigest()[:32] + '"'
    headers = {"Cache-Control": f"public, max-age={MAX_AGE_S}", "ETag": etag}
    if etag in [t.strip() for t in request.headers.get("if-none-match", "").split(",")]:
        return Response(status_code=304, headers=headers)
    return Response(body, media_type=JWKS_MEDIA_TYPE, headers=headers)


def _responses(description: str, example: dict[str, Any]) -> dict[int | str, dict[str, Any]]:
    cache = {"Cache-Control": {"description": f"public, max-age={MAX_AGE_S}", "schema": {"type": "string"}},
             "ETag": {"description": "strong validator of the exact bytes", "schema": {"type": "string"}}}
    return {200: {"description": description, "headers": cache,
                  "content": {JWKS_MEDIA_TYPE: {"example": example}}},
            304: {"description": "not modified (the `If-None-Match` ETag is current)", "headers": cache},
            503: {"description": "key store unreadable (problem+json)"}}


@router.get("/.well-known/jwks.json", response_class=Response,
            responses=_responses("JWK Set (RFC 7517) of the access-token signing keys", {"keys": []}))
def jwks(request: Request, ctx: Annotated[ApiContext, Depends(get_context)]) -> Response:
    """The JWK Set of the access-token signing keys (OKP / Ed25519)."""
    return _cacheable(request, {"keys": [key.jwk() for key in ctx.keys.keys("token")]})


@router.get(AUDIT_JWKS_PATH, response_class=Response,
            responses=_responses("JWK Set of the audit signing keys, current and retired, with validity",
                                 _EXAMPLE))
def audit_keys(request: Request, ctx: Annotated[ApiContext, Depends(get_context)]) -> Response:
    """The audit signing public keys (Ed25519), current and retired, that verify receipts and checkpoints.

    Each key is an OKP JWK (RFC 8037) with three more members: `status` (`current` or
    `retired`), `valid_from` (when the hub started signing with it) and `valid_until`
    (when a newer key took over; null for the current key). A receipt (`X-Hub-Receipt`,
    a compact JWS) names its key in the JWS header `kid`. Verifying one with `curl`,
    `base64` and `openssl` only: docs/audit.md §6.
    """
    return _cacheable(request, audit_jwks(ctx.keys))
