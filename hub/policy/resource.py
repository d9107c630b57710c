"""The ``resource`` member of a decision input, built from the catalog (DESIGN.md §4).

Effective level and sharing type follow ``catalog.levels`` (reviewed values only
tighten).  Each column carries its PII class, level, ``free_text`` flag and a
``type`` hint (``date``, ``timestamp``, ``amount``, ``admin_code``) that the masking
rules use for non-personal columns above a subject's clearance.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from catalog import levels
from hub.errors import NotFound
from hub.store.models import Dataset, DatasetColumn

ADMIN_CODE_NAMES = {"region_code", "township_code", "county_code", "audited_region_code"}


def column_type(column: DatasetColumn, region_column: str | None) -> str | None:
    """The masking type hint of a catalog column, or ``None``."""
    data_type = column.data_type.upper()
    if column.name == region_column or column.name in ADMIN_CODE_NAMES:
        return "admin_code"
    if data_type.startswith("TIMESTAMP"):
        return "timestamp"
    if data_type == "DATE":
        return "date"
    if data_type.startswith(("DECIMAL", "NUMERIC")) and data_type.replace(" ", "").endswith(",2)"):
        return "amount"  # CNY with 2 decimals (shared/sources/README.md)
    return None


def _column(column: DatasetColumn, region_column: str | None) -> dict[str, Any]:
    entry: dict[str, Any] = {"pii": column.pii_class, "level": column.level}
    if column.free_text:
        entry["free_text"] = True
    hint = column_type(column, region_column)
    if hint:
        entry["type"] = hint
    return entry


def resource_input(session: Session, dataset_id: str, version: str | None = None) -> dict[str, Any]:
    """The decision-input resource of ``dataset_id``; ``NotFound`` if not cataloged."""
    ds = session.get(Dataset, dataset_id)
    if ds is None:
        raise NotFound(f"dataset `{dataset_id}` is not in the catalog", dataset=dataset_id)
    level = levels.effective_level(ds.level_inferred, ds.level_reviewed)
    inferred = levels.effective_sharing(ds.sharing_type_inferred, levels.default_sharing(level))
    columns = session.scalars(select(DatasetColumn).where(DatasetColumn.dataset_id == dataset_id)
                              .order_by(DatasetColumn.position))
    return {"dataset": ds.id, "version": version or ds.current_version, "level": level,
            "sharing_type": levels.effective_sharing(inferred, ds.sharing_type_reviewed),
            "owner": ds.provider, "exchangeable": bool(ds.exchangeable), "region_column": ds.region_column,
            "columns": {c.name: _column(c, ds.region_column) for c in columns}}
