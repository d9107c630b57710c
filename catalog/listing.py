"""Read views of the catalog: list, show, DCAT export (CLI and API share them).

Every view reports the effective level and sharing type (reviewed values merged
with inferred ones, tighten-only) and keeps both visible, with who reviewed, and the
dataset's jurisdiction column (属地, ``region_column``: the row filter's column).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from catalog import dcat, levels
from catalog.entries import EXCHANGEABLE_LAYERS, effective_level, effective_sharing
from catalog.errors import UnknownDataset
from catalog.reviewed import load_all
from hub.store.models import Dataset, DatasetColumn, DatasetReview, DatasetVersion, LineageEdge


def summary(ds: Dataset) -> dict[str, Any]:
    level = effective_level(ds)
    return {
        "dataset": ds.id, "name_zh": ds.name_zh, "name_en": ds.name_en, "provider": ds.provider,
        "layer": ds.layer, "resource_code": ds.resource_code, "level": level,
        "level_name": levels.LEVEL_NAMES.get(level, ""), "sharing_type": effective_sharing(ds),
        "exchangeable": ds.exchangeable, "region_column": ds.region_column, "rows": ds.row_count,
        "version": ds.current_version,
        "published_at": ds.published_at.isoformat() if ds.published_at else None,
    }


def list_entries(session: Session, *, q: str | None = None, level: int | None = None,
                 provider: str | None = None, sharing_type: str | None = None,
                 layer: str | None = None, exchangeable_only: bool = False) -> list[dict[str, Any]]:
    """Catalog entries matching the filters, as summaries."""
    stmt = select(Dataset).order_by(Dataset.id)
    if q:
        like = f"%{q}%"
        stmt = stmt.where(or_(Dataset.id.like(like), Dataset.name_zh.like(like), Dataset.name_en.like(like),
                              Dataset.summary.like(like)))
    if provider:
        stmt = stmt.where(Dataset.provider == provider)
    if layer:
        stmt = stmt.where(Dataset.layer == layer)
    if exchangeable_only:
        stmt = stmt.where(Dataset.exchangeable.is_(True))
    rows = [summary(ds) for ds in session.scalars(stmt)]
    if level is not None:
        rows = [r for r in rows if r["level"] == level]
    if sharing_type:
        rows = [r for r in rows if r["sharing_type"] == sharing_type]
    return rows


def get(session: Session, dataset: str) -> Dataset:
    ds = session.get(Dataset, dataset)
    if ds is None:
        raise UnknownDataset(dataset)
    return ds


def columns(session: Session, dataset: str) -> list[DatasetColumn]:
    return list(session.scalars(select(DatasetColumn).where(DatasetColumn.dataset_id == dataset)
                                .order_by(DatasetColumn.position)))


def review_status(session: Session, ds: Dataset) -> dict[str, Any]:
    """Whether the entry is reviewed (repository entry or officer), pending review, or never exchanged."""
    if ds.layer not in EXCHANGEABLE_LAYERS:
        return {"status": "not exchanged", "layer": ds.layer}
    review = session.get(DatasetReview, ds.id)
    if review is not None:
        return {"status": "reviewed", "by": f"officer:{review.officer_id}", "role": review.role,
                "at": review.reviewed_at.isoformat()}
    if ds.id in load_all():
        return {"status": "repository entry", "by": ds.reviewed_by}
    return {"status": "pending officer review", "draft": (ds.meta or {}).get("draft"),
            "next": f"hub catalog review {ds.id} --officer OFFICER"}


def show(session: Session, dataset: str) -> dict[str, Any]:
    """Everything the catalog holds about one dataset."""
    ds = get(session, dataset)
    versions = session.scalars(select(DatasetVersion).where(DatasetVersion.dataset_id == dataset)
                               .order_by(DatasetVersion.number))
    up = session.scalars(select(LineageEdge).where(LineageEdge.downstream == dataset))
    down = session.scalars(select(LineageEdge.downstream).where(LineageEdge.upstream == dataset).distinct())
    return {
        **summary(ds), "summary": ds.summary, "owner": ds.owner, "update_cycle": ds.update_cycle,
        "open_attribute": ds.open_attribute, "sharing_conditions": ds.sharing_conditions,
        "level_inferred": ds.level_inferred,
        "level_reviewed": ds.level_reviewed, "sharing_type_inferred": ds.sharing_type_inferred,
        "sharing_type_reviewed": ds.sharing_type_reviewed, "reviewed_by": ds.reviewed_by,
        "quality": ds.quality, "refreshed_at": ds.refreshed_at.isoformat() if ds.refreshed_at else None,
        "related": (ds.meta or {}).get("related", []), "primary_key": (ds.meta or {}).get("primary_key", []),
        "review": review_status(session, ds),
        "origin": (ds.meta or {}).get("origin"),  # provenance of data pulled from another hub (huitong)
        "columns": [{"name": c.name, "type": c.data_type, "description": c.description, "pii": c.pii_class,
                     "recognizer": c.pii_recognizer, "share": c.pii_share, "confidence": c.pii_confidence,
                     "level": c.level, "free_text": c.free_text} for c in columns(session, dataset)],
        "versions": [{"version": v.version, "rows": v.row_count, "sha256": v.content_sha256,
                      "created_at": v.created_at.isoformat(), "retired": v.retired_at is not None}
                     for v in versions],
        "lineage": {"upstream": sorted({(e.upstream, e.upstream_column, e.downstream_column) for e in up}),
                    "downstream": sorted(down)},
    }


def export_dcat(session: Session, base_url: str) -> dict[str, Any]:
    """The exchangeable part of the catalog as a DCAT JSON-LD document."""
    nodes = []
    for ds in session.scalars(select(Dataset).where(Dataset.exchangeable.is_(True)).order_by(Dataset.id)):
        nodes.append(dcat.dataset_node(ds, columns(session, ds.id), effective_level(ds),
                                       effective_sharing(ds), base_url))
    return dcat.catalog_document(nodes, base_url)
