"""Alerts (监测预警): what the detectors raise, kept in the metadata store.

A detector's ``Finding`` becomes an alert, or adds to the open (or acknowledged) alert of
the same kind, subject and dataset: its count grows by the audit records it had not
counted yet (by ``seq``, so re-observing records after a restart never counts twice),
``last_seen`` moves on and the severity only goes up.  Officers acknowledge and resolve
alerts with statements signed by their own keys (actions ``ack`` and ``resolve``, target
``alert:ID``), kept in the audit record; a resolved alert stays resolved and a new
finding opens a new one.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from hub import officers, statements
from hub.awareness.thresholds import SEVERITIES, rank
from hub.errors import BadRequest, Conflict, NotFound
from hub.events import ALERT_ACKNOWLEDGED, ALERT_RESOLVED, AuditEvent, EventSink
from hub.officers import signed_details
from hub.store.db import Store
from hub.store.models import Alert

STATES = ("open", "acknowledged", "resolved")
LIVE = ("open", "acknowledged")
MAX_EVIDENCE = 200


@dataclass
class Finding:
    """What a detector saw: the records (``seqs``) that make an alert of ``kind`` at ``severity``."""

    kind: str
    severity: str
    subject: str | None
    dataset: str | None
    ts: str  # record time of the newest evidence
    seqs: list[int]
    title: str
    details: dict[str, Any] = field(default_factory=dict)
    at_seq: int | None = None  # the record whose observation raised it (None: a state check)


@dataclass(frozen=True)
class Change:
    """How a finding changed the alerts: ``new``, ``escalated`` (severity went up) or ``updated``."""

    alert: Alert
    how: str


def _live(session: Session, finding: Finding) -> Alert | None:
    query = select(Alert).where(Alert.kind == finding.kind, Alert.state.in_(LIVE))
    for column, value in ((Alert.subject, finding.subject), (Alert.dataset, finding.dataset)):
        query = query.where(column.is_(None) if value is None else column == value)
    return session.scalars(query.order_by(Alert.created_at.desc()).limit(1)).first()


def record(session: Session, finding: Finding, now: datetime | None = None) -> Change | None:
    """Open an alert for ``finding`` or add to the live one; None when nothing new was seen."""
    alert = _live(session, finding)
    if alert is None:
        alert = Alert(id=f"al-{secrets.token_hex(6)}", kind=finding.kind, severity=finding.severity,
                      subject=finding.subject, dataset=finding.dataset, title=finding.title,
                      first_seen=finding.ts, last_seen=finding.ts, count=max(1, len(finding.seqs)),
                      evidence=finding.seqs[:MAX_EVIDENCE],
                      detected_seq=finding.at_seq if finding.at_seq is not None else max(finding.seqs, default=None),
                      last_seq=max(finding.seqs, default=None), details=dict(finding.details), actions=[],
                      state="open", created_at=now or datetime.now(UTC))
        session.add(alert)
        session.flush()
        return Change(alert, "new")
    fresh = [s for s in finding.seqs if s > (alert.last_seq or 0)]
    escalated = rank(finding.severity) > rank(alert.severity)
    if not fresh and not escalated and finding.ts <= alert.last_seen:
        return None
    alert.count += len(fresh)
    if fresh:
        alert.evidence = (list(alert.evidence) + fresh)[:MAX_EVIDENCE]
        alert.last_seq = max(fresh)
    alert.last_seen = max(alert.last_seen, finding.ts)
    alert.details = {**alert.details, **finding.details}
    if escalated:
        alert.severity, alert.title = finding.severity, finding.title
    return Change(alert, "escalated" if escalated else "updated")


def get(session: Session, alert_id: str) -> Alert:
    """The alert ``alert_id`` or ``NotFound``."""
    alert = session.get(Alert, alert_id)
    if alert is None:
        raise NotFound(f"alert `{alert_id}` does not exist", alert=alert_id)
    return alert


def list_alerts(session: Session, state: str | None = None, kind: str | None = None,
                severity: str | None = None, limit: int = 200) -> list[Alert]:
    """Alerts, the most recently seen first, filtered by state, kind and minimum severity."""
    if state is not None and state not in STATES:
        raise BadRequest(f"state `{state}` is not one of {', '.join(STATES)}", field="state")
    if severity is not None and severity not in SEVERITIES:
        raise BadRequest(f"severity `{severity}` is not one of {', '.join(SEVERITIES)}", field="severity")
    query = select(Alert).order_by(Alert.last_seen.desc(), Alert.id).limit(max(1, min(limit, 1000)))
    if state is not None:
        query = query.where(Alert.state == state)
    if kind is not None:
        query = query.where(Alert.kind == kind)
    if severity is not None:
        query = query.where(Alert.severity.in_(SEVERITIES[rank(severity):]))
    return list(session.scalars(query))


def terms(alert: Alert) -> dict[str, Any]:
    """What an officer signs to acknowledge or resolve ``alert`` (``hub.statements.alert_terms``)."""
    return statements.alert_terms(alert.id, alert.kind, alert.subject, alert.dataset, alert.state)


def _act(session: Session, sink: EventSink, alert_id: str, statement: str, action: str, allowed: tuple[str, ...],
         now: datetime | None, signer: str | None) -> tuple[Alert, officers.Signed, datetime]:
    alert = get(session, alert_id)
    moment, signed_terms = now or datetime.now(UTC), terms(alert)
    signed = officers.accept(session, statement, actions=(action,), target=f"alert:{alert.id}", terms=signed_terms,
                             now=moment, signer=signer)
    if alert.state not in allowed:
        raise Conflict(f"alert `{alert.id}` is {alert.state}", alert=alert.id)
    if not signed.note.strip():
        raise BadRequest(f"{'acknowledging' if action == 'ack' else 'resolving'} an alert needs a reason: "
                         "sign it with one (--reason)")
    event = ALERT_ACKNOWLEDGED if action == "ack" else ALERT_RESOLVED
    sink(session, AuditEvent(event, subject=signed.subject, action=action, dataset=alert.dataset, decision="ok",
                             reasons=[signed.note], details={"alert": alert.id, "kind": alert.kind,
                                                             **signed_details(signed.row.target, signed_terms,
                                                                              [signed.row])}))
    return alert, signed, moment


def acknowledge(session: Session, sink: EventSink, alert_id: str, statement: str, *,
                now: datetime | None = None, signer: str | None = None) -> Alert:
    """An officer acknowledges an open alert (signed; its note is why)."""
    alert, signed, moment = _act(session, sink, alert_id, statement, "ack", ("open",), now, signer)
    alert.state, alert.acknowledged_by, alert.acknowledged_at = "acknowledged", signed.subject, moment
    alert.acknowledged_reason = signed.note
    return alert


def resolve(session: Session, sink: EventSink, alert_id: str, statement: str, *,
            now: datetime | None = None, signer: str | None = None) -> Alert:
    """An officer resolves an open or acknowledged alert (signed; its note is why)."""
    alert, signed, moment = _act(session, sink, alert_id, statement, "resolve", LIVE, now, signer)
    alert.state, alert.resolved_by, alert.resolved_at = "resolved", signed.subject, moment
    alert.resolved_reason = signed.note
    return alert


def open_counts(session: Session) -> dict[tuple[str, str], int]:
    """Live (open or acknowledged) alerts by ``(severity, kind)``."""
    rows = session.execute(select(Alert.severity, Alert.kind, func.count()).where(Alert.state.in_(LIVE))
                           .group_by(Alert.severity, Alert.kind))
    return {(str(sev), str(kind)): int(n) for sev, kind, n in rows}


def as_dict(alert: Alert) -> dict[str, Any]:
    """An alert as the API, the CLI's ``--json`` and the webhook show it."""
    def when(moment: datetime | None) -> str | None:
        return moment.isoformat() if moment else None

    return {"id": alert.id, "kind": alert.kind, "severity": alert.severity, "subject": alert.subject,
            "dataset": alert.dataset, "title": alert.title, "first_seen": alert.first_seen,
            "last_seen": alert.last_seen, "count": alert.count, "evidence": list(alert.evidence),
            "detected_seq": alert.detected_seq, "details": dict(alert.details), "actions": list(alert.actions),
            "state": alert.state, "created_at": when(alert.created_at),
            "acknowledged": {"by": alert.acknowledged_by, "at": when(alert.acknowledged_at),
                             "reason": alert.acknowledged_reason} if alert.acknowledged_by else None,
            "resolved": {"by": alert.resolved_by, "at": when(alert.resolved_at),
                         "reason": alert.resolved_reason} if alert.resolved_by else None}


def overview(store: Store, latest: int = 10) -> dict[str, Any]:
    """What a console overview shows: live alerts by severity and kind, and the latest ones."""
    with store.session() as session:
        counts = open_counts(session)
        live = session.scalars(select(Alert).where(Alert.state.in_(LIVE))
                               .order_by(Alert.last_seen.desc(), Alert.id).limit(latest))
        shown = [as_dict(a) for a in live]
    by_severity = {sev: sum(n for (s, _), n in counts.items() if s == sev) for sev in SEVERITIES}
    by_kind: dict[str, int] = {}
    for (_, kind), n in counts.items():
        by_kind[kind] = by_kind.get(kind, 0) + n
    return {"open": sum(counts.values()), "by_severity": by_severity, "by_kind": by_kind, "latest": shown}
