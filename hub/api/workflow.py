"""Workflow endpoints: applications, officers' decisions, grants, lockdown, simulation.

Partners apply and see their own applications and grants; officers decide
(two-person rule in ``hub.workflow``), revoke, lock partners down and lift
lockdowns, simulate decisions and see everything.  Every officer action carries a
statement signed with the officer's own key (``hub.statements``: in the JSON body,
or the ``X-Hub-Statement`` header for ``DELETE``); the bearer token's officer must
be its signer, and the hub verifies it against the registered key before the
action takes effect.  Officers get each target's ``terms`` and ``terms_sha256``
(what they sign) from the listings.  Every state change is audited in its own
transaction through the audit log's sink; without one the request fails closed.
"""

from __future__ import annotations

import math
from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Header, Request
from fastapi.responses import JSONResponse
from pydantic import AfterValidator, BaseModel, Field
from sqlalchemy.orm import object_session

from hub import statements, workflow
from hub.api.auth import CurrentSubject
from hub.api.context import ApiContext, get_context
from hub.api.data import exchange_of
from hub.errors import BadRequest, Forbidden, NotFound, Unavailable
from hub.events import EventSink
from hub.hubid import hub_id
from hub.identity import Subject
from hub.policy.decision import PolicyError
from hub.store.models import Application, Grant

router = APIRouter(tags=["workflow"])
Ctx = Annotated[ApiContext, Depends(get_context)]
def _no_nul(value: str) -> str:
    if "\x00" in value:
        raise ValueError("a NUL character is not accepted")
    return value


# Body text: no store takes NUL in text (PostgreSQL refuses it), so it is refused here.
Text = Annotated[str, AfterValidator(_no_nul)]
Name = Annotated[Text, Field(min_length=1, max_length=160)]


class ApplicationBody(BaseModel):
    dataset: Name
    purpose: Annotated[Text, Field(min_length=1, max_length=64)]
    columns: Annotated[list[Name], Field(min_length=1, max_length=200)]
    clear_columns: Annotated[list[Name], Field(max_length=200)] = []
    lookup_columns: Annotated[list[Name], Field(max_length=200)] = []
    valid_from: datetime
    valid_until: datetime
    max_rows_per_day: Annotated[int, Field(ge=1, le=100_000_000)]
    justification: Annotated[Text, Field(max_length=2000)] = ""
    all_regions: Annotated[bool, Field(
        strict=True, description="属地: ask for every region (no jurisdiction row filter); officers approve "
        "it as such, and a dataset without a jurisdiction column is served only under such a grant")] = False


STATEMENT_HELP = ("compact JWS (header typ `hub-statement+jwt`, alg EdDSA or ES256, kid of your registered "
                  "key) signed with your own key; claims iss=officer:ID, aud (this hub's id: `audience` of the "
                  "target's document), iat, jti (nonce), action, target, "
                  "digest (= terms_sha256 of the target), note (comment or reason); see docs/officers.md")
Statement = Annotated[str, Field(min_length=16, max_length=statements.MAX_STATEMENT_BYTES,
                                 description=STATEMENT_HELP)]


class StatementBody(BaseModel):
    """An officer action: the statement says what (action, target, terms digest, note)."""

    statement: Statement


class SimulateBody(BaseModel):
    subject: dict[str, Any]
    action: Annotated[str, Field(max_length=32)]
    resource: dict[str, Any]
    request: dict[str, Any] = {}
    context: dict[str, Any] = {}


def sink_of(ctx: ApiContext) -> EventSink:
    """The audit log's in-transaction sink (``AuditLog.sink``); 503 when there is none."""
    owner = getattr(ctx.audit, "__self__", ctx.audit)
    sink = getattr(owner, "sink", None)
    if sink is None:
        raise Unavailable("no audit log configured: workflow changes are refused")
    return sink  # type: ignore[no-any-return]


def _local(subject: Subject) -> str:
    return subject.id.split(":", 1)[1]


def _officer(subject: Subject) -> None:
    if subject.kind != "officer":
        raise Forbidden("only officers may do this")


def _partner(subject: Subject) -> None:
    if subject.kind != "partner":
        raise Forbidden("only partners apply for grants")


def _with_terms(doc: dict[str, Any], terms: dict[str, Any], row: object) -> dict[str, Any]:
    """``doc`` with what an officer signs: the terms, their digest, and this hub's id (claim ``aud``)."""
    session = object_session(row)
    audience = hub_id(session) if session is not None else None
    return {**doc, "terms": terms, "terms_sha256": statements.terms_digest(terms), "audience": audience}


def _application(app: Application) -> dict[str, Any]:
    doc = {"id": app.id, "partner": app.partner_id, "dataset": app.dataset_id, "purpose": app.purpose,
           "columns": list(app.columns), "clear_columns": list(app.clear_columns),
           "lookup_columns": list(app.lookup_columns or []),
           "valid_from": app.valid_from.isoformat(), "valid_until": app.valid_until.isoformat(),
           "max_rows_per_day": app.max_rows_per_day, "all_regions": app.all_regions,
           "status": app.status,
           "requested_by": app.requested_by, "created_at": app.created_at.isoformat()}
    return _with_terms(doc, statements.application_terms(app), app)


def _grant(g: Grant) -> dict[str, Any]:
    doc = {"id": g.id, "partner": g.partner_id, "dataset": g.dataset_id, "purposes": list(g.purposes),
           "columns": list(g.columns), "clear_columns": list(g.clear_columns),
           "lookup_columns": list(g.lookup_columns or []),
           "valid_from": g.valid_from.isoformat(), "valid_until": g.valid_until.isoformat(),
           "max_rows_per_day": g.max_rows_per_day, "all_regions": g.all_regions,
           "approvals": list(g.approvals),
           "revoked_at": g.revoked_at.isoformat() if g.revoked_at else None}
    return _with_terms(doc, statements.grant_terms(g), g)


@router.post("/v1/applications", status_code=201)
def apply(body: ApplicationBody, subject: CurrentSubject, ctx: Ctx) -> dict[str, Any]:
    """A partner applies for a grant on a dataset."""
    _partner(subject)
    req = workflow.ApplicationRequest(
        partner=_local(subject), dataset=body.dataset, purpose=body.purpose, columns=body.columns,
        clear_columns=tuple(body.clear_columns), valid_from=body.valid_from, valid_until=body.valid_until,
        max_rows_per_day=body.max_rows_per_day, justification=body.justification, requested_by=subject.id,
        all_regions=body.all_regions, lookup_columns=tuple(body.lookup_columns))
    with ctx.store.session() as session:
        return _application(workflow.apply(session, sink_of(ctx), req))


@router.get("/v1/applications")
def applications(subject: CurrentSubject, ctx: Ctx, status: str | None = None) -> dict[str, Any]:
    """Applications, newest first (partners: their own)."""
    with ctx.store.session() as session:
        found = workflow.list_applications(session, status)
        if subject.kind == "partner":
            found = [a for a in found if a.partner_id == _local(subject)]
        return {"applications": [_application(a) for a in found]}


@router.post("/v1/applications/{application_id}/decisions")
def decide(application_id: str, body: StatementBody, subject: CurrentSubject, ctx: Ctx) -> dict[str, Any]:
    """An officer approves or rejects with a signed statement (action `approve` or `reject`, target
    `application:ID`, digest = the application's `terms_sha256`); the second qualifying approval
    creates the grant."""
    _officer(subject)
    with ctx.store.session() as session:
        app = workflow.decide(session, sink_of(ctx), application_id[:64], body.statement, signer=subject.id)
        return _application(app)


@router.get("/v1/grants")
def grants(subject: CurrentSubject, ctx: Ctx, include_revoked: bool = False) -> dict[str, Any]:
    """Grants, newest first (partners: their own)."""
    with ctx.store.session() as session:
        found = workflow.list_grants(session, include_revoked=include_revoked)
        if subject.kind == "partner":
            found = [g for g in found if g.partner_id == _local(subject)]
        return {"grants": [_grant(g) for g in found]}


@router.delete("/v1/grants/{grant_id}")
def revoke(grant_id: str, subject: CurrentSubject, ctx: Ctx,
           x_hub_statement: Annotated[Statement, Header(description=STATEMENT_HELP)]) -> dict[str, Any]:
    """An officer revokes a grant at once, with a signed statement in `X-Hub-Statement` (action
    `revoke`, target `grant:ID`, digest = the grant's `terms_sha256`, note = the reason)."""
    _officer(subject)
    with ctx.store.session() as session:
        return _grant(workflow.revoke(session, sink_of(ctx), grant_id[:64], x_hub_statement, signer=subject.id))


def _lockdown_doc(session: Any, partner_id: str) -> dict[str, Any]:
    standing = workflow.open_lockdowns(session, partner_id)
    return {"partner": partner_id, "locked": bool(standing),
            "lockdowns": [{"id": s.id, "reason": s.reason, "by": s.created_by, "since": s.created_at.isoformat()}
                          for s in standing],
            "lift_terms": (terms := statements.lift_terms(partner_id, [s.id for s in standing])),
            "lift_terms_sha256": statements.terms_digest(terms), "audience": hub_id(session)}


def _partner_known(session: Any, partner_id: str) -> None:
    try:
        workflow.get_partner(session, partner_id)
    except NotFound:
        raise NotFound(f"partner `{partner_id}` is not registered") from None


@router.get("/v1/partners/{partner_id}/lockdown")
def lockdown_state(partner_id: str, subject: CurrentSubject, ctx: Ctx) -> dict[str, Any]:
    """Officers: a partner's lockdowns in force, and the terms a lift signs."""
    _officer(subject)
    with ctx.store.session() as session:
        _partner_known(session, partner_id[:128])
        return _lockdown_doc(session, partner_id[:128])


@router.post("/v1/partners/{partner_id}/lockdown")
def lockdown(partner_id: str, body: StatementBody, subject: CurrentSubject, ctx: Ctx) -> dict[str, Any]:
    """A security officer suspends a partner with a signed statement (action `lockdown`, target
    `partner:ID`, terms `{"partner": ID}`, note = the reason): every later request of it is refused."""
    _officer(subject)
    if subject.role != "security":
        raise Forbidden("only security officers lock partners down")
    with ctx.store.session() as session:
        _partner_known(session, partner_id[:128])
        s = workflow.lockdown(session, sink_of(ctx), partner_id[:128], body.statement, signer=subject.id)
        return {"partner": s.partner_id, "reason": s.reason, "by": s.created_by, "lockdown": s.id,
                "since": s.created_at.isoformat()}


@router.post("/v1/partners/{partner_id}/lockdown/lift", status_code=200,
             responses={202: {"description": "signed; waiting for a second officer's signature"}})
def lift(partner_id: str, body: StatementBody, subject: CurrentSubject, ctx: Ctx) -> Any:
    """An officer signs the lifting of a partner's lockdown (action `lift`, target `partner:ID`,
    digest = `lift_terms_sha256` of GET …/lockdown); lifted when a second officer signs (200),
    else 202."""
    _officer(subject)
    with ctx.store.session() as session:
        _partner_known(session, partner_id[:128])
        lifted = workflow.lift(session, sink_of(ctx), partner_id[:128], body.statement, signer=subject.id)
        doc = {**_lockdown_doc(session, partner_id[:128]), "lifted": lifted is not None}
    return doc if lifted is not None else JSONResponse(doc, status_code=202)


MAX_INPUT_DEPTH = 32


def _check_policy_input(value: Any, depth: int = 0) -> None:
    """Refuse, with a 400, what no policy input can hold: non-finite or huge numbers,
    integers beyond 64 bits, text that is not valid Unicode, nesting deeper than 32."""
    if depth > MAX_INPUT_DEPTH:
        raise BadRequest(f"the input nests deeper than {MAX_INPUT_DEPTH} levels")
    if isinstance(value, float) and not math.isfinite(value):
        raise BadRequest("the input holds a number that is not finite (NaN, Infinity or out of range)")
    if isinstance(value, int) and not isinstance(value, bool) and not -(2**63) <= value < 2**63:
        raise BadRequest("the input holds an integer beyond 64 bits")
    if isinstance(value, str):
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:
            raise BadRequest("the input holds text that is not valid Unicode (a lone surrogate)") from None
    elif isinstance(value, dict):
        for key, item in value.items():
            _check_policy_input(key, depth + 1)
            _check_policy_input(item, depth + 1)
    elif isinstance(value, list):
        for item in value:
            _check_policy_input(item, depth + 1)


@router.post("/v1/decisions/simulate")
def simulate(request: Request, body: SimulateBody, subject: CurrentSubject, ctx: Ctx) -> dict[str, Any]:
    """Officers: evaluate a DESIGN.md §4 input and return the decision (nothing is served)."""
    _officer(subject)
    _check_policy_input(body.model_dump())
    point = exchange_of(request.app, ctx).point
    decision = point.decide(body.subject, body.action, body.resource, body.request, body.context or None)
    if decision.error:  # an engine that cannot decide is an outage (503), not a policy outcome
        raise PolicyError("policy engine unavailable")
    return {**decision.to_dict(), "revision": decision.revision,
            "obligations_digest": decision.obligations_digest()}
