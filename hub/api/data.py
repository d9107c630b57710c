"""Data endpoints: ``/v1/datasets/{dataset}/rows`` and ``/changes``, ``/v1/receipts/{id}``.

The router parses the query string and hands it to ``hub.exchange.service.Exchange``
(one per app, built on first use and kept on ``app.state.exchange``; tests may set
their own, e.g. with a policy point whose engine is down).  The data routes are
async: a request takes one worker-thread hop for its page (``Exchange.read_async``)
and awaits its audit batch on the event loop.  ``install`` registers
the readiness probes of the policy engine and the audit log.

Every delivery carries its receipt in ``X-Hub-Receipt``: a compact JWS signed by the
hub's audit key, verifiable with the keys at ``/.well-known/audit-jwks.json`` alone.
"""

from __future__ import annotations

from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, FastAPI, Query, Request
from fastapi.responses import JSONResponse, Response
from sqlalchemy import select

from hub.api.auth import CurrentSubject
from hub.api.context import ApiContext, client_ip, get_context, request_id
from hub.api.problems import problem
from hub.audit.receipts import issue_receipt
from hub.audit.record import RECORD_FIELDS, AuditRecordView
from hub.errors import NotFound
from hub.events import DATA_DELIVERY
from hub.exchange.service import Denied, Exchange, RowsQuery, receipt_header, split_columns
from hub.exchange.snapshots import unavailable
from hub.identity import Subject
from hub.policy import PolicyPoint, StoreData, engine_from_settings, load_policies
from hub.store.models import AuditRecord

router = APIRouter(tags=["data"])
RECEIPT_HEADER_DOC = (
    "the delivery receipt: a compact JWS (RFC 7515), EdDSA-signed by the hub's audit key named in its "
    "header `kid`, over {request_id, seq, subject, dataset, version, rows, response_sha256, ts}; "
    "`response_sha256` is the SHA-256 of this response body. Verify it with the keys at "
    "/.well-known/audit-jwks.json (docs/audit.md §6: curl, base64 and openssl suffice)")
DATA_RESPONSES: dict[int | str, dict[str, Any]] = {
    200: {"description": "the page, in the requested format", "headers": {
        "X-Hub-Receipt": {"description": RECEIPT_HEADER_DOC, "schema": {"type": "string"}},
        "X-Hub-Request-Id": {"description": "this request's id (the receipt's `request_id`)",
                             "schema": {"type": "string"}},
        "X-Hub-Dataset-Version": {"description": "the published version served", "schema": {"type": "string"}},
        "Link": {"description": "`<…cursor=…>; rel=\"next\"` when there is a next page",
                 "schema": {"type": "string"}}}},
    400: {"description": "bad parameter (problem+json naming it), e.g. a filter value that does not "
                         "parse as its column's type, or `in` values not separated by `|`"},
    401: {"description": "no valid access token"},
    403: {"description": "denied by policy; `reasons` lists why"},
    404: {"description": "no dataset of that name is available for exchange (unknown and unpublished "
                         "datasets answer alike)"},
    503: {"description": "metadata store, policy point or audit log unavailable: no rows are sent; "
                         "`Retry-After` says when to retry"},
}


def exchange_of(app: FastAPI, ctx: ApiContext) -> Exchange:
    """The app's ``Exchange``, built on first use."""
    found: Exchange | None = getattr(app.state, "exchange", None)
    if found is None:
        settings = ctx.settings
        point = PolicyPoint(engine_from_settings(settings.opa_url, settings.opa_timeout_s),
                            load_policies(), StoreData(ctx.store), recheck_seconds=settings.staleness_s)
        found = app.state.exchange = app.state.built_exchange = Exchange(settings, ctx.store, ctx.audit, ctx.keys,
                                                                         point)
    return found


def close_exchange(app: FastAPI) -> None:
    """Close the ``Exchange`` the app built itself (``exchange_of``), if any: its quota leases are closed
    (their unused rows given back), its sweeper and worker threads stop.  One a caller set on
    ``app.state.exchange`` is the caller's to close."""
    built = getattr(app.state, "built_exchange", None)
    if not isinstance(built, Exchange):
        return
    app.state.built_exchange = None
    built.close()
    if getattr(app.state, "exchange", None) is built:
        app.state.exchange = None  # a later request (the app served again) builds a new one


async def get_exchange(request: Request) -> Exchange:
    """The app's ``Exchange`` (async: no worker-thread hop for a lookup)."""
    return exchange_of(request.app, request.app.state.ctx)


def _next_link(request: Request, cursor: str) -> str:
    # the lane parsed the query string already (``hub.api.lane``): its items, else Starlette's
    items = request.scope.get("hub.query_items") or request.query_params.multi_items()
    params = [(k, v) for k, v in items if k != "cursor"]
    # ``request.url.path`` without building the URL (Starlette's own escaping of the decoded path)
    path = request.scope["path"].replace("?", "%3F").replace("#", "%23").replace("\\", "%5C")
    return f'<{path}?{urlencode([*params, ("cursor", cursor)])}>; rel="next"'


async def data_response(request: Request, subject: Subject, exchange: Exchange, action: str, dataset: str,
                        query: RowsQuery) -> Response:
    """The response to one data request (the routes below and ``hub.api.lane`` answer with it)."""
    try:
        delivery = await exchange.read_async(subject, action, dataset, query, request_id=request_id(request),
                                             client_ip=client_ip(request))
    except Denied as exc:
        if any(r.startswith(NEVER_EXCHANGED) for r in exc.reasons):
            # A dataset never exchanged is hidden from partners' catalog (the describe rule):
            # a 403 naming why would tell them it exists.  They get the one 404 that unknown
            # and unpublished datasets get; the audit record keeps the real reason.
            raise unavailable(dataset) from None
        return problem(403, str(exc), title="forbidden", reasons=exc.reasons)
    headers = {"X-Hub-Dataset-Version": delivery.version, **receipt_header(delivery.receipt)}
    if delivery.next_cursor:
        headers["Link"] = _next_link(request, delivery.next_cursor)
    return Response(delivery.body, media_type=delivery.media_type, headers=headers)


NEVER_EXCHANGED = "rule never-exchanged:"

FILTER_DOC = (
    "repeatable `column:op:value` on a column you see in clear; op is one of eq ne lt le gt ge in prefix. "
    "The value must parse as the column's type (DATE `2026-10-31`, TIMESTAMP `2026-10-31T09:30:00` or a "
    "date, integers `42`, decimals `1234.56`, BOOLEAN `true`/`false`); otherwise 400 naming the column. "
    "`in` takes values separated by `|`: `payment_id:in:23|24|25`. A single `in` value holding `,` or `;` "
    "is refused (400) as a wrong separator; to match one text value that contains a comma, use `eq`. "
    "`prefix` compares the start of the value's text form.")
Purpose = Annotated[str, Query(max_length=64, description="registered purpose of the request")]
Columns = Annotated[str | None, Query(max_length=8192, description="comma-separated column names")]
Filters = Annotated[list[str], Query(alias="filter", description=FILTER_DOC)]
Limit = Annotated[int | None, Query(ge=1, le=100_000)]
Format = Annotated[str, Query(max_length=16, description="json | ndjson | csv | parquet | arrow")]
OrderBy = Annotated[str | None, Query(max_length=130)]
Cursor = Annotated[str | None, Query(max_length=2048)]


@router.get("/v1/datasets/{dataset}/rows", responses=DATA_RESPONSES)
async def rows(request: Request, dataset: str, subject: CurrentSubject,
         exchange: Annotated[Exchange, Depends(get_exchange)], purpose: Purpose,
         columns: Columns = None, filters: Filters = [], order_by: OrderBy = None,  # noqa: B006
         limit: Limit = None, cursor: Cursor = None, format: Format = "json") -> Response:
    """Rows of the current published version, masked and scoped by one policy decision."""
    query = RowsQuery(purpose, format, split_columns(columns), list(filters), order_by, limit, cursor)
    return await data_response(request, subject, exchange, "read", dataset, query)


@router.get("/v1/datasets/{dataset}/changes", responses=DATA_RESPONSES)
async def changes(request: Request, dataset: str, subject: CurrentSubject,
            exchange: Annotated[Exchange, Depends(get_exchange)], purpose: Purpose,
            since: Annotated[str, Query(max_length=32, description="an earlier version, e.g. v3")],
            columns: Columns = None, filters: Filters = [], order_by: OrderBy = None,  # noqa: B006
            limit: Limit = None, cursor: Cursor = None, format: Format = "json") -> Response:
    """Rows of the current version that are not in version ``since`` (added or changed)."""
    query = RowsQuery(purpose, format, split_columns(columns), list(filters), order_by, limit, cursor,
                      since)
    return await data_response(request, subject, exchange, "changes", dataset, query)


@router.get("/v1/receipts/{request_id}", responses={404: {"description": "no such delivery"}})
def receipt(request_id: str, subject: CurrentSubject,
            ctx: Annotated[ApiContext, Depends(get_context)]) -> JSONResponse:
    """The signed receipt of a delivery (partners: their own deliveries only).

    `jws` is the receipt (as in `X-Hub-Receipt`); the other members repeat its claims
    and `kid` in plain JSON for convenience: only `jws` is evidence.
    """
    missing = NotFound(f"no delivery recorded for request `{request_id[:64]}`")
    query = (select(AuditRecord).where(AuditRecord.request_id == request_id[:64])
             .where(AuditRecord.event == DATA_DELIVERY).order_by(AuditRecord.seq.desc()).limit(1))
    with ctx.store.session() as session:
        row = session.execute(query).scalar_one_or_none()
        if row is None or (subject.kind == "partner" and row.subject != subject.id):
            raise missing
        record = AuditRecordView.from_mapping({n: getattr(row, n) for n in RECORD_FIELDS})
    return JSONResponse(issue_receipt(record, ctx.keys.current("audit")))
