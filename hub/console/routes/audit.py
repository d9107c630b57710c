"""The audit pages (审计日志): filtered records, one record with its hash, previous hash and
covering checkpoint, the chain verified in the background with progress, a receipt
checked, and an evidence bundle exported.

Reads go through ``hub.audit`` (the same query, verification and export the CLI and
the API use).  Times typed in are days in Asia/Shanghai.  Verifications, receipt checks
and exports are audit records themselves.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from typing import Annotated, Any
from urllib.parse import quote

from fastapi import APIRouter, Query, Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy import func, select

from hub.audit import decode_receipt, get_record, verify_chain, verify_receipt
from hub.audit.errors import EvidenceError
from hub.audit.pubkeys import audit_jwks, key_map
from hub.audit.query import query
from hub.console.evidence import bundle
from hub.console.i18n import SHANGHAI
from hub.console.jobs import Job
from hub.console.web import (
    MAX_UPLOAD,
    SECURITY_HEADERS,
    ConsoleRoute,
    Ctx,
    CurrentOfficer,
    Upload,
    audit,
    form_of,
    render,
    state_of,
)
from hub.errors import BadRequest, NotFound
from hub.events import CONSOLE_EXPORT, CONSOLE_VERIFY, AuditEvent
from hub.store.models import AuditCheckpoint, AuditRecord

router = APIRouter(route_class=ConsoleRoute, include_in_schema=False)
Short = Annotated[str | None, Query(max_length=160)]
PAGE = 200


def _day(value: str | None, name: str) -> date | None:
    if not value:
        return None
    try:
        return date.fromisoformat(value.strip())
    except ValueError:
        raise BadRequest(f"`{name}` must be a day YYYY-MM-DD, not {value[:20]!r}") from None


def _filters(values: dict[str, Any]) -> dict[str, Any]:
    """Validated filters: partner, dataset, event, decision, since/until days (Asia/Shanghai)."""
    since, until = _day(values.get("since"), "since"), _day(values.get("until"), "until")
    if since and until and until < since:
        raise BadRequest("`until` is before `since`")
    out = {k: str(values.get(k) or "").strip()[:160] for k in ("partner", "dataset", "event", "decision")}
    out["since"], out["until"] = since.isoformat() if since else "", until.isoformat() if until else ""
    return out


def _range(f: dict[str, Any]) -> tuple[str | None, str | None]:
    """The filters' days as an ISO ``since`` (inclusive) and ``until`` (exclusive, next day)."""
    since = datetime.combine(date.fromisoformat(f["since"]), time(), SHANGHAI).isoformat() if f["since"] else None
    until = (datetime.combine(date.fromisoformat(f["until"]) + timedelta(days=1), time(), SHANGHAI).isoformat()
             if f["until"] else None)
    return since, until


def _records(ctx: Ctx, f: dict[str, Any], after_seq: int | None = None, limit: int = PAGE) -> list[Any]:
    since, until = _range(f)
    subject = f"partner:{f['partner']}" if f["partner"] and ":" not in f["partner"] else (f["partner"] or None)
    return query(ctx.store, subject=subject, dataset=f["dataset"] or None, event=f["event"] or None,
                 decision=f["decision"] or None, since=since, until=until, after_seq=after_seq, limit=limit)


@router.get("/console/audit")
def records(request: Request, current: CurrentOfficer, ctx: Ctx, partner: Short = None, dataset: Short = None,
            event: Short = None, decision: Short = None, since: Short = None, until: Short = None,
            after_seq: Annotated[int | None, Query(ge=0, le=2**62)] = None) -> Response:
    f = _filters({"partner": partner, "dataset": dataset, "event": event, "decision": decision, "since": since,
                  "until": until})
    found = _records(ctx, f, after_seq)
    with ctx.store.session() as session:
        events = sorted(str(e) for e in session.scalars(select(AuditRecord.event).distinct()))
    more = f"?{'&'.join(f'{k}={quote(v)}' for k, v in f.items() if v)}&after_seq={found[-1].seq}" \
        if len(found) == PAGE else None
    return render(request, "audit.html", current=current, records=found, filters=f, events=events, more=more)


@router.get("/console/audit/records/{seq}")
def record(seq: int, request: Request, current: CurrentOfficer, ctx: Ctx) -> Response:
    if not 1 <= seq <= 2**62:
        raise BadRequest("seq must be a positive whole number")
    found = get_record(ctx.store, seq)
    if found is None:
        raise NotFound(f"no audit record at seq {seq}")
    with ctx.store.session() as session:
        cp = session.scalars(select(AuditCheckpoint).where(AuditCheckpoint.seq >= seq)
                             .order_by(AuditCheckpoint.seq).limit(1)).first()
        covering = {"seq": cp.seq, "hash": cp.hash, "ts": cp.ts, "key_id": cp.key_id} if cp else None
    return render(request, "record.html", current=current, record=found.as_dict(), covering=covering)


def _verified(ctx: Ctx, job: Job) -> None:
    report = job.report
    ctx.audit(AuditEvent(CONSOLE_VERIFY, subject=f"officer:{job.officer}", action="verify",
                         decision="ok" if report and report.ok else "error",
                         reasons=[report.summary() if report else str(job.error)],
                         details={"what": "chain", "records": report.records if report else None}))


@router.post("/console/audit/verify")
async def start_verify(request: Request, current: CurrentOfficer, ctx: Ctx) -> Response:
    await form_of(request, current)
    with ctx.store.session() as session:
        total = int(session.scalar(select(func.max(AuditRecord.seq))) or 0)
    job = state_of(request).jobs.start(current.officer.id, total, lambda progress: verify_chain(
        ctx.store, ctx.keys, progress=progress), lambda done: _verified(ctx, done))
    return RedirectResponse(f"/console/audit/verify/{job.id}", status_code=303, headers=SECURITY_HEADERS)


def _job(request: Request, job_id: str) -> Job:
    job = state_of(request).jobs.get(job_id[:32])
    if job is None or job.kind != "verify":
        raise NotFound("no such verification (they are kept by the serving process only): start a new one")
    return job


@router.get("/console/audit/verify/{job_id}")
def verify_page(job_id: str, request: Request, current: CurrentOfficer) -> Response:
    return render(request, "verify.html", current=current, job=_job(request, job_id))


@router.get("/console/audit/verify/{job_id}/progress")
def verify_progress(job_id: str, request: Request, current: CurrentOfficer) -> Response:
    return render(request, "_progress.html", current=current, job=_job(request, job_id))


def _receipt_text(form: dict[str, Any]) -> str:
    upload = form.get("file")
    text = str(form.get("receipt") or "").strip()
    if isinstance(upload, Upload) and upload.data.strip():
        if upload.too_large:
            raise BadRequest(f"a receipt file is at most {MAX_UPLOAD} bytes")
        try:
            text = upload.data.decode("utf-8").strip()
        except UnicodeDecodeError:
            raise BadRequest("the receipt file is not UTF-8 text (JSON or an X-Hub-Receipt value)") from None
    if not text:
        raise BadRequest("give a receipt: upload its file or paste it (JSON, or the X-Hub-Receipt header value)")
    if len(text) > MAX_UPLOAD:
        raise BadRequest(f"a receipt is at most {MAX_UPLOAD} characters")
    return text


def _check_receipt(ctx: Ctx, receipt: dict[str, Any]) -> list[str]:
    """What is wrong with ``receipt`` against the signature and the chain (empty when it holds)."""
    try:
        verify_receipt(receipt, key_map(audit_jwks(ctx.keys)["keys"]))
    except EvidenceError as exc:
        return [str(exc)]
    seq = receipt.get("seq")
    stored = get_record(ctx.store, seq) if isinstance(seq, int) and 1 <= seq <= 2**62 else None
    if stored is None:
        return [f"the signature holds, but the audit log has no record at seq {seq}"]
    problems = [f"`{name}` differs from audit record {seq}" for name, mine in
                (("request_id", stored.request_id), ("response_sha256", stored.response_sha256),
                 ("rows", stored.rows), ("dataset", stored.dataset), ("version", stored.dataset_version))
                if receipt.get(name) != mine]
    return problems


@router.post("/console/audit/receipt")
async def check_receipt(request: Request, current: CurrentOfficer, ctx: Ctx) -> Response:
    form = await form_of(request, current)
    try:
        receipt = decode_receipt(_receipt_text(form))
    except EvidenceError as exc:
        raise BadRequest(str(exc)) from None
    problems = _check_receipt(ctx, receipt)
    audit(ctx, request, AuditEvent(CONSOLE_VERIFY, subject=current.subject, action="verify",
                                   decision="error" if problems else "ok", reasons=problems,
                                   details={"what": "receipt", "request_id": str(receipt.get("request_id"))[:64],
                                            "seq": receipt.get("seq") if isinstance(receipt.get("seq"), int)
                                            else None}))
    return render(request, "receipt.html", current=current, receipt=receipt, problems=problems)


@router.post("/console/audit/bundle")
async def export_bundle(request: Request, current: CurrentOfficer, ctx: Ctx) -> Response:
    form = await form_of(request, current)
    f = _filters(form)
    if not f["since"] or not f["until"]:
        raise BadRequest("an evidence bundle covers a time range: give both `since` and `until` days")
    since, until = _range(f)
    selected = _records(ctx, f, limit=1000)
    now = state_of(request).clock()
    data = bundle(ctx.store, ctx.keys, since=since, until=until, selected=selected, filters=f,
                  officer=current.subject, made_at=now)
    audit(ctx, request, AuditEvent(CONSOLE_EXPORT, subject=current.subject, action="export", decision="ok",
                                   rows=len(selected), details={"filters": f, "bytes": len(data)}))
    name = f"evidence-{now.astimezone(SHANGHAI).strftime('%Y%m%d-%H%M%S')}.zip"
    return Response(data, media_type="application/zip",
                    headers={**SECURITY_HEADERS, "Content-Disposition": f'attachment; filename="{name}"'})
