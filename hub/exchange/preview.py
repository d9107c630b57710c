"""Exposure preview (暴露预览): what a partner would receive if an application were approved now.

The officer console shows it before an officer signs an approval.  It is computed here,
by the exchange, so that it is what the partner would get and not a second opinion:

* the decision: the current policy data plus the application as a grant approved by an
  owner officer of the dataset's provider and a security officer (the two-person rule
  met), decided on the same policy set by an embedded regopy engine of its own — a
  hypothetical grant is never loaded into the live decision point or an OPA server;
* the rows: one page planned and run by the exchange's own planner (``plan.build``,
  ``execute.run``) under that decision, with the partner's pseudonym key, encoded as
  the JSON body the partner would receive for ``GET /v1/datasets/{dataset}/rows?
  purpose=…&limit=N``, and that body's SHA-256 (the ``response_sha256`` of its receipt);
* the number of rows of the snapshot inside the decision's jurisdiction filter.

Nothing is delivered, no quota is spent; the caller audits the preview.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from hub.errors import BadRequest
from hub.exchange import execute, formats
from hub.exchange.plan import DataRequest, Obligations, build
from hub.exchange.service import registered
from hub.identity import load_subject
from hub.masking import quote_ident
from hub.policy import Decision, PolicyPoint, RegopyEngine, StaticData
from hub.policy import data as policy_data
from hub.store.models import Application, Grant

if TYPE_CHECKING:
    from hub.exchange.service import Exchange

PREVIEW_GRANT = "g-~preview"
PREVIEW = "__hub_preview"  # the snapshot registered for the preview's queries
MAX_SAMPLE = 50


@dataclass(frozen=True)
class Preview:
    """A decision and the page the partner would receive under it."""

    decision: Decision
    dataset: str
    version: str
    columns: list[str]
    rows: list[dict[str, Any]]
    body_sha256: str | None
    in_jurisdiction: int | None  # snapshot rows the row filter keeps (all rows when there is none)
    total_rows: int | None
    pii: dict[str, str | None] = field(default_factory=dict)  # each column's PII class (catalog)


def _as_grant(app: Application, provider: str) -> Grant:
    """The application as the grant two officers' approvals would create (``workflow._grant_from``)."""
    approvals = [{"officer": "(preview: owner officer)", "role": "owner", "owner_of": provider},
                 {"officer": "(preview: security officer)", "role": "security", "owner_of": None}]
    return Grant(id=PREVIEW_GRANT, application_id=app.id, partner_id=app.partner_id, dataset_id=app.dataset_id,
                 purposes=[app.purpose], columns=list(app.columns), clear_columns=list(app.clear_columns),
                 valid_from=app.valid_from, valid_until=app.valid_until, max_rows_per_day=app.max_rows_per_day,
                 all_regions=app.all_regions, requested_by=app.requested_by, approvals=approvals)


def _decide(exchange: Exchange, app: Application, subject_input: dict[str, Any], resource: dict[str, Any],
            limit: int) -> Decision:
    live = exchange.point.source.load(datetime.now(UTC))
    # the grant document exactly as the policy data writes real grants (one writer of that shape)
    doc = policy_data._grants([_as_grant(app, str(resource.get("owner") or ""))])
    data = {**live, "grants": {**(live.get("grants") or {}), **doc}}
    point = PolicyPoint(RegopyEngine(), exchange.point.policies, StaticData(data))
    request = {"purpose": app.purpose, "columns": [], "rows_requested": limit}
    return point.decide(subject_input, "read", resource, request, {})


def _count(exchange: Exchange, source: tuple[str, list[Any]], row_filter: dict[str, str] | None,
           known: set[str]) -> int:
    """Rows of the snapshot (``source``: the table or ``read_parquet(?)`` and its parameters) in the filter."""
    sql, params = f"SELECT count(*) FROM {source[0]}", list(source[1])  # noqa: S608
    if row_filter and row_filter.get("column") in known:
        sql += f" WHERE starts_with(CAST({quote_ident(row_filter['column'])} AS VARCHAR), ?)"  # noqa: S608
        params.append(str(row_filter.get("prefix", "")))
    row = exchange._con().execute(sql, params).fetchone()
    return int(row[0]) if row else 0


def preview(exchange: Exchange, app: Application, *, limit: int = 10) -> Preview:
    """The decision and first page ``app``'s partner would get if ``app`` were approved now."""
    if not 1 <= limit <= MAX_SAMPLE:
        raise BadRequest(f"a preview shows between 1 and {MAX_SAMPLE} rows", parameter="limit")
    snap = exchange.snapshots.current(app.dataset_id)
    with exchange.store.session() as session:
        subject = load_subject(session, f"partner:{app.partner_id}")
    if subject is None:
        raise BadRequest(f"partner `{app.partner_id}` of application `{app.id}` is not registered")
    decision = _decide(exchange, app, subject.policy_input(), snap.resource, limit)
    if not decision.allow:
        return Preview(decision, snap.dataset, snap.version, [], [], None, None, None)
    ob = Obligations(columns=dict(decision.columns), row_filter=decision.row_filter,
                     max_rows=decision.max_rows or 0)
    con, known = exchange._con(), set(snap.catalog)
    # the snapshot as the exchange reads it: its in-memory copy, or the sealed file decrypted in memory
    held = exchange.tables.table(snap.path)
    snapshot = held if held is not None else exchange.decrypted(snap.path)
    table = PREVIEW if snapshot is not None else None
    with registered(con, table, snapshot):
        plan = build(snap.path, snap.catalog, ob, DataRequest(limit=limit), pads=exchange.pads_for(subject.id),
                     cursor_secret=exchange.cursor_secret, table=table,
                     binding={"subject": subject.id, "dataset": snap.dataset, "version": snap.version,
                              "action": "read", "purpose": app.purpose})
        page = execute.run(con, plan, "json", exchange.cursor_secret)
        source: tuple[str, list[Any]] = (table, []) if table else ("read_parquet(?)", [snap.path])
        in_jurisdiction = _count(exchange, source, decision.row_filter, known)
        total = _count(exchange, source, None, known)
    body = b"".join(formats.encode("json", page.table, page.next_cursor))
    rows = json.loads(body)["rows"]
    return Preview(decision, snap.dataset, snap.version, plan.columns, rows, hashlib.sha256(body).hexdigest(),
                   in_jurisdiction, total, {c: snap.catalog[c].pii_class for c in plan.columns})
