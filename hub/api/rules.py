"""Officer rules over HTTP (``/v1/policy/rules``): the revisions, drafting, impact, activation.

The same steps as ``hub policy draft|validate|impact|activate|rollback|diff|revisions`` and
the console's policy page, on ``hub.policy.rules``: ``POST /v1/policy/rules/validate``
checks a rule set (schema, catalog names, tighten-only bounds, what it drops or widens of
the rules in force, its own cases); ``POST /v1/policy/rules`` stores it as the next draft
with a statement its security officer signed (action ``draft_rules``, target
``rules:draft``, digest = the document's ``terms_sha256`` from validate, ``aud`` = the
``audience`` it returns: this hub's id); ``GET
…/{revision}/impact`` replays the last N days of decisions against it; ``POST
…/{revision}/activation`` and ``…/rollback`` take one security officer's signature each
(action ``activate_rules`` / ``rollback_rules``, target ``rules:rN``, digest =
``terms_sha256`` of ``GET …/{revision}``): 202 while waiting for a second officer, 200
once two (neither the author, for an activation) have signed.  Officers only.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field, field_validator
from sqlalchemy.orm import Session

from hub import statements
from hub.api.auth import CurrentSubject
from hub.api.context import ApiContext, get_context
from hub.api.workflow import Statement, StatementBody, sink_of
from hub.errors import BadRequest, Forbidden
from hub.hubid import hub_id
from hub.identity import Subject
from hub.policy.rules import revisions
from hub.policy.rules.compiled import NO_RULES
from hub.policy.rules.replay import impact_in_store, loosening_problems
from hub.policy.rules.schema import RulesInvalid, json_document
from hub.policy.rules.stored import active_revision, with_revision
from hub.store.models import PolicyRuleRevision

router = APIRouter(tags=["officer rules"])
Ctx = Annotated[ApiContext, Depends(get_context)]
Days = Annotated[int, Query(ge=1, le=3660, description="replay the decisions of the last N days")]


class RulesBody(BaseModel):
    """A rule set (docs/policy-rules.md): purposes, masks, windows, row_caps, denies, cases."""

    document: dict[str, Any]

    @field_validator("document")
    @classmethod
    def _plain_json(cls, value: dict[str, Any]) -> dict[str, Any]:
        try:
            return json_document(value)
        except RulesInvalid as exc:
            raise ValueError(str(exc)) from None


class DraftBody(RulesBody):
    statement: Statement
    note: Annotated[str, Field(max_length=2000)] = ""


def _officer(subject: Subject) -> None:
    if subject.kind != "officer":
        raise Forbidden("only officers see and change the officer rules")


def _revision(revision: str) -> str:
    if not revisions.REVISION_ID.fullmatch(revision):
        raise BadRequest(f"`{revision[:20]}` is not a revision id like r3 (r0: no officer rules)")
    return revision


def _summary(row: PolicyRuleRevision) -> dict[str, Any]:
    return {"revision": row.id, "status": row.status, "author": row.author, "base": row.base or NO_RULES,
            "digest": row.digest, "note": row.note, "created_at": row.created_at.isoformat(),
            "activated_at": row.activated_at.isoformat() if row.activated_at else None}


def _detail(session: Session, revision: str) -> dict[str, Any]:
    """A revision (r0: none) with what its activation or rollback signs and who signed it so far."""
    row = None if revision == NO_RULES else revisions.get_revision(session, revision)
    active = active_revision(session)
    doc = {**(_summary(row) if row else {"revision": NO_RULES, "status": "none"}),
           "document": dict(row.document) if row else {}, "active": active.id if active else NO_RULES}
    action = ("activate_rules" if row is not None and row.status == revisions.DRAFT else
              "rollback_rules" if doc["active"] != revision and (row is None or row.activated_at) else None)
    if action:
        terms = revisions.change_terms(session, revision)
        doc.update(action=action, terms=terms, terms_sha256=statements.terms_digest(terms), audience=hub_id(session),
                   signed_by=[s.officer_id for s in revisions.signatures(session, action, revision)])
    return doc


@router.get("/v1/policy/rules")
def list_rules(subject: CurrentSubject, ctx: Ctx) -> dict[str, Any]:
    """Every officer rules revision, oldest first, and the one in force (`r0`: none)."""
    _officer(subject)
    with ctx.store.session() as session:
        active = active_revision(session)
        return {"active": active.id if active else NO_RULES,
                "revisions": [_summary(r) for r in revisions.list_revisions(session)]}


@router.post("/v1/policy/rules/validate")
def validate(body: RulesBody, subject: CurrentSubject, ctx: Ctx) -> dict[str, Any]:
    """Check a rule set without storing it: `problems` empty when it could be activated as far as
    its rules and cases go (the impact replay is `GET …/{revision}/impact` once drafted);
    `terms_sha256` is what a draft of it signs."""
    _officer(subject)
    with ctx.store.session() as session:
        checks = revisions.check(session, revisions.unsaved(body.document))
        audience = hub_id(session)
    return {"problems": checks.problems, "rules": checks.rules, "loosened": checks.loosened,
            "cases": [{"name": o.case.name, "passed": o.passed, "problems": list(o.problems)} for o in checks.cases],
            "draftable": not checks.rules, "terms": revisions.draft_terms(body.document),
            "terms_sha256": statements.terms_digest(revisions.draft_terms(body.document)),
            "audience": audience}


@router.post("/v1/policy/rules", status_code=201)
def draft(body: DraftBody, subject: CurrentSubject, ctx: Ctx) -> dict[str, Any]:
    """A security officer stores a rule set as the next draft revision, with its signed `draft_rules`
    statement (target `rules:draft`, digest = the document's `terms_sha256` from validate)."""
    _officer(subject)
    with ctx.store.session() as session:
        row = revisions.draft(session, sink_of(ctx), body.document, body.statement, note=body.note,
                              signer=subject.id)
        return _detail(session, row.id)


@router.get("/v1/policy/rules/{revision}")
def get_rules(revision: str, subject: CurrentSubject, ctx: Ctx) -> dict[str, Any]:
    """One revision: its document, and for a draft (activation) or an earlier one (rollback) the
    `terms` and `terms_sha256` a security officer signs, and who has signed so far."""
    _officer(subject)
    with ctx.store.session() as session:
        return _detail(session, _revision(revision))


@router.get("/v1/policy/rules/{revision}/diff")
def diff(revision: str, subject: CurrentSubject, ctx: Ctx,
         against: Annotated[str | None, Query(max_length=12, description="default: the revision in force")] = None,
         ) -> dict[str, Any]:
    """Rules added, removed and changed from `against` to `revision`."""
    _officer(subject)
    with ctx.store.session() as session:
        active = active_revision(session)
        base = _revision(against) if against else (active.id if active else NO_RULES)
        docs = [{} if r == NO_RULES else dict(revisions.get_revision(session, r).document)
                for r in (base, _revision(revision))]
    return {"from": base, "to": revision, **revisions.diff(*docs)}


@router.get("/v1/policy/rules/{revision}/impact")
def impact(revision: str, subject: CurrentSubject, ctx: Ctx, days: Days = 30) -> dict[str, Any]:
    """The last `days` days of recorded decisions replayed against `revision` (`hub policy impact`):
    flips and mask changes by partner and dataset; `refused` lists any loosening."""
    _officer(subject)
    with ctx.store.session() as session:
        revision = _revision(revision)
        row = None if revision == NO_RULES else revisions.get_revision(session, revision)
        result = impact_in_store(session, None if row is None else with_revision(dict(row.document), row.id),
                                 days=days)
    return {**result.to_dict(), "days": days, "refused": loosening_problems(result)}


def _signed(ctx: ApiContext, subject: Subject, revision: str, statement: str, work: Any) -> Any:
    _officer(subject)
    with ctx.store.session() as session:
        done = work(session, sink_of(ctx), _revision(revision), statement, signer=subject.id)
        doc = _detail(session, revision)
    return doc if done is not None else JSONResponse(doc, status_code=202)


WAITING: dict[int | str, dict[str, Any]] = {
    202: {"description": "signed; waiting for a second security officer's signature"}}


@router.post("/v1/policy/rules/{revision}/activation", responses=WAITING)
def activate(revision: str, body: StatementBody, subject: CurrentSubject, ctx: Ctx) -> Any:
    """A security officer (not the author) signs the activation of a draft (action `activate_rules`,
    target `rules:rN`, digest = `terms_sha256` of `GET …/{revision}`); in force at the second (200)."""
    return _signed(ctx, subject, revision, body.statement, revisions.activate)


@router.post("/v1/policy/rules/{revision}/rollback", responses=WAITING)
def rollback(revision: str, body: StatementBody, subject: CurrentSubject, ctx: Ctx) -> Any:
    """A security officer signs going back to a revision in force before, or `r0` (action
    `rollback_rules`); done at the second officer's signature (200)."""
    return _signed(ctx, subject, revision, body.statement, revisions.rollback)
