"""``GET /.well-known/jwks.json``: the public keys that verify the hub's access tokens.

Every token key in the key store is listed — the current signer and the older
ones, which keep verifying the tokens they signed until those expire.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends
from fastapi.responses import JSONResponse

from hub.api.context import ApiContext, get_context

router = APIRouter(tags=["keys"])


@router.get("/.well-known/jwks.json", responses={200: {"description": "JWK Set (RFC 7517)"}})
def jwks(ctx: Annotated[ApiContext, Depends(get_context)]) -> JSONResponse:
    """The JWK Set of the access-token signing keys (OKP / Ed25519)."""
    keys: list[dict[str, Any]] = [key.jwk() for key in ctx.keys.keys("token")]
    return JSONResponse({"keys": keys}, headers={"Cache-Control": "public, max-age=60"})
