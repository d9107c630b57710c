"""Verification of the chain: of the live store, or of an export file.

Every record's hash is recomputed, every ``prev_hash`` link and the gap-free ``seq``
checked, every checkpoint's signature verified and its ``(seq, hash)`` matched to the
record it names.  The report names the FIRST bad seq and what is wrong with it, so
modification, deletion, insertion, reordering, truncation of the tail behind a
checkpoint and forged checkpoints are all caught.  Every officer statement a record
carries is verified again against the officer's key as registered in the chain
(``hub.audit.officers``), so an approval nobody signed, or one whose signature or
terms were altered, is caught even where the chain was rewritten consistently.
For the live store, the grants, officers, partners, keys and lockdowns the policy
decides from are then checked against what the chain says they must be
(``hub.audit.standing``), so a grant widened by editing the database is caught too.
``docs/audit.md`` describes the same procedure for third parties.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any, cast

from sqlalchemy import Table, select
from sqlalchemy.exc import DBAPIError

from hub.audit.checkpoints import CHECKPOINT_FIELDS, signature_problem
from hub.audit.officers import OfficerSignatures, store_key_lookup
from hub.audit.pubkeys import PublicKeys, key_map, window_problem
from hub.audit.record import GENESIS, RECORD_FIELDS, record_hash
from hub.audit.standing import Standing
from hub.hubid import HubIdMissing, hub_id
from hub.keys import KeyStore
from hub.store.db import Store
from hub.store.models import AuditCheckpoint, AuditRecord

_RECORDS = cast(Table, AuditRecord.__table__)
_CHECKPOINTS = cast(Table, AuditCheckpoint.__table__)
MAX_PROBLEMS = 100
Progress = Callable[[int], None]


@dataclass(frozen=True)
class Problem:
    """What is wrong at one seq (or, ``where="store"``, in the store the chain accounts for)."""

    seq: int
    what: str
    where: str | None = None

    def __str__(self) -> str:
        return f"{self.where}: {self.what}" if self.where else f"seq {self.seq}: {self.what}"


@dataclass
class VerifyReport:
    """The outcome of a verification; ``problems`` sorted by seq (first = first bad)."""

    records: int = 0
    first_seq: int | None = None
    last_seq: int | None = None
    checkpoints: int = 0
    last_checkpoint_seq: int | None = None
    problems: list[Problem] = field(default_factory=list)
    officer_signatures: int = 0  # officer statements verified
    unsigned_officer_actions: int = 0  # officer actions recorded before the hub signed them
    store_not_checked: str | None = None  # why the store was not checked against the chain, if it was not
    hub: str | None = None  # the hub the statements were held to (its id), when one was named

    @property
    def ok(self) -> bool:
        return not self.problems

    @property
    def first_bad(self) -> Problem | None:
        return self.problems[0] if self.problems else None

    @property
    def unsigned_tail(self) -> int:
        """Records after the last checkpoint (chained, but not yet covered by a signature)."""
        if self.last_seq is None:
            return 0
        return self.last_seq - (self.last_checkpoint_seq or (self.first_seq or 1) - 1)

    def summary(self) -> str:
        """One line for people."""
        if not self.ok:
            first = self.first_bad
            if first is not None and first.where == "store":
                return f"audit chain OK, but the STORE does not match it: {first.what}"
            return f"audit chain INVALID: first bad {first}"
        if not self.records:
            return "audit chain empty: nothing to verify"
        signed = (f"{self.checkpoints} signed checkpoints, the last at seq {self.last_checkpoint_seq}"
                  if self.last_checkpoint_seq else "no signed checkpoint yet")
        officers = f"; {self.officer_signatures} officer signatures verified"
        if self.unsigned_officer_actions:
            officers += f" ({self.unsigned_officer_actions} earlier officer actions recorded unsigned)"
        store = f"; the store was NOT checked against it ({self.store_not_checked})" if self.store_not_checked else ""
        return (f"audit chain OK: {self.records} records (seq {self.first_seq}..{self.last_seq}), "
                f"{signed}; {self.unsigned_tail} records after it{officers}{store}")


class ChainWalker:
    """Checks records fed in seq order against the links and the checkpoints (and teaches
    ``standing``, when given, the state the records leave)."""

    def __init__(self, checkpoints: Iterable[dict[str, Any]], keys: PublicKeys,
                 excerpt: bool = False, officers: OfficerSignatures | None = None,
                 standing: Standing | None = None) -> None:
        self.checkpoints: dict[int, dict[str, Any]] = {}  # only those whose signature verifies
        self._checkpoint_problems: list[Problem] = []
        count = 0
        self.keys = keys
        for cp in checkpoints:
            count += 1
            bad = signature_problem(cp, keys)
            if bad:
                self._checkpoint_problems.append(Problem(int(cp["seq"]), bad))
            else:
                self.checkpoints[int(cp["seq"])] = cp
        self.excerpt = excerpt
        self.officers = officers or OfficerSignatures(excerpt=excerpt)
        self.standing = standing
        self.report = VerifyReport(checkpoints=count)
        self._record_problems: list[Problem] = []
        self._expected_seq = 1
        self._prev_hash = GENESIS

    def _flag(self, seq: int, what: str) -> None:
        if len(self._record_problems) < MAX_PROBLEMS:
            self._record_problems.append(Problem(seq, what))

    def feed(self, record: dict[str, Any]) -> None:
        """Check one record (records must come in stored seq order)."""
        seq = int(record["seq"])
        if self.report.first_seq is None:
            self._start(record)
        if seq != self._expected_seq:
            self._flag_seq(seq)
        if not _hash_matches(record):
            self._flag(seq, "hash mismatch: the record's content was changed after it was written")
        elif record["prev_hash"] != self._prev_hash:
            self._flag(seq, f"prev_hash does not match the hash of the record before it "
                            f"(a record before seq {seq} was changed, inserted or removed)")
        self._check_checkpoint(seq, record["hash"], record.get("ts"))
        for what in self.officers.check(record):
            self._flag(seq, what)
        if self.standing is not None:
            self.standing.feed(record)
        self.report.records += 1
        self.report.last_seq = seq
        self._expected_seq, self._prev_hash = seq + 1, record["hash"]

    def _start(self, record: dict[str, Any]) -> None:
        self.report.first_seq = int(record["seq"])
        if self.excerpt and int(record["seq"]) > 1:  # an excerpt trusts its first link
            self._expected_seq, self._prev_hash = int(record["seq"]), str(record["prev_hash"])

    def _flag_seq(self, seq: int) -> None:
        expected = self._expected_seq
        if seq > expected:
            gone = f"seq {expected}" if seq == expected + 1 else f"seqs {expected}..{seq - 1}"
            self._flag(expected, f"record missing ({gone} deleted); the next record is seq {seq}")
        else:
            self._flag(expected, f"records out of order: seq {seq} stands where seq {expected} belongs")

    def _check_checkpoint(self, seq: int, stored_hash: str, ts: Any) -> None:
        cp = self.checkpoints.get(seq)
        if cp is None:
            return
        if cp["hash"] != stored_hash:
            self._flag(seq, "the signed checkpoint at this seq names a different hash "
                            "(the record was rewritten)")
            return
        late = window_problem(self.keys, str(cp["key_id"]), ts, "the record (covered by the checkpoint at this seq)")
        if late:  # a checkpoint may be back-dated, the records it covers are dated too
            self._flag(seq, late)

    def finish(self) -> VerifyReport:
        """Check for checkpoints past the end and return the report."""
        report = self.report
        report.officer_signatures = self.officers.verified
        report.unsigned_officer_actions = self.officers.unsigned_before
        last = report.last_seq or 0
        problems = self._record_problems + self._checkpoint_problems
        for seq in sorted(self.checkpoints):
            if seq > last:
                problems.append(Problem(last + 1, f"the signed checkpoint at seq {seq} names a record "
                                                  f"that is gone: the log was truncated after seq {last}"))
            elif seq >= (report.first_seq or 1):
                report.last_checkpoint_seq = seq
        report.problems = sorted(problems, key=lambda p: p.seq)
        return report


def _hash_matches(record: dict[str, Any]) -> bool:
    """The record's hash is the SHA-256 or the SM3 (gm suite) of its canonical JSON.

    Accepting either costs a forger nothing: both are 256-bit hashes without known
    collisions, and a record must still match the chain and the signed checkpoints.
    A deployment that changes suite simply continues the chain with the other hash.
    """
    stored = record["hash"]
    return record_hash(record) == stored or record_hash(record, "sm3") == stored


def _public(keys: KeyStore | PublicKeys | Iterable[dict[str, Any]]) -> PublicKeys:
    if isinstance(keys, PublicKeys):
        return keys
    if isinstance(keys, dict):  # key ids → keys, without validity
        return PublicKeys(keys)
    return key_map(keys)


def stored_records(store: Store, page: int = 2000, start_after: int | None = None
                   ) -> Iterator[dict[str, Any]]:
    """Every stored record (after ``start_after``) in seq order, paged by seq."""
    after = start_after
    columns = [_RECORDS.c[name] for name in RECORD_FIELDS]
    while True:
        query = select(*columns).order_by(_RECORDS.c.seq).limit(page)
        if after is not None:
            query = query.where(_RECORDS.c.seq > after)
        with store.session() as session:
            rows = [dict(r._mapping) for r in session.execute(query)]
        yield from rows
        if len(rows) < page:
            return
        after = rows[-1]["seq"]


def stored_checkpoints(store: Store) -> list[dict[str, Any]]:
    """Every stored checkpoint."""
    with store.session() as session:
        query = select(*(_CHECKPOINTS.c[n] for n in CHECKPOINT_FIELDS)).order_by(_CHECKPOINTS.c.seq)
        return [dict(r._mapping) for r in session.execute(query)]


def verify_records(records: Iterable[dict[str, Any]], checkpoints: Iterable[dict[str, Any]],
                   keys: PublicKeys, *, excerpt: bool = False, progress: Progress | None = None,
                   officers: OfficerSignatures | None = None, standing: Standing | None = None) -> VerifyReport:
    """Verify records (in seq order), checkpoints and officer signatures with the given public keys."""
    walker = ChainWalker(checkpoints, keys, excerpt=excerpt, officers=officers, standing=standing)
    for i, record in enumerate(records, 1):
        walker.feed(record)
        if progress is not None and i % 1000 == 0:
            progress(1000)
    return walker.finish()


def audience(store: Store) -> str | None:
    """This hub's id (``hub.hubid``), or None when the store names none (an older schema)."""
    try:
        with store.session() as session:
            return hub_id(session)
    except (HubIdMissing, DBAPIError):
        return None


def verify_chain(store: Store, keys: KeyStore | PublicKeys | Iterable[dict[str, Any]],
                 progress: Progress | None = None) -> VerifyReport:
    """Verify the whole stored chain, every checkpoint and every officer signature, then the
    store's grants, officers, partners, keys and lockdowns against the chain
    (``hub.audit.standing``: a row the records do not account for is a problem too)."""
    checkpoints = stored_checkpoints(store)
    officers = OfficerSignatures(store_key_lookup(store), audience=audience(store))
    standing = Standing()
    report = verify_records(stored_records(store), checkpoints, _public(keys), progress=progress,
                            officers=officers, standing=standing)
    report.hub = officers.audience
    from hub.store import migrate  # Alembic: imported only when the store itself is verified

    schema, head = migrate.current(store.engine), migrate.head()
    if schema != head:  # the rows cannot be read as this hub writes them
        report.store_not_checked = f"its schema is at {schema}, not at {head}: run `hub db upgrade`"
        return report
    with store.session() as session:
        found = standing.problems(session, set(officers.approvals))
    after = (report.last_seq or 0) + 1  # sorted after every problem of the chain itself
    report.problems += [Problem(after, what, where="store") for what in found[:MAX_PROBLEMS]]
    return report
