"""Catalog endpoints: ``GET /v1/catalog`` and ``GET /v1/catalog/{dataset}`` (metadata, never data).

Partners see every entry the policy lets them ``describe`` (never-exchanged datasets
are hidden: listed for nobody, 404 on direct access); officers see everything.
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
from hub.policy.resource import resource_input

router = APIRouter(tags=["catalog"])
Ctx = Annotated[ApiContext, Depends(get_context)]


def _visible(request: Request, ctx: ApiContext, subject: Subject, datasets: list[str]) -> set[str]:
    """The datasets of ``datasets`` the policy lets ``subject`` describe."""
    if subject.kind != "partner":
        return set(datasets)
    point = exchange_of(request.app, ctx).point
    who = subject.policy_input()
    shown = set()
    with ctx.store.session() as session:
        for dataset in datasets:
            resource = resource_input(session, dataset)
            if point.decide(who, "describe", resource, {"purpose": ""}).allow:
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


@router.get("/v1/catalog/{dataset}", responses={404: {"description": "unknown or hidden dataset"}})
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
