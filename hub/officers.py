"""Officers (数据负责人 / 安全员): the statements they sign, their enrolment and removal.

``accept`` is the one gate every officer action passes before it takes effect: the
statement (``hub.statements``) must be signed by a key registered to that officer,
not revoked, the officer enrolled and active, the statement for this action, target
and digest of the current terms, signed within ``SKEW_S`` of the hub's clock, and
never used before (its id is recorded in ``officer_statements``: replay).

Some actions need two officers (lift a lockdown, enrol or remove an officer): the
first signature waits in ``officer_statements`` and ``cosign`` completes the action
when a second, different officer with a different key signs the same action, target
and digest.  The first two officers are enrolled by a one-time ``bootstrap``, each
statement signed by the enrolled officer's own key; it closes for good once two
officers exist (officers are never deleted, only deactivated), and the closing is
audited.  Every step is audited with the statements in ``details`` so
``hub audit verify`` can re-verify each signature.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import func, select, text
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from hub import statements
from hub.errors import Conflict, Forbidden, NotFound
from hub.events import (
    OFFICER_BOOTSTRAP_CLOSED,
    OFFICER_REGISTERED,
    OFFICER_REMOVED,
    OFFICER_SIGNED,
    AuditEvent,
    EventSink,
)
from hub.hubid import hub_id
from hub.identity import PublicKey, active_keys, add_officer, check_new_officer, check_officer, public_key
from hub.policy.data import changed_on_commit
from hub.settings import get_settings
from hub.statements import Parsed, StatementRefused
from hub.store.models import ClientKey, Officer, OfficerStatement


@dataclass(frozen=True)
class Signed:
    """A statement the hub accepted: the officer, its key, the claims and the stored row."""

    officer: Officer
    parsed: Parsed
    row: OfficerStatement
    terms: dict[str, Any]

    @property
    def subject(self) -> str:
        return f"officer:{self.officer.id}"

    @property
    def kid(self) -> str:
        return self.parsed.kid

    @property
    def action(self) -> str:
        return self.parsed.action

    @property
    def note(self) -> str:
        return self.parsed.note


def evidence(row: OfficerStatement) -> dict[str, Any]:
    """One signature as the audit record keeps it."""
    return {"statement": row.statement, "kid": row.kid, "digest": row.digest}


def signed_details(target: str, terms: dict[str, Any], rows: list[OfficerStatement]) -> dict[str, Any]:
    """The ``details`` members every signed audit record carries (docs/audit.md §8)."""
    return {"target": target, "terms": terms, "signed": [evidence(r) for r in rows]}


def _now(now: datetime | None) -> datetime:
    return now or datetime.now(UTC)


def _signer_officer(session: Session, parsed: Parsed) -> Officer:
    officer = session.get(Officer, parsed.officer)
    if officer is None:
        raise StatementRefused(f"officer `{parsed.officer}` is not enrolled")
    if not officer.active:
        raise StatementRefused(f"officer `{parsed.officer}` was removed and signs nothing")
    return officer


def _signer_key(session: Session, parsed: Parsed) -> ClientKey:
    key = session.get(ClientKey, parsed.kid)
    if key is None or key.client_id != f"officer:{parsed.officer}":
        raise StatementRefused(f"key `{parsed.kid}` is not a registered key of officer `{parsed.officer}`")
    if key.revoked_at is not None:
        raise StatementRefused(f"key `{parsed.kid}` of officer `{parsed.officer}` was revoked")
    return key


def _record(session: Session, parsed: Parsed, moment: datetime, *, consumed: bool) -> OfficerStatement:
    replay = StatementRefused("this statement was already used (replay): sign a new one")
    if session.get(OfficerStatement, parsed.id) is not None:
        raise replay
    claims = parsed.claims
    row = OfficerStatement(id=parsed.id, officer_id=parsed.officer, kid=parsed.kid, action=claims["action"],
                           target=claims["target"], digest=claims["digest"], note=parsed.note,
                           issued_at=datetime.fromtimestamp(int(claims["iat"]), UTC), accepted_at=moment,
                           consumed_at=moment if consumed else None, statement=parsed.token)
    session.add(row)
    try:
        session.flush()  # a concurrent use of the same statement loses here
    except IntegrityError:
        raise replay from None
    return row


def accept(session: Session, token: str, *, actions: tuple[str, ...], target: str, terms: dict[str, Any],
           now: datetime | None = None, signer: str | None = None, pending: bool = False) -> Signed:
    """Verify ``token`` against the registered key and record it; ``StatementRefused`` otherwise.

    ``signer`` (the API's authenticated officer) must be the statement's officer.
    ``pending`` keeps the statement open for a second officer (``cosign``).
    """
    moment = _now(now)
    parsed = statements.parse(token)
    if signer is not None and str(parsed.claims["iss"]) != signer:
        raise StatementRefused(f"the statement is signed by `{parsed.claims['iss']}`, but the request "
                               f"is authenticated as `{signer}`")
    officer = _signer_officer(session, parsed)
    key = _signer_key(session, parsed)
    statements.verify_signature(parsed, key.public_key_pem, key.algorithm)
    statements.check_claims(parsed, audience=hub_id(session), actions=actions, target=target,
                            digest=statements.terms_digest(terms), now=moment)
    return Signed(officer, parsed, _record(session, parsed, moment, consumed=not pending), terms)


# A first signature waits this long for the second officer's; after that it no longer counts
# and the first officer signs again (an approval given weeks ago may no longer be meant).
PENDING_TTL = timedelta(days=7)  # the default of HUB_PENDING_SIGNATURE_DAYS


def pending_ttl() -> timedelta:
    """How long a first signature waits for the second (``HUB_PENDING_SIGNATURE_DAYS``)."""
    return timedelta(days=get_settings().pending_signature_days)


def _still_valid(session: Session, row: OfficerStatement) -> bool:
    officer = session.get(Officer, row.officer_id)
    key = session.get(ClientKey, row.kid)
    return bool(officer and officer.active and key and key.revoked_at is None)


def cosign(session: Session, signed: Signed, now: datetime | None = None) -> list[OfficerStatement] | None:
    """Both statements once a second officer (another person, another key) signed the same
    action, target and digest; ``None`` while this one waits.  Completing consumes every
    pending statement for the action and target, so none of them counts again later."""
    moment = _now(now)
    waiting = list(session.scalars(select(OfficerStatement).where(
        OfficerStatement.action == signed.action, OfficerStatement.target == signed.row.target,
        OfficerStatement.consumed_at.is_(None), OfficerStatement.id != signed.row.id,
        OfficerStatement.accepted_at >= moment - pending_ttl())
        .order_by(OfficerStatement.accepted_at)))
    other = next((r for r in waiting if r.digest == signed.row.digest and r.officer_id != signed.officer.id
                  and r.kid != signed.kid and _still_valid(session, r)), None)
    if other is None:
        return None
    for row in [*waiting, signed.row]:
        row.consumed_at = moment
    return [other, signed.row]


def pending_event(session: Session, sink: EventSink, signed: Signed) -> None:
    """Audit a first signature that waits for a second officer."""
    sink(session, AuditEvent(OFFICER_SIGNED, subject=signed.subject, action=signed.action, decision="pending",
                             reasons=[signed.note] if signed.note else [],
                             details=signed_details(signed.row.target, signed.terms, [signed.row])))


# --- enrolment ------------------------------------------------------------------------


# pg_advisory_xact_lock key of officer enrolment: b"hub-offc" read as a big-endian signed 64-bit integer.
_ENROLMENT_LOCK = int.from_bytes(b"hub-offc", "big", signed=True)


def lock_enrolment(session: Session) -> None:
    """Serialize bootstraps, enrolments and removals until this transaction ends, so two at once
    cannot both pass a count check (a third bootstrap officer, or fewer than two active)."""
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": _ENROLMENT_LOCK})
    else:  # a write statement takes SQLite's write lock for the rest of the transaction
        session.execute(text("UPDATE officers SET id = id WHERE 0 = 1"))


def bootstrap_open(session: Session) -> bool:
    """The one-time bootstrap is open while fewer than two officers were ever enrolled."""
    return int(session.scalar(select(func.count()).select_from(Officer)) or 0) < 2


def _enrolment_terms(officer_id: str, role: str, owner_of: str | None, key: PublicKey) -> dict[str, Any]:
    return statements.enrolment_terms(officer_id, role, owner_of, key.kid, key.algorithm, key.pem)


def _registered(session: Session, sink: EventSink, subject: str, action: str, officer: Officer,
                key: PublicKey, details: dict[str, Any]) -> None:
    sink(session, AuditEvent(OFFICER_REGISTERED, subject=subject, action=action, decision="ok",
                             details={**details, "officer": officer.id, "role": officer.role,
                                      "owner_of": officer.owner_of, "kid": key.kid}))
    changed_on_commit(session)


def bootstrap(session: Session, sink: EventSink, officer_id: str, *, role: str, owner_of: str | None,
              public_pem: bytes, statement: str, now: datetime | None = None) -> Officer:
    """Enrol one of the first two officers on its own key's statement (proof it holds the
    private half); refused once two officers exist.  The second closes the bootstrap."""
    moment = _now(now)
    check_officer(officer_id, role, owner_of, session, sink)
    key = public_key(public_pem)
    lock_enrolment(session)
    if not bootstrap_open(session):
        raise Forbidden("the one-time officer bootstrap is closed: two officers are enrolled; "
                        "new officers are enrolled with two officers' signatures (`hub officer add`)")
    check_new_officer(session, officer_id, key)
    target, terms = f"officer:{officer_id}", _enrolment_terms(officer_id, role, owner_of, key)
    parsed = statements.parse(statement)
    if parsed.claims["iss"] != target or parsed.kid != key.kid:
        raise StatementRefused("a bootstrap statement is signed by the enrolled officer's own key")
    statements.verify_signature(parsed, key.pem, key.algorithm)
    statements.check_claims(parsed, audience=hub_id(session), actions=("bootstrap",), target=target,
                            digest=statements.terms_digest(terms), now=moment)
    row = _record(session, parsed, moment, consumed=True)
    officer = add_officer(session, officer_id, role=role, owner_of=owner_of, key=key, now=moment)
    _registered(session, sink, target, "bootstrap", officer, key, signed_details(target, terms, [row]))
    if not bootstrap_open(session):
        enrolled = sorted(session.scalars(select(Officer.id)))
        sink(session, AuditEvent(OFFICER_BOOTSTRAP_CLOSED, subject=target, action="bootstrap", decision="ok",
                                 details={"officers": enrolled}))
    return officer


def enrol(session: Session, sink: EventSink, officer_id: str, *, role: str, owner_of: str | None,
          public_pem: bytes, statement: str, now: datetime | None = None,
          signer: str | None = None) -> Officer | None:
    """One officer's signature on an enrolment; the officer is enrolled at the second
    (another officer, another key) and ``None`` is returned while it waits."""
    moment = _now(now)
    check_officer(officer_id, role, owner_of, session, sink)
    key = public_key(public_pem)
    check_new_officer(session, officer_id, key)
    target, terms = f"officer:{officer_id}", _enrolment_terms(officer_id, role, owner_of, key)
    signed = accept(session, statement, actions=("enrol",), target=target, terms=terms, now=moment,
                    signer=signer, pending=True)
    rows = cosign(session, signed, moment)
    if rows is None:
        pending_event(session, sink, signed)
        return None
    officer = add_officer(session, officer_id, role=role, owner_of=owner_of, key=key, now=moment)
    _registered(session, sink, signed.subject, "enrol", officer, key, signed_details(target, terms, rows))
    return officer


def _active_count(session: Session) -> int:
    return int(session.scalar(select(func.count()).select_from(Officer).where(Officer.active.is_(True))) or 0)


def remove(session: Session, sink: EventSink, officer_id: str, statement: str, *, now: datetime | None = None,
           signer: str | None = None) -> Officer | None:
    """One officer's signature on removing another; at the second the officer is
    deactivated and its keys revoked.  ``None`` while it waits."""
    moment = _now(now)
    lock_enrolment(session)
    officer = session.get(Officer, officer_id)
    if officer is None or not officer.active:
        raise NotFound(f"officer `{officer_id}` is not enrolled", officer=officer_id)
    if _active_count(session) <= 2:
        raise Conflict(f"removing `{officer_id}` would leave fewer than two active officers, and nobody "
                       "could enrol another: enrol a successor first")
    keys = active_keys(session, f"officer:{officer_id}")
    target = f"officer:{officer_id}"
    terms = statements.removal_terms(officer_id, officer.role, officer.owner_of, [k.kid for k in keys])
    signed = accept(session, statement, actions=("remove",), target=target, terms=terms, now=moment,
                    signer=signer, pending=True)
    if signed.officer.id == officer_id:
        raise StatementRefused("an officer does not sign its own removal: two other officers do")
    rows = cosign(session, signed, moment)
    if rows is None:
        pending_event(session, sink, signed)
        return None
    officer.active = False
    for key in keys:
        key.revoked_at = moment
    sink(session, AuditEvent(OFFICER_REMOVED, subject=signed.subject, action="remove", decision="ok",
                             details={**signed_details(target, terms, rows), "officer": officer_id,
                                      "revoked_keys": sorted(k.kid for k in keys)}))
    changed_on_commit(session)
    return officer


# --- reading ----------------------------------------------------------------------------


def officer_of_key(session: Session, kid: str) -> str | None:
    """The local id of the officer that key ``kid`` is registered to, if any."""
    key = session.get(ClientKey, kid)
    if key is None or not key.client_id.startswith("officer:"):
        return None
    return key.client_id.removeprefix("officer:")


def list_officers(session: Session) -> list[tuple[Officer, list[ClientKey]]]:
    """Every officer ever enrolled with its keys (revoked ones included)."""
    keys: dict[str, list[ClientKey]] = {}
    for key in session.scalars(select(ClientKey).where(ClientKey.client_id.like("officer:%"))):
        keys.setdefault(key.client_id.removeprefix("officer:"), []).append(key)
    return [(o, keys.get(o.id, [])) for o in session.scalars(select(Officer).order_by(Officer.created_at))]


def pending_statements(session: Session, now: datetime | None = None) -> list[OfficerStatement]:
    """Signatures waiting for a second officer (not older than ``pending_ttl()``), oldest first."""
    since = _now(now) - pending_ttl()
    return list(session.scalars(select(OfficerStatement).where(OfficerStatement.consumed_at.is_(None),
                                                               OfficerStatement.accepted_at >= since)
                                .order_by(OfficerStatement.accepted_at)))
