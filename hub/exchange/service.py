"""The per-request exchange flow: decide once, cut the page from a masked view, audit once.

``Exchange.read`` runs one data request (``/rows`` or ``/changes``) for an
authenticated subject: it builds the decision input from the subject, the catalog
entry and the request, asks the policy decision point ONCE and refuses a deny with
403 and its reasons (the deny is appended to the audit log first: one record; 503
when that fails, and when the engine failed).

An allowed request is served from the partner's masked view of the snapshot
(``hub.exchange.views``: masks and jurisdiction filter run by DuckDB once per view,
not once per page; ``hub.exchange.pages`` cuts the page without SQL).  When no view
can be kept (``HUB_EXCHANGE_VIEW_BYTES`` is 0, or the snapshot is larger than what
the exchange holds in memory) one DuckDB query is planned for the page instead
(``hub.exchange.plan``); both paths give the same rows and read each other's cursors.

The page is encoded before it is sent, so the response digest is known before any
byte leaves: the decision record and the delivery record (rows, SHA-256) are
appended together — ONE group-committed audit batch (``AuditLog.append_many``) —
BEFORE the response goes out, and the signed receipt rides in ``X-Hub-Receipt`` for
every format; a failed append is a 503 with no rows.  A request refused after an
allow (a bad filter, say) records the decision alone.  The daily quota: today's row
usage of the subject's grants goes into the decision input
(``context.rows_used_today``, from ``usage.UsageLedger``), and the page size is
reserved against it under the same per-subject lock, so back-to-back and concurrent
requests of a process never overrun a grant's rows per day.
"""

from __future__ import annotations

import atexit
import functools
import hashlib
import threading
import time
from collections.abc import Awaitable, Callable
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import anyio.to_thread
import duckdb

from hub import metrics
from hub.audit.errors import AuditUnavailable
from hub.audit.receipts import encode_receipt, issue_receipt
from hub.audit.record import AuditRecordView
from hub.errors import BadRequest, Forbidden
from hub.events import DATA_DECISION, DATA_DELIVERY, Audit, AuditEvent
from hub.exchange import execute, filters, formats, lookups, pages, usage
from hub.exchange.plan import DEFAULT_PAGE, MAX_PAGE, DataRequest, Obligations, Since, build
from hub.exchange.snapshots import Snapshot, Snapshots
from hub.exchange.tables import SnapshotTables
from hub.exchange.views import ViewKey, Views
from hub.identity import PURPOSE, Subject
from hub.keys import HubKey, KeyStore
from hub.keys import load_secret as load_hub_secret
from hub.policy import Decision, PolicyPoint, RegopyEngine
from hub.policy.decision import PolicyError
from hub.pseudonym import load_secret, pads, partner_key
from hub.settings import Settings
from hub.store.db import Store
from hub.store.models import Grant

MAX_COLUMNS = 200
KEY_RECHECK_S = 1.0  # receipts: how long the current audit key is used before the key store is asked again
SNAPSHOT = "__hub_snapshot"  # the in-memory snapshot, as a planned query names it
_PAGES_FROM_VIEW, _PAGES_FROM_PLAN = metrics.EXCHANGE_PAGES.labels("view"), metrics.EXCHANGE_PAGES.labels("plan")


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
class Prepared:
    """A page ready to leave once its records (``events``: decision, delivery) are durable."""

    body: bytes | memoryview
    format: str
    rows: int
    dataset: str
    version: str
    next_cursor: str | None
    events: list[AuditEvent]
    reservation: usage.Reservation | None


@dataclass
class Delivery:
    body: bytes | memoryview  # a memoryview shares a view's buffer (no copy of a bulk page)
    media_type: str
    rows: int
    version: str
    next_cursor: str | None
    receipt: dict[str, Any] | None


def load_cursor_secret(keys_dir: Path) -> bytes:
    """The hub's cursor-signing secret (32 random bytes, 0600), created on first use."""
    return load_hub_secret(keys_dir, "cursor")


AppendMany = Callable[[list[AuditEvent]], list[object]]
AppendManyAsync = Callable[[list[AuditEvent]], Awaitable[list[object]]]


def _owned(audit: Audit, name: str) -> Any:
    owner = getattr(audit, "__self__", None)
    found = getattr(owner, name, None) or getattr(audit, name, None)
    return found if callable(found) else None


def batch_appender(audit: Audit) -> AppendMany:
    """The ``append_many`` of the audit log behind ``audit`` (its bound ``append``).

    An audit callable with no ``append_many`` (a single-event test fake) gets one call
    per event instead; the hub's own audit log always writes the events together.
    """
    many = _owned(audit, "append_many")
    return many if many is not None else (lambda events: [audit(e) for e in events])  # type: ignore[no-any-return]


def batch_appender_async(audit: Audit) -> AppendManyAsync:
    """``append_many_async`` of the audit log behind ``audit``; else ``batch_appender`` in a worker thread."""
    many = _owned(audit, "append_many_async")
    if many is not None:
        return many  # type: ignore[no-any-return]
    sync = batch_appender(audit)

    async def in_thread(events: list[AuditEvent]) -> list[object]:
        return await anyio.to_thread.run_sync(sync, events)

    return in_thread


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
                 point: PolicyPoint) -> None:
        self.settings, self.store, self.audit, self.keys, self.point = settings, store, audit, keys, point
        self.snapshots = Snapshots(settings, store)
        self.usage = usage.UsageLedger(store)
        atexit.register(self.usage.close)
        self.pseudonym_secret = load_secret(settings.keys_dir)
        self.cursor_secret = load_cursor_secret(settings.keys_dir)
        self._db = duckdb.connect()
        self.tables = SnapshotTables(settings.exchange_memory_rows)
        self.views = Views(self._db, settings.exchange_view_bytes)
        self._append_many = batch_appender(audit)
        self._append_many_async = batch_appender_async(audit)
        self._lookup_columns: dict[str, frozenset[str]] = {}
        self._receipt_key: tuple[float, HubKey] | None = None
        self._local = threading.local()
        self._pads: dict[str, tuple[bytes, bytes]] = {}
        # Embedded regopy evaluates under one lock anyway; deciding one request at a time
        # lets concurrent identical requests hit the cache instead of all missing at once
        # after a policy-data reload.  A remote OPA is left concurrent.
        self._decide_lock: AbstractContextManager[Any] = (
            threading.Lock() if isinstance(point.engine, RegopyEngine) else nullcontext())
        # Reading a subject's usage, deciding and reserving its rows happen under one lock
        # per subject, so two requests of the same subject cannot both spend the same quota.
        self._subject_locks: dict[str, threading.Lock] = {}
        self._subject_locks_guard = threading.Lock()

    def close(self) -> None:
        """Write pending row usage and stop the background writer."""
        self.usage.close()

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

    def append_many(self, events: list[AuditEvent]) -> list[object]:
        """Append ``events`` in one batch; any failure is ``AuditUnavailable`` (the caller refuses)."""
        started = time.perf_counter()
        try:
            return self._append_many(events)
        except Exception as exc:  # noqa: BLE001 - fail closed on anything
            raise AuditUnavailable(f"audit append failed: {exc}") from exc
        finally:
            metrics.AUDIT_APPEND.observe(time.perf_counter() - started)

    async def append_many_async(self, events: list[AuditEvent]) -> list[object]:
        """``append_many`` awaited on the event loop (no worker thread waits for the disk)."""
        started = time.perf_counter()
        try:
            return await self._append_many_async(events)
        except Exception as exc:  # noqa: BLE001 - fail closed on anything
            raise AuditUnavailable(f"audit append failed: {exc}") from exc
        finally:
            metrics.AUDIT_APPEND.observe(time.perf_counter() - started)

    def receipt(self, record: object) -> dict[str, Any] | None:
        """A signed receipt for a delivery record (None when the audit callable returns none)."""
        if not isinstance(record, AuditRecordView):
            return None
        return issue_receipt(record, self._audit_key())

    def _audit_key(self) -> HubKey:
        """The current audit signing key, looked up in the key store at most once per ``KEY_RECHECK_S``.

        A rotation reaches receipts within that time; receipts signed by the key just
        retired still verify (retired keys stay in the published JWKS).
        """
        now = time.monotonic()
        found = self._receipt_key
        if found is None or now - found[0] >= KEY_RECHECK_S:
            found = self._receipt_key = (now, self.keys.current("audit"))
        return found[1]

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

    def _subject_lock(self, subject_id: str) -> threading.Lock:
        with self._subject_locks_guard:
            return self._subject_locks.setdefault(subject_id, threading.Lock())

    def _decide(self, subject: Subject, action: str, snap: Snapshot, query: RowsQuery, limit: int,
                request_id: str | None, client_ip: str | None
                ) -> tuple[Decision, usage.Reservation | None, AuditEvent]:
        """Decide (with today's usage) and reserve the page against the grant's quota.

        A deny is audited here (one record) and raised; an allow returns its decision
        record, appended with the delivery record in one batch (``_deliver``).
        """
        request = {"purpose": query.purpose, "columns": list(query.columns or []), "rows_requested": limit}
        now = datetime.now(UTC)
        reservation = None
        with self._subject_lock(subject.id):
            context = {"client_ip": client_ip, "rows_used_today": self.usage.used_today(subject.id, now)}
            with self._decide_lock:
                decision = self.point.decide(subject.policy_input(), action, snap.resource, request, context)
            if decision.allow and decision.grant:
                page = min(limit, decision.max_rows if decision.max_rows is not None else limit)
                reservation = self.usage.reserve(subject.id, decision.grant, page, now)
        outcome = "error" if decision.error else ("allow" if decision.allow else "deny")
        metrics.DECISIONS.labels(action, outcome).inc()
        event = AuditEvent(
            DATA_DECISION, subject=subject.id, action=action, request_id=request_id, dataset=snap.dataset,
            dataset_version=snap.version, purpose=query.purpose, decision=outcome,
            reasons=list(decision.reasons), grant=decision.grant, policy_revision=decision.revision,
            obligations_digest=decision.obligations_digest(), client_ip=client_ip)
        if outcome == "allow":
            return decision, reservation, event
        with self.usage.given_back_on_failure(reservation):
            self.append(event)
        if decision.error:
            raise PolicyError("policy engine unavailable", dataset=snap.dataset)
        raise Denied(list(decision.reasons))

    def read(self, subject: Subject, action: str, dataset: str, query: RowsQuery, *,
             request_id: str | None, client_ip: str | None) -> Delivery:
        """Serve one data request end to end (see the module docstring)."""
        ready = self.prepare(subject, action, dataset, query, request_id=request_id, client_ip=client_ip)
        with self.usage.given_back_on_failure(ready.reservation):
            records = self.append_many(ready.events)
        return self.finish(ready, records)

    async def read_async(self, subject: Subject, action: str, dataset: str, query: RowsQuery, *,
                         request_id: str | None, client_ip: str | None) -> Delivery:
        """``read`` for the event loop: one worker-thread hop for the page, the audit batch awaited."""
        ready = await anyio.to_thread.run_sync(functools.partial(
            self.prepare, subject, action, dataset, query, request_id=request_id, client_ip=client_ip))
        with self.usage.given_back_on_failure(ready.reservation):
            records = await self.append_many_async(ready.events)
        return self.finish(ready, records)

    def prepare(self, subject: Subject, action: str, dataset: str, query: RowsQuery, *,
                request_id: str | None, client_ip: str | None) -> Prepared:
        """Decide, reserve and encode the page; the records to append before it leaves (not appended yet)."""
        fmt = formats.check_format(query.format)
        snap = self.snapshots.current(dataset)
        limit = self._validate(snap, query)
        since = None
        if action == "changes":
            if not query.since:
                raise BadRequest("query parameter `since` is required", parameter="since")
            since = self.snapshots.earlier(snap, query.since)
        decision, reservation, decided = self._decide(subject, action, snap, query, limit, request_id, client_ip)
        with self.usage.given_back_on_failure(reservation):
            return self._deliver(subject, action, snap, query, limit, since, fmt, decision, decided, reservation)

    def finish(self, ready: Prepared, records: list[object]) -> Delivery:
        """The delivery once its records are durable: count the rows against the quota, sign the receipt."""
        if ready.reservation is not None:
            self.usage.settle(ready.reservation, ready.rows)
        metrics.ROWS_DELIVERED.labels(ready.dataset, ready.format).inc(ready.rows)
        return Delivery(ready.body, formats.MEDIA_TYPES[ready.format], ready.rows, ready.version,
                        ready.next_cursor, self.receipt(records[-1]))

    def lookup_columns(self, grant_id: str | None) -> frozenset[str]:
        """The lookup columns of grant ``grant_id`` (a grant's terms never change once made)."""
        if not grant_id:
            return frozenset()
        found = self._lookup_columns.get(grant_id)
        if found is None:
            with self.store.session() as session:
                grant = session.get(Grant, grant_id)
                found = frozenset(grant.lookup_columns or []) if grant is not None else frozenset()
            self._lookup_columns[grant_id] = found
        return found

    def _page(self, subject: Subject, action: str, snap: Snapshot, query: RowsQuery, limit: int,
              since: Since | None, fmt: str, decision: Decision
              ) -> tuple[bytes | memoryview, int, str | None, list[lookups.Lookup]]:
        """The encoded page under ``decision``: from the masked view, or one planned query without one."""
        ob = Obligations(columns=dict(decision.columns), row_filter=decision.row_filter,
                         max_rows=decision.max_rows or 0)
        req = DataRequest(columns=query.columns, filters=list(query.filters), order_by=query.order_by,
                          limit=limit, cursor=query.cursor)
        pads = self.pads_for(subject.id)
        con = self._con()
        found = lookups.resolve(con, filters.parse_all(req.filters), ob.columns,
                                self.lookup_columns(decision.grant), pads)
        binding = {"subject": subject.id, "dataset": snap.dataset, "version": snap.version, "action": action,
                   "purpose": query.purpose}
        snapshot = self.tables.table(snap.path)
        if snapshot is not None and self.views.budget > 0:
            view = self.views.view(ViewKey.of(snap.path, since, subject.id, snap.catalog, ob), snapshot,
                                   snap.catalog, pads, since)
            page = pages.select(con, self.views, view, snap.catalog, ob, req, cursor_secret=self.cursor_secret,
                                binding=binding, since=since, lookups=found)
            _PAGES_FROM_VIEW.inc()
            if fmt in ("json", "ndjson"):
                body = formats.encode_lines(fmt, page.json_lines(self.views), page.next_cursor)
            else:
                body = formats.encode_table(fmt, page.arrow(), page.next_cursor)
            return body, page.rows, page.next_cursor, found
        plan = build(snap.path, snap.catalog, ob, req, pads=pads, cursor_secret=self.cursor_secret, since=since,
                     table=SNAPSHOT if snapshot is not None else None, binding=binding, lookups=found)
        if snapshot is not None:
            con.register(SNAPSHOT, snapshot)
        try:
            result = execute.run(con, plan, fmt, self.cursor_secret)
        finally:
            if snapshot is not None:
                con.unregister(SNAPSHOT)
        _PAGES_FROM_PLAN.inc()
        body = formats.encode_table(fmt, result.table, result.next_cursor)
        return body, result.rows, result.next_cursor, found

    def _deliver(self, subject: Subject, action: str, snap: Snapshot, query: RowsQuery, limit: int,
                 since: Since | None, fmt: str, decision: Decision, decided: AuditEvent,
                 reservation: usage.Reservation | None) -> Prepared:
        """The encoded page under ``decision`` with its decision and delivery records (one batch)."""
        try:
            body, rows, next_cursor, found = self._page(subject, action, snap, query, limit, since, fmt, decision)
        except BaseException:
            self.append(decided)  # refused after the allow (a bad filter, say): the decision alone
            raise
        details: dict[str, Any] = {"format": fmt}
        if found:
            details["lookups"] = [lk.audit() for lk in found]
        delivered = AuditEvent(
            DATA_DELIVERY, subject=subject.id, action=action, request_id=decided.request_id, dataset=snap.dataset,
            dataset_version=snap.version, purpose=query.purpose, decision="ok", grant=decision.grant,
            policy_revision=decision.revision, obligations_digest=decided.obligations_digest,
            rows=rows, response_sha256=hashlib.sha256(body).hexdigest(), client_ip=decided.client_ip,
            details=details)
        return Prepared(body, fmt, rows, snap.dataset, snap.version, next_cursor, [decided, delivered], reservation)


def receipt_header(receipt: dict[str, Any] | None) -> dict[str, str]:
    """``X-Hub-Receipt`` (base64url canonical JSON) when there is a receipt."""
    return {"X-Hub-Receipt": encode_receipt(receipt)} if receipt else {}
