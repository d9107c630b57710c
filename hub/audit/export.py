"""Export files: an excerpt of the chain that a third party can verify on its own.

JSON lines, one object per line, each with a ``type``:
``header`` (format, the hub's id, range, counts) first, then ``key`` lines (``jwk``: every audit
public key), ``checkpoint`` lines (``checkpoint``: the signed checkpoints inside the
range), then ``record`` lines (``record``: every field, ``hash`` included) in seq
order.  The range is extended forward to the next checkpoint so every exported record
is covered by a signature whenever one exists.

The header names the hub (``hub_id``, ``hub.hubid``).  The header is not signed, but
verifying an export holds every officer statement in it to that hub (``aud``), as
``hub audit verify`` holds the store's to this one: an export whose header was changed
to name another hub, or that carries a statement replayed from another hub, fails.  A
header without ``hub_id`` (older exports, or one stripped) holds every statement to the
hub the first one names: one file, one hub.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any, cast

from sqlalchemy import Table, select

from hub.audit.canonical import canonical_json
from hub.audit.checkpoints import CHECKPOINT_FIELDS
from hub.audit.errors import EvidenceError
from hub.audit.officers import OfficerSignatures
from hub.audit.pubkeys import PublicKeys, audit_jwks, key_map
from hub.audit.query import seq_range
from hub.audit.record import RECORD_FIELDS
from hub.audit.verify import Problem, VerifyReport, audience, stored_records, verify_records
from hub.keys import KeyStore
from hub.store.db import Store
from hub.store.models import AuditCheckpoint

FORMAT = "huitong-audit-export/1"
HUB_ID = re.compile(r"hub-[0-9a-f]{32}")  # hub.hubid
_CP = cast(Table, AuditCheckpoint.__table__)


@dataclass(frozen=True)
class ExportSummary:
    """What an export wrote."""

    records: int
    checkpoints: int
    first_seq: int | None
    last_seq: int | None


def _line(out: IO[str], kind: str, payload: dict[str, Any]) -> None:
    out.write(canonical_json({"type": kind, **payload}).decode("utf-8") + "\n")


def _covering(store: Store, first: int, last: int) -> tuple[int, list[dict[str, Any]]]:
    """Extend ``last`` to the next checkpoint; the checkpoints inside ``first..last``."""
    with store.session() as session:
        nxt = session.execute(select(_CP.c.seq).where(_CP.c.seq >= last).order_by(_CP.c.seq).limit(1))
        end = nxt.scalar_one_or_none() or last
        rows = session.execute(select(*(_CP.c[n] for n in CHECKPOINT_FIELDS))
                               .where(_CP.c.seq.between(first, end)).order_by(_CP.c.seq))
        return end, [dict(r._mapping) for r in rows]


def export(store: Store, keys: KeyStore, out: IO[str], since: str | None = None,
           until: str | None = None) -> ExportSummary:
    """Write the records with ``since <= ts < until`` (plus the covering tail) to ``out``."""
    found = seq_range(store, since, until)
    first, last = found if found else (0, -1)
    last, checkpoints = _covering(store, first, last) if found else (last, [])
    count = last - first + 1
    _line(out, "header", {"format": FORMAT, "hub_id": audience(store), "since": since, "until": until,
                          "first_seq": first if found else None, "last_seq": last if found else None,
                          "records": count, "checkpoints": len(checkpoints)})
    for jwk in audit_jwks(keys)["keys"]:  # with their validity (hub.audit.pubkeys.window_problem)
        _line(out, "key", {"jwk": jwk})
    for cp in checkpoints:
        _line(out, "checkpoint", {"checkpoint": cp})
    if found:
        for record in _records_between(store, first, last):
            _line(out, "record", {"record": record})
    return ExportSummary(count, len(checkpoints), first if found else None, last if found else None)


def _records_between(store: Store, first: int, last: int) -> Iterator[dict[str, Any]]:
    for record in stored_records(store, start_after=first - 1):
        if record["seq"] > last:
            return
        yield record


def _lines(path: Path) -> Iterator[tuple[int, dict[str, Any]]]:
    try:
        with path.open(encoding="utf-8") as fh:
            for number, text in enumerate(fh, 1):
                if text.strip():
                    yield number, _parse(path, number, text)
    except OSError as exc:
        raise EvidenceError(f"cannot read export `{path}`: {exc.strerror}") from None


def _parse(path: Path, number: int, text: str) -> dict[str, Any]:
    try:
        line = json.loads(text)
    except json.JSONDecodeError as exc:
        raise EvidenceError(f"`{path}` line {number} is not JSON: {exc.msg}") from None
    if not isinstance(line, dict) or line.get("type") not in {"header", "key", "checkpoint", "record"}:
        raise EvidenceError(f"`{path}` line {number} is not an audit export line")
    return line


def read_header(path: Path) -> tuple[dict[str, Any], PublicKeys, list[dict[str, Any]]]:
    """The header, embedded keys and checkpoints of an export file."""
    header: dict[str, Any] | None = None
    jwks, checkpoints = [], []
    for _number, line in _lines(path):
        if line["type"] == "header":
            header = line
        elif line["type"] == "key":
            jwks.append(line["jwk"])
        elif line["type"] == "checkpoint":
            checkpoints.append(line["checkpoint"])
    if header is None or header.get("format") != FORMAT:
        raise EvidenceError(f"`{path}` is not a {FORMAT} file (no header line)")
    return header, key_map(jwks), checkpoints


def _file_records(path: Path) -> Iterator[dict[str, Any]]:
    for number, line in _lines(path):
        if line["type"] == "record":
            record = line.get("record")
            if not isinstance(record, dict) or any(n not in record for n in RECORD_FIELDS):
                raise EvidenceError(f"`{path}` line {number}: record lacks fields")
            yield record


def verify_export(path: Path, keys: PublicKeys | None = None) -> VerifyReport:
    """Verify an export file, with ``keys`` if given, else with the keys it embeds."""
    header, embedded, checkpoints = read_header(path)
    hub = header.get("hub_id")
    named = isinstance(hub, str) and HUB_ID.fullmatch(hub) is not None
    officers = OfficerSignatures(excerpt=True, audience=hub if named else None, one_audience=True)
    report = verify_records(_file_records(path), checkpoints, keys or embedded, excerpt=True, officers=officers)
    report.hub = officers.audience
    if "hub_id" in header and not named:
        report.problems.insert(0, Problem(0, f"the header's hub_id is not a hub id (`hub-` and 32 hex digits): "
                                             f"{str(hub)[:80]!r}"))
    _check_counts(header, report)
    return report


def _check_counts(header: dict[str, Any], report: VerifyReport) -> None:
    claimed = header.get("last_seq")
    if claimed is not None and report.last_seq != claimed:
        at = (report.last_seq or 0) + 1
        report.problems.append(Problem(at, f"the export claims records up to seq {claimed} but ends at "
                                           f"seq {report.last_seq} (file truncated)"))
        report.problems.sort(key=lambda p: p.seq)
