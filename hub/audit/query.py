"""Reading the audit log: filtered pages (``GET /v1/audit``), the tail, one record.

The API layer decides who may see what (officers all, partners their own) and passes
``subject`` accordingly; this module only filters.  Results are in seq order and
``after_seq`` pages forward.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any, cast

from sqlalchemy import Select, Table, func, select

from hub.audit.record import RECORD_FIELDS, AuditRecordView
from hub.errors import BadRequest
from hub.store.db import Store
from hub.store.models import AuditRecord

_T = cast(Table, AuditRecord.__table__)
MAX_LIMIT = 1000


def parse_time(value: str, name: str = "time") -> str:
    """An ISO 8601 time (naive = UTC) in the record ``ts`` format; ``BadRequest`` names ``name``."""
    try:
        moment = datetime.fromisoformat(value.strip())
    except ValueError:
        raise BadRequest(f"`{name}` is not an ISO 8601 time: {value!r}", field=name) from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    try:
        return moment.astimezone(UTC).isoformat(timespec="microseconds")
    except OverflowError:  # the offset pushes it outside year 1..9999
        raise BadRequest(f"`{name}` is out of range: {value!r}", field=name) from None


def _select() -> Select[Any]:
    return select(*(_T.c[name] for name in RECORD_FIELDS))


def _run(store: Store, query: Select[Any]) -> list[AuditRecordView]:
    with store.session() as session:
        return [AuditRecordView.from_mapping(row._mapping) for row in session.execute(query)]


def query(store: Store, subject: str | None = None, dataset: str | None = None,
          action: str | None = None, event: str | None = None, decision: str | None = None,
          since: str | None = None, until: str | None = None, after_seq: int | None = None,
          limit: int = 100) -> list[AuditRecordView]:
    """Records matching every given filter, in seq order; ``since`` inclusive, ``until`` exclusive."""
    if not 1 <= limit <= MAX_LIMIT:
        raise BadRequest(f"`limit` must be between 1 and {MAX_LIMIT}", field="limit")
    stmt = _select().order_by(_T.c.seq).limit(limit)
    for name, value in (("subject", subject), ("dataset", dataset), ("action", action),
                        ("event", event), ("decision", decision)):
        if value is not None:
            stmt = stmt.where(_T.c[name] == value)
    if since is not None:
        stmt = stmt.where(_T.c.ts >= parse_time(since, "since"))
    if until is not None:
        stmt = stmt.where(_T.c.ts < parse_time(until, "until"))
    if after_seq is not None:
        stmt = stmt.where(_T.c.seq > after_seq)
    return _run(store, stmt)


def tail(store: Store, n: int = 20) -> list[AuditRecordView]:
    """The last ``n`` records, oldest first."""
    if n < 1:
        raise BadRequest("`n` must be at least 1", field="n")
    return list(reversed(_run(store, _select().order_by(_T.c.seq.desc()).limit(n))))


def get_record(store: Store, seq: int) -> AuditRecordView | None:
    """The record at ``seq``, or None."""
    found = _run(store, _select().where(_T.c.seq == seq))
    return found[0] if found else None


def seq_range(store: Store, since: str | None, until: str | None) -> tuple[int, int] | None:
    """First and last seq with ``since <= ts < until``, or None when no record matches."""
    stmt = select(func.min(_T.c.seq), func.max(_T.c.seq))
    if since is not None:
        stmt = stmt.where(_T.c.ts >= parse_time(since, "since"))
    if until is not None:
        stmt = stmt.where(_T.c.ts < parse_time(until, "until"))
    with store.session() as session:
        first, last = session.execute(stmt).one()
    return None if first is None else (int(first), int(last))
