"""Audit endpoints: ``GET /v1/audit`` (officers: all; partners: their own) and checkpoints.

The caller's view comes from the policy's ``audit`` decision: a partner's allow
carries ``row_filter {"column": "subject", "equals": "partner:ID"}``, applied here
as the ``subject`` filter, whatever the partner asked for.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request

from hub.api.auth import CurrentSubject
from hub.api.context import ApiContext, get_context
from hub.api.data import exchange_of
from hub.audit import list_checkpoints
from hub.audit.query import query
from hub.errors import Forbidden
from hub.policy.decision import PolicyError
from hub.policy.point import forbidden

router = APIRouter(tags=["audit"])
Ctx = Annotated[ApiContext, Depends(get_context)]
Text = Annotated[str | None, Query(max_length=160)]


def _subject_scope(request: Request, ctx: ApiContext, subject: CurrentSubject,
                   asked: str | None) -> str | None:
    resource = {"dataset": None}
    decision = exchange_of(request.app, ctx).point.decide(subject.policy_input(), "audit", resource,
                                                          {"purpose": ""})
    if decision.error:
        raise PolicyError("policy engine unavailable")
    if not decision.allow:
        raise forbidden(decision, "audit", resource)
    rf = decision.row_filter or {}
    if subject.kind == "partner" or rf.get("column") == "subject":
        own = str(rf.get("equals") or subject.id)
        if asked not in (None, own):
            raise Forbidden("partners read only their own audit records")
        return own
    return asked


@router.get("/v1/audit")
def audit_records(request: Request, subject: CurrentSubject, ctx: Ctx, dataset: Text = None,
                  action: Text = None, event: Text = None, decision: Text = None,
                  who: Annotated[str | None, Query(alias="subject", max_length=160)] = None,
                  since: Text = None, until: Text = None,
                  after_seq: Annotated[int | None, Query(ge=0, le=2**63 - 1)] = None,
                  limit: Annotated[int, Query(ge=1, le=1000)] = 100) -> dict[str, Any]:
    """Audit records in seq order; page with ``after_seq``."""
    scope = _subject_scope(request, ctx, subject, who)
    records = query(ctx.store, subject=scope, dataset=dataset, action=action, event=event,
                    decision=decision, since=since, until=until, after_seq=after_seq, limit=limit)
    return {"records": [r.as_dict() for r in records],
            "next_after_seq": records[-1].seq if len(records) == limit else None}


@router.get("/v1/audit/checkpoints")
def checkpoints(subject: CurrentSubject, ctx: Ctx, after_seq: Annotated[int | None, Query(ge=0, le=2**63 - 1)] = None,
                limit: Annotated[int, Query(ge=1, le=10000)] = 100) -> dict[str, Any]:
    """Signed checkpoints `(seq, hash, ts, key_id, signature)` of the chain head, in seq order.

    The public keys that verify them are at `/.well-known/audit-jwks.json` (docs/audit.md §3).
    """
    return {"checkpoints": list_checkpoints(ctx.store, after_seq, limit)}
