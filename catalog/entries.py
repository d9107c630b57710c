"""Catalog entries (数据资源目录条目): registering warehouse datasets.

``register`` reads a dataset's schema, row count and a sample of values from the
warehouse, classifies each column (``catalog.classify``), derives levels and the
sharing type (``catalog.levels``), merges the owner-reviewed entry
(``catalog.reviewed``) and upserts the ``datasets`` / ``dataset_columns`` rows
with lineage edges.  A change of effective level is an audit event.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime

import duckdb
from sqlalchemy import delete
from sqlalchemy.orm import Session

from catalog import levels
from catalog.reviewed import ReviewedEntry, load_all
from hub.events import CATALOG_LEVEL_CHANGED, AuditEvent, EventSink
from hub.masking import quote_ident
from hub.store.models import Dataset, DatasetColumn, LineageEdge

SAMPLE_ROWS = 200
PROVIDERS = ("finance", "state_assets", "audit", "statistics")
LAYER_BY_SCHEMA = {"staging": "staging", "resources": "resource", "clues": "clue"}
EXCHANGEABLE_LAYERS = ("source", "resource", "clue")


@dataclass
class DatasetFacts:
    """What the pipeline knows of a dataset when it registers it."""

    dataset: str
    upstream: list[str] = field(default_factory=list)
    column_lineage: list[tuple[str, str, str]] = field(default_factory=list)  # (up, up_col, down_col)
    quality: dict[str, object] = field(default_factory=dict)


def layer_of(dataset: str) -> str:
    schema = dataset.split(".", 1)[0]
    if schema.startswith("raw_"):
        return "raw"
    if schema in PROVIDERS:
        return "source"
    return LAYER_BY_SCHEMA.get(schema, "intermediate")


def provider_of(dataset: str, reviewed: ReviewedEntry | None) -> str:
    if reviewed and reviewed.provider:
        return reviewed.provider
    schema = dataset.split(".", 1)[0].removeprefix("raw_")
    return schema if schema in PROVIDERS else "hub"


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


def _column_rows(con: duckdb.DuckDBPyConnection, facts: DatasetFacts, provider: str,
                 reviewed: ReviewedEntry | None) -> list[DatasetColumn]:
    from catalog.classify import classify_column  # Presidio loads only when classifying

    out = []
    for pos, (name, dtype) in enumerate(_columns(con, facts.dataset)):
        cls = classify_column(name, _sample(con, facts.dataset, name))
        out.append(DatasetColumn(
            dataset_id=facts.dataset, name=name, position=pos, data_type=dtype,
            description=(reviewed.columns.get(name, "") if reviewed else ""),
            pii_class=cls.pii_class, pii_recognizer=cls.recognizer, pii_share=cls.share,
            pii_confidence=cls.confidence, free_text=cls.free_text,
            level=levels.column_level(cls.pii_class, provider)))
    return out


def _apply(ds: Dataset, facts: DatasetFacts, reviewed: ReviewedEntry | None, provider: str,
           cols: list[DatasetColumn], row_count: int) -> None:
    layer = layer_of(facts.dataset)
    ds.layer, ds.provider, ds.row_count = layer, provider, row_count
    ds.level_inferred = levels.dataset_level([c.level for c in cols], layer, provider)
    ds.sharing_type_inferred = levels.default_sharing(ds.level_inferred)
    ds.exchangeable = layer in EXCHANGEABLE_LAYERS
    ds.refreshed_at = datetime.now(UTC)
    ds.quality = dict(facts.quality)
    if reviewed is None:
        ds.name_en = ds.name_en or facts.dataset
        return
    ds.resource_code, ds.name_zh, ds.name_en = reviewed.resource_code, reviewed.name_zh, reviewed.name_en
    ds.summary, ds.owner, ds.update_cycle = reviewed.summary, reviewed.owner, reviewed.update_cycle
    ds.open_attribute, ds.region_column = reviewed.open_attribute, reviewed.region_column
    ds.sharing_conditions, ds.reviewed_by = reviewed.sharing_conditions, reviewed.reviewed_by
    ds.level_reviewed, ds.sharing_type_reviewed = reviewed.level, reviewed.sharing_type
    ds.meta = {**(ds.meta or {}), "primary_key": reviewed.primary_key, "related": reviewed.related}


def effective_level(ds: Dataset) -> int:
    return levels.effective_level(ds.level_inferred, ds.level_reviewed)


def effective_sharing(ds: Dataset) -> str:
    by_level = levels.default_sharing(effective_level(ds))
    inferred = levels.effective_sharing(ds.sharing_type_inferred, by_level)
    return levels.effective_sharing(inferred, ds.sharing_type_reviewed)


def _lineage(session: Session, facts: DatasetFacts) -> None:
    session.execute(delete(LineageEdge).where(LineageEdge.downstream == facts.dataset))
    edges = {(u, "", "") for u in facts.upstream} | set(facts.column_lineage)
    for up, up_col, down_col in sorted(edges):
        session.add(LineageEdge(upstream=up, downstream=facts.dataset, upstream_column=up_col,
                                downstream_column=down_col))


def register(session: Session, con: duckdb.DuckDBPyConnection, facts: DatasetFacts,
             sink: EventSink) -> Dataset:
    """Create or refresh the catalog entry of ``facts.dataset`` from the warehouse."""
    reviewed = load_all().get(facts.dataset)
    provider = provider_of(facts.dataset, reviewed)
    cols = _column_rows(con, facts, provider, reviewed)
    ds = session.get(Dataset, facts.dataset)
    before = effective_level(ds) if ds else None
    if ds is None:
        ds = Dataset(id=facts.dataset, layer="raw", provider=provider, quality={}, meta={})
        session.add(ds)
    _apply(ds, facts, reviewed, provider, cols, _count(con, facts.dataset))
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
