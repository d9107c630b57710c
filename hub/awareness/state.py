"""Checks of the hub's own state, run every ``awareness_state_check_s`` beside the stream:

- ``audit_chain`` (critical): the records appended since the last check verify — hashes,
  links, signed checkpoints, officer signatures (a statement signed for another hub included,
  as ``hub audit verify`` checks it) — and join the chain already verified
  (``hub security check`` verifies the whole chain);
- ``checkpoint_lag`` (high): too many records, or too long in record time, since the
  last signed checkpoint;
- ``signing_key_age`` (warning): the hub's current audit or token signing key is older
  than ``key_max_age_days``;
- ``partner_key_age`` (warning): a partner's newest active key is older than the
  rotation policy (``partner_key_max_age_days``);
- ``grant_expiring`` (info): a grant in force ends within ``grant_expiry_days``.

``now`` is given by the caller (the wall clock in production, a fixed time in tests).
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from itertools import islice
from typing import Any

from sqlalchemy import func, select

from hub.audit.officers import OfficerSignatures, store_key_lookup
from hub.audit.pubkeys import key_map
from hub.audit.verify import Problem, stored_checkpoints, stored_records, verify_records
from hub.awareness.alerts import Finding
from hub.awareness.thresholds import Thresholds
from hub.hubid import HubIdMissing, hub_id
from hub.keys import HubKey, KeyStore
from hub.store.db import Store
from hub.store.models import AuditCheckpoint, AuditRecord, ClientKey, Grant


def key_created(key: HubKey, keys: KeyStore, purpose: str) -> datetime:
    """When a hub key was made: the nanoseconds in its kid (``purpose-<ns>-<rand>``), else its file's time."""
    parts = key.kid.split("-")
    if len(parts) >= 3 and parts[1].isdigit():
        return datetime.fromtimestamp(int(parts[1]) / 1e9, UTC)
    path = keys.root / purpose / f"{key.kid}.pem"
    return datetime.fromtimestamp(path.stat().st_mtime, UTC)


class StateChecks:
    """The periodic checks; ``chain`` is the verified position ``{"seq", "hash"}`` they carry on from."""

    def __init__(self, store: Store, keys: KeyStore, thresholds: Thresholds) -> None:
        self.store, self.keys, self.t = store, keys, thresholds
        self._hub: str | None = None  # this hub's id, once read (it does not change while the hub runs)

    def _audience(self) -> str | None:
        """This hub's id, which the officer statements must name; None only for a store whose schema
        predates it.  A store error propagates: the pass is retried, its position not moved."""
        if self._hub is None:
            try:
                with self.store.session() as session:
                    self._hub = hub_id(session)
            except HubIdMissing:
                return None
        return self._hub

    def run(self, now: datetime, chain: dict[str, Any] | None) -> tuple[list[Finding], dict[str, Any] | None]:
        """Every check; the findings and the new verified chain position."""
        found, position = self.chain(now, chain)
        found += self.checkpoint_lag(now) + self.signing_keys(now) + self.partner_keys(now) + self.grants(now)
        return found, position

    def chain(self, now: datetime, position: dict[str, Any] | None,
              limit: int = 200_000) -> tuple[list[Finding], dict[str, Any] | None]:
        """Verify up to ``limit`` records after ``position``; a problem is a critical finding naming the
        first bad seq (the position then stays where it was)."""
        start = int(position["seq"]) if position else 0
        ends: list[dict[str, Any]] = []

        def walked() -> Iterator[dict[str, Any]]:
            for record in islice(stored_records(self.store, start_after=start or None), limit):
                if not ends:
                    ends.append(record)
                yield record
                ends[1:] = [record]

        # checkpoints are read before the records: each names a record that existed then
        checkpoints = [cp for cp in stored_checkpoints(self.store) if start < int(cp["seq"]) <= start + limit]
        report = verify_records(walked(), checkpoints, key_map(self.keys), excerpt=start > 0,
                                officers=OfficerSignatures(store_key_lookup(self.store), excerpt=start > 0,
                                                           audience=self._audience()))
        if not ends:
            return [], position
        problems = list(report.problems)
        if position and ends[0]["prev_hash"] != position["hash"]:
            problems.insert(0, Problem(int(ends[0]["seq"]), f"does not follow the record verified before (seq "
                                                            f"{start}): the chain was rewritten"))
        if problems:
            first = problems[0]
            return [Finding("audit_chain", "critical", None, None, now.isoformat(), [first.seq],
                            f"audit chain verification failed at seq {first.seq}: {first.what}",
                            {"problems": [str(p) for p in problems[:10]]})], position
        return [], {"seq": int(ends[-1]["seq"]), "hash": str(ends[-1]["hash"])}

    def checkpoint_lag(self, now: datetime) -> list[Finding]:
        with self.store.session() as session:
            head = session.execute(select(AuditRecord.seq, AuditRecord.ts).order_by(AuditRecord.seq.desc())
                                   .limit(1)).first()
            last = session.execute(select(AuditCheckpoint.seq, AuditCheckpoint.ts)
                                   .order_by(AuditCheckpoint.seq.desc()).limit(1)).first()
        if head is None:
            return []
        cp_seq, cp_ts = (int(last[0]), str(last[1])) if last else (0, None)
        behind = int(head[0]) - cp_seq
        if behind <= 0:
            return []
        first_ts = cp_ts or self._first_ts()
        seconds = (datetime.fromisoformat(str(head[1])) - datetime.fromisoformat(first_ts)).total_seconds()
        if behind <= self.t.checkpoint_lag_records and seconds <= self.t.checkpoint_lag_s:
            return []
        return [Finding("checkpoint_lag", "high", None, None, now.isoformat(), [],
                        f"{behind} audit records ({seconds:,.0f} s of record time) since the last signed "
                        f"checkpoint (seq {cp_seq})", {"records": behind, "seconds": round(seconds, 1),
                                                        "checkpoint_seq": cp_seq})]

    def _first_ts(self) -> str:
        with self.store.session() as session:
            return str(session.scalar(select(AuditRecord.ts).order_by(AuditRecord.seq).limit(1)))

    def signing_keys(self, now: datetime) -> list[Finding]:
        found = []
        for purpose in ("audit", "token"):
            keys = self.keys.keys(purpose)
            if not keys:
                continue
            age = now - key_created(keys[-1], self.keys, purpose)
            if age > timedelta(days=self.t.key_max_age_days):
                found.append(Finding("signing_key_age", "warning", f"key:{purpose}", None, now.isoformat(), [],
                                     f"the hub's {purpose} signing key `{keys[-1].kid}` is {age.days} days old "
                                     f"(rotate after {self.t.key_max_age_days})", {"kid": keys[-1].kid,
                                                                                    "age_days": age.days}))
        return found

    def partner_keys(self, now: datetime) -> list[Finding]:
        limit = now - timedelta(days=self.t.partner_key_max_age_days)
        with self.store.session() as session:
            rows = session.execute(select(ClientKey.client_id, func.max(ClientKey.created_at))
                                   .where(ClientKey.client_id.like("partner:%"), ClientKey.revoked_at.is_(None))
                                   .group_by(ClientKey.client_id)).all()
        return [Finding("partner_key_age", "warning", str(cid), None, now.isoformat(), [],
                        f"{cid}: newest key is {(now - newest).days} days old (rotation policy "
                        f"{self.t.partner_key_max_age_days} days)", {"age_days": (now - newest).days})
                for cid, newest in rows if newest is not None and newest < limit]

    def grants(self, now: datetime) -> list[Finding]:
        horizon = now + timedelta(days=self.t.grant_expiry_days)
        with self.store.session() as session:
            ending = list(session.scalars(select(Grant).where(Grant.revoked_at.is_(None), Grant.valid_until > now,
                                                              Grant.valid_until <= horizon)))
        return [Finding("grant_expiring", "info", f"grant:{g.id}", g.dataset_id, now.isoformat(), [],
                        f"grant {g.id} of partner {g.partner_id} on `{g.dataset_id}` ends "
                        f"{g.valid_until.date().isoformat()}", {"partner": g.partner_id,
                                                                "valid_until": g.valid_until.isoformat()})
                for g in ending]
