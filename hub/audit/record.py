"""The audit record: its fields, its hash, and the read-only view callers get back.

A record is an ``AuditEvent`` plus the chain fields ``seq``, ``ts``, ``prev_hash``
and ``hash``.  ``hash = SHA-256(canonical_json(record without "hash"))``, hex; the
first record's ``prev_hash`` is ``GENESIS`` (64 zeros).  ``ts`` is UTC ISO 8601 with
microseconds and ``+00:00``, assigned inside the write transaction.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from hub.audit.canonical import canonical_json, check_json, sha256_hex
from hub.audit.errors import AuditInvalid
from hub.events import AuditEvent
from hub.store.models import AuditRecord

GENESIS = "0" * 64

EVENT_FIELDS = (
    "event", "subject", "action", "request_id", "dataset", "dataset_version", "purpose",
    "decision", "reasons", "grant", "policy_revision", "obligations_digest", "rows",
    "response_sha256", "client_ip", "details",
)
CHAIN_FIELDS = ("seq", "ts", "prev_hash")
HASHED_FIELDS = tuple(sorted(EVENT_FIELDS + CHAIN_FIELDS))
RECORD_FIELDS = HASHED_FIELDS + ("hash",)

_COLUMNS = AuditRecord.__table__.c


@dataclass(frozen=True)
class AuditRecordView:
    """One durable record, as stored and hashed."""

    seq: int
    ts: str
    event: str
    prev_hash: str
    hash: str
    subject: str | None = None
    action: str | None = None
    request_id: str | None = None
    dataset: str | None = None
    dataset_version: str | None = None
    purpose: str | None = None
    decision: str | None = None
    reasons: list[str] = field(default_factory=list)
    grant: str | None = None
    policy_revision: str | None = None
    obligations_digest: str | None = None
    rows: int | None = None
    response_sha256: str | None = None
    client_ip: str | None = None
    details: dict[str, Any] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        """Every field, ``hash`` included, as a plain dict."""
        return {name: getattr(self, name) for name in RECORD_FIELDS}

    @classmethod
    def from_mapping(cls, row: Any) -> AuditRecordView:
        """Build from a database row mapping or an export line."""
        values = {name: row[name] for name in RECORD_FIELDS}
        values["reasons"] = list(values["reasons"] or [])
        values["details"] = dict(values["details"] or {})
        return cls(**values)


def event_fields(event: AuditEvent) -> dict[str, Any]:
    """The event's fields, validated for the canonical encoding and the column sizes."""
    values = {name: getattr(event, name) for name in EVENT_FIELDS}
    if not isinstance(values["event"], str) or not values["event"]:
        raise AuditInvalid("audit event has no `event` name", field="event")
    values["reasons"] = [str(r) for r in values["reasons"] or []]
    values["details"] = dict(values["details"] or {})
    if values["rows"] is not None and not isinstance(values["rows"], int):
        raise AuditInvalid("audit field `rows` must be an integer", field="rows")
    for name, value in values.items():
        check_json(value, name)
        limit = getattr(_COLUMNS[name].type, "length", None)
        if isinstance(value, str) and limit and len(value) > limit:
            raise AuditInvalid(f"audit field `{name}` is longer than {limit} characters", field=name)
    return values


def record_hash(fields: dict[str, Any]) -> str:
    """SHA-256 hex of the canonical JSON of the record without ``hash``."""
    return sha256_hex(canonical_json({name: fields[name] for name in HASHED_FIELDS}))


def now_ts() -> str:
    """The current time in the record format (UTC, microseconds, ``+00:00``)."""
    return datetime.now(UTC).isoformat(timespec="microseconds")


def chain(fields: dict[str, Any], seq: int, prev_hash: str, ts: str) -> dict[str, Any]:
    """Complete ``fields`` into a record at ``seq`` after ``prev_hash``."""
    record = {**fields, "seq": seq, "ts": ts, "prev_hash": prev_hash}
    record["hash"] = record_hash(record)
    return record
