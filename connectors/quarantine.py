"""Quarantine (隔离区): source rows that failed type or key checks, kept in the metadata store.

Rows land in ``quarantined_rows`` with run, source, resource, position
(``file:line``, primary key or page/item), raw content, reason code and reason.
Recording is idempotent: the same row with the same reason, seen again by a later
run, is stored once (unique on source, resource, position, reason code).  A rejected
row may hold personal data in clear: with ``seal`` (the warehouse key's cipher,
``hub.kms.fields``) its raw content is stored encrypted, like the warehouse it missed.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.dialects import postgresql, sqlite

from connectors.sdk import Reject
from hub.store import Store
from hub.store.models import QuarantinedRow

_UNIQUE = ["source", "resource", "position", "reason_code"]


def record(store: Store, run_id: str, source: str, resource: str, rejects: Sequence[Reject],
           seal: Callable[[str], str] | None = None) -> int:
    """Store ``rejects`` (once each, raw content through ``seal``); the number not stored before."""
    if not rejects:
        return 0
    protect = seal or (lambda raw: raw)
    now = datetime.now(UTC)
    rows = [
        {
            "run_id": run_id,
            "source": source,
            "resource": resource,
            "position": r.position[:256],
            "raw": protect(r.raw),
            "reason_code": r.reason_code[:48],
            "reason": r.reason,
            "created_at": now,
        }
        for r in rejects
    ]
    dialect = postgresql if store.engine.dialect.name == "postgresql" else sqlite
    stored = 0
    with store.session() as session:
        for start in range(0, len(rows), 500):
            stmt = dialect.insert(QuarantinedRow).values(rows[start : start + 500])
            result: Any = session.execute(stmt.on_conflict_do_nothing(index_elements=_UNIQUE))
            stored += max(result.rowcount or 0, 0)
    return stored


def list_rows(
    store: Store, source: str | None = None, run_id: str | None = None, limit: int | None = None
) -> list[QuarantinedRow]:
    """Quarantined rows, newest first, optionally for one source and/or run."""
    query = select(QuarantinedRow).order_by(QuarantinedRow.id.desc())
    if source:
        query = query.where(QuarantinedRow.source == source)
    if run_id:
        query = query.where(QuarantinedRow.run_id == run_id)
    if limit:
        query = query.limit(limit)
    with store.session() as session:
        return list(session.scalars(query))


def count(store: Store, source: str | None = None, resource: str | None = None) -> int:
    """How many rows are quarantined (for a source and resource)."""
    query = select(func.count()).select_from(QuarantinedRow)
    if source:
        query = query.where(QuarantinedRow.source == source)
    if resource:
        query = query.where(QuarantinedRow.resource == resource)
    with store.session() as session:
        return int(session.scalar(query) or 0)
