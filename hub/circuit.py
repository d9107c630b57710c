"""Dataset circuit breakers (一键熔断): exchange of one dataset suspended for every partner at once.

A security officer suspends a dataset with a signed statement (action ``suspend``), or a
containment playbook does it for an alert (``system_suspend``: subject
``system:awareness``, the alert named in the audit record).  While a suspension stands
the policies deny every read of the dataset (``policies/hub/circuit.rego`` over the
policy data's ``dataset_suspensions``), whoever asks and whatever grant they hold.
Resuming takes two officers' signatures (action ``resume``, co-signed as lifting a
lockdown is: ``hub.officers.cosign``).  Every change is audited in the caller's
transaction and bumps the policy data when it commits.
"""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from hub import officers, statements
from hub.errors import BadRequest, Conflict, Forbidden, NotFound
from hub.events import DATASET_RESUMED, DATASET_SUSPENDED, AuditEvent, EventSink
from hub.officers import signed_details
from hub.policy.data import changed_on_commit
from hub.store.models import Dataset, DatasetSuspension

SYSTEM = "system:awareness"


def _now(now: datetime | None) -> datetime:
    return now or datetime.now(UTC)


def get_dataset(session: Session, dataset_id: str) -> Dataset:
    dataset = session.get(Dataset, dataset_id)
    if dataset is None:
        raise NotFound(f"dataset `{dataset_id}` is not in the catalog", dataset=dataset_id)
    return dataset


def standing(session: Session, dataset_id: str) -> list[DatasetSuspension]:
    """The suspensions of ``dataset_id`` in force now, oldest first."""
    return list(session.scalars(select(DatasetSuspension).where(
        DatasetSuspension.dataset_id == dataset_id, DatasetSuspension.lifted_at.is_(None))
        .order_by(DatasetSuspension.id)))


def in_force(session: Session) -> list[DatasetSuspension]:
    """Every suspension in force, oldest first (the policy data's ``dataset_suspensions``)."""
    return list(session.scalars(select(DatasetSuspension).where(DatasetSuspension.lifted_at.is_(None))
                                .order_by(DatasetSuspension.id)))


def _record(session: Session, sink: EventSink, dataset_id: str, reason: str, by: str, moment: datetime,
            alert_id: str | None, details: dict[str, object]) -> DatasetSuspension:
    suspension = DatasetSuspension(dataset_id=dataset_id, reason=reason, created_by=by, alert_id=alert_id,
                                   created_at=moment)
    session.add(suspension)
    session.flush()
    sink(session, AuditEvent(DATASET_SUSPENDED, subject=by, action="suspend", dataset=dataset_id, decision="ok",
                             reasons=[reason], details={"suspension": suspension.id, **details}))
    changed_on_commit(session)
    return suspension


def suspend(session: Session, sink: EventSink, dataset_id: str, statement: str, *, now: datetime | None = None,
            signer: str | None = None) -> DatasetSuspension:
    """Suspend exchange of a dataset on a security officer's signed statement (its note is the reason)."""
    get_dataset(session, dataset_id)
    moment, terms = _now(now), statements.suspend_terms(dataset_id)
    signed = officers.accept(session, statement, actions=("suspend",), target=f"dataset:{dataset_id}",
                             terms=terms, now=moment, signer=signer)
    if signed.officer.role != "security":
        raise Forbidden(f"only security officers suspend datasets; `{signed.officer.id}` is {signed.officer.role}")
    if not signed.note.strip():
        raise BadRequest("a dataset suspension needs a reason: sign it with one (--reason)")
    return _record(session, sink, dataset_id, signed.note, signed.subject, moment, None,
                   signed_details(signed.row.target, terms, [signed.row]))


def system_suspend(session: Session, sink: EventSink, dataset_id: str, reason: str, *, alert_id: str,
                   now: datetime | None = None) -> DatasetSuspension | None:
    """Suspend a dataset for an alert (containment playbook); None when one already stands."""
    get_dataset(session, dataset_id)
    if standing(session, dataset_id):
        return None
    return _record(session, sink, dataset_id, reason, SYSTEM, _now(now), alert_id, {"alert": alert_id})


def resume(session: Session, sink: EventSink, dataset_id: str, statement: str, *, now: datetime | None = None,
           signer: str | None = None) -> list[DatasetSuspension] | None:
    """One officer's signature on resuming a dataset; resumed at the second officer's (None while waiting)."""
    get_dataset(session, dataset_id)
    found = standing(session, dataset_id)
    if not found:
        raise Conflict(f"dataset `{dataset_id}` is not suspended", dataset=dataset_id)
    moment, terms = _now(now), statements.resume_terms(dataset_id, [s.id for s in found])
    signed = officers.accept(session, statement, actions=("resume",), target=f"dataset:{dataset_id}",
                             terms=terms, now=moment, signer=signer, pending=True)
    rows = officers.cosign(session, signed, moment)
    if rows is None:
        officers.pending_event(session, sink, signed)
        return None
    for suspension in found:
        suspension.lifted_at = moment
    sink(session, AuditEvent(DATASET_RESUMED, subject=signed.subject, action="resume", dataset=dataset_id,
                             decision="ok", details={"suspensions": [s.id for s in found],
                                                     **signed_details(signed.row.target, terms, rows)}))
    changed_on_commit(session)
    return found
