"""Catalog endpoints: ``GET /v1/catalog`` and ``GET /v1/catalog/{dataset}`` (metadata, never data).

Partners see every published entry the policy lets them ``describe``; to a partner a
dataset that is unknown, not published (no current version, or not a published
layer) or never exchanged looks the same: absent from the list, and one identical
404 on direct access.  Officers see everything.  A policy point that cannot decide
is a 503, never an empty catalog.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request

from catalog import listing
from catalog.errors import UnknownDataset
from hub.api.auth import CurrentSubject
from hub.api.context import ApiContext, get_context
from hub.api.data import exchange_of
from hub.errors import NotFound
from hub.identity import Subject
from hub.policy.decision import PolicyError
from hub.policy.resource import resource_input

router = APIRouter(tags=["catalog"])
Ctx = Annotated[ApiContext, Depends(get_context)]


def _visible(request: Request, ctx: ApiContext, subject: Subject, datasets: list[str]) -> set[str]:
    """The datasets of ``datasets`` that ``subject`` may see: partners, the published ones
    the policy lets them describe; 503 (``PolicyError``) if the policy point cannot decide."""
    if subject.kind != "partner":
        return set(datasets)
    point = exchange_of(request.app, ctx).point
    who = subject.policy_input()
    shown = set()
    with ctx.store.session() as session:
        for dataset in datasets:
            resource = resource_input(session, dataset)
            if not resource["version"]:  # not published yet: as if unknown
                continue
            decision = point.decide(who, "describe", resource, {"purpose": ""})
            if decision.error:
                raise PolicyError("policy engine unavailable", dataset=dataset)
            if decision.allow:
                shown.add(dataset)
    return shown


@router.get("/v1/catalog")
def catalog_list(request: Request, subject: CurrentSubject, ctx: Ctx,
                 q: Annotated[str | None, Query(max_length=100)] = None,
                 level: Annotated[int | None, Query(ge=1, le=5)] = None,
                 provider: Annotated[str | None, Query(max_length=64)] = None,
                 sharing_type: Annotated[str | None, Query(max_length=16)] = None) -> dict[str, Any]:
    """Catalog entries matching the filters that the caller may see."""
    with ctx.store.session() as session:
        entries = listing.list_entries(session, q=q, level=level, provider=provider,
                                       sharing_type=sharing_type)
    shown = _visible(request, ctx, subject, [e["dataset"] for e in entries])
    return {"datasets": [e for e in entries if e["dataset"] in shown]}


@router.get("/v1/catalog/{dataset}", responses={
    404: {"description": "unknown, unpublished or hidden dataset (one answer for all three)"},
    503: {"description": "metadata store or policy point unavailable; `Retry-After` set"}})
def catalog_entry(request: Request, dataset: str, subject: CurrentSubject, ctx: Ctx) -> dict[str, Any]:
    """Everything the catalog holds about one dataset (columns, levels, versions, lineage)."""
    hidden = NotFound(f"dataset `{dataset[:160]}` is not in the catalog", dataset=dataset[:160])
    try:
        with ctx.store.session() as session:
            entry = listing.show(session, dataset)
    except (UnknownDataset, NotFound):
        raise hidden from None
    if dataset not in _visible(request, ctx, subject, [dataset]):
        raise hidden
    return entry
