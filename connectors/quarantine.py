"""Quarantine (隔离区): source rows and files that failed checks, kept in the metadata store.

Rows land in ``quarantined_rows`` with run, source, resource, position
(``file:line``, primary key or page/item), raw content, reason code and reason.
Files that cannot be read as a whole (``FileReject``) land in ``quarantined_files``
with name, size, SHA-256, the records they hold, reason and what was found in them.
Recording is idempotent: the same row with the same reason, seen again by a later
run, is stored once (unique on source, resource, position, reason code); the same
file content with the same reason, too (unique on name, SHA-256, reason code).  A
rejected row or file may hold personal data in clear: with ``seal`` (the warehouse
key's cipher, ``hub.kms.fields``) a row's raw content and a file's ``detail`` (what was
found in it, e.g. a header that is really a data row) are stored encrypted, like the
warehouse they missed.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.dialects import postgresql, sqlite

from connectors.sdk import FileReject, Reject
from hub.store import Store
from hub.store.models import QuarantinedFile, QuarantinedRow

_UNIQUE = ["source", "resource", "position", "reason_code"]
_FILE_UNIQUE = ["source", "resource", "file_name", "sha256", "reason_code"]


def record(store: Store, run_id: str, source: str, resource: str, rejects: Sequence[Reject],
           seal: Callable[[str], str] | None = None) -> int:
    """Store ``rejects`` (once each; files apart from rows; raw content and file details through
    ``seal``); the number not stored before."""
    protect = seal or (lambda raw: raw)
    files = [r for r in rejects if isinstance(r, FileReject)]
    rows = [r for r in rejects if not isinstance(r, FileReject)]
    return _record_rows(store, run_id, source, resource, rows, protect) + _record_files(
        store, run_id, source, resource, files, protect)


def _insert(store: Store, model: Any, rows: list[dict[str, Any]], unique: list[str]) -> int:
    dialect = postgresql if store.engine.dialect.name == "postgresql" else sqlite
    stored = 0
    with store.session() as session:
        for start in range(0, len(rows), 500):
            stmt = dialect.insert(model).values(rows[start : start + 500])
            result: Any = session.execute(stmt.on_conflict_do_nothing(index_elements=unique))
            stored += max(result.rowcount or 0, 0)
    return stored


def _record_files(store: Store, run_id: str, source: str, resource: str, files: Sequence[FileReject],
                  protect: Callable[[str], str]) -> int:
    if not files:
        return 0
    now = datetime.now(UTC)
    rows = [
        {
            "run_id": run_id,
            "source": source,
            "resource": resource,
            "file_name": f.position[:256],
            "size": f.size,
            "sha256": f.sha256,
            "rows": f.rows,
            "reason_code": f.reason_code[:48],
            "reason": f.reason,
            "detail": protect(f.detail),
            "created_at": now,
        }
        for f in files
    ]
    return _insert(store, QuarantinedFile, rows, _FILE_UNIQUE)


def _record_rows(store: Store, run_id: str, source: str, resource: str, rejects: Sequence[Reject],
                 protect: Callable[[str], str]) -> int:
    if not rejects:
        return 0
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
    return _insert(store, QuarantinedRow, rows, _UNIQUE)


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


def list_files(
    store: Store, source: str | None = None, run_id: str | None = None, limit: int | None = None
) -> list[QuarantinedFile]:
    """Files quarantined whole, newest first, optionally for one source and/or run."""
    query = select(QuarantinedFile).order_by(QuarantinedFile.id.desc())
    if source:
        query = query.where(QuarantinedFile.source == source)
    if run_id:
        query = query.where(QuarantinedFile.run_id == run_id)
    if limit:
        query = query.limit(limit)
    with store.session() as session:
        return list(session.scalars(query))


def count_files(store: Store, source: str | None = None) -> int:
    """How many files are quarantined whole (for a source)."""
    query = select(func.count()).select_from(QuarantinedFile)
    if source:
        query = query.where(QuarantinedFile.source == source)
    with store.session() as session:
        return int(session.scalar(query) or 0)
