"""The per-request exchange flow: decide once, charge the budget, audit, plan, execute, encode.

``Exchange.read`` runs one data request (``/rows`` or ``/changes``) for an
authenticated subject: it builds the decision input from the subject, the catalog
entry and the request and asks the policy decision point ONCE (a cached decision
when one is valid, ``hub.policy.point``); under a grant it charges the page's rows
against the grant's daily budget in the metadata store (``hub.quota``: one atomic
statement shared by every API process, refused whole with a 403 naming the budget
when the page does not fit); it appends the decision to the audit log (refusing with
503 when that fails, and when the engine or the ledger failed), refuses a deny with
403 and its reasons, then plans and runs one DuckDB query over the published snapshot
(masks, row filter, partner filters, cursor, limit).

The page is materialised before it is sent (``execute.run`` returns an Arrow
table), so the response digest is known before any byte leaves: the delivery
record (rows, SHA-256, the quota day) is appended BEFORE the response goes out, and
the signed receipt rides in ``X-Hub-Receipt`` for every format; a failed append is a
503 with no rows.  The reservation is then settled with the rows delivered; one that
fails before its delivery append began is given back at once, one whose append may
have landed is left to reconciliation with the audit log (``hub.quota.reconcile``).
"""

from __future__ import annotations

import atexit
import hashlib
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, ExitStack, contextmanager, nullcontext
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import duckdb

from hub import metrics
from hub.audit.errors import AuditUnavailable
from hub.audit.log import append_bound_s
from hub.audit.receipts import encode_receipt, issue_receipt
from hub.audit.record import AuditRecordView
from hub.errors import BadRequest, Forbidden
from hub.events import DATA_DECISION, DATA_DELIVERY, Audit, AuditEvent
from hub.exchange import execute, filters, formats, lookups
from hub.exchange.plan import DEFAULT_PAGE, MAX_PAGE, DataRequest, Obligations, Since, build
from hub.exchange.snapshots import Snapshot, Snapshots
from hub.exchange.tables import SnapshotTables
from hub.identity import PURPOSE, Subject
from hub.keys import KeyStore
from hub.keys import load_secret as load_hub_secret
from hub.kms.parquet import Sealer, file_kind
from hub.policy import Decision, PolicyPoint, RegopyEngine
from hub.policy.decision import PolicyError
from hub.pseudonym import load_secret, pads, partner_key
from hub.quota import Hold, Ledger, LedgerUnavailable, QuotaExceeded, Reservation, Sweeper, quota_day, reconcile
from hub.settings import Settings
from hub.store.db import Store

MAX_COLUMNS = 200


class Denied(Forbidden):
    """The decision point denied the request; carries its reasons."""

    def __init__(self, reasons: list[str]) -> None:
        super().__init__("; ".join(reasons) or "denied by policy")
        self.reasons = reasons


@dataclass
class RowsQuery:
    """A data request as the API received it (validated here, not trusted)."""

    purpose: str
    format: str = "json"
    columns: list[str] | None = None
    filters: list[str] = field(default_factory=list)
    order_by: str | None = None
    limit: int | None = None
    cursor: str | None = None
    since: str | None = None


@dataclass
class Delivery:
    body: bytes
    media_type: str
    rows: int
    version: str
    next_cursor: str | None
    receipt: dict[str, Any] | None


def load_cursor_secret(keys_dir: Path) -> bytes:
    """The hub's cursor-signing secret (32 random bytes, 0600), created on first use."""
    return load_hub_secret(keys_dir, "cursor")


def split_columns(raw: str | None) -> list[str] | None:
    """``a,b,c`` → ``["a", "b", "c"]``; ``None`` when absent."""
    if raw is None or not raw.strip():
        return None
    names = [c.strip() for c in raw.split(",") if c.strip()]
    if len(names) > MAX_COLUMNS:
        raise BadRequest(f"at most {MAX_COLUMNS} columns per request", parameter="columns")
    return names


class Exchange:
    """The data path of one API process: policy point, audit, snapshots, DuckDB."""

    def __init__(self, settings: Settings, store: Store, audit: Audit, keys: KeyStore,
                 point: PolicyPoint, *, clock: Callable[[], datetime] | None = None) -> None:
        self.settings, self.store, self.audit, self.keys, self.point = settings, store, audit, keys, point
        self.clock = clock or (lambda: datetime.now(UTC))
        self.snapshots = Snapshots(settings, store)
        self.quota = Ledger(store, lease_s=settings.quota_lease_s,
                            append_bound_s=append_bound_s(settings.audit_lock_timeout_s), clock=self.clock)
        self.sweeper = Sweeper(self.quota, min(2.0, settings.quota_lease_s / 4), clock=self.clock)
        atexit.register(self.sweeper.stop)
        self._refusal_swept: dict[tuple[str, str], float] = {}
        self.pseudonym_secret = load_secret(settings.keys_dir)
        self.cursor_secret = load_cursor_secret(settings.keys_dir)
        self._db = duckdb.connect()
        sealer = self.snapshots.sealer  # sealed snapshots are decrypted in memory only (hub.kms.parquet)
        self.tables = SnapshotTables(self._db, settings.exchange_memory_rows, read=sealer.read_table,
                                     count=sealer.num_rows)
        self._local = threading.local()
        self._pads: dict[str, tuple[bytes, bytes]] = {}
        # Embedded regopy evaluates under one lock anyway; deciding one request at a time
        # lets concurrent identical requests hit the cache instead of all missing at once
        # after a policy-data reload.  A remote OPA is left concurrent.
        self._decide_lock: AbstractContextManager[Any] = (
            threading.Lock() if isinstance(point.engine, RegopyEngine) else nullcontext())

    def close(self) -> None:
        """Stop the background reconciliation of quota reservations; close the ledger."""
        self.sweeper.stop()
        self.quota.dispose()

    @contextmanager
    def _sealed(self, con: duckdb.DuckDBPyConnection, path: str, table: str | None,
                since: Since | None) -> Iterator[tuple[str | None, Since | None]]:
        """``table`` and ``since`` with sealed files the memory tables do not hold registered on ``con``."""
        sealer = self.snapshots.sealer
        with ExitStack() as stack:
            if table is None:
                table = stack.enter_context(_registered(con, sealer, path))
            if since is not None:
                earlier = stack.enter_context(_registered(con, sealer, since.path))
                since = replace(since, table=earlier) if earlier else since
            yield table, since

    def _con(self) -> duckdb.DuckDBPyConnection:
        con = getattr(self._local, "con", None)
        if con is None:
            con = self._local.con = self._db.cursor()
        return con

    def pads_for(self, subject_id: str) -> tuple[bytes, bytes]:
        """The HMAC pads of ``subject_id``'s pseudonym key."""
        found = self._pads.get(subject_id)
        if found is None:
            found = self._pads[subject_id] = pads(partner_key(self.pseudonym_secret, subject_id))
        return found

    # --- audit --------------------------------------------------------------------------

    def append(self, event: AuditEvent) -> object:
        """Append ``event``; any failure is ``AuditUnavailable`` (the caller refuses)."""
        started = time.perf_counter()
        try:
            return self.audit(event)
        except Exception as exc:  # noqa: BLE001 - fail closed on anything
            raise AuditUnavailable(f"audit append failed: {exc}") from exc
        finally:
            metrics.AUDIT_APPEND.observe(time.perf_counter() - started)

    def receipt(self, record: object) -> dict[str, Any] | None:
        """A signed receipt for a delivery record (None when the audit callable returns none)."""
        if not isinstance(record, AuditRecordView):
            return None
        return issue_receipt(record, self.keys.current("audit"))

    # --- the flow -----------------------------------------------------------------------

    def _validate(self, snap: Snapshot, query: RowsQuery) -> int:
        if not query.purpose or len(query.purpose) > 64:
            raise BadRequest("query parameter `purpose` is required (at most 64 characters)",
                             parameter="purpose")
        if not PURPOSE.fullmatch(query.purpose):
            raise BadRequest("query parameter `purpose` must be one of your registered purposes, a "
                             "lower-case slug like case-verification", parameter="purpose")
        for name in query.columns or []:
            if name not in snap.catalog:
                raise BadRequest(f"dataset `{snap.dataset}` has no column `{name[:64]}`", parameter="columns")
        filters.parse_all(query.filters)
        limit = DEFAULT_PAGE if query.limit is None else query.limit
        if not 1 <= limit <= MAX_PAGE:
            raise BadRequest(f"limit must be between 1 and {MAX_PAGE}", parameter="limit")
        return limit

    def _record_decision(self, subject: Subject, action: str, snap: Snapshot, query: RowsQuery,
                         decision: Decision, outcome: str, reasons: list[str], request_id: str,
                         client_ip: str | None) -> None:
        metrics.DECISIONS.labels(action, outcome).inc()
        self.append(AuditEvent(
            DATA_DECISION, subject=subject.id, action=action, request_id=request_id, dataset=snap.dataset,
            dataset_version=snap.version, purpose=audited_purpose(subject, query.purpose), decision=outcome,
            reasons=reasons, grant=decision.grant, policy_revision=decision.revision,
            obligations_digest=decision.obligations_digest(), client_ip=client_ip,
            details=lookups.details(self.cursor_secret, query)))  # enumeration detection (hub.awareness)

    def _reserve(self, decision: Decision, limit: int, request_id: str, now: datetime) -> Reservation | None:
        """Charge the page's rows against the decision's daily budget (None: no budget applies)."""
        if not decision.allow or decision.quota is None:
            return None
        page = min(limit, decision.max_rows if decision.max_rows is not None else limit)
        self.sweeper.start()
        try:
            return self.quota.reserve(request_id, decision.quota, page, now)
        except QuotaExceeded:
            if not self._freed_rows(decision.quota.grant, quota_day(now), now):
                raise
        return self.quota.reserve(request_id, decision.quota, page, now)

    def _freed_rows(self, grant: str, day: str, now: datetime) -> bool:
        """After a refusal: close what can be closed of ``grant`` on ``day``; True if rows came back.

        Rows held by a crashed process's reservations may be due back.  At most once a second
        per grant, day and process, so a partner at the end of its budget cannot make every
        refusal a reconciliation.
        """
        key = (grant, day)
        if time.monotonic() - self._refusal_swept.get(key, float("-inf")) < 1.0:
            return False
        if len(self._refusal_swept) > 10_000:
            self._refusal_swept.clear()
        self._refusal_swept[key] = time.monotonic()
        try:
            return reconcile(self.store, now, grant=grant, day=day).rows_returned > 0
        except LedgerUnavailable:
            return False

    def _decide(self, subject: Subject, action: str, snap: Snapshot, query: RowsQuery, limit: int,
                request_id: str, client_ip: str | None) -> tuple[Decision, Reservation | None]:
        """Decide (cached), charge the page against the daily budget, and audit the decision.

        A deny — by policy or by the budget — is appended as one record and raised as ``Denied``.
        """
        # an unregistered purpose reaches the policy (and so its reasons and the audit log) only as a digest
        request = {"purpose": audited_purpose(subject, query.purpose), "columns": list(query.columns or [])}
        now = self.clock()
        with self._decide_lock:
            decision = self.point.decide(subject.policy_input(), action, snap.resource, request, {},
                                         now=now.timestamp())
        outcome = "error" if decision.error else ("allow" if decision.allow else "deny")
        reasons = list(decision.reasons)
        failure: LedgerUnavailable | None = None
        try:
            reservation = self._reserve(decision, limit, request_id, now)
        except QuotaExceeded as exc:
            outcome, reasons, reservation = "deny", list(exc.reasons), None
        except LedgerUnavailable as exc:
            outcome, reasons, reservation, failure = "error", [str(exc)], None, exc
        with self.quota.hold(reservation):  # a failed decision append gives the rows back
            self._record_decision(subject, action, snap, query, decision, outcome, reasons, request_id,
                                  client_ip)
        if failure is not None:
            raise failure
        if decision.error:
            raise PolicyError("policy engine unavailable", dataset=snap.dataset)
        if outcome == "deny":
            raise Denied(reasons)
        return decision, reservation

    def read(self, subject: Subject, action: str, dataset: str, query: RowsQuery, *,
             request_id: str | None, client_ip: str | None) -> Delivery:
        """Serve one data request end to end (see the module docstring)."""
        fmt = formats.check_format(query.format)
        snap = self.snapshots.current(dataset)
        limit = self._validate(snap, query)
        if action == "changes" and not query.since:
            raise BadRequest("query parameter `since` is required", parameter="since")
        request_id = request_id or uuid.uuid4().hex
        decision, reservation = self._decide(subject, action, snap, query, limit, request_id, client_ip)
        with self.quota.hold(reservation) as hold:
            # `since` is resolved only once the policy allowed: its errors name the current
            # version, which a subject without a grant must not learn (issue 23, point 5).
            since = self.snapshots.earlier(snap, query.since) if action == "changes" and query.since else None
            delivery, rows = self._deliver(subject, action, snap, query, limit, since, fmt, decision,
                                           request_id, client_ip, hold)
            hold.settle(rows)
        return delivery

    def _deliver(self, subject: Subject, action: str, snap: Snapshot, query: RowsQuery, limit: int,
                 since: Since | None, fmt: str, decision: Decision, request_id: str | None,
                 client_ip: str | None, hold: Hold) -> tuple[Delivery, int]:
        """Plan, run and encode the page under ``decision``; record the delivery.

        ``hold.begin_append()`` comes right before the delivery append (see ``hub.quota``).
        """
        # Never more rows than were charged against the daily budget.
        ob = Obligations(columns=dict(decision.columns), row_filter=decision.row_filter,
                         max_rows=hold.reservation.rows if hold.reservation else (decision.max_rows or 0))
        req = DataRequest(columns=query.columns, filters=list(query.filters), order_by=query.order_by,
                          limit=limit, cursor=query.cursor)
        con = self._con()
        with self.tables.lease(snap.path) as table, self._sealed(con, snap.path, table, since) as (table, since):
            plan = build(snap.path, snap.catalog, ob, req, pads=self.pads_for(subject.id),
                         cursor_secret=self.cursor_secret, since=since, table=table,
                         binding={"subject": subject.id, "dataset": snap.dataset, "version": snap.version,
                                  "action": action, "purpose": query.purpose})
            page = execute.run(con, plan, fmt, self.cursor_secret)
        body = b"".join(formats.encode(fmt, page.table, page.next_cursor))
        hold.begin_append()
        details: dict[str, Any] = {"format": fmt}
        if hold.reservation is not None:
            details["quota_day"] = hold.reservation.day  # hub quota show|verify group deliveries by it
        record = self.append(AuditEvent(
            DATA_DELIVERY, subject=subject.id, action=action, request_id=request_id, dataset=snap.dataset,
            dataset_version=snap.version, purpose=query.purpose, decision="ok", grant=decision.grant,
            policy_revision=decision.revision, obligations_digest=decision.obligations_digest(),
            rows=page.rows, response_sha256=hashlib.sha256(body).hexdigest(), client_ip=client_ip,
            details=details))
        metrics.ROWS_DELIVERED.labels(snap.dataset, fmt).inc(page.rows)
        return Delivery(body, formats.MEDIA_TYPES[fmt], page.rows, snap.version, page.next_cursor,
                        self.receipt(record)), page.rows


@contextmanager
def _registered(con: duckdb.DuckDBPyConnection, sealer: Sealer, path: str) -> Iterator[str | None]:
    """A sealed snapshot registered on ``con`` as Arrow decrypted in memory (None: a plain file DuckDB reads)."""
    if file_kind(path) == "plain":
        yield None
        return
    name = "__hub_sealed_" + hashlib.sha256(path.encode()).hexdigest()[:16]
    con.register(name, sealer.read_table(path))
    try:
        yield name
    finally:
        con.unregister(name)


def audited_purpose(subject: Subject, purpose: str) -> str:
    """The purpose as the audit log keeps it: a registered purpose as it is, anything else as a digest.

    A purpose that is none of the subject's is free text from the caller and may carry a
    personal value (an ID number typed into the wrong field); the record keeps proof of
    what was asked (``unregistered:`` + SHA-256 prefix), never the text itself.
    """
    if purpose in subject.purposes:
        return purpose
    return "unregistered:" + hashlib.sha256(purpose.encode("utf-8")).hexdigest()[:16]


def receipt_header(receipt: dict[str, Any] | None) -> dict[str, str]:
    """``X-Hub-Receipt`` (base64url canonical JSON) when there is a receipt."""
    return {"X-Hub-Receipt": encode_receipt(receipt)} if receipt else {}
