"""Federation documents under ``/.well-known/``: what another hub needs from this one, unauthenticated.

* ``/.well-known/hub-identity.json`` — this hub's federation name, its public identity
  keys (current and retired) and their fingerprint (``hub.federation.identity``): the
  document another hub's officers register, after comparing the fingerprint over
  another channel, to trust this hub's model packages;
* ``/.well-known/hub-model-revocations.json`` — every model revocation this hub signed
  (``hub.federation.revocations``); hubs that installed its models fetch it at
  ``hub model sync``.

Both are public (signed where it matters: a revocation verifies only against the keys
an installing hub's officers registered) and cacheable for a short while.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends
from fastapi.responses import JSONResponse

from hub.api.context import ApiContext, get_context
from hub.errors import NotFound

router = APIRouter(tags=["federation"])
MAX_AGE_S = 60
IDENTITY_PATH = "/.well-known/hub-identity.json"
REVOCATIONS_PATH = "/.well-known/hub-model-revocations.json"
Ctx = Annotated[ApiContext, Depends(get_context)]


def _cached(document: dict[str, Any]) -> JSONResponse:
    return JSONResponse(document, headers={"Cache-Control": f"public, max-age={MAX_AGE_S}"})


@router.get(IDENTITY_PATH, responses={404: {"description": "this hub has no federation identity yet"}})
def identity(ctx: Ctx) -> JSONResponse:
    """This hub's federation identity: name, Chinese name, public identity keys (OKP JWKs), fingerprint."""
    from hub.federation import identity as hub_identity
    from hub.federation.errors import IdentityMissing

    try:
        return _cached(hub_identity.document(ctx.settings))
    except IdentityMissing as exc:
        raise NotFound(str(exc)) from None


@router.get(REVOCATIONS_PATH)
def revocations(ctx: Ctx) -> JSONResponse:
    """Every model revocation this hub signed (compact JWS each), oldest first."""
    from hub.federation import revocations as issued

    with ctx.store.session() as session:
        return _cached({"revocations": issued.issued(session)})
