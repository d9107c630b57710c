"""The catalog pages (数据目录): search and filter entries; an entry with its Chinese core
metadata, columns (PII class, level, reviewed value), versions and lineage graph.

Everything comes from ``catalog.listing`` (the views the CLI and the API use).  The
lineage graph is drawn by ECharts from ``/console/catalog/{dataset}/lineage`` (JSON):
datasets from the sources through raw, staging and published layers to clues, and
column to column on demand (``?columns=1``).
"""

from __future__ import annotations

from collections import deque
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import JSONResponse, Response
from sqlalchemy import select
from sqlalchemy.orm import Session

from catalog import listing
from catalog.entries import layer_of
from hub.console.web import ConsoleRoute, Ctx, CurrentOfficer, render
from hub.errors import BadRequest
from hub.store.models import LineageEdge

router = APIRouter(route_class=ConsoleRoute, include_in_schema=False)
SHARING = ("unconditional", "conditional", "none")
Short = Annotated[str | None, Query(max_length=160)]
MAX_GRAPH = 300


def _level(raw: str | None) -> int | None:
    if raw in (None, ""):
        return None
    if not raw.isdigit() or not 1 <= int(raw) <= 5:
        raise BadRequest(f"level `{raw[:8]}` must be a whole number from 1 to 5")
    return int(raw)


@router.get("/console/catalog")
def catalog_list(request: Request, current: CurrentOfficer, ctx: Ctx, q: Short = None, provider: Short = None,
                 level: Short = None, sharing_type: Short = None) -> Response:
    if sharing_type and sharing_type not in SHARING:
        raise BadRequest(f"sharing type `{sharing_type[:32]}` must be one of {', '.join(SHARING)}")
    with ctx.store.session() as session:
        entries = listing.list_entries(session, q=q or None, provider=provider or None, level=_level(level),
                                       sharing_type=sharing_type or None)
        providers = sorted({e["provider"] for e in listing.list_entries(session)})
    return render(request, "catalog.html", current=current, entries=entries, providers=providers,
                  sharing_types=SHARING, filters={"q": q or "", "provider": provider or "", "level": level or "",
                                                  "sharing_type": sharing_type or ""})


@router.get("/console/catalog/{dataset}")
def catalog_entry(dataset: str, request: Request, current: CurrentOfficer, ctx: Ctx) -> Response:
    with ctx.store.session() as session:
        entry = listing.show(session, dataset[:160])
    return render(request, "entry.html", current=current, entry=entry)


def _walk(session: Session, start: str, up: bool) -> dict[int, LineageEdge]:
    """The edges upstream (``up``) or downstream of ``start``, transitively (bounded)."""
    seen, queue = {start}, deque([start])
    found: dict[int, LineageEdge] = {}
    near, far = (LineageEdge.downstream, "upstream") if up else (LineageEdge.upstream, "downstream")
    while queue and len(found) < MAX_GRAPH:
        node = queue.popleft()
        for edge in session.scalars(select(LineageEdge).where(near == node)):
            found[edge.id] = edge
            other = getattr(edge, far)
            if other not in seen:
                seen.add(other)
                queue.append(other)
    return found


def _edges(session: Session, dataset: str) -> list[LineageEdge]:
    """The dataset's lineage: everything it comes from and everything that comes from it."""
    return list({**_walk(session, dataset, up=True), **_walk(session, dataset, up=False)}.values())


def _category(name: str) -> str:
    return "source-system" if ":" in name.split(".", 1)[0] else layer_of(name)


def _graph(edges: list[LineageEdge], dataset: str, columns: bool) -> dict[str, Any]:
    nodes: dict[str, dict[str, Any]] = {}
    links: set[tuple[str, str]] = set()

    def node(name: str, category: str) -> str:
        nodes.setdefault(name, {"name": name, "category": category, "focus": name == dataset})
        return name

    for e in edges:
        if e.upstream == e.downstream:  # a self-edge draws nothing (and no diagram takes a cycle)
            continue
        up, down = node(e.upstream, _category(e.upstream)), node(e.downstream, _category(e.downstream))
        if columns and e.upstream_column and e.downstream_column:
            uc = node(f"{e.upstream}.{e.upstream_column}", "column")
            dc = node(f"{e.downstream}.{e.downstream_column}", "column")
            links.update({(up, uc), (uc, dc), (dc, down)})
        else:
            links.add((up, down))
    return {"nodes": list(nodes.values()), "links": [{"source": s, "target": t} for s, t in sorted(links)]}


@router.get("/console/catalog/{dataset}/lineage")
def lineage(dataset: str, current: CurrentOfficer, ctx: Ctx,
            columns: Annotated[bool, Query()] = False) -> Response:
    with ctx.store.session() as session:
        listing.get(session, dataset[:160])
        graph = _graph(_edges(session, dataset[:160]), dataset[:160], columns)
    return JSONResponse(graph)
