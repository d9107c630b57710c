"""Catalog entries (数据资源目录条目): registering warehouse datasets.

``register`` reads a dataset's schema, row count and a sample of values from the
warehouse, classifies each column (``catalog.classify``), derives levels and the
sharing type (``catalog.levels``) and upserts the ``datasets`` /
``dataset_columns`` rows with lineage edges.  A change of effective level is an
audit event.  What it merges, strongest first:

- the officer's review in the store (``catalog.review``: level, sharing type, region
  column, column classes), which tightens, never loosens;
- the repository's reviewed entry (``catalog/entries/*.yaml``, ``catalog.reviewed``);
- the connector's draft (``connectors.Draft``): names and proposals only.

A published layer is exchangeable only once reviewed — by a repository entry or by
an officer; a dataset known only from its draft waits, whatever it holds.

A dataset pulled from another hub (``connectors.kinds.huitong``) arrives with its
provenance (``DatasetFacts.origin``: origin hub, dataset, version, level and sharing
type there, grant, masks, receipts); every dataset derived from it inherits the
strictest provenance of its upstream datasets.  Such a dataset is never rated below
its origin: the origin's level and sharing type are floors of the inferred ones
(就高从严), and an officer's review only tightens from there.  Which
schemas are published source layers, and each provider's default level, come from
the provider registry (``hub.providers``), not from a list here.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import duckdb
from sqlalchemy import delete
from sqlalchemy.orm import Session

from catalog import levels
from catalog.reviewed import ReviewedEntry, load_all
from connectors.draft import Draft
from hub import providers
from hub.events import CATALOG_LEVEL_CHANGED, AuditEvent, EventSink
from hub.masking import quote_ident
from hub.store.models import Dataset, DatasetColumn, DatasetReview, LineageEdge

SAMPLE_ROWS = 200
LAYER_BY_SCHEMA = {"staging": "staging", "resources": "resource", "clues": "clue"}
EXCHANGEABLE_LAYERS = ("source", "resource", "clue")
HUB = "hub"  # provider of the hub's own layers (staging, resources, clues)


@dataclass
class DatasetFacts:
    """What the pipeline knows of a dataset when it registers it."""

    dataset: str
    upstream: list[str] = field(default_factory=list)
    column_lineage: list[tuple[str, str, str]] = field(default_factory=list)  # (up, up_col, down_col)
    quality: dict[str, object] = field(default_factory=dict)
    provider: str | None = None  # the source's provider, when the pipeline knows it
    draft: Draft | None = None  # the connector's proposed entry
    primary_key: list[str] = field(default_factory=list)  # the model's grain, when it declares one
    origin: dict[str, Any] | None = None  # provenance of a dataset pulled from another hub (huitong)


@dataclass(frozen=True)
class Entry:
    """Everything reviewed or proposed about one dataset, as ``register`` merges it."""

    reviewed: ReviewedEntry | None  # repository entry
    review: DatasetReview | None  # officer's review in the store
    draft: Draft | None

    @property
    def is_reviewed(self) -> bool:
        return self.reviewed is not None or self.review is not None


def layer_of(dataset: str, provider_codes: set[str] | None = None) -> str:
    """raw | source (a provider's schema) | staging | resource | clue | intermediate.

    ``provider_codes`` are the registered providers; without them, the providers the
    installed connectors declare.
    """
    if provider_codes is None:
        provider_codes = set(providers.declared())
    schema = dataset.split(".", 1)[0]
    if schema.startswith("raw_"):
        return "raw"
    if schema in provider_codes:
        return "source"
    return LAYER_BY_SCHEMA.get(schema, "intermediate")


def provider_of(facts: DatasetFacts, reviewed: ReviewedEntry | None, provider_codes: set[str]) -> str:
    if reviewed and reviewed.provider:
        return reviewed.provider
    if facts.provider:
        return facts.provider
    schema = facts.dataset.split(".", 1)[0].removeprefix("raw_")
    return schema if schema in provider_codes else HUB


def floor_of(session: Session, provider: str) -> int:
    """The registered provider's default level (the hub's own layers: the default)."""
    row = providers.get(session, provider)
    return row.default_level if row is not None else levels.DEFAULT_FLOOR


def _columns(con: duckdb.DuckDBPyConnection, dataset: str) -> list[tuple[str, str]]:
    schema, table = dataset.split(".", 1)
    rows = con.execute(
        "SELECT column_name, data_type FROM information_schema.columns "
        "WHERE table_schema = ? AND table_name = ? ORDER BY ordinal_position", [schema, table]).fetchall()
    return [(str(n), str(t)) for n, t in rows]


def _sample(con: duckdb.DuckDBPyConnection, dataset: str, column: str) -> list[str]:
    schema, table = dataset.split(".", 1)
    col = quote_ident(column)
    rows = con.execute(
        f"SELECT CAST({col} AS VARCHAR) FROM {quote_ident(schema)}.{quote_ident(table)} "  # noqa: S608
        f"WHERE {col} IS NOT NULL LIMIT {SAMPLE_ROWS}").fetchall()
    return [r[0] for r in rows]


def _count(con: duckdb.DuckDBPyConnection, dataset: str) -> int:
    schema, table = dataset.split(".", 1)
    row = con.execute(f"SELECT count(*) FROM {quote_ident(schema)}.{quote_ident(table)}").fetchone()  # noqa: S608
    return int(row[0]) if row else 0


def _description(entry: Entry, column: str) -> str:
    if entry.reviewed is not None:
        return entry.reviewed.columns.get(column, "")
    return entry.draft.columns.get(column, "") if entry.draft else ""


def _column_rows(con: duckdb.DuckDBPyConnection, facts: DatasetFacts, floor: int,
                 entry: Entry) -> list[DatasetColumn]:
    from catalog.classify import classify_column  # Presidio loads only when classifying

    out = []
    for pos, (name, dtype) in enumerate(_columns(con, facts.dataset)):
        cls = classify_column(name, _sample(con, facts.dataset, name))
        col = DatasetColumn(
            dataset_id=facts.dataset, name=name, position=pos, data_type=dtype,
            description=_description(entry, name),
            pii_class=cls.pii_class, pii_recognizer=cls.recognizer, pii_share=cls.share,
            pii_confidence=cls.confidence, free_text=cls.free_text,
            level=levels.column_level(cls.pii_class, floor))
        reviewed_classes(col, entry.review, floor)
        out.append(col)
    return out


def reviewed_classes(col: DatasetColumn, review: DatasetReview | None, floor: int) -> None:
    """Apply an officer's column class (``null``: not personal) over the scanner's."""
    classes = review.column_classes if review is not None else {}
    if col.name not in classes:
        return
    col.pii_class, col.pii_recognizer = classes[col.name], f"review:officer:{review.officer_id}"  # type: ignore[union-attr]
    col.pii_confidence = col.pii_share = 1.0 if classes[col.name] else None
    col.level = levels.column_level(col.pii_class, floor)


def _from_draft(ds: Dataset, draft: Draft | None, primary_key: list[str]) -> None:
    if primary_key:
        ds.meta = {**(ds.meta or {}), "primary_key": primary_key}
    if draft is None:
        ds.name_en = ds.name_en or ds.id
        return
    ds.name_zh, ds.name_en, ds.summary = draft.name_zh, draft.name_en or ds.id, draft.summary
    ds.update_cycle, ds.region_column = draft.update_cycle, draft.region_column
    ds.meta = {**(ds.meta or {}), "draft": draft.model_dump()}


def _from_repository(ds: Dataset, reviewed: ReviewedEntry) -> None:
    ds.resource_code, ds.name_zh, ds.name_en = reviewed.resource_code, reviewed.name_zh, reviewed.name_en
    ds.summary, ds.owner, ds.update_cycle = reviewed.summary, reviewed.owner, reviewed.update_cycle
    ds.open_attribute, ds.region_column = reviewed.open_attribute, reviewed.region_column
    ds.sharing_conditions, ds.reviewed_by = reviewed.sharing_conditions, reviewed.reviewed_by
    ds.level_reviewed, ds.sharing_type_reviewed = reviewed.level, reviewed.sharing_type
    ds.meta = {**(ds.meta or {}), "primary_key": reviewed.primary_key, "related": reviewed.related}


def apply_review(ds: Dataset, review: DatasetReview) -> None:
    """An officer's review over what the repository or the draft said: tighten-only levels."""
    ds.level_reviewed = max(ds.level_reviewed or 0, review.level)
    current = ds.sharing_type_reviewed or review.sharing_type
    ds.sharing_type_reviewed = levels.effective_sharing(current, review.sharing_type)
    ds.region_column, ds.reviewed_by = review.region_column, f"officer:{review.officer_id}"


def infer(ds: Dataset, cols: list[DatasetColumn], floor: int) -> None:
    """Inferred level (就高从严) and default sharing type from the column levels."""
    ds.level_inferred = levels.dataset_level([c.level for c in cols], ds.layer, floor)
    ds.sharing_type_inferred = levels.default_sharing(ds.level_inferred)


def _apply(ds: Dataset, facts: DatasetFacts, entry: Entry, layer: str, provider: str,
           row_count: int) -> None:
    ds.layer, ds.provider, ds.row_count = layer, provider, row_count
    ds.exchangeable = layer in EXCHANGEABLE_LAYERS and entry.is_reviewed
    ds.refreshed_at = datetime.now(UTC)
    ds.quality = dict(facts.quality)
    if entry.reviewed is not None:
        _from_repository(ds, entry.reviewed)
    else:
        _from_draft(ds, entry.draft, facts.primary_key)
    if entry.review is not None:
        apply_review(ds, entry.review)


def effective_level(ds: Dataset) -> int:
    return levels.effective_level(ds.level_inferred, ds.level_reviewed)


def effective_sharing(ds: Dataset) -> str:
    by_level = levels.default_sharing(effective_level(ds))
    inferred = levels.effective_sharing(ds.sharing_type_inferred, by_level)
    return levels.effective_sharing(inferred, ds.sharing_type_reviewed)


def _strictness(origin: dict[str, Any]) -> tuple[int, int]:
    sharing = origin.get("sharing_type")
    rank = levels.SHARING_TYPES.index(sharing) if sharing in levels.SHARING_TYPES else 0
    return int(origin.get("level") or 0), rank


def origin_of(session: Session, facts: DatasetFacts) -> dict[str, Any] | None:
    """The provenance of a pulled dataset, or the strictest one of its upstream datasets (inherited)."""
    if facts.origin:
        return dict(facts.origin)
    inherited = []
    for upstream in sorted(set(facts.upstream)):
        row = session.get(Dataset, upstream)
        found = (row.meta or {}).get("origin") if row is not None else None
        if isinstance(found, dict):
            inherited.append({**found, "via": upstream})
    return max(inherited, key=_strictness) if inherited else None


def apply_origin(ds: Dataset, origin: dict[str, Any] | None) -> None:
    """The origin's level and sharing type as floors of the inferred ones (就高从严); kept in ``meta``."""
    meta = {k: v for k, v in (ds.meta or {}).items() if k != "origin"}
    if origin:
        level, sharing = origin.get("level"), origin.get("sharing_type")
        if isinstance(level, int):
            ds.level_inferred = max(ds.level_inferred, level)
        if sharing in levels.SHARING_TYPES:
            ds.sharing_type_inferred = levels.effective_sharing(ds.sharing_type_inferred, sharing)
        meta["origin"] = origin
    ds.meta = meta


def _lineage(session: Session, facts: DatasetFacts) -> None:
    session.execute(delete(LineageEdge).where(LineageEdge.downstream == facts.dataset))
    edges = {(u, "", "") for u in facts.upstream} | set(facts.column_lineage)
    for up, up_col, down_col in sorted(edges):
        session.add(LineageEdge(upstream=up, downstream=facts.dataset, upstream_column=up_col,
                                downstream_column=down_col))


def register(session: Session, con: duckdb.DuckDBPyConnection, facts: DatasetFacts,
             sink: EventSink) -> Dataset:
    """Create or refresh the catalog entry of ``facts.dataset`` from the warehouse."""
    codes = providers.codes(session)
    reviewed = load_all().get(facts.dataset)
    entry = Entry(reviewed, session.get(DatasetReview, facts.dataset), facts.draft)
    provider = provider_of(facts, reviewed, codes)
    floor = floor_of(session, provider)
    cols = _column_rows(con, facts, floor, entry)
    ds = session.get(Dataset, facts.dataset)
    before = effective_level(ds) if ds else None
    if ds is None:
        ds = Dataset(id=facts.dataset, layer="raw", provider=provider, quality={}, meta={})
        session.add(ds)
    _apply(ds, facts, entry, layer_of(facts.dataset, codes), provider, _count(con, facts.dataset))
    infer(ds, cols, floor)
    apply_origin(ds, origin_of(session, facts))
    session.execute(delete(DatasetColumn).where(DatasetColumn.dataset_id == facts.dataset))
    session.flush()
    session.add_all(cols)
    _lineage(session, facts)
    after = effective_level(ds)
    if before != after:
        details = {"from": before, "to": after, "sharing_type": effective_sharing(ds)}
        sink(session, AuditEvent(event=CATALOG_LEVEL_CHANGED, subject="system:pipeline",
                                 dataset=facts.dataset, details=details))
    return ds


def register_all(session: Session, con: duckdb.DuckDBPyConnection, facts: Iterable[DatasetFacts],
                 sink: EventSink) -> list[Dataset]:
    return [register(session, con, f, sink) for f in facts]
