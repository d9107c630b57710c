"""Officer rules on the policy page (策略 · 安全员策略规则): revisions, drafting, impact, activation.

Every step is ``hub.policy.rules`` — the same code as ``hub policy draft|validate|impact|
activate|rollback|diff|revisions``: a draft is checked (``revisions.check``: schema,
catalog names, tighten-only bounds, what it drops or widens of the rules in force, its
own policy cases) and signed by a security officer in the page (``draft_rules`` over the
document's digest); its impact is the audit log's replay (``replay.impact_in_store``) run
as a background job with progress; activation and rollback are statements two security
officers sign, neither the author, and ``revisions.activate`` / ``rollback`` enforce it
(the page only explains who may sign).  Drafts, activations and rollbacks are audited by
``revisions`` as on the CLI; an impact replay is ``console.impact``.
"""

from __future__ import annotations

from typing import Any

import yaml
from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy.orm import Session

from hub import statements
from hub.api.context import ApiContext
from hub.api.workflow import sink_of
from hub.console.jobs import Job
from hub.console.web import SECURITY_HEADERS, ConsoleRoute, Ctx, CurrentOfficer, form_of, render, state_of
from hub.errors import BadRequest, NotFound
from hub.events import CONSOLE_IMPACT, AuditEvent
from hub.policy.rules import revisions
from hub.policy.rules.compiled import NO_RULES
from hub.policy.rules.replay import Impact, impact_in_store, loosening_problems
from hub.policy.rules.schema import RulesInvalid, document_from_text
from hub.policy.rules.stored import active_revision, with_revision

router = APIRouter(route_class=ConsoleRoute, include_in_schema=False)
MAX_DAYS = 3660
STARTER = """# 安全员策略规则 · officer rules (docs/policy-rules.md): rules only tighten the built-in policy
note: ""
purposes: {}
masks: []
windows: []
row_caps: []
denies: []
cases: []
"""


def _back(url: str) -> Response:
    return RedirectResponse(url, status_code=303, headers=SECURITY_HEADERS)


def _revision_id(revision: str) -> str:
    if not revisions.REVISION_ID.fullmatch(revision):
        raise BadRequest(f"`{revision[:20]}` is not a revision id like r3 (r0: no officer rules)")
    return revision


def _as_text(doc: dict[str, Any]) -> str:
    return yaml.safe_dump(doc, allow_unicode=True, sort_keys=False, width=120)


def _compact(rule: Any) -> Any:
    """A rule as shown: fields left at their default (None, '', empty) omitted."""
    if isinstance(rule, dict):
        return {k: _compact(v) for k, v in rule.items() if v not in (None, "", [], {})}
    return rule


def _shown(diff: dict[str, Any]) -> dict[str, Any]:
    return {"added": {k: _compact(v) for k, v in diff["added"].items()},
            "removed": {k: _compact(v) for k, v in diff["removed"].items()},
            "changed": {k: {"before": _compact(c["before"]), "after": _compact(c["after"])}
                        for k, c in diff["changed"].items()}}


def _statement(form: dict[str, Any]) -> str:
    statement = str(form.get("statement") or "").strip()
    if not statement:
        raise BadRequest("no signed statement: sign with your key (or paste a signed statement)")
    return statement


# --- drafting ------------------------------------------------------------------------------


@router.get("/console/policy/rules/new")
def new_draft(request: Request, current: CurrentOfficer, ctx: Ctx) -> Response:
    with ctx.store.session() as session:
        active = active_revision(session)
        text = _as_text(dict(active.document)) if active else STARTER
    return render(request, "rules_draft.html", current=current, text=text, checks=None, sign=None, invalid=None)


@router.post("/console/policy/rules/check")
async def check_draft(request: Request, current: CurrentOfficer, ctx: Ctx) -> Response:
    form = await form_of(request, current)
    text = str(form.get("document") or "")
    try:
        doc = document_from_text(text, "the rule set")
    except RulesInvalid as exc:
        return render(request, "rules_draft.html", status_code=400, current=current, text=text, checks=None,
                      sign=None, invalid=exc.problems)
    with ctx.store.session() as session:
        checks = revisions.check(session, revisions.unsaved(doc))
    sign = None if checks.rules else {
        "form_id": "draft", "post": "/console/policy/rules/draft", "target": revisions.DRAFT_TARGET,
        "digest": statements.terms_digest(revisions.draft_terms(doc)), "actions": [("draft_rules", "draft_rules")],
        "note_label": None, "note_required": False, "hidden": {"document": text},
        "cli": "hub policy draft FILE --key KEY"}
    return render(request, "rules_draft.html", status_code=400 if checks.rules else 200, current=current, text=text,
                  checks=checks, sign=sign, invalid=None)


@router.post("/console/policy/rules/draft")
async def draft(request: Request, current: CurrentOfficer, ctx: Ctx) -> Response:
    form = await form_of(request, current)
    doc = document_from_text(str(form.get("document") or ""), "the rule set")
    with ctx.store.session() as session:
        row = revisions.draft(session, sink_of(ctx), doc, _statement(form), signer=current.subject)
        revision = row.id
    return _back(f"/console/policy/rules/{revision}")


# --- one revision ------------------------------------------------------------------------------


def _sign_forms(session: Session, row: Any, revision: str, active: str) -> tuple[dict[str, Any] | None, list[Any]]:
    """The activation (a draft) or rollback (a revision in force before, or r0) to sign, and the
    signatures it already has."""
    if row is not None and row.status == revisions.DRAFT:
        action, label, cli = "activate_rules", "approve", f"hub policy activate {revision} --key KEY"
    elif revision != active and (row is None or row.activated_at is not None):
        action, label, cli = "rollback_rules", "rollback", f"hub policy rollback {revision} --key KEY"
    else:
        return None, []
    sign = {"form_id": action, "post": f"/console/policy/rules/{revision}/{label}", "target": f"rules:{revision}",
            "digest": statements.terms_digest(revisions.change_terms(session, revision)),
            "actions": [(action, label)], "note_label": None, "note_required": False, "cli": cli}
    return sign, revisions.signatures(session, action, revision)


def _hints(current: CurrentOfficer, row: Any, signed: list[Any]) -> list[str]:
    """Why the hub will refuse this officer's signature (the hub checks it again, whatever the page says)."""
    found = []
    if current.officer.role != revisions.SECURITY:
        found.append("only_security_signs")
    if row is not None and row.status == revisions.DRAFT and row.author == current.officer.id:
        found.append("author_cannot_approve")
    if any(s.officer_id == current.officer.id for s in signed):
        found.append("already_signed")
    return found


@router.get("/console/policy/rules/{revision}")
def revision_page(revision: str, request: Request, current: CurrentOfficer, ctx: Ctx) -> Response:
    revision = _revision_id(revision)
    with ctx.store.session() as session:
        row = None if revision == NO_RULES else revisions.get_revision(session, revision)
        in_force = active_revision(session)
        active = in_force.id if in_force else NO_RULES
        doc = dict(row.document) if row is not None else {}
        diff = _shown(revisions.diff(dict(in_force.document) if in_force else {}, doc))
        checks = revisions.check(session, row) if row is not None and row.status == revisions.DRAFT else None
        sign, signed = _sign_forms(session, row, revision, active)
        hints = _hints(current, row, signed) if sign else []
        for item in [row, *signed]:
            if item is not None:
                session.expunge(item)
    return render(request, "rules_revision.html", current=current, revision=revision, row=row, active=active,
                  text=_as_text(doc), diff=diff, checks=checks, sign=sign, signed=signed, hints=hints)


async def _signed_change(request: Request, current: CurrentOfficer, ctx: Ctx, revision: str, work: Any) -> Response:
    form = await form_of(request, current)
    revision = _revision_id(revision)
    with ctx.store.session() as session:
        work(session, sink_of(ctx), revision, _statement(form), signer=current.subject)
    return _back(f"/console/policy/rules/{revision}")


@router.post("/console/policy/rules/{revision}/approve")
async def approve(revision: str, request: Request, current: CurrentOfficer, ctx: Ctx) -> Response:
    return await _signed_change(request, current, ctx, revision, revisions.activate)


@router.post("/console/policy/rules/{revision}/rollback")
async def rollback(revision: str, request: Request, current: CurrentOfficer, ctx: Ctx) -> Response:
    return await _signed_change(request, current, ctx, revision, revisions.rollback)


# --- impact --------------------------------------------------------------------------------------


def _replayed(ctx: ApiContext, days: int, job: Job) -> None:
    report: Impact | None = job.report
    refused = loosening_problems(report) if report else []
    ctx.audit(AuditEvent(CONSOLE_IMPACT, subject=f"officer:{job.officer}", action="impact",
                         decision="error" if report is None else ("deny" if refused else "ok"),
                         reasons=refused if report else [str(job.error)],
                         details={"revision": job.subject, "days": days,
                                  "replayed": report.replayed if report else None,
                                  "totals": report.totals() if report else None}))


@router.post("/console/policy/rules/{revision}/impact")
async def start_impact(revision: str, request: Request, current: CurrentOfficer, ctx: Ctx) -> Response:
    form = await form_of(request, current)
    revision = _revision_id(revision)
    days = _days(form.get("days"))
    with ctx.store.session() as session:
        row = None if revision == NO_RULES else revisions.get_revision(session, revision)
        candidate = None if row is None else with_revision(dict(row.document), row.id)

    def work(progress: Any) -> Impact:
        with ctx.store.session() as session:
            return impact_in_store(session, candidate, days=days, progress=progress)

    job = state_of(request).jobs.start(current.officer.id, 0, work, lambda done: _replayed(ctx, days, done),
                                       kind="impact", subject=revision, options=f"days={days}")
    return _back(f"/console/policy/rules/{revision}/impact/{job.id}")


def _days(value: Any) -> int:
    text = str(value if value not in (None, "") else 30).strip()
    if not text.isdigit() or not 1 <= int(text) <= MAX_DAYS:
        raise BadRequest(f"`days` must be a whole number of days from 1 to {MAX_DAYS}, not {text[:12]!r}")
    return int(text)


def _impact_job(request: Request, revision: str, job_id: str) -> Job:
    job = state_of(request).jobs.get(job_id[:32])
    if job is None or job.kind != "impact" or job.subject != revision:
        raise NotFound("no such impact replay (they are kept by the serving process only): run it again")
    return job


@router.get("/console/policy/rules/{revision}/impact/{job_id}")
def impact_page(revision: str, job_id: str, request: Request, current: CurrentOfficer) -> Response:
    job = _impact_job(request, _revision_id(revision), job_id)
    return render(request, "rules_impact.html", current=current, revision=revision, job=job,
                  refused=_refusal(job))


@router.get("/console/policy/rules/{revision}/impact/{job_id}/progress")
def impact_progress(revision: str, job_id: str, request: Request, current: CurrentOfficer) -> Response:
    job = _impact_job(request, _revision_id(revision), job_id)
    return render(request, "_impact.html", current=current, revision=revision, job=job, refused=_refusal(job))


def _refusal(job: Job) -> list[str]:
    return loosening_problems(job.report) if job.finished.is_set() and job.report is not None else []

