"""The audit record: its fields, its hash, and the read-only view callers get back.

A record is an ``AuditEvent`` plus the chain fields ``seq``, ``ts``, ``prev_hash``
and ``hash``.  ``hash = H(canonical_json(record without "hash"))``, hex, where H is
the suite's hash (``hub.crypto``: SHA-256, or SM3 under ``gm``); the
first record's ``prev_hash`` is ``GENESIS`` (64 zeros).  ``ts`` is UTC ISO 8601 with
microseconds and ``+00:00``, assigned by the writer that holds the chain lock (the
writer thread's one-statement append stamps a batch just before the statement takes the
lock, and restamps it if another writer got in first), so ``ts`` never goes back along
the chain unless the clock does.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from json.encoder import encode_basestring, encode_basestring_ascii
from operator import attrgetter, itemgetter
from typing import Any

from hub.audit.canonical import canonical_json, canonical_text, check_json, sha256_hex
from hub.audit.errors import AuditInvalid
from hub.crypto.suite import hash_hex, new_hash
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
STORED_JSON = frozenset({"reasons", "details"})  # stored as SQLAlchemy's JSON type stores them (json.dumps)

_COLUMNS = AuditRecord.__table__.c
_EVENT_VALUES = attrgetter(*EVENT_FIELDS)
_LIMITS = {name: getattr(_COLUMNS[name].type, "length", None) for name in EVENT_FIELDS}
_SLOT = {name: i for i, name in enumerate(RECORD_FIELDS)}
_ROW_VALUES = itemgetter(*(name if name in EVENT_FIELDS else "event" for name in RECORD_FIELDS))  # chain: filler
_AT = [HASHED_FIELDS.index(name) for name in ("prev_hash", "seq", "ts")]
_RUNS = tuple([(name, '"' + name + '":') for name in run]  # each run of event fields with its canonical key
              for run in (HASHED_FIELDS[:_AT[0]], HASHED_FIELDS[_AT[0] + 1:_AT[1]], HASHED_FIELDS[_AT[1] + 1:_AT[2]]))
if not (0 < _AT[0] < _AT[1] - 1 < _AT[2] - 2 == len(HASHED_FIELDS) - 3):
    raise RuntimeError("Prepared assumes sorted fields: some, prev_hash, some, seq, some, ts (last)")


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
    def chained(cls, fields: dict[str, Any], seq: int, ts: str, prev_hash: str, hash_: str) -> AuditRecordView:
        """The view of validated event ``fields`` (owned by the view from now on) plus the chain fields."""
        view = object.__new__(cls)  # what the frozen __init__ does, without 20 object.__setattr__ calls
        view.__dict__.update(fields, seq=seq, ts=ts, prev_hash=prev_hash, hash=hash_)
        return view

    @classmethod
    def from_mapping(cls, row: Any) -> AuditRecordView:
        """Build from a database row mapping or an export line."""
        values = {name: row[name] for name in RECORD_FIELDS}
        values["reasons"] = list(values["reasons"] or [])
        values["details"] = dict(values["details"] or {})
        return cls(**values)


def event_fields(event: AuditEvent) -> dict[str, Any]:
    """The event's fields, validated for the canonical encoding and the column sizes."""
    values = dict(zip(EVENT_FIELDS, _EVENT_VALUES(event), strict=True))
    if not isinstance(values["event"], str) or not values["event"]:
        raise AuditInvalid("audit event has no `event` name", field="event")
    values["reasons"] = [str(r) for r in values["reasons"] or []]
    values["details"] = dict(values["details"] or {})
    if values["rows"] is not None and not isinstance(values["rows"], int):
        raise AuditInvalid("audit field `rows` must be an integer", field="rows")
    for name, value in values.items():
        if value is None:
            continue
        if value.__class__ is not str or "\x00" in value:  # plain strings without NUL are valid JSON
            check_json(value, name)
        limit = _LIMITS[name]
        if isinstance(value, str) and limit and len(value) > limit:
            raise AuditInvalid(f"audit field `{name}` is longer than {limit} characters", field=name)
    return values


def record_hash(fields: dict[str, Any], hash_name: str = "sha256") -> str:
    """Hex digest (SHA-256, or ``sm3``) of the canonical JSON of the record without ``hash``."""
    data = canonical_json({name: fields[name] for name in HASHED_FIELDS})
    return sha256_hex(data) if hash_name == "sha256" else hash_hex(hash_name, data)


# The clock audit timestamps are read from: the system clock, unless a simulator or a test
# replaced it in its own process with ``set_clock`` (no setting reaches it: production
# records always carry the system time).
_clock: Callable[[], datetime] | None = None


def set_clock(clock: Callable[[], datetime] | None) -> None:
    """Simulators and tests only: stamp records with ``clock()`` (None: the system clock again).

    ``bench/awareness.py`` runs simulated days through a served hub this way, and detector
    tests pin their windows; the clock must never go back while records are appended.
    """
    global _clock
    _clock = clock


def now_ts() -> str:
    """The current time in the record format (UTC, microseconds, ``+00:00``)."""
    moment = datetime.now(UTC) if _clock is None else _clock().astimezone(UTC)
    return moment.isoformat(timespec="microseconds")


def chain(fields: dict[str, Any], seq: int, prev_hash: str, ts: str, hash_name: str = "sha256") -> dict[str, Any]:
    """Complete ``fields`` into a record at ``seq`` after ``prev_hash``."""
    record = {**fields, "seq": seq, "ts": ts, "prev_hash": prev_hash}
    record["hash"] = record_hash(record, hash_name)
    return record


def _text(value: Any) -> str:
    """``canonical_text(value)``, taking the JSON encoder's own paths for plain str, None and int directly."""
    kind = value.__class__
    if kind is str:
        return encode_basestring(value)  # the encoder's string function when ensure_ascii=False
    if value is None:
        return "null"
    if kind is int:
        return int.__repr__(value)
    return canonical_text(value)


def _stored_strings(values: list[str]) -> str:
    """``json.dumps(values)`` for a list of strings (the JSON column's stored text)."""
    return "[" + ", ".join([encode_basestring_ascii(v) for v in values]) + "]"


def _usual_parts(values: tuple[Any, ...]) -> list[str] | None:
    """``"key":value`` canonical text of each sorted event field (reasons and details: the key
    alone), or None unless every field holds what the usual event has (see ``Prepared.of``)."""
    parts: list[str] = []
    for (key, limit), value in zip(_PLAN, values, strict=True):
        kind = value.__class__
        if limit > 0 and kind is str and len(value) <= limit and "\x00" not in value:
            parts.append(key + encode_basestring(value))
        elif limit < 0 and kind is (list if key == _REASONS_KEY else dict):
            parts.append(key)
        elif limit >= 0 and value is None:
            parts.append(key + "null")
        elif limit == 0 and kind is int:  # rows
            parts.append(key + int.__repr__(value))
        else:
            return None
    return parts


def _flat_texts(values: dict[Any, Any]) -> tuple[str, str] | None:
    """Canonical and stored (``json.dumps``) JSON of a dict of plain strings; None for any other dict."""
    for key, value in values.items():
        if key.__class__ is not str or value.__class__ is not str or "\x00" in value:
            return None
    canonical = ",".join([encode_basestring(key) + ":" + encode_basestring(values[key]) for key in sorted(values)])
    stored = ", ".join([encode_basestring_ascii(key) + ": " + encode_basestring_ascii(value)
                        for key, value in values.items()])
    return "{" + canonical + "}", "{" + stored + "}"


class Prepared:
    """Validated event fields with their hash input pre-encoded, so chaining adds only seq, ts, prev_hash.

    Sorted keys put ``prev_hash`` < ``seq`` < ``ts`` (last), so ``canonical_json(record)`` is
    ``head + prev_hash + after_prev + seq + after_seq + ts + "}"``, each piece the canonical JSON of
    a run of sorted event fields.  ``head`` is hashed here, in the caller's thread, so ``hash_at``
    only finishes the SHA-256.
    """

    __slots__ = ("fields", "head", "after_prev", "after_seq", "row")

    def __init__(self, fields: dict[str, Any], runs: tuple[str, str, str] | None = None,
                 stored_details: str | None = None, hash_name: str = "sha256") -> None:
        """``fields`` as ``event_fields`` returns them; ``runs`` and ``stored_details`` if already known."""
        g0, g1, g2 = runs or tuple(",".join([key + _text(fields[name]) for name, key in run]) for run in _RUNS)
        self.fields = fields
        self.head = new_hash(hash_name, ("{" + g0 + ',"prev_hash":').encode("utf-8"))
        self.after_prev = ("," + g1 + ',"seq":').encode("utf-8")
        self.after_seq = ("," + g2 + ',"ts":').encode("utf-8")
        row = list(_ROW_VALUES(fields))
        row[_SLOT_REASONS] = _stored_strings(fields["reasons"])
        row[_SLOT_DETAILS] = json.dumps(fields["details"]) if stored_details is None else stored_details
        self.row = row

    @classmethod
    def of(cls, event: AuditEvent, hash_name: str = "sha256") -> Prepared:
        """``Prepared(event_fields(event))`` in one pass over the fields, for the usual event.

        The usual event has plain strings (no NUL, within their column) or None in its text
        fields and an int or None in ``rows``; those are validated and encoded together, which
        is most of an append's own work.  Anything else takes ``event_fields``, which names the
        first invalid field.
        """
        values = _SORTED_VALUES(event)
        parts = _usual_parts(values)
        if parts is None or not values[_AT_EVENT]:
            return cls(event_fields(event), hash_name=hash_name)
        fields = dict(zip(_SORTED_EVENT, values, strict=True))
        reasons = fields["reasons"] = [str(r) for r in fields["reasons"]]
        if any("\x00" in r for r in reasons):
            check_json(reasons, "reasons")  # raises, naming the item
        parts[_AT_REASONS] += "[" + ",".join([encode_basestring(r) for r in reasons]) + "]"
        details = fields["details"]
        if details.__class__ is EncodedDetails:  # validated and encoded when it was made
            parts[_AT_DETAILS] += details.canonical
            stored: str | None = details.stored
        else:
            details = fields["details"] = dict(details)
            flat = _flat_texts(details)
            if flat is None:
                check_json(details, "details")
            parts[_AT_DETAILS] += canonical_text(details) if flat is None else flat[0]
            stored = None if flat is None else flat[1]
        runs = ",".join(parts[:_CUT[0]]), ",".join(parts[_CUT[0]:_CUT[1]]), ",".join(parts[_CUT[1]:])
        return cls(fields, runs, stored, hash_name)

    def hash_at(self, prev_json: bytes, seq: int, ts_json: bytes) -> str:
        """The record hash at ``seq``; ``prev_json``/``ts_json`` are the canonical JSON of prev_hash/ts."""
        digest = self.head.copy()
        digest.update(b"".join((prev_json, self.after_prev, str(seq).encode(), self.after_seq, ts_json, b"}")))
        return digest.hexdigest()

    def row_at(self, seq: int, ts: str, prev_hash: str, hash_: str) -> tuple[Any, ...]:
        """The stored column values (``RECORD_FIELDS`` order, JSON columns as text)."""
        row = self.row.copy()
        row[_SLOT_SEQ], row[_SLOT_TS], row[_SLOT_PREV], row[_SLOT_HASH] = seq, ts, prev_hash, hash_
        return tuple(row)


_SLOT_SEQ, _SLOT_TS, _SLOT_PREV, _SLOT_HASH, _SLOT_REASONS, _SLOT_DETAILS = (
    _SLOT[n] for n in ("seq", "ts", "prev_hash", "hash", "reasons", "details"))
# Prepared.of: the event fields in sorted (canonical) order, each with its key and what it may hold:
# a string up to ``limit`` characters (text columns), 0 an int (rows), -1 a list or dict (checked apart)
_SORTED_EVENT = tuple(name for run in _RUNS for name, _ in run)
_SORTED_VALUES = attrgetter(*_SORTED_EVENT)
_PLAN = tuple((key, _LIMITS[name] or (0 if name == "rows" else -1)) for run in _RUNS for name, key in run)
_REASONS_KEY = '"reasons":'
_AT_EVENT, _AT_REASONS, _AT_DETAILS = (_SORTED_EVENT.index(name) for name in ("event", "reasons", "details"))
_CUT = (len(_RUNS[0]), len(_RUNS[0]) + len(_RUNS[1]))
if sorted(_SORTED_EVENT) != sorted(EVENT_FIELDS) or any(
        (limit == -1) != (name in STORED_JSON) for name, (_, limit) in zip(_SORTED_EVENT, _PLAN, strict=True)):
    raise RuntimeError("Prepared.of: every event field is a text column, rows, reasons or details")


class EncodedDetails(dict[str, Any]):
    """``details`` validated and encoded once (canonical and stored JSON), for many events alike.

    The exchange records the same replay input in every decision record of a partner's
    warm request (issue 17's ``details.input``); encoding that nested dict on every request
    was most of an append's own work.  ``Prepared.of`` takes the texts as they are.  It is
    read-only (its nested values are the caller's to leave alone as well).
    """

    __slots__ = ("canonical", "stored")

    def __init__(self, values: Any = ()) -> None:
        super().__init__(values)
        plain = dict(self)
        check_json(plain, "details")
        self.canonical = canonical_text(plain)
        self.stored = json.dumps(plain)

    def __reduce__(self) -> tuple[Any, ...]:  # copy, deepcopy and pickle rebuild it (no item assignment)
        return (EncodedDetails, (dict(self),))

    def _read_only(self, *_args: Any, **_kwargs: Any) -> Any:
        raise TypeError("EncodedDetails is read-only")

    __setitem__ = __delitem__ = update = pop = popitem = clear = setdefault = _read_only  # type: ignore[assignment]
    __ior__ = _read_only  # type: ignore[assignment]


def json_text_bytes(value: str) -> bytes:
    """The canonical JSON of a string, as bytes (for ``Prepared.hash_at``)."""
    return encode_basestring(value).encode("utf-8")
