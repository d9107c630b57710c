"""Containment playbooks (应急处置): what the hub does on its own when an alert is raised.

``HUB_AWARENESS_PLAYBOOKS`` maps ``kind:severity`` to actions (default: critical →
lockdown; the most specific key wins):

- ``lockdown``: lock the alert's partner down (``hub.workflow.system_lockdown``); its next
  request is refused;
- ``suspend_dataset``: suspend exchange of the alert's dataset for every partner
  (一键熔断, ``hub.circuit.system_suspend``);
- ``rotate_key``: revoke every key of the alert's partner and lock it down, so tokens
  already issued stop working too; the operator registers a new key
  (``hub security rekey``) and two officers lift the lockdown.

Each action runs in the transaction that records the alert, is audited by
``system:awareness`` naming the alert, and is listed on the alert.  Undoing any of them
takes two officers (``hub lift-lockdown``, ``hub security resume``).  An action that does
not apply (no partner, no dataset) is listed as skipped, with why.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from hub import circuit, workflow
from hub.awareness.thresholds import Thresholds
from hub.events import PARTNER_KEY_REVOKED, AuditEvent, EventSink
from hub.policy.data import changed_on_commit
from hub.store.models import Alert, ClientKey, Partner

SYSTEM = "system:awareness"
Action = Callable[[Session, EventSink, Alert, datetime], dict[str, Any]]


def _partner(session: Session, alert: Alert) -> str | None:
    subject = alert.subject or ""
    if not subject.startswith("partner:"):
        return None
    local = subject.removeprefix("partner:")
    return local if session.get(Partner, local) is not None else None


def _reason(alert: Alert) -> str:
    return f"alert {alert.id} ({alert.kind}, {alert.severity}): {alert.title}"[:2000]


def lockdown(session: Session, sink: EventSink, alert: Alert, now: datetime) -> dict[str, Any]:
    partner = _partner(session, alert)
    if partner is None:
        return {"action": "lockdown", "skipped": f"`{alert.subject}` is not a registered partner"}
    done = workflow.system_lockdown(session, sink, partner, _reason(alert), alert_id=alert.id, now=now)
    if done is None:
        return {"action": "lockdown", "target": f"partner:{partner}", "skipped": "already locked down"}
    return {"action": "lockdown", "target": f"partner:{partner}", "suspension": done.id, "at": now.isoformat()}


def suspend_dataset(session: Session, sink: EventSink, alert: Alert, now: datetime) -> dict[str, Any]:
    if not alert.dataset:
        return {"action": "suspend_dataset", "skipped": "the alert names no dataset"}
    done = circuit.system_suspend(session, sink, alert.dataset, _reason(alert), alert_id=alert.id, now=now)
    if done is None:
        return {"action": "suspend_dataset", "target": f"dataset:{alert.dataset}", "skipped": "already suspended"}
    return {"action": "suspend_dataset", "target": f"dataset:{alert.dataset}", "suspension": done.id,
            "at": now.isoformat()}


def rotate_key(session: Session, sink: EventSink, alert: Alert, now: datetime) -> dict[str, Any]:
    partner = _partner(session, alert)
    if partner is None:
        return {"action": "rotate_key", "skipped": f"`{alert.subject}` is not a registered partner"}
    keys = list(session.scalars(select(ClientKey).where(ClientKey.client_id == f"partner:{partner}",
                                                        ClientKey.revoked_at.is_(None))))
    for key in keys:
        key.revoked_at = now
    changed_on_commit(session)  # this process's revocation set and decisions reload at commit
    sink(session, AuditEvent(PARTNER_KEY_REVOKED, subject=SYSTEM, action="rotate_key", decision="ok",
                             reasons=[_reason(alert)], details={"partner": partner, "alert": alert.id,
                                                                "revoked_keys": sorted(k.kid for k in keys)}))
    workflow.system_lockdown(session, sink, partner, _reason(alert), alert_id=alert.id, now=now)
    return {"action": "rotate_key", "target": f"partner:{partner}", "revoked_keys": sorted(k.kid for k in keys),
            "at": now.isoformat()}


ACTIONS: dict[str, Action] = {"lockdown": lockdown, "suspend_dataset": suspend_dataset, "rotate_key": rotate_key}


def contain(session: Session, sink: EventSink, alert: Alert, thresholds: Thresholds,
            now: datetime) -> list[dict[str, Any]]:
    """Run the playbook's actions for ``alert`` that it has not had yet; return what was done."""
    done = {a.get("action") for a in alert.actions}
    taken = [ACTIONS[name](session, sink, alert, now)
             for name in thresholds.actions_for(alert.kind, alert.severity) if name not in done]
    if taken:
        alert.actions = [*alert.actions, *taken]
    return taken
