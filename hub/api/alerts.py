"""Awareness endpoints for officers: alerts, the risk report, dataset circuit breakers.

``GET /v1/alerts`` lists alerts (with the ``terms`` an acknowledgement or resolution
signs); ``POST /v1/alerts/{id}/ack`` and ``/resolve`` take a statement signed with the
officer's own key (action ``ack`` or ``resolve``, target ``alert:ID``, digest = the
alert's ``terms_sha256``, note = why).  ``GET /v1/risk`` is the risk report.
``POST /v1/datasets/{dataset}/suspension`` suspends a dataset for every partner (一键熔断,
security officers, action ``suspend``); ``…/suspension/lift`` resumes it once two
officers have signed (action ``resume``; 202 while waiting for the second).  Partners
get 403 everywhere here.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query
from fastapi.responses import JSONResponse
from sqlalchemy.orm import object_session

from hub import circuit, statements
from hub.api.auth import CurrentSubject
from hub.api.context import ApiContext, get_context
from hub.api.workflow import StatementBody, sink_of
from hub.awareness import alerts, risk
from hub.errors import Forbidden
from hub.hubid import hub_id
from hub.identity import Subject
from hub.store.models import Alert

router = APIRouter(tags=["awareness"])
Ctx = Annotated[ApiContext, Depends(get_context)]
Name = Annotated[str | None, Query(max_length=48)]


def _officer(subject: Subject) -> None:
    if subject.kind != "officer":
        raise Forbidden("only officers see alerts and the risk report")


def _doc(alert: Alert) -> dict[str, Any]:
    terms = alerts.terms(alert)
    session = object_session(alert)
    return {**alerts.as_dict(alert), "terms": terms, "terms_sha256": statements.terms_digest(terms),
            "audience": hub_id(session) if session is not None else None}


@router.get("/v1/alerts")
def list_alerts(subject: CurrentSubject, ctx: Ctx, state: Name = None, kind: Name = None, severity: Name = None,
                limit: Annotated[int, Query(ge=1, le=1000)] = 200) -> dict[str, Any]:
    """Alerts, most recently seen first; filter by state, kind and minimum severity."""
    _officer(subject)
    with ctx.store.session() as session:
        return {"alerts": [_doc(a) for a in alerts.list_alerts(session, state, kind, severity, limit)]}


@router.get("/v1/alerts/{alert_id}")
def get_alert(alert_id: str, subject: CurrentSubject, ctx: Ctx) -> dict[str, Any]:
    """One alert with its evidence (audit seqs) and the containment taken."""
    _officer(subject)
    with ctx.store.session() as session:
        return _doc(alerts.get(session, alert_id[:32]))


@router.post("/v1/alerts/{alert_id}/ack")
def acknowledge(alert_id: str, body: StatementBody, subject: CurrentSubject, ctx: Ctx) -> dict[str, Any]:
    """Acknowledge an open alert with a signed statement (action `ack`, note = why)."""
    _officer(subject)
    with ctx.store.session() as session:
        return _doc(alerts.acknowledge(session, sink_of(ctx), alert_id[:32], body.statement, signer=subject.id))


@router.post("/v1/alerts/{alert_id}/resolve")
def resolve(alert_id: str, body: StatementBody, subject: CurrentSubject, ctx: Ctx) -> dict[str, Any]:
    """Resolve an open or acknowledged alert with a signed statement (action `resolve`, note = why)."""
    _officer(subject)
    with ctx.store.session() as session:
        return _doc(alerts.resolve(session, sink_of(ctx), alert_id[:32], body.statement, signer=subject.id))


@router.get("/v1/risk")
def risk_report(subject: CurrentSubject, ctx: Ctx) -> dict[str, Any]:
    """The risk report: exposure per dataset and partner with its parts, stale grants and keys."""
    _officer(subject)
    settings = ctx.settings
    return risk.report(ctx.store, window_days=settings.risk_window_days,
                       key_max_age_days=settings.partner_key_max_age_days)


def _suspension_doc(session: Any, dataset: str) -> dict[str, Any]:
    found = circuit.standing(session, dataset)
    terms = statements.resume_terms(dataset, [s.id for s in found])
    return {"dataset": dataset, "suspended": bool(found),
            "suspensions": [{"id": s.id, "reason": s.reason, "by": s.created_by, "alert": s.alert_id,
                             "since": s.created_at.isoformat()} for s in found],
            "suspend_terms_sha256": statements.terms_digest(statements.suspend_terms(dataset)),
            "resume_terms": terms, "resume_terms_sha256": statements.terms_digest(terms), "audience": hub_id(session)}


@router.get("/v1/datasets/{dataset}/suspension")
def suspension(dataset: str, subject: CurrentSubject, ctx: Ctx) -> dict[str, Any]:
    """Officers: whether exchange of a dataset is suspended, and the terms a suspend or resume signs."""
    _officer(subject)
    with ctx.store.session() as session:
        circuit.get_dataset(session, dataset[:160])
        return _suspension_doc(session, dataset[:160])


@router.post("/v1/datasets/{dataset}/suspension", status_code=201)
def suspend(dataset: str, body: StatementBody, subject: CurrentSubject, ctx: Ctx) -> dict[str, Any]:
    """A security officer suspends exchange of a dataset for every partner (action `suspend`, note = why)."""
    _officer(subject)
    with ctx.store.session() as session:
        circuit.suspend(session, sink_of(ctx), dataset[:160], body.statement, signer=subject.id)
        return _suspension_doc(session, dataset[:160])


@router.post("/v1/datasets/{dataset}/suspension/lift", status_code=200,
             responses={202: {"description": "signed; waiting for a second officer's signature"}})
def resume(dataset: str, body: StatementBody, subject: CurrentSubject, ctx: Ctx) -> Any:
    """An officer signs resuming a dataset (action `resume`); resumed when a second officer signs (200), else 202."""
    _officer(subject)
    with ctx.store.session() as session:
        lifted = circuit.resume(session, sink_of(ctx), dataset[:160], body.statement, signer=subject.id)
        doc = {**_suspension_doc(session, dataset[:160]), "resumed": lifted is not None}
    return doc if lifted is not None else JSONResponse(doc, status_code=202)
