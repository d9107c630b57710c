"""Grants and partners (授权与对接方): grants in force with today's usage against the daily
budget, revocation; partners with clearance, jurisdiction, purposes, keys and their age,
last contact, lockdown and lifting it (two officers).

Every change is ``hub.workflow`` on the statement the officer signed; the page gives
the terms and their digest to sign.
"""

from __future__ import annotations

from datetime import UTC, datetime

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy import select

from hub import officers, quota, statements, workflow
from hub.api.workflow import sink_of
from hub.console import stats
from hub.console.web import SECURITY_HEADERS, ConsoleRoute, Ctx, CurrentOfficer, form_of, render, state_of
from hub.errors import BadRequest
from hub.identity import active_keys
from hub.store.models import ClientKey, Partner

router = APIRouter(route_class=ConsoleRoute, include_in_schema=False)


def _statement(form: dict[str, object]) -> str:
    statement = str(form.get("statement") or "").strip()
    if not statement:
        raise BadRequest("no signed statement: sign with your key (or paste a signed statement)")
    return statement


def _back(url: str) -> Response:
    return RedirectResponse(url, status_code=303, headers=SECURITY_HEADERS)


@router.get("/console/grants")
def grants(request: Request, current: CurrentOfficer, ctx: Ctx) -> Response:
    now = state_of(request).clock()
    with ctx.store.session() as session:
        found = workflow.list_grants(session)
        partners = list(session.scalars(select(Partner).order_by(Partner.id)))
        seen = stats.last_seen(session)
        for p in partners:
            session.expunge(p)
        for g in found:
            session.expunge(g)
    today = quota.charged(ctx.store, quota.quota_day(now))
    usage = {g.id: today.get(g.id, 0) for g in found}
    return render(request, "grants.html", current=current, grants=found, usage=usage, partners=partners,
                  last_seen=seen, now=now)


@router.get("/console/grants/{grant_id}")
def grant_page(grant_id: str, request: Request, current: CurrentOfficer, ctx: Ctx) -> Response:
    with ctx.store.session() as session:
        grant = workflow.get_grant(session, grant_id[:64])
        terms = statements.grant_terms(grant)
        session.expunge(grant)
    return render(request, "grant.html", current=current, grant=grant, terms=terms,
                  digest=statements.terms_digest(terms))


@router.post("/console/grants/{grant_id}/revoke")
async def revoke(grant_id: str, request: Request, current: CurrentOfficer, ctx: Ctx) -> Response:
    form = await form_of(request, current)
    with ctx.store.session() as session:
        grant = workflow.revoke(session, sink_of(ctx), grant_id[:64], _statement(form), signer=current.subject)
        gid = grant.id
    return _back(f"/console/grants/{gid}")


def _keys(session: object, partner_id: str, now: datetime) -> list[tuple[ClientKey, float]]:
    from sqlalchemy.orm import Session

    assert isinstance(session, Session)
    return [(k, (now - k.created_at.astimezone(UTC)).total_seconds())
            for k in active_keys(session, f"partner:{partner_id}")]


@router.get("/console/partners/{partner_id}")
def partner_page(partner_id: str, request: Request, current: CurrentOfficer, ctx: Ctx) -> Response:
    now = state_of(request).clock()
    with ctx.store.session() as session:
        partner = workflow.get_partner(session, partner_id[:128])
        standing = workflow.open_lockdowns(session, partner.id)
        lift = statements.lift_terms(partner.id, [s.id for s in standing])
        waiting = [s for s in officers.pending_statements(session)
                   if s.target == f"partner:{partner.id}" and s.action == "lift"
                   and s.digest == statements.terms_digest(lift)]
        keys = _keys(session, partner.id, now)
        seen = stats.last_seen(session).get(f"partner:{partner.id}")
        for row in [partner, *standing, *waiting, *(k for k, _ in keys)]:
            session.expunge(row)
    lockdown = statements.lockdown_terms(partner.id)
    return render(request, "partner.html", current=current, partner=partner, standing=standing, waiting=waiting,
                  keys=keys, last_seen=seen, lockdown_terms=lockdown,
                  lockdown_digest=statements.terms_digest(lockdown), lift_terms=lift,
                  lift_digest=statements.terms_digest(lift))


@router.post("/console/partners/{partner_id}/lockdown")
async def lockdown(partner_id: str, request: Request, current: CurrentOfficer, ctx: Ctx) -> Response:
    form = await form_of(request, current)
    with ctx.store.session() as session:
        workflow.lockdown(session, sink_of(ctx), partner_id[:128], _statement(form), signer=current.subject)
    return _back(f"/console/partners/{partner_id[:128]}")


@router.post("/console/partners/{partner_id}/lift")
async def lift(partner_id: str, request: Request, current: CurrentOfficer, ctx: Ctx) -> Response:
    form = await form_of(request, current)
    with ctx.store.session() as session:
        workflow.lift(session, sink_of(ctx), partner_id[:128], _statement(form), signer=current.subject)
    return _back(f"/console/partners/{partner_id[:128]}")
