"""The application → approval → grant workflow, revocation and lockdown (申请 → 审批 → 授权).

A partner applies for a dataset (purpose, columns, clear columns, validity, daily
quota).  Officers decide: the two-person rule (双人审批) needs the owner officer of
the dataset's provider and a security officer, two different people with two
different keys, neither the requester; then a ``Grant`` is created.  A rejection
ends the application.  Grants are revoked, partners locked down (暂停) by a security
officer and the lockdown lifted by two officers.  Every officer action is a statement
signed by the officer's own key (``hub.statements``), verified by ``hub.officers``
before it takes effect and kept in the audit record.  Every state change emits an
audit event through the caller's ``EventSink`` in the same session, and bumps the
policy data when the transaction commits, so the very next decision sees it.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from hub import officers, statements
from hub.errors import BadRequest, Conflict, Forbidden, NotFound
from hub.events import (
    APPLICATION_CREATED,
    APPLICATION_DECIDED,
    GRANT_CREATED,
    GRANT_REVOKED,
    PARTNER_LOCKDOWN,
    PARTNER_LOCKDOWN_LIFTED,
    AuditEvent,
    EventSink,
)
from hub.officers import Signed, signed_details
from hub.policy.data import changed_on_commit
from hub.store.models import (
    Application,
    Approval,
    ClientKey,
    Dataset,
    DatasetColumn,
    Grant,
    Officer,
    OfficerStatement,
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
    all_regions: bool = False  # 属地: every region, no jurisdiction row filter (approved as such)
    lookup_columns: tuple[str, ...] = ()  # columns the holder may ``match`` a clear value in


def _now(now: datetime | None) -> datetime:
    return now or datetime.now(UTC)


def get_partner(session: Session, partner_id: str) -> Partner:
    """The partner ``partner_id`` or ``NotFound``."""
    return _partner(session, partner_id)


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


def _exchangeable_dataset(session: Session, dataset_id: str) -> Dataset:
    """The dataset an application names, if it may ever be exchanged.

    Unknown and never-exchanged (不予共享, level 5, not a published layer) answer with one
    identical ``NotFound``: the partners' catalog does not list never-exchanged datasets, and
    a refusal naming why would tell a partner that one exists (the data routes answer alike).
    """
    dataset = session.get(Dataset, dataset_id)
    if dataset is not None:
        level = dataset.level_reviewed or dataset.level_inferred
        sharing = dataset.sharing_type_reviewed or dataset.sharing_type_inferred
        if sharing != "none" and level < 5 and dataset.exchangeable:
            return dataset
    name = dataset_id[:160]
    raise NotFound(f"dataset `{name}` is not available for exchange", dataset=name)


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


def _check_jurisdiction(dataset: Dataset, req: ApplicationRequest) -> None:
    """A dataset without a jurisdiction column is served to no partner unless all regions are asked for."""
    if not dataset.region_column and not req.all_regions:
        raise BadRequest(f"rule jurisdiction: dataset `{dataset.id}` has no jurisdiction (region) column, so "
                         "it is served to a partner only under a grant for all regions: apply with "
                         "all_regions", dataset=dataset.id)


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
    dataset = _exchangeable_dataset(session, req.dataset)
    _check_terms(partner, req)
    _check_columns(session, dataset, req)
    _check_jurisdiction(dataset, req)
    app = Application(
        id=f"app-{secrets.token_hex(4)}", partner_id=partner.id, dataset_id=dataset.id, purpose=req.purpose,
        columns=list(req.columns), clear_columns=list(req.clear_columns),
        lookup_columns=list(dict.fromkeys(req.lookup_columns)), justification=req.justification,
        valid_from=req.valid_from, valid_until=req.valid_until, max_rows_per_day=req.max_rows_per_day,
        all_regions=bool(req.all_regions),
        requested_by=req.requested_by or f"partner:{partner.id}", status="pending", created_at=_now(now))
    session.add(app)
    session.flush()
    sink(session, AuditEvent(APPLICATION_CREATED, subject=app.requested_by, action="apply",
                             dataset=dataset.id, purpose=req.purpose, decision="ok",
                             details={"application": app.id, "columns": app.columns,
                                      "clear_columns": app.clear_columns, "all_regions": app.all_regions,
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


def pending_bound() -> timedelta:
    """How long a first approval waits for the second (``HUB_PENDING_SIGNATURE_DAYS``); after that
    it no longer counts toward the two-person rule, and its officer may approve afresh."""
    return officers.pending_ttl()


def _earlier(session: Session, app: Application, officer: Officer, kid: str | None) -> list[Approval]:
    """The decisions on ``app`` by ``officer`` or with ``kid``."""
    same = Approval.officer_id == officer.id
    return list(session.scalars(select(Approval).where(
        Approval.application_id == app.id, same if kid is None else same | (Approval.kid == kid))))


def _expired(approval: Approval, since: datetime) -> bool:
    return approval.decision == "approve" and approval.created_at < since


def decider_refusal(session: Session, app: Application, officer: Officer, dataset: Dataset,
                    kid: str | None = None, now: datetime | None = None) -> Forbidden | Conflict | None:
    """Why ``officer`` (signing with ``kid``) may not decide ``app`` under the two-person rule,
    or ``None`` when it may.  ``decide`` raises it; the console shows it before anyone signs.
    An approval of its own that expired (``pending_bound``) does not stop it approving again."""
    if _is_requester(app, officer):
        return Forbidden(f"two-person rule: officer `{officer.id}` requested application `{app.id}` "
                         "and cannot decide it", application=app.id)
    since = _now(now) - pending_bound()
    earlier = next((a for a in _earlier(session, app, officer, kid) if not _expired(a, since)), None)
    if earlier is not None:
        return Conflict(f"two-person rule: officer `{earlier.officer_id}` already decided application "
                        f"`{app.id}` (one officer, one key, one decision)", application=app.id)
    if officer.role == "owner" and officer.owner_of != dataset.provider:
        return Forbidden(f"two-person rule: owner officer `{officer.id}` speaks for `{officer.owner_of}`, "
                         f"not for `{dataset.provider}`", application=app.id)
    return None


def _check_decider(session: Session, app: Application, signed: Signed, dataset: Dataset, now: datetime) -> None:
    refusal = decider_refusal(session, app, signed.officer, dataset, signed.kid, now)
    if refusal is not None:
        raise refusal
    for stale in _earlier(session, app, signed.officer, signed.kid):  # expired: replaced by this decision
        session.delete(stale)  # (its `application.decided` record stays in the audit chain)
    session.flush()


def _standing_approvals(session: Session, application_id: str, digest: str,
                        since: datetime | None) -> tuple[list[Approval], dict[str, Officer]]:
    """The approvals of ``application_id`` that count now: each signed over the terms with
    ``digest`` (the current ones: an approval of terms since changed in the store is not an
    approval of these), by an officer still active, with a key not revoked since, and given
    ``since`` or later (``None``: at any time)."""
    standing, deciders = [], {}
    query = select(Approval).where(Approval.application_id == application_id, Approval.decision == "approve")
    for approval in session.scalars(query if since is None else query.where(Approval.created_at >= since)):
        signed = session.get(OfficerStatement, approval.statement_id) if approval.statement_id else None
        officer = session.get(Officer, approval.officer_id)
        key = session.get(ClientKey, approval.kid) if approval.kid else None
        if (signed is not None and signed.digest == digest and signed.kid == approval.kid
                and officer is not None and officer.active and key is not None and key.revoked_at is None):
            standing.append(approval)
            deciders[approval.officer_id] = officer
    return standing, deciders


def _two_person_complete(approvals: list[Approval], deciders: dict[str, Officer], provider: str) -> bool:
    """An owner of ``provider`` and a security officer: two people, two keys."""
    owners = [a for a in approvals if a.role == "owner" and deciders[a.officer_id].owner_of == provider]
    security = [a for a in approvals if a.role == "security"]
    return any(o.officer_id != s.officer_id and o.kid != s.kid for o in owners for s in security)


def decide(session: Session, sink: EventSink, application_id: str, statement: str, *,
           now: datetime | None = None, signer: str | None = None) -> Application:
    """Record an officer's signed approve/reject; create the grant once the two-person rule is met.

    The officer, the decision and its comment come from the statement, which must sign
    the application's current terms (``statements.application_terms``).
    """
    # the row lock serialises concurrent decisions (PostgreSQL), so two approvals that
    # complete the rule in parallel still see each other and create the grant
    app = session.get(Application, application_id, with_for_update=True)
    if app is None:
        raise NotFound(f"application `{application_id}` does not exist", application=application_id)
    moment = _now(now)
    terms = statements.application_terms(app)
    signed = officers.accept(session, statement, actions=DECISIONS, target=f"application:{app.id}",
                             terms=terms, now=moment, signer=signer)
    if app.status != "pending":
        raise Conflict(f"application `{app.id}` is already {app.status}", application=app.id)
    dataset = _dataset(session, app.dataset_id)
    _check_decider(session, app, signed, dataset, moment)
    officer, decision = signed.officer, signed.action
    session.add(Approval(application_id=app.id, officer_id=officer.id, role=officer.role, decision=decision,
                         comment=signed.note, created_at=moment, kid=signed.kid, statement_id=signed.row.id))
    session.flush()
    if decision == "reject":
        app.status, app.decided_at = "rejected", moment
    sink(session, AuditEvent(APPLICATION_DECIDED, subject=signed.subject, action="approve",
                             dataset=app.dataset_id, purpose=app.purpose, decision=decision,
                             reasons=[signed.note] if signed.note else [],
                             details={"application": app.id, "role": officer.role,
                                      **signed_details(signed.row.target, terms, [signed.row])}))
    if decision == "approve":
        since = moment - pending_bound()
        approvals, deciders = _standing_approvals(session, app.id, signed.row.digest, since)
        if _two_person_complete(approvals, deciders, dataset.provider):
            _grant_from(session, sink, app, approvals, deciders, moment)
        else:
            _refuse_if_completed_by_expired(session, app, signed.row.digest, since, dataset.provider)
    changed_on_commit(session)
    return app


def _refuse_if_completed_by_expired(session: Session, app: Application, digest: str, since: datetime,
                                    provider: str) -> None:
    """Refuse a second approval that would complete the rule only with a first one that expired."""
    approvals, deciders = _standing_approvals(session, app.id, digest, None)
    if not _two_person_complete(approvals, deciders, provider):
        return
    stale = min((a for a in approvals if a.created_at < since), key=lambda a: a.created_at)
    days = pending_bound().days
    raise Conflict(f"two-person rule: the approval of application `{app.id}` by `{stale.officer_id}` ({stale.role}), "
                   f"given {stale.created_at.isoformat()}, expired after {days} days (HUB_PENDING_SIGNATURE_DAYS) "
                   f"and no longer counts: `{stale.officer_id}` approves again first, then sign yours",
                   application=app.id)


def _approval_entry(approval: Approval, officer: Officer) -> dict[str, Any]:
    """One approval as the grant lists it: who, in which role, with which key, when."""
    return {"officer": approval.officer_id, "role": approval.role, "owner_of": officer.owner_of,
            "at": approval.created_at.isoformat(), "kid": approval.kid, "statement": approval.statement_id}


def _grant_from(session: Session, sink: EventSink, app: Application, approvals: list[Approval],
                deciders: dict[str, Officer], moment: datetime) -> Grant:
    grant = Grant(
        id=f"g-{secrets.token_hex(4)}", application_id=app.id, partner_id=app.partner_id,
        dataset_id=app.dataset_id, purposes=[app.purpose], columns=list(app.columns),
        clear_columns=list(app.clear_columns), lookup_columns=list(app.lookup_columns or []),
        valid_from=app.valid_from, valid_until=app.valid_until,
        max_rows_per_day=app.max_rows_per_day, all_regions=app.all_regions, requested_by=app.requested_by,
        created_at=moment,
        approvals=[_approval_entry(a, deciders[a.officer_id]) for a in approvals])
    session.add(grant)
    app.status, app.decided_at = "approved", moment
    session.flush()
    sink(session, AuditEvent(GRANT_CREATED, subject=f"partner:{app.partner_id}", action="approve",
                             dataset=app.dataset_id, purpose=app.purpose, decision="ok", grant=grant.id,
                             details={"application": app.id, "approvals": grant.approvals,
                                      "all_regions": grant.all_regions}))
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


def get_grant(session: Session, grant_id: str) -> Grant:
    """The grant ``grant_id`` or ``NotFound``."""
    grant = session.get(Grant, grant_id)
    if grant is None:
        raise NotFound(f"grant `{grant_id}` does not exist", grant=grant_id)
    return grant


def revoke(session: Session, sink: EventSink, grant_id: str, statement: str, *,
           now: datetime | None = None, signer: str | None = None) -> Grant:
    """Revoke a grant at once on an officer's signed statement (the next decision no longer sees it)."""
    grant = get_grant(session, grant_id)
    if grant.revoked_at is not None:
        raise Conflict(f"grant `{grant_id}` was already revoked by {grant.revoked_by}", grant=grant_id)
    moment, terms = _now(now), statements.grant_terms(grant)
    signed = officers.accept(session, statement, actions=("revoke",), target=f"grant:{grant.id}", terms=terms,
                             now=moment, signer=signer)
    grant.revoked_at, grant.revoked_by = moment, signed.subject
    sink(session, AuditEvent(GRANT_REVOKED, subject=signed.subject, action="revoke", dataset=grant.dataset_id,
                             decision="ok", grant=grant.id, reasons=[signed.note] if signed.note else [],
                             details=signed_details(signed.row.target, terms, [signed.row])))
    changed_on_commit(session)
    return grant


def lockdown(session: Session, sink: EventSink, partner_id: str, statement: str, *,
             now: datetime | None = None, signer: str | None = None) -> Suspension:
    """Suspend a partner on a security officer's signed statement (its note is the reason):
    every later decision for it denies until two officers lift it."""
    partner = _partner(session, partner_id)
    moment, terms = _now(now), statements.lockdown_terms(partner.id)
    signed = officers.accept(session, statement, actions=("lockdown",), target=f"partner:{partner.id}",
                             terms=terms, now=moment, signer=signer)
    if signed.officer.role != "security":
        raise Forbidden(f"only security officers lock partners down; `{signed.officer.id}` is "
                        f"{signed.officer.role}")
    if not signed.note.strip():
        raise BadRequest("a lockdown needs a reason: sign it with one (--reason)")
    partner.suspended = True
    suspension = Suspension(partner_id=partner.id, reason=signed.note, created_by=signed.subject,
                            created_at=moment)
    session.add(suspension)
    session.flush()
    sink(session, AuditEvent(PARTNER_LOCKDOWN, subject=signed.subject, action="lockdown", decision="ok",
                             reasons=[signed.note], details={"partner": partner.id, "suspension": suspension.id,
                                                             **signed_details(signed.row.target, terms,
                                                                              [signed.row])}))
    changed_on_commit(session)
    return suspension


SYSTEM_SUBJECT = "system:awareness"  # who acts when a containment playbook locks a partner down


def system_lockdown(session: Session, sink: EventSink, partner_id: str, reason: str, *, alert_id: str,
                    now: datetime | None = None) -> Suspension | None:
    """Suspend a partner for an alert (containment playbook, no officer's signature): audited by
    ``system:awareness`` naming the alert; lifted like any lockdown, by two officers (``lift``).
    None when the partner is already locked down."""
    partner = _partner(session, partner_id)
    if open_lockdowns(session, partner.id):
        return None
    moment = _now(now)
    partner.suspended = True
    suspension = Suspension(partner_id=partner.id, reason=reason, created_by=SYSTEM_SUBJECT, created_at=moment)
    session.add(suspension)
    session.flush()
    sink(session, AuditEvent(PARTNER_LOCKDOWN, subject=SYSTEM_SUBJECT, action="lockdown", decision="ok",
                             reasons=[reason], details={"partner": partner.id, "suspension": suspension.id,
                                                        "alert": alert_id}))
    changed_on_commit(session)
    return suspension


def open_lockdowns(session: Session, partner_id: str) -> list[Suspension]:
    """The lockdowns of a partner in force now, oldest first."""
    return list(session.scalars(select(Suspension).where(Suspension.partner_id == partner_id,
                                                         Suspension.lifted_at.is_(None)).order_by(Suspension.id)))


def lift(session: Session, sink: EventSink, partner_id: str, statement: str, *,
         now: datetime | None = None, signer: str | None = None) -> list[Suspension] | None:
    """One officer's signature on lifting a partner's lockdown; lifted at the second officer's.

    Returns the lifted lockdowns, or ``None`` while the first signature waits.
    """
    partner = _partner(session, partner_id)
    standing = open_lockdowns(session, partner.id)
    if not standing and not partner.suspended:
        raise Conflict(f"partner `{partner.id}` is not locked down", partner=partner.id)
    moment, terms = _now(now), statements.lift_terms(partner.id, [s.id for s in standing])
    signed = officers.accept(session, statement, actions=("lift",), target=f"partner:{partner.id}",
                             terms=terms, now=moment, signer=signer, pending=True)
    rows = officers.cosign(session, signed, moment)
    if rows is None:
        officers.pending_event(session, sink, signed)
        return None
    for suspension in standing:
        suspension.lifted_at = moment
    partner.suspended = False
    sink(session, AuditEvent(PARTNER_LOCKDOWN_LIFTED, subject=signed.subject, action="lift", decision="ok",
                             details={"partner": partner.id, **signed_details(signed.row.target, terms, rows)}))
    changed_on_commit(session)
    return standing


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
