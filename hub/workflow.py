"""The application → approval → grant workflow, revocation and lockdown (申请 → 审批 → 授权).

A partner applies for a dataset (purpose, columns, clear columns, validity, daily
quota).  Officers decide: the two-person rule (双人审批) needs the owner officer of
the dataset's provider and a security officer, two different people, neither the
requester; then a ``Grant`` is created.  A rejection ends the application.  Grants
are revoked, partners locked down (暂停).  Every state change emits an audit event
through the caller's ``EventSink`` in the same session, and bumps the policy data
when the transaction commits, so the very next decision sees it.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from hub.errors import BadRequest, Conflict, Forbidden, NotFound
from hub.events import (
    APPLICATION_CREATED,
    APPLICATION_DECIDED,
    GRANT_CREATED,
    GRANT_REVOKED,
    PARTNER_LOCKDOWN,
    AuditEvent,
    EventSink,
)
from hub.policy.data import changed_on_commit
from hub.store.models import (
    Application,
    Approval,
    Dataset,
    DatasetColumn,
    Grant,
    Officer,
    Partner,
    Suspension,
)

DECISIONS = ("approve", "reject")


@dataclass(frozen=True)
class ApplicationRequest:
    """What a partner asks for."""

    partner: str
    dataset: str
    purpose: str
    columns: list[str]
    valid_from: datetime
    valid_until: datetime
    max_rows_per_day: int
    clear_columns: tuple[str, ...] = ()
    justification: str = ""
    requested_by: str | None = None
    lookup_columns: tuple[str, ...] = ()  # columns the holder may ``match`` a clear value in


def _now(now: datetime | None) -> datetime:
    return now or datetime.now(UTC)


def _partner(session: Session, partner_id: str) -> Partner:
    partner = session.get(Partner, partner_id)
    if partner is None:
        raise NotFound(f"partner `{partner_id}` is not registered", partner=partner_id)
    return partner


def _dataset(session: Session, dataset_id: str) -> Dataset:
    dataset = session.get(Dataset, dataset_id)
    if dataset is None:
        raise NotFound(f"dataset `{dataset_id}` is not in the catalog", dataset=dataset_id)
    return dataset


def _officer(session: Session, officer_id: str) -> Officer:
    officer = session.get(Officer, officer_id.removeprefix("officer:"))
    if officer is None or not officer.active:
        raise NotFound(f"officer `{officer_id}` is not registered or not active", officer=officer_id)
    return officer


def _check_exchangeable(dataset: Dataset) -> None:
    level = dataset.level_reviewed or dataset.level_inferred
    sharing = dataset.sharing_type_reviewed or dataset.sharing_type_inferred
    if sharing == "none" or level >= 5 or not dataset.exchangeable:
        raise Forbidden(f"rule never-exchanged: dataset `{dataset.id}` is never exchanged "
                        f"(level {level}, sharing type {sharing})", dataset=dataset.id)


def _check_columns(session: Session, dataset: Dataset, req: ApplicationRequest) -> None:
    known = set(session.scalars(select(DatasetColumn.name).where(DatasetColumn.dataset_id == dataset.id)))
    for column in [*req.columns, *req.clear_columns, *req.lookup_columns]:
        if column not in known:
            raise BadRequest(f"dataset `{dataset.id}` has no column `{column}`", dataset=dataset.id,
                             column=column)
    for column in req.clear_columns:
        if column not in req.columns:
            raise BadRequest(f"clear column `{column}` is not among the requested columns", column=column)
    for column in req.lookup_columns:
        if column not in req.columns:
            raise BadRequest(f"lookup column `{column}` is not among the requested columns", column=column)
    if not req.columns:
        raise BadRequest("an application names at least one column")


# A grant's window is stored, served to the policies in RFC 3339 (UTC+8) and compared in
# int64 nanoseconds; these bounds keep every instant representable in all three.
EARLIEST_VALIDITY = datetime(2000, 1, 1, tzinfo=UTC)
MAX_VALIDITY_YEARS = 10


def _latest_validity() -> datetime:
    return datetime.now(UTC) + timedelta(days=366 * MAX_VALIDITY_YEARS)


def _check_terms(partner: Partner, req: ApplicationRequest) -> None:
    if partner.suspended:
        raise Forbidden(f"rule lockdown: partner `{partner.id}` is suspended", partner=partner.id)
    if req.purpose not in partner.purposes:
        raise Forbidden(f"rule purpose: purpose `{req.purpose}` is not registered for partner `{partner.id}`",
                        partner=partner.id)
    if req.valid_from.tzinfo is None or req.valid_until.tzinfo is None:
        raise BadRequest("valid_from and valid_until need a time zone")
    for name in ("valid_from", "valid_until"):
        moment = getattr(req, name)
        try:
            inside = EARLIEST_VALIDITY <= moment.astimezone(UTC) <= _latest_validity()
        except OverflowError:  # a time the offset pushes outside year 1..9999
            inside = False
        if not inside:
            raise BadRequest(f"{name} must lie between {EARLIEST_VALIDITY.date()} and "
                             f"{MAX_VALIDITY_YEARS} years from now", field=name)
    if req.valid_from >= req.valid_until:
        raise BadRequest("valid_from must be before valid_until")
    if req.max_rows_per_day <= 0:
        raise BadRequest("max_rows_per_day must be positive")


def apply(session: Session, sink: EventSink, req: ApplicationRequest, *,
          now: datetime | None = None) -> Application:
    """File an application; raise ``NotFound``/``BadRequest``/``Forbidden`` naming the problem."""
    partner = _partner(session, req.partner)
    dataset = _dataset(session, req.dataset)
    _check_exchangeable(dataset)
    _check_terms(partner, req)
    _check_columns(session, dataset, req)
    app = Application(
        id=f"app-{secrets.token_hex(4)}", partner_id=partner.id, dataset_id=dataset.id, purpose=req.purpose,
        columns=list(req.columns), clear_columns=list(req.clear_columns),
        lookup_columns=list(dict.fromkeys(req.lookup_columns)), justification=req.justification,
        valid_from=req.valid_from, valid_until=req.valid_until, max_rows_per_day=req.max_rows_per_day,
        requested_by=req.requested_by or f"partner:{partner.id}", status="pending", created_at=_now(now))
    session.add(app)
    session.flush()
    sink(session, AuditEvent(APPLICATION_CREATED, subject=app.requested_by, action="apply",
                             dataset=dataset.id, purpose=req.purpose, decision="ok",
                             details={"application": app.id, "columns": app.columns,
                                      "clear_columns": app.clear_columns,
                                      "lookup_columns": app.lookup_columns}))
    return app


def get_application(session: Session, application_id: str) -> Application:
    """The application ``application_id`` or ``NotFound``."""
    app = session.get(Application, application_id)
    if app is None:
        raise NotFound(f"application `{application_id}` does not exist", application=application_id)
    return app


def _is_requester(app: Application, officer: Officer) -> bool:
    return app.requested_by in {officer.id, f"officer:{officer.id}"}


def _check_decider(session: Session, app: Application, officer: Officer, dataset: Dataset) -> None:
    if app.status != "pending":
        raise Conflict(f"application `{app.id}` is already {app.status}", application=app.id)
    if _is_requester(app, officer):
        raise Forbidden(f"two-person rule: officer `{officer.id}` requested application `{app.id}` "
                        "and cannot decide it", application=app.id)
    earlier = session.scalars(select(Approval).where(Approval.application_id == app.id,
                                                     Approval.officer_id == officer.id)).first()
    if earlier is not None:
        raise Conflict(f"two-person rule: officer `{officer.id}` already decided application `{app.id}`",
                       application=app.id)
    if officer.role == "owner" and officer.owner_of != dataset.provider:
        raise Forbidden(f"two-person rule: owner officer `{officer.id}` speaks for `{officer.owner_of}`, "
                        f"not for `{dataset.provider}`", application=app.id)


def _two_person_complete(approvals: list[Approval], officers: dict[str, Officer], provider: str) -> bool:
    owners = {a.officer_id for a in approvals
              if a.role == "owner" and officers[a.officer_id].owner_of == provider}
    security = {a.officer_id for a in approvals if a.role == "security"}
    return any(o != s for o in owners for s in security)


def decide(session: Session, sink: EventSink, application_id: str, officer_id: str, decision: str,
           comment: str = "", *, now: datetime | None = None) -> Application:
    """Record an officer's approve/reject; create the grant once the two-person rule is met."""
    if decision not in DECISIONS:
        raise BadRequest(f"decision `{decision}` is not one of {list(DECISIONS)}")
    app = get_application(session, application_id)
    officer = _officer(session, officer_id)
    dataset = _dataset(session, app.dataset_id)
    _check_decider(session, app, officer, dataset)
    moment = _now(now)
    session.add(Approval(application_id=app.id, officer_id=officer.id, role=officer.role, decision=decision,
                         comment=comment, created_at=moment))
    session.flush()
    if decision == "reject":
        app.status, app.decided_at = "rejected", moment
    else:
        approvals = list(session.scalars(select(Approval).where(Approval.application_id == app.id,
                                                                Approval.decision == "approve")))
        officers = {a.officer_id: _officer(session, a.officer_id) for a in approvals}
        if _two_person_complete(approvals, officers, dataset.provider):
            _grant_from(session, sink, app, approvals, officers, moment)
    sink(session, AuditEvent(APPLICATION_DECIDED, subject=f"officer:{officer.id}", action="approve",
                             dataset=app.dataset_id, purpose=app.purpose, decision=decision,
                             reasons=[comment] if comment else [],
                             details={"application": app.id, "status": app.status, "role": officer.role}))
    changed_on_commit(session)
    return app


def _grant_from(session: Session, sink: EventSink, app: Application, approvals: list[Approval],
                officers: dict[str, Officer], moment: datetime) -> Grant:
    grant = Grant(
        id=f"g-{secrets.token_hex(4)}", application_id=app.id, partner_id=app.partner_id,
        dataset_id=app.dataset_id, purposes=[app.purpose], columns=list(app.columns),
        clear_columns=list(app.clear_columns), lookup_columns=list(app.lookup_columns or []),
        valid_from=app.valid_from, valid_until=app.valid_until,
        max_rows_per_day=app.max_rows_per_day, requested_by=app.requested_by, created_at=moment,
        approvals=[{"officer": a.officer_id, "role": a.role, "owner_of": officers[a.officer_id].owner_of,
                    "at": moment.isoformat()} for a in approvals])
    session.add(grant)
    app.status, app.decided_at = "approved", moment
    session.flush()
    sink(session, AuditEvent(GRANT_CREATED, subject=f"partner:{app.partner_id}", action="approve",
                             dataset=app.dataset_id, purpose=app.purpose, decision="ok", grant=grant.id,
                             details={"application": app.id, "approvals": grant.approvals}))
    return grant


def expire(session: Session, sink: EventSink, *, now: datetime | None = None) -> list[str]:
    """Mark pending applications whose validity has ended as expired; return their ids."""
    moment = _now(now)
    stale = session.scalars(select(Application).where(Application.status == "pending",
                                                      Application.valid_until <= moment))
    expired = []
    for app in stale:
        app.status, app.decided_at = "expired", moment
        expired.append(app.id)
        sink(session, AuditEvent(APPLICATION_DECIDED, subject="operator:hub", action="expire",
                                 dataset=app.dataset_id, decision="expired", details={"application": app.id}))
    return expired


def revoke(session: Session, sink: EventSink, grant_id: str, by: str, reason: str = "", *,
           now: datetime | None = None) -> Grant:
    """Revoke a grant at once (the next decision no longer sees it)."""
    grant = session.get(Grant, grant_id)
    if grant is None:
        raise NotFound(f"grant `{grant_id}` does not exist", grant=grant_id)
    if grant.revoked_at is not None:
        raise Conflict(f"grant `{grant_id}` was already revoked by {grant.revoked_by}", grant=grant_id)
    grant.revoked_at, grant.revoked_by = _now(now), by
    sink(session, AuditEvent(GRANT_REVOKED, subject=by, action="revoke", dataset=grant.dataset_id,
                             decision="ok", grant=grant.id, reasons=[reason] if reason else []))
    changed_on_commit(session)
    return grant


def lockdown(session: Session, sink: EventSink, partner_id: str, by: str, reason: str, *,
             now: datetime | None = None) -> Suspension:
    """Suspend a partner: every later decision for it denies until lifted."""
    partner = _partner(session, partner_id)
    if not reason.strip():
        raise BadRequest("a lockdown needs a reason")
    partner.suspended = True
    suspension = Suspension(partner_id=partner.id, reason=reason, created_by=by, created_at=_now(now))
    session.add(suspension)
    session.flush()
    sink(session, AuditEvent(PARTNER_LOCKDOWN, subject=by, action="lockdown", decision="ok",
                             reasons=[reason], details={"partner": partner.id}))
    changed_on_commit(session)
    return suspension


def list_applications(session: Session, status: str | None = None) -> list[Application]:
    """Applications, newest first, optionally of one status."""
    query = select(Application).order_by(Application.created_at.desc())
    if status:
        query = query.where(Application.status == status)
    return list(session.scalars(query))


def approvals_of(session: Session, application_id: str) -> list[Approval]:
    """The officers' decisions on one application, oldest first."""
    return list(session.scalars(select(Approval).where(Approval.application_id == application_id)
                                .order_by(Approval.id)))


def list_grants(session: Session, *, include_revoked: bool = False) -> list[Grant]:
    """Grants, newest first."""
    query = select(Grant).order_by(Grant.created_at.desc())
    if not include_revoked:
        query = query.where(Grant.revoked_at.is_(None))
    return list(session.scalars(query))
