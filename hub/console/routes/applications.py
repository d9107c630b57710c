"""The application pages (申请审批): the queue, one application with its exposure preview,
and the officer's signed decision.

The exposure preview is the exchange's (``hub.exchange.preview``): the decision the
policy would return if the application were approved now and the page of masked rows
the partner would receive; it is audited as ``console.preview``.  Who may decide is
``hub.workflow.decider_refusal`` — the two-person rule's own code — shown before anyone
signs; the decision itself goes through ``hub.workflow.decide`` with the statement the
officer signed (in the browser, or elsewhere and pasted).
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import RedirectResponse, Response

from hub import statements, workflow
from hub.api.data import exchange_of
from hub.api.workflow import sink_of
from hub.console.web import SECURITY_HEADERS, ConsoleRoute, Ctx, CurrentOfficer, audit, form_of, render
from hub.errors import BadRequest, HubError
from hub.events import CONSOLE_PREVIEW, AuditEvent
from hub.exchange.preview import preview
from hub.store.models import Dataset

router = APIRouter(route_class=ConsoleRoute, include_in_schema=False)
STATUSES = ("pending", "approved", "rejected", "expired")


@router.get("/console/applications")
def queue(request: Request, current: CurrentOfficer, ctx: Ctx,
          status: Annotated[str | None, Query(max_length=16)] = "pending") -> Response:
    if status and status not in STATUSES:
        raise BadRequest(f"status `{status}` must be one of {', '.join(STATUSES)}")
    with ctx.store.session() as session:
        apps = workflow.list_applications(session, status or None)
        decided = {a.id: workflow.approvals_of(session, a.id) for a in apps}
    return render(request, "applications.html", current=current, apps=apps, decided=decided, status=status or "",
                  statuses=STATUSES)


def _preview(request: Request, ctx: Ctx, current: CurrentOfficer, app: object) -> object:
    from hub.store.models import Application

    assert isinstance(app, Application)
    result = preview(exchange_of(request.app, ctx), app)
    decision = result.decision
    audit(ctx, request, AuditEvent(
        CONSOLE_PREVIEW, subject=current.subject, action="preview", dataset=result.dataset,
        dataset_version=result.version, purpose=app.purpose, decision="allow" if decision.allow else "deny",
        reasons=list(decision.reasons), policy_revision=decision.revision,
        obligations_digest=decision.obligations_digest(), rows=len(result.rows),
        response_sha256=result.body_sha256, details={"application": app.id, "partner": app.partner_id}))
    return result


@router.get("/console/applications/{application_id}")
def detail(application_id: str, request: Request, current: CurrentOfficer, ctx: Ctx) -> Response:
    with ctx.store.session() as session:
        app = workflow.get_application(session, application_id[:64])
        terms = statements.application_terms(app)
        decisions = workflow.approvals_of(session, app.id)
        dataset = session.get(Dataset, app.dataset_id)
        refusal = None
        if app.status != "pending":
            refusal = f"application `{app.id}` is already {app.status}"
        elif dataset is not None:
            found = workflow.decider_refusal(session, app, current.officer, dataset)
            refusal = str(found) if found else None
        session.expunge(app)
    shown, unavailable = None, None
    try:
        shown = _preview(request, ctx, current, app)
    except HubError as exc:  # e.g. the dataset is not published: the page says so instead of a preview
        if exc.status >= 500:
            raise
        unavailable = str(exc)
    return render(request, "application.html", current=current, app=app, terms=terms,
                  digest=statements.terms_digest(terms), decisions=decisions, refusal=refusal, preview=shown,
                  preview_unavailable=unavailable)


@router.post("/console/applications/{application_id}/decide")
async def decide(application_id: str, request: Request, current: CurrentOfficer, ctx: Ctx) -> Response:
    form = await form_of(request, current)
    statement = str(form.get("statement") or "").strip()
    if not statement:
        raise BadRequest("no signed statement: sign the decision with your key (or paste a signed statement)")
    with ctx.store.session() as session:
        app = workflow.decide(session, sink_of(ctx), application_id[:64], statement, signer=current.subject)
        app_id = app.id
    return RedirectResponse(f"/console/applications/{app_id}", status_code=303, headers=SECURITY_HEADERS)
