"""One pass of the detectors over the audit log, exactly once per record.

The detectors' position is a cursor in ``awareness_state`` (the last audit ``seq``
observed, and its ``ts``).  A pass reads the records after it, runs them through the
stream detectors (``hub.awareness.stream``) and, when due, the state checks
(``hub.awareness.state``), then in ONE short transaction: claims the cursor (it must
still be where the pass started — another process running the detectors at the same
time loses the race, forgets its work and starts again from the new cursor), writes the
subjects' history, records the alerts, audits new and escalated ones, runs their
containment playbooks, queues their webhook messages and moves the cursor.  So a crash
or restart neither misses a record nor counts one twice.  After a restart the sliding
windows are refilled from the records of the last hour before the cursor (``warm``),
so an attack that straddles the restart is seen as if there had been none.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import select, text
from sqlalchemy.exc import IntegrityError, OperationalError
from sqlalchemy.orm import Session

from hub import metrics
from hub.awareness import alerts, notify, observations, playbooks
from hub.awareness.alerts import Change, Finding
from hub.awareness.history import History
from hub.awareness.state import StateChecks
from hub.awareness.stream import StreamDetectors
from hub.awareness.thresholds import KINDS, SEVERITIES, Thresholds, rank
from hub.events import ALERT_RAISED, AuditEvent, EventSink
from hub.keys import KeyStore
from hub.store.db import Store
from hub.store.models import AwarenessState, Dataset

log = logging.getLogger(__name__)
SYSTEM = "system:awareness"
CURSOR, CHAIN = "cursor", "chain"
MAX_PASSES = 1000  # one drain: enough for 2 million records, then the next tick goes on


@dataclass
class PassResult:
    """What one pass did."""

    records: int = 0
    findings: int = 0
    changes: list[Change] = field(default_factory=list)
    cursor: int = 0
    lost_race: bool = False

    @property
    def raised(self) -> list[Change]:
        return [c for c in self.changes if c.how in ("new", "escalated")]


def _merge(findings: list[Finding]) -> list[Finding]:
    """One finding per (kind, subject, dataset): seqs joined, the highest severity's title kept."""
    merged: dict[tuple[Any, ...], Finding] = {}
    for f in findings:
        key = (f.kind, f.subject, f.dataset)
        had = merged.get(key)
        if had is None:  # the first finding keeps ``at_seq``: the record that raised it
            merged[key] = Finding(f.kind, f.severity, f.subject, f.dataset, f.ts, list(f.seqs), f.title,
                                  dict(f.details), f.at_seq)
            continue
        had.seqs = sorted(set(had.seqs) | set(f.seqs))
        had.ts = max(had.ts, f.ts)
        if rank(f.severity) >= rank(had.severity):
            had.severity, had.title, had.details = f.severity, f.title, {**had.details, **f.details}
    return list(merged.values())


class Scanner:
    """The detectors of one process, with their windows and history caches."""

    def __init__(self, store: Store, sink: EventSink, keys: KeyStore, thresholds: Thresholds, *,
                 clock: Callable[[], datetime] | None = None, state_check_s: float = 300.0, batch: int = 2000,
                 webhook_min_severity: str | None = None) -> None:
        self.store, self.sink, self.t = store, sink, thresholds
        self.clock = clock or (lambda: datetime.now(UTC))
        self.state_check_s, self.batch = state_check_s, batch
        self.webhook_min_severity = webhook_min_severity  # None: no webhook configured
        self.history = History(store)
        self.state = StateChecks(store, keys, thresholds)
        self._levels: dict[str, int] = {}
        self._detectors: StreamDetectors | None = None
        self._at: int | None = None  # the cursor the windows are filled up to
        self._state_due: datetime | None = None

    # --- cursor ---------------------------------------------------------------------------

    def _read(self, name: str) -> dict[str, Any] | None:
        with self.store.session() as session:
            row = session.get(AwarenessState, name)
            return dict(row.value) if row else None

    def cursor(self) -> int:
        """The last audit seq the detectors observed."""
        return int((self._read(CURSOR) or {}).get("seq", 0))

    def _claim(self, session: Session, expected: int) -> bool:
        """Lock the cursor for this transaction; True when it is still ``expected``."""
        if session.get_bind().dialect.name == "sqlite":  # a write statement takes SQLite's write lock now
            session.execute(text("UPDATE awareness_state SET name = name WHERE name = :n"), {"n": CURSOR})
        row = session.get(AwarenessState, CURSOR, with_for_update=True)
        return int((row.value if row else {}).get("seq", 0)) == expected

    @staticmethod
    def _write(session: Session, name: str, value: dict[str, Any]) -> None:
        row = session.get(AwarenessState, name)
        if row is None:
            session.add(AwarenessState(name=name, value=value))
        else:
            row.value = value

    # --- the pass -------------------------------------------------------------------------

    def level_of(self, dataset: str) -> int:
        """The catalog level of ``dataset`` (reviewed, else inferred; 0 when unknown)."""
        found = self._levels.get(dataset)
        if found is None:
            with self.store.session() as session:
                row = session.execute(select(Dataset.level_reviewed, Dataset.level_inferred)
                                      .where(Dataset.id == dataset)).first()
            found = self._levels[dataset] = int((row[0] or row[1]) if row else 0)
        return found

    def _warm(self, start: dict[str, Any]) -> None:
        """Fresh windows, refilled from the last hour of records before the cursor."""
        self.history.reset()
        self._detectors = StreamDetectors(self.t, self.history, self.level_of)
        seq = int(start.get("seq", 0))
        if seq and start.get("ts"):
            since = datetime.fromisoformat(str(start["ts"])) - timedelta(seconds=self.t.longest_window_s)
            for obs in observations.window(self.store, since, seq):
                self._detectors.observe(obs, warm=True)
        self._at = seq

    def run_once(self, *, check_state: bool | None = None) -> PassResult:
        """Observe the next batch of records (and run the state checks when due); see the module docstring."""
        start = self._read(CURSOR) or {"seq": 0}
        seq = int(start.get("seq", 0))
        if self._detectors is None or self._at != seq:
            self._warm(start)
        assert self._detectors is not None
        batch = observations.after(self.store, seq, self.batch)
        findings = [f for obs in batch for f in self._detectors.observe(obs)]
        now = self.clock()
        chain = self._read(CHAIN)
        if check_state or (check_state is None and (self._state_due is None or now >= self._state_due)):
            state_findings, chain = self.state.run(now, chain)
            findings += state_findings
            self._state_due = now + timedelta(seconds=self.state_check_s)
        end: dict[str, Any] = {"seq": batch[-1].seq, "ts": batch[-1].ts} if batch else start
        try:
            with self.store.session() as session:
                if not self._claim(session, seq):
                    raise _LostRace
                self.history.flush(session)
                changes = self._record(session, _merge(findings), now)
                self._write(session, CURSOR, end)
                if chain is not None:
                    self._write(session, CHAIN, chain)
        except (_LostRace, IntegrityError, OperationalError) as exc:
            log.info("awareness pass from seq %s abandoned (%s): starting again", seq, type(exc).__name__)
            self._detectors = None
            return PassResult(cursor=seq, lost_race=True)
        except BaseException:
            self._detectors = None  # the windows saw records the cursor did not pass: refill them
            raise
        self._at = int(end["seq"])
        self.publish_metrics()
        return PassResult(len(batch), len(findings), changes, int(end["seq"]))

    def drain(self, *, check_state: bool | None = None) -> list[PassResult]:
        """Passes until the detectors have caught up with the log."""
        results = [self.run_once(check_state=check_state)]
        while (results[-1].records == self.batch or results[-1].lost_race) and len(results) < MAX_PASSES:
            results.append(self.run_once(check_state=False))
        return results

    def _record(self, session: Session, findings: list[Finding], now: datetime) -> list[Change]:
        changes = []
        for finding in findings:
            change = alerts.record(session, finding, now)
            if change is None:
                continue
            changes.append(change)
            if change.how in ("new", "escalated"):
                self._raised(session, change, now)
        return changes

    def _raised(self, session: Session, change: Change, now: datetime) -> None:
        """Audit a new or escalated alert, run its playbook, queue its webhook message."""
        alert = change.alert
        self.sink(session, AuditEvent(ALERT_RAISED, subject=SYSTEM, action="detect", dataset=alert.dataset,
                                      decision="ok", reasons=[alert.title[:500]],
                                      details={"alert": alert.id, "kind": alert.kind, "severity": alert.severity,
                                               "about": alert.subject, "how": change.how,
                                               "evidence": list(alert.evidence)[:20]}))
        playbooks.contain(session, self.sink, alert, self.t, now)
        if self.webhook_min_severity is not None and notify.wanted(alert, self.webhook_min_severity):
            notify.enqueue(session, alert, change.how, now)

    def publish_metrics(self) -> None:
        """``hub_alerts_open{severity,kind}`` from the store (every known pair, zeros included)."""
        with self.store.session() as session:
            counts = alerts.open_counts(session)
        for severity in SEVERITIES:
            for kind in KINDS:
                metrics.ALERTS_OPEN.labels(severity, kind).set(counts.get((severity, kind), 0))


class _LostRace(Exception):
    """Another process moved the cursor first."""
