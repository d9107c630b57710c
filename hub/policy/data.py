"""Policy data (``data.hub``) built from the metadata store, and its revision.

``build_policy_data`` reads registered partners and officers, non-revoked grants
with their approvals, and standing suspensions.  Row usage is neither policy data nor
decision input: a decision names a grant's daily budget as an obligation and the quota
ledger (``hub.quota``) charges each page against it, so deliveries never change a
decision or the data revision.  The data revision is a hash of that document.  Workflow changes call
``changed_on_commit(session)``: when the transaction commits, the process-wide
generation is bumped and every decision point reloads before its next decision.
Changes made by other processes are picked up by re-reading the store once the loaded
data is older than ``PolicyPoint.recheck_seconds`` (``HUB_STALENESS_S``).
"""

from __future__ import annotations

import hashlib
import json
import logging
import threading
from collections.abc import Iterable
from datetime import UTC, datetime, timedelta, timezone
from typing import Any, Protocol

from sqlalchemy import event, select
from sqlalchemy.orm import Session

from hub.policy.rules.stored import active_document
from hub.store.db import Store
from hub.store.models import DatasetSuspension, Grant, Officer, Partner, Suspension

log = logging.getLogger(__name__)
CST = timezone(timedelta(hours=8), "UTC+8")
UNCONDITIONAL_MAX_ROWS = 10000

_generation = 0
_generation_lock = threading.Lock()


def generation() -> int:
    """The process-wide policy-data generation (bumped by every committed workflow change)."""
    return _generation


def bump() -> None:
    """Invalidate every decision point's data and cached decisions in this process."""
    global _generation
    with _generation_lock:
        _generation += 1


def changed_on_commit(session: Session) -> None:
    """Bump the generation when ``session``'s transaction commits."""
    if not session.info.get("_hub_policy_bump"):
        session.info["_hub_policy_bump"] = True
        event.listen(session, "after_commit", _after_commit, once=True)


def _after_commit(session: Session) -> None:
    session.info.pop("_hub_policy_bump", None)
    bump()


def iso(moment: datetime) -> str:
    """RFC 3339 in UTC+8 (naive values are taken as UTC)."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(CST).isoformat()


def today(now: datetime) -> str:
    """The quota day (YYYY-MM-DD in UTC+8) of ``now``."""
    return now.astimezone(CST).strftime("%Y-%m-%d")


def data_revision(data: dict[str, Any]) -> str:
    """A short content hash of the policy data."""
    body = json.dumps(data, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(body.encode()).hexdigest()[:16]


def _officers(session: Session) -> dict[str, Any]:
    return {o.id: {"role": o.role, "owner_of": o.owner_of, "active": bool(o.active)}
            for o in session.scalars(select(Officer))}


def _grant(g: Grant) -> dict[str, Any]:
    return {"id": g.id, "partner": g.partner_id, "dataset": g.dataset_id, "purposes": list(g.purposes),
            "columns": list(g.columns), "clear_columns": list(g.clear_columns),
            "lookup_columns": list(g.lookup_columns or []),
            "valid_from": iso(g.valid_from), "valid_until": iso(g.valid_until),
            "max_rows_per_day": int(g.max_rows_per_day), "approvals": list(g.approvals),
            "all_regions": g.all_regions is True, "requested_by": g.requested_by}


def _grants(grants: Iterable[Grant]) -> dict[str, Any]:
    """The grants' documents; a grant that cannot be written out is left out (it grants nothing).

    One bad row (say, a window outside the representable years) must not take every
    decision down with it: it is logged and that grant alone stops covering anything.
    """
    out = {}
    for g in grants:
        try:
            out[g.id] = _grant(g)
        except (OverflowError, ValueError, TypeError) as exc:
            log.error("grant %s left out of the policy data: %s", g.id, exc)
    return out


def build_policy_data(session: Session, now: datetime) -> dict[str, Any]:
    """The ``data.hub`` document as of ``now`` (see ``policies/README.md``)."""
    grants = session.scalars(select(Grant).where(Grant.revoked_at.is_(None)))
    suspended = session.scalars(select(Suspension).where(Suspension.lifted_at.is_(None)))
    rules = active_document(session)
    return {
        "partners": {p.id: {"clearance": p.clearance, "jurisdiction": p.jurisdiction,
                            "purposes": list(p.purposes), "suspended": bool(p.suspended)}
                     for p in session.scalars(select(Partner))},
        "officers": _officers(session),
        "grants": _grants(grants),
        "suspensions": {s.partner_id: {"reason": s.reason, "by": s.created_by, "since": iso(s.created_at)}
                        for s in suspended},
        "limits": {"unconditional_max_rows": UNCONDITIONAL_MAX_ROWS},
        # circuit breakers (一键熔断, hub.circuit): no one reads these datasets while they stand
        "dataset_suspensions": {s.dataset_id: {"reason": s.reason, "by": s.created_by, "since": iso(s.created_at)}
                                for s in session.scalars(select(DatasetSuspension)
                                                         .where(DatasetSuspension.lifted_at.is_(None)))},
        # the officer rules in force (hub/policy/rules), when any: part of the data, so
        # activating a revision changes the data revision and every point reloads
        **({"rules": rules} if rules is not None else {}),
    }


class DataSource(Protocol):
    """Where a decision point gets its policy data."""

    def load(self, now: datetime) -> dict[str, Any]: ...


class StoreData:
    """Policy data read from a metadata store."""

    def __init__(self, store: Store) -> None:
        self.store = store

    def load(self, now: datetime) -> dict[str, Any]:
        with self.store.session() as session:
            return build_policy_data(session, now)


class StaticData:
    """Fixed policy data (policy test cases, ``hub policy eval --data``)."""

    def __init__(self, data: dict[str, Any]) -> None:
        self.data = data

    def load(self, now: datetime) -> dict[str, Any]:
        return self.data
