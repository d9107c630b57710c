"""Revisions of the officer rules: signed drafts, two-officer activation, rollback, diff.

Every step is an officer statement (``hub.statements``) checked by ``hub.officers.accept``:

- ``draft``: a security officer signs the rule set (action ``draft_rules``, target
  ``rules:draft``, terms its digest); it is stored as the next revision ``rN`` with that
  officer as its author.  A rule set that breaks the schema or a tighten-only bound is
  refused here already.
- ``activate``: two security officers, neither the author, each sign ``activate_rules``
  on ``rules:rN`` with terms ``{revision, digest, replaces}`` (``replaces``: the revision
  in force, so signatures given before another activation no longer count).  Before any
  signature is taken the draft is validated again (``problems``: schema, catalog names,
  the draft's own policy cases, nothing dropped or widened of the revision in force, and
  the caller's ``guard`` — the impact replay); a draft with any problem is refused.
- ``rollback``: two security officers sign ``rollback_rules`` on ``rules:rM`` (a revision
  that was active before, or ``r0``: no officer rules); the active revision is retired.

Revisions are never deleted.  Activation and rollback change the policy data
(``data.hub.rules``) on commit, so every decision point reloads and drops its cached
decisions.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from hub import officers, statements
from hub.errors import BadRequest, Conflict, NotFound
from hub.events import (
    POLICY_RULES_ACTIVATED,
    POLICY_RULES_DRAFTED,
    POLICY_RULES_ROLLED_BACK,
    AuditEvent,
    EventSink,
)
from hub.policy.data import changed_on_commit
from hub.policy.resource import resource_input
from hub.policy.rules.checks import rule_problems, static_loosenings
from hub.policy.rules.compiled import NO_RULES
from hub.policy.rules.schema import RulesInvalid, parse_rules
from hub.policy.rules.stored import ACTIVE, active_revision, with_revision
from hub.statements import StatementRefused
from hub.store.models import DataProvider, OfficerStatement, PolicyRuleRevision

DRAFT, RETIRED = "draft", "retired"
REVISION_ID = re.compile(r"r[0-9]{1,9}")  # r1, r2, … (r0: no officer rules)
DRAFT_TARGET = "rules:draft"
SECURITY = "security"

#: Extra checks of a candidate before activation (e.g. the impact replay): problems, empty if none.
Guard = Callable[[Session, PolicyRuleRevision], list[str]]


class RulesRefused(Conflict):
    """A rule revision cannot be activated (or rolled back to) as it stands; the message lists why."""

    title = "officer rules refused"


def document_digest(doc: Mapping[str, Any]) -> str:
    """Hex SHA-256 of the canonical JSON of a rule set document (without its revision id)."""
    return statements.terms_digest({k: v for k, v in doc.items() if k != "revision"})


def draft_terms(doc: Mapping[str, Any]) -> dict[str, Any]:
    return {"digest": document_digest(doc)}


def change_terms(session: Session, revision: str) -> dict[str, Any]:
    """What an activation or rollback to ``revision`` signs: it, its digest, and what it replaces."""
    active = active_revision(session)
    row = session.get(PolicyRuleRevision, revision) if revision != NO_RULES else None
    return {"revision": revision, "digest": row.digest if row else None,
            "replaces": active.id if active else NO_RULES}


def get_revision(session: Session, revision: str) -> PolicyRuleRevision:
    row = session.get(PolicyRuleRevision, revision)
    if row is None:
        raise NotFound(f"officer rules revision `{revision}` does not exist", revision=revision)
    return row


def unsaved(doc: Mapping[str, Any]) -> PolicyRuleRevision:
    """A rule set as a candidate revision that is never stored (``candidate``), to validate or replay."""
    body = {k: v for k, v in doc.items() if k != "revision"}
    return PolicyRuleRevision(id="candidate", number=0, status=DRAFT, document=body, digest=document_digest(body),
                              author="", note="")


def signatures(session: Session, action: str, revision: str) -> list[OfficerStatement]:
    """The signatures of ``action`` (``activate_rules`` / ``rollback_rules``) on ``revision`` that
    wait for a second officer and still count (signed over the current change terms)."""
    digest = statements.terms_digest(change_terms(session, revision))
    return [s for s in officers.pending_statements(session)
            if s.action == action and s.target == f"rules:{revision}" and s.digest == digest]


def list_revisions(session: Session) -> list[PolicyRuleRevision]:
    return list(session.scalars(select(PolicyRuleRevision).order_by(PolicyRuleRevision.number)))


# --- validation ---------------------------------------------------------------------------


def catalog_columns(session: Session) -> Callable[[str], Mapping[str, Any] | None]:
    """dataset → its decision-input columns (None when not in the catalog)."""
    def columns_of(dataset: str) -> Mapping[str, Any] | None:
        try:
            return dict(resource_input(session, dataset)["columns"])
        except NotFound:
            return None
    return columns_of


def providers(session: Session) -> set[str]:
    return set(session.scalars(select(DataProvider.code)))


def case_outcomes(doc: Mapping[str, Any], revision: str) -> list[Any]:
    """The draft's own policy cases (``cases``) run with the draft's rules (``hub.policy.cases.Outcome``)."""
    from hub.policy.cases import draft_cases, run_cases

    return run_cases(draft_cases(with_revision(dict(doc), revision)))


def case_problems(doc: Mapping[str, Any], revision: str) -> list[str]:
    """The draft's own policy cases run with the draft's rules: each failure is a problem."""
    return _failures(case_outcomes(doc, revision))


def _failures(outcomes: list[Any]) -> list[str]:
    return [f"policy case `{o.case.name}` fails: {'; '.join(o.problems)}" for o in outcomes if not o.passed]


@dataclass
class Checks:
    """The static checks of a candidate: its own rules (schema, catalog names, tighten-only
    bounds), what it drops or widens of the revision in force, and its policy cases."""

    rules: list[str] = field(default_factory=list)
    loosened: list[str] = field(default_factory=list)
    cases: list[Any] = field(default_factory=list)  # hub.policy.cases.Outcome

    @property
    def problems(self) -> list[str]:
        return [*self.rules, *self.loosened, *_failures(self.cases)]


def check(session: Session, row: PolicyRuleRevision) -> Checks:
    """The static checks of ``row`` (its cases run only when its rules themselves are sound)."""
    found = Checks(rules=rule_problems(row.document, catalog_columns(session), providers(session)))
    if found.rules:
        return found
    active = active_revision(session)
    if active is not None and active.id != row.id:
        found.loosened = static_loosenings(active.document, row.document)
    found.cases = case_outcomes(row.document, row.id)
    return found


def replay_guard(days: int = 30) -> Guard:
    """The impact replay of the last ``days`` days as a guard: any loosening is a problem."""
    def guard(session: Session, row: PolicyRuleRevision) -> list[str]:
        from hub.policy.rules.replay import impact_in_store, loosening_problems

        return loosening_problems(impact_in_store(session, with_revision(dict(row.document), row.id), days=days))
    return guard


def problems(session: Session, row: PolicyRuleRevision, guard: Guard | None = None) -> list[str]:
    """Everything that keeps ``row`` from being activated (empty: it may be): schema and
    catalog names, nothing of the revision in force dropped or widened, the draft's own
    policy cases, then ``guard`` (default: the impact replay of the last 30 days)."""
    found = check(session, row).problems
    if not found:
        found += (guard or replay_guard())(session, row)
    return found


# --- the lifecycle ------------------------------------------------------------------------


def _security_officer(signed: officers.Signed, what: str) -> None:
    if signed.officer.role != SECURITY:
        raise StatementRefused(f"officer `{signed.officer.id}` is a {signed.officer.role} officer: only "
                               f"security officers {what} officer rules")


def draft(session: Session, sink: EventSink, doc: Any, statement: str, *, note: str = "",
          now: datetime | None = None, signer: str | None = None) -> PolicyRuleRevision:
    """Store a signed rule set as the next revision (a draft); ``RulesInvalid`` if it breaks a bound."""
    moment = now or datetime.now(UTC)
    if not isinstance(doc, dict):
        raise RulesInvalid(["an officer rule set is an object (purposes, masks, windows, row_caps, denies, cases)"])
    parse_rules(doc)
    found = rule_problems(doc, catalog_columns(session), providers(session))
    if found:
        raise RulesInvalid(found)
    signed = officers.accept(session, statement, actions=("draft_rules",), target=DRAFT_TARGET,
                             terms=draft_terms(doc), now=moment, signer=signer)
    _security_officer(signed, "draft")
    number = int(session.scalar(select(func.max(PolicyRuleRevision.number))) or 0) + 1
    active = active_revision(session)
    body = {k: v for k, v in doc.items() if k != "revision"}
    row = PolicyRuleRevision(id=f"r{number}", number=number, status=DRAFT, document=body,
                             digest=document_digest(body), author=signed.officer.id,
                             base=active.id if active else None, note=note, created_at=moment)
    session.add(row)
    session.flush()
    sink(session, AuditEvent(POLICY_RULES_DRAFTED, subject=signed.subject, action="draft_rules", decision="ok",
                             details={**officers.signed_details(DRAFT_TARGET, draft_terms(doc), [signed.row]),
                                      "revision": row.id, "base": row.base}))
    return row


def _refuse_second_signature(session: Session, signed: officers.Signed) -> None:
    """The same officer signing a pending change twice does not make two officers."""
    again = session.scalars(select(OfficerStatement).where(
        OfficerStatement.action == signed.action, OfficerStatement.target == signed.row.target,
        OfficerStatement.digest == signed.row.digest, OfficerStatement.officer_id == signed.officer.id,
        OfficerStatement.consumed_at.is_(None), OfficerStatement.id != signed.row.id)).first()
    if again is not None:
        raise StatementRefused(f"officer `{signed.officer.id}` already signed this change: a second, "
                               "different security officer must sign it")


def activate(session: Session, sink: EventSink, revision: str, statement: str, *, guard: Guard | None = None,
             now: datetime | None = None, signer: str | None = None) -> PolicyRuleRevision | None:
    """One security officer's signature on activating draft ``revision``; active at the second
    (neither of them its author).  ``None`` while it waits."""
    moment = now or datetime.now(UTC)
    row = get_revision(session, revision)
    if row.status != DRAFT:
        raise RulesRefused(f"officer rules `{revision}` are {row.status}, not a draft: only a draft is "
                           "activated (an earlier revision comes back by `hub policy rollback`)")
    found = problems(session, row, guard)
    if found:
        raise RulesRefused(f"officer rules `{revision}` cannot be activated: " + "; ".join(found), problems=found)
    terms = change_terms(session, revision)
    signed = officers.accept(session, statement, actions=("activate_rules",), target=f"rules:{revision}",
                             terms=terms, now=moment, signer=signer, pending=True)
    _security_officer(signed, "activate")
    if signed.officer.id == row.author:
        raise StatementRefused(f"officer `{row.author}` drafted `{revision}` and cannot approve it: two other "
                               "security officers activate it")
    _refuse_second_signature(session, signed)
    rows = officers.cosign(session, signed, moment)
    if rows is None:
        officers.pending_event(session, sink, signed)
        return None
    _switch(session, row, moment)
    sink(session, AuditEvent(POLICY_RULES_ACTIVATED, subject=signed.subject, action="activate_rules",
                             decision="ok", details={**officers.signed_details(f"rules:{revision}", terms, rows),
                                                     "revision": revision, "replaces": terms["replaces"]}))
    return row


def _switch(session: Session, row: PolicyRuleRevision | None, moment: datetime) -> None:
    """Retire the active revision and make ``row`` (None: no rules) active."""
    active = active_revision(session)
    if active is not None:
        active.status, active.retired_at = RETIRED, moment
    if row is not None:
        row.status, row.activated_at, row.retired_at = ACTIVE, moment, None
    session.flush()
    changed_on_commit(session)


def rollback(session: Session, sink: EventSink, revision: str, statement: str, *,
             now: datetime | None = None, signer: str | None = None) -> PolicyRuleRevision | None:
    """One security officer's signature on going back to ``revision`` (one that was active
    before, or ``r0``: no officer rules); done at the second officer's.  ``None`` while it waits."""
    moment = now or datetime.now(UTC)
    active = active_revision(session)
    if (active.id if active else NO_RULES) == revision:
        raise RulesRefused(f"officer rules `{revision}` are already in force: there is nothing to roll back")
    row = None
    if revision != NO_RULES:
        row = get_revision(session, revision)
        if row.status != RETIRED or row.activated_at is None:
            raise RulesRefused(f"officer rules `{revision}` are {row.status} and were never in force: a "
                               "rollback goes back to a revision that was active before (or r0)")
        found = rule_problems(row.document)
        if found:
            raise RulesRefused(f"officer rules `{revision}` no longer validate: " + "; ".join(found), problems=found)
    terms = change_terms(session, revision)
    signed = officers.accept(session, statement, actions=("rollback_rules",), target=f"rules:{revision}",
                             terms=terms, now=moment, signer=signer, pending=True)
    _security_officer(signed, "roll back")
    _refuse_second_signature(session, signed)
    rows = officers.cosign(session, signed, moment)
    if rows is None:
        officers.pending_event(session, sink, signed)
        return None
    _switch(session, row, moment)
    sink(session, AuditEvent(POLICY_RULES_ROLLED_BACK, subject=signed.subject, action="rollback_rules",
                             decision="ok", details={**officers.signed_details(f"rules:{revision}", terms, rows),
                                                     "revision": revision, "replaces": terms["replaces"]}))
    return row if row is not None else active  # (r0: the revision just retired)


# --- diff ---------------------------------------------------------------------------------


def diff(before: Any, after: Any) -> dict[str, Any]:
    """Rules added, removed and changed (by id; purposes as ``purpose:CODE``) from ``before`` to ``after``."""
    try:
        a, b = parse_rules(before).rules(), parse_rules(after).rules()
    except RulesInvalid as exc:
        raise BadRequest(f"cannot diff invalid officer rules: {exc}") from None
    return {"added": {k: b[k] for k in sorted(set(b) - set(a))},
            "removed": {k: a[k] for k in sorted(set(a) - set(b))},
            "changed": {k: {"before": a[k], "after": b[k]} for k in sorted(set(a) & set(b)) if a[k] != b[k]}}
