"""The policy page (策略): the revision in force, the officer rules' revisions (drafting,
impact and activation are ``routes.rules``), the table-driven cases (``hub policy test``)
run on the embedded engine, and a simulation form (subject, dataset, purpose, columns)
answered by the API's own decision point with the reasons.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response
from sqlalchemy import select

from hub.api.data import exchange_of
from hub.console.web import ConsoleRoute, Ctx, CurrentOfficer, audit, form_of, render, state_of
from hub.errors import BadRequest
from hub.events import CONSOLE_SIMULATE, AuditEvent
from hub.identity import PURPOSE, load_subject
from hub.policy.resource import resource_input
from hub.policy.rules import revisions
from hub.policy.rules.compiled import NO_RULES
from hub.policy.rules.stored import active_revision
from hub.store.models import Dataset, Officer, Partner

router = APIRouter(route_class=ConsoleRoute, include_in_schema=False)
MAX_COLUMNS = 200


def _choices(ctx: Ctx) -> tuple[list[str], list[str]]:
    with ctx.store.session() as session:
        subjects = [f"partner:{p}" for p in session.scalars(select(Partner.id).order_by(Partner.id))]
        subjects += [f"officer:{o}" for o in session.scalars(select(Officer.id).order_by(Officer.id))]
        datasets = list(session.scalars(select(Dataset.id).where(Dataset.exchangeable.is_(True)).order_by(Dataset.id)))
    return subjects, datasets


def _rule_revisions(ctx: Ctx) -> tuple[str, list[dict[str, Any]]]:
    """The officer rules in force and every revision, newest first, with a draft's approvals so far."""
    with ctx.store.session() as session:
        active = active_revision(session)
        rows = [{"id": r.id, "status": r.status, "author": r.author, "base": r.base or NO_RULES,
                 "created_at": r.created_at, "activated_at": r.activated_at, "note": r.note,
                 "approvals": [s.officer_id for s in revisions.signatures(session, "activate_rules", r.id)]
                 if r.status == revisions.DRAFT else []}
                for r in reversed(revisions.list_revisions(session))]
    return (active.id if active else NO_RULES), rows


def _page(request: Request, current: CurrentOfficer, ctx: Ctx, **values: Any) -> Response:
    point = exchange_of(request.app, ctx).point
    point.refresh()
    subjects, datasets = _choices(ctx)
    active, rule_revisions = _rule_revisions(ctx)
    return render(request, "policy.html", current=current, policy_revision=point.policies.revision,
                  data_revision=point.data_revision, modules=sorted(point.policies.modules), subjects=subjects,
                  datasets=datasets, rules_active=active, rule_revisions=rule_revisions, **values)


@router.get("/console/policy")
def policy(request: Request, current: CurrentOfficer, ctx: Ctx) -> Response:
    return _page(request, current, ctx, form={}, result=None)


@router.get("/console/policy/tests")
def policy_tests(request: Request, current: CurrentOfficer, ctx: Ctx) -> Response:
    outcomes = state_of(request).suite.outcomes(exchange_of(request.app, ctx).point.policies)
    return render(request, "_policy_tests.html", current=current, outcomes=outcomes)


Input = dict[str, object]


def _simulation_input(ctx: Ctx, form: dict[str, object]) -> tuple[Input, Input, Input]:
    who, dataset = str(form.get("subject") or "")[:160], str(form.get("dataset") or "")[:160]
    purpose = str(form.get("purpose") or "").strip()
    columns = [c.strip() for c in str(form.get("columns") or "").replace("，", ",").split(",") if c.strip()]
    if not PURPOSE.fullmatch(purpose):
        raise BadRequest("purpose must be a lower-case slug like case-verification")
    if len(columns) > MAX_COLUMNS:
        raise BadRequest(f"at most {MAX_COLUMNS} columns")
    with ctx.store.session() as session:
        subject = load_subject(session, who)
        if subject is None:
            raise BadRequest(f"subject `{who}` is not a registered partner or officer")
        if session.get(Dataset, dataset) is None:
            raise BadRequest(f"dataset `{dataset}` is not in the catalog")
        resource = resource_input(session, dataset)
    unknown = [c for c in columns if c not in resource["columns"]]
    if unknown:
        raise BadRequest(f"dataset `{dataset}` has no column `{unknown[0][:64]}`")
    return subject.policy_input(), resource, {"purpose": purpose, "columns": columns}


@router.post("/console/policy/simulate")
async def simulate(request: Request, current: CurrentOfficer, ctx: Ctx) -> Response:
    form = await form_of(request, current)
    subject, resource, req = _simulation_input(ctx, form)
    exchange = exchange_of(request.app, ctx)
    decision = exchange.point.decide(subject, "read", resource, req, {})
    audit(ctx, request, AuditEvent(CONSOLE_SIMULATE, subject=current.subject, action="simulate",
                                   dataset=str(resource["dataset"]), purpose=str(req["purpose"]),
                                   decision="allow" if decision.allow else "deny", reasons=list(decision.reasons),
                                   policy_revision=decision.revision, details={"for": subject["id"]}))
    return _page(request, current, ctx, form=form, result=decision)
