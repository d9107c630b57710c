"""An officer's review of a catalog entry (审核): what makes a new dataset exchangeable.

A dataset the repository has no reviewed entry for (``catalog/entries/*.yaml``) —
a new connector's table, a connector-shipped model — starts as its connector's
draft, classified by the PII scanner, and is never exchangeable until an officer
reviews it here: the level, the sharing type, the region column (属地) and the
class of any column the scanner got wrong.  The reviewer is a security officer or
the owner officer of the dataset's provider.  Levels and sharing types tighten the
inferred ones, never loosen them (``catalog.levels``).  The review is stored, applied
at once and on every later refresh (``catalog.entries``), and written to the audit
log in the same transaction; the next ``hub run`` publishes the dataset.

This module resolves what a review decides (``resolve``: the officer's choices over
the draft's proposals, validated) and applies it (``apply``).  The officer's signed
statement over the resolved terms — the one thing that makes a review happen — is
checked in ``hub.reviews``, like every other officer action.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from catalog import levels
from catalog.entries import (
    EXCHANGEABLE_LAYERS,
    apply_review,
    effective_level,
    effective_sharing,
    floor_of,
    infer,
    reviewed_classes,
)
from catalog.errors import UnknownDataset
from hub.errors import BadRequest, Forbidden
from hub.events import CATALOG_REVIEWED, AuditEvent, EventSink
from hub.store.models import Dataset, DatasetColumn, DatasetReview, Officer

NOT_REGIONAL = "none"  # --region-column none: the dataset has no jurisdiction column, said explicitly


@dataclass(frozen=True)
class ReviewRequest:
    """What the officer decides; ``None`` takes the draft's proposal (or the inferred value)."""

    dataset: str
    level: int | None = None
    sharing_type: str | None = None
    region_column: str | None = None  # a column, NOT_REGIONAL, or None for the draft's
    column_classes: dict[str, str | None] = field(default_factory=dict)  # column → class (None: not personal)


@dataclass(frozen=True)
class Resolved:
    """A review with every choice made: exactly what the officer signs."""

    dataset: str
    level: int
    sharing_type: str
    region_column: str | None
    column_classes: dict[str, str | None]

    def terms(self) -> dict[str, Any]:
        return {"dataset": self.dataset, "level": self.level, "sharing_type": self.sharing_type,
                "region_column": self.region_column, "column_classes": dict(sorted(self.column_classes.items()))}


def check_reviewer(officer: Officer, ds: Dataset) -> None:
    """The provider's owner officer or a security officer reviews; ``Forbidden`` otherwise."""
    if officer.role == "owner" and officer.owner_of != ds.provider:
        raise Forbidden(f"owner officer `{officer.id}` speaks for `{officer.owner_of}`, not for "
                        f"`{ds.provider}`: the provider's owner or a security officer reviews `{ds.id}`",
                        dataset=ds.id)


def _draft(ds: Dataset) -> dict[str, Any]:
    return dict((ds.meta or {}).get("draft") or {})


def _region(req: ReviewRequest, ds: Dataset, columns: set[str]) -> str | None:
    chosen = req.region_column or _draft(ds).get("region_column") or ds.region_column
    if chosen is None:
        raise BadRequest(f"dataset `{ds.id}`: name its region column (--region-column COLUMN) or say it has "
                         f"none (--region-column {NOT_REGIONAL}); columns: {', '.join(sorted(columns))}",
                         dataset=ds.id)
    if chosen == NOT_REGIONAL:
        return None
    if chosen not in columns:
        raise BadRequest(f"dataset `{ds.id}` has no column `{chosen}` for the region", dataset=ds.id,
                         column=chosen)
    return str(chosen)


def _classes(req: ReviewRequest, ds: Dataset, columns: set[str]) -> dict[str, str | None]:
    from catalog.recognizers import ENTITY_TYPES

    for column, cls in req.column_classes.items():
        if column not in columns:
            raise BadRequest(f"dataset `{ds.id}` has no column `{column}`", dataset=ds.id, column=column)
        if cls is not None and cls not in ENTITY_TYPES:
            raise BadRequest(f"column `{column}`: class `{cls}` is not one of {', '.join(ENTITY_TYPES)} "
                             "(or none)", dataset=ds.id, column=column)
    return dict(req.column_classes)


def _level_and_sharing(req: ReviewRequest, ds: Dataset) -> tuple[int, str]:
    draft = _draft(ds)
    level = req.level or draft.get("level") or effective_level(ds)
    if not 1 <= int(level) <= 5:
        raise BadRequest(f"level {level} must be between 1 and 5", dataset=ds.id)
    sharing = req.sharing_type or draft.get("sharing_type") or levels.default_sharing(int(level))
    if sharing not in levels.SHARING_TYPES:
        raise BadRequest(f"sharing type `{sharing}` must be one of {', '.join(levels.SHARING_TYPES)}",
                         dataset=ds.id)
    return int(level), str(sharing)


def _dataset(session: Session, dataset: str) -> Dataset:
    ds = session.get(Dataset, dataset)
    if ds is None:
        raise UnknownDataset(dataset)
    if ds.layer not in EXCHANGEABLE_LAYERS:
        raise BadRequest(f"dataset `{ds.id}` is a {ds.layer} layer: never exchanged, nothing to review "
                         f"(review the published layers: {', '.join(EXCHANGEABLE_LAYERS)})", dataset=ds.id)
    return ds


def _columns(session: Session, dataset: str) -> list[DatasetColumn]:
    return list(session.scalars(select(DatasetColumn).where(DatasetColumn.dataset_id == dataset)))


def resolve(session: Session, req: ReviewRequest) -> Resolved:
    """The review ``req`` asks for, every default taken from the draft; ``BadRequest`` naming a bad choice."""
    ds = _dataset(session, req.dataset)
    names = {c.name for c in _columns(session, ds.id)}
    level, sharing = _level_and_sharing(req, ds)
    return Resolved(ds.id, level, sharing, _region(req, ds, names), _classes(req, ds, names))


def apply(session: Session, sink: EventSink, resolved: Resolved, officer: Officer, *, comment: str = "",
          evidence: dict[str, Any] | None = None, now: datetime | None = None) -> Dataset:
    """Store and apply a review the officer signed; audit it (with ``evidence``, the signed statement)."""
    ds = _dataset(session, resolved.dataset)
    check_reviewer(officer, ds)
    row = session.get(DatasetReview, ds.id) or DatasetReview(dataset_id=ds.id)
    row.officer_id, row.role, row.level = officer.id, officer.role, resolved.level
    row.sharing_type, row.region_column = resolved.sharing_type, resolved.region_column
    row.column_classes, row.comment, row.reviewed_at = resolved.column_classes, comment, now or datetime.now(UTC)
    session.add(row)
    before = {"level": effective_level(ds), "sharing_type": effective_sharing(ds), "exchangeable": ds.exchangeable}
    floor = floor_of(session, ds.provider)
    cols = _columns(session, ds.id)
    for col in cols:
        reviewed_classes(col, row, floor)
    infer(ds, cols, floor)
    apply_review(ds, row)
    ds.exchangeable = True
    session.flush()
    sink(session, AuditEvent(CATALOG_REVIEWED, subject=f"officer:{officer.id}", action="review", dataset=ds.id,
                             decision="ok", reasons=[comment] if comment else [],
                             details={"before": before, "level": effective_level(ds),
                                      "sharing_type": effective_sharing(ds), "role": officer.role,
                                      **resolved.terms(), **(evidence or {})}))
    return ds
