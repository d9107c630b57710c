"""The per-request exchange flow: decide (cached), reserve, cut the page from a masked view, audit once.

``Exchange.read`` runs one data request (``/rows`` or ``/changes``) for an
authenticated subject: it builds the decision input from the subject, the catalog
entry and the request and asks the policy decision point ONCE (a cached decision
when one is valid, ``hub.policy.point``); under a grant it charges the page's rows
against the grant's daily budget in the metadata store (``hub.quota``: one atomic
statement shared by every API process, refused whole with a 403 naming the budget
when the page does not fit).  A deny — by policy or by the budget — is appended to
the audit log as one record and refused with 403 and its reasons (503 when the
append fails, and when the engine or the ledger failed).

An allowed request is served from the partner's masked view of the snapshot
(``hub.exchange.views``: masks and jurisdiction filter run by DuckDB once per view,
not once per page; ``hub.exchange.pages`` cuts the page without SQL).  When no view
can be kept (``HUB_EXCHANGE_VIEW_BYTES`` is 0, or the snapshot is larger than what
the exchange holds in memory) one DuckDB query is planned for the page instead
(``hub.exchange.plan``); both paths give the same rows and read each other's cursors.

The page is encoded before it is sent, so the response digest is known before any
byte leaves: the decision record and the delivery record (rows, SHA-256, the quota
day) are appended together — ONE group-committed audit batch
(``AuditLog.append_many``) — BEFORE the response goes out, and the signed receipt
rides in ``X-Hub-Receipt`` for every format; a failed append is a 503 with no rows.
A request refused after an allow (a bad filter, say) records the decision alone, its
last reason saying why nothing was delivered (``not delivered: 400 bad request (parameter `filter`)``).
The reservation is then settled with the rows delivered; one that fails before its
audit batch began is given back at once (``Hold``), one whose batch may have landed is
left to reconciliation with the audit log (``hub.quota.reconcile``).
"""

from __future__ import annotations

import asyncio
import atexit
import functools
import hashlib
import threading
import time
import uuid
from collections.abc import Awaitable, Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import AbstractContextManager, contextmanager, nullcontext
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import anyio.to_thread
import duckdb
import pyarrow as pa

from hub import inline, metrics
from hub.audit.errors import AuditUnavailable
from hub.audit.log import append_bound_s
from hub.audit.receipts import encode_receipt, issue_receipt
from hub.audit.record import AuditRecordView, EncodedDetails
from hub.errors import BadRequest, Forbidden, HubError
from hub.events import DATA_DECISION, DATA_DELIVERY, Audit, AuditEvent
from hub.exchange import execute, filters, fingerprints, formats, lookups, pages
from hub.exchange.plan import DEFAULT_PAGE, MAX_PAGE, DataRequest, Obligations, Since, build
from hub.exchange.snapshots import Snapshot, Snapshots
from hub.exchange.tables import SnapshotTables
from hub.exchange.views import ViewKey, Views
from hub.identity import PURPOSE, Subject
from hub.keys import HubKey, KeyStore
from hub.keys import load_secret as load_hub_secret
from hub.kms.parquet import file_kind
from hub.policy import Decision, PolicyPoint, RegopyEngine
from hub.policy.decision import PolicyError
from hub.policy.rules.replay_input import replay_details
from hub.pseudonym import load_secret, pads, partner_key
from hub.quota import Hold, Ledger, LedgerUnavailable, QuotaExceeded, Reservation, Sweeper, quota_day, reconcile
from hub.settings import Settings
from hub.store.db import Store
from hub.store.models import Grant

MAX_COLUMNS = 200
PREPARE_THREADS = 40  # the pages prepared at once (as many as anyio's default worker threads)
KEY_RECHECK_S = 1.0  # receipts: how long the current audit key is used before the key store is asked again
SNAPSHOT = "__hub_snapshot"  # the in-memory snapshot, as a planned query names it
_PAGES_FROM_VIEW, _PAGES_FROM_PLAN = metrics.EXCHANGE_PAGES.labels("view"), metrics.EXCHANGE_PAGES.labels("plan")
_ON_LOOP, _IN_THREAD = metrics.EXCHANGE_PREPARED.labels("loop"), metrics.EXCHANGE_PREPARED.labels("thread")


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
    hold: Hold  # its append has begun (``Hold.begin_append``): settle it once the events are durable


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
        self.tables = SnapshotTables(settings.exchange_memory_rows, read=sealer.read_table, count=sealer.num_rows)
        self.views = Views(self._db, settings.exchange_view_bytes)
        self._append_many = batch_appender(audit)
        self._append_many_async = batch_appender_async(audit)
        self._lookup_columns: dict[str, frozenset[str]] = {}
        self._receipt_key: tuple[float, HubKey] | None = None
        self._local = threading.local()
        self._pool = ThreadPoolExecutor(PREPARE_THREADS, thread_name_prefix="exchange")
        self._pads: dict[str, tuple[bytes, bytes]] = {}
        self._details: dict[tuple[Subject, str, tuple[str, ...]], EncodedDetails] = {}
        self.prepared_inline = 0  # pages prepared on the event loop (``read_async``; tests)
        # Embedded regopy evaluates under one lock anyway; deciding one request at a time
        # lets concurrent identical requests hit the cache instead of all missing at once
        # after a policy-data reload.  A remote OPA is left concurrent.
        self._decide_lock: AbstractContextManager[Any] = (
            threading.Lock() if isinstance(point.engine, RegopyEngine) else nullcontext())

    @contextmanager
    def _deciding(self) -> Iterator[None]:
        """The decide lock (embedded regopy); not taken on the event loop (``hub.inline``), where only a
        cached decision is used (its cache has a lock of its own) and a miss gives up before evaluating."""
        if inline.active():
            yield
            return
        with self._decide_lock:
            yield

    def close(self) -> None:
        """Stop the background reconciliation of quota reservations; close the ledger."""
        self.sweeper.stop()
        self._pool.shutdown(wait=True)
        self.quota.dispose()

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
                request_id: str, client_ip: str | None) -> tuple[Decision, Reservation | None, AuditEvent]:
        """Decide (cached) and charge the page against the daily budget.

        A deny — by policy or by the budget — is appended here as one record and raised
        as ``Denied``; an allow returns its decision record, appended with the delivery
        record in one batch (``_deliver``).
        """
        # an unregistered purpose reaches the policy, its reasons and the audit record (replay input
        # included) only as a digest: it is the caller's free text (issue 17)
        request = decision_request(subject, query)
        now = self.clock()
        with self._deciding():
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
        if outcome != "allow":
            inline.check("audit append of a refusal")  # before the refusal is counted or recorded
        metrics.DECISIONS.labels(action, outcome).inc()
        event = AuditEvent(
            DATA_DECISION, subject=subject.id, action=action, request_id=request_id, dataset=snap.dataset,
            dataset_version=snap.version, purpose=request["purpose"], decision=outcome, reasons=reasons,
            grant=decision.grant, policy_revision=decision.revision,
            obligations_digest=decision.obligations_digest(), client_ip=client_ip,
            details=self._decision_details(subject, query, request))
        if outcome == "allow":
            return decision, reservation, event
        self.append(event)
        if failure is not None:
            raise failure
        if decision.error:
            raise PolicyError("policy engine unavailable", dataset=snap.dataset)
        raise Denied(reasons)

    def _decision_details(self, subject: Subject, query: RowsQuery, request: dict[str, Any]) -> dict[str, Any]:
        """A decision record's ``details``: the query's lookup fingerprints (enumeration detection,
        ``hub.awareness``) and the decision input for impact replay (``hub.policy.rules``).

        Without filters they are the same for every request of a subject with a purpose and
        columns: encoded for the audit log once (``EncodedDetails``) and kept.
        """
        lookups = fingerprints.details(self.cursor_secret, query)
        if lookups:
            return {**lookups, **replay_details(subject.policy_input(), request, {})}
        key = (subject, request["purpose"], tuple(request["columns"]))
        found = self._details.get(key)
        if found is None:
            if len(self._details) >= 4096:
                self._details.clear()
            found = self._details[key] = EncodedDetails(replay_details(subject.policy_input(), request, {}))
        return found

    def read(self, subject: Subject, action: str, dataset: str, query: RowsQuery, *,
             request_id: str | None, client_ip: str | None) -> Delivery:
        """Serve one data request end to end (see the module docstring)."""
        ready = self.prepare(subject, action, dataset, query, request_id=request_id, client_ip=client_ip)
        try:
            records = self.append_many(ready.events)
        except BaseException:
            ready.hold.abandon()
            raise
        return self.finish(ready, records)

    async def read_async(self, subject: Subject, action: str, dataset: str, query: RowsQuery, *,
                         request_id: str | None, client_ip: str | None) -> Delivery:
        """``read`` for the event loop: the page prepared on the loop when nothing has to wait for it
        (``hub.inline``), else in a worker thread; the audit batch awaited."""
        ready: Prepared | None = None
        if action == "read" and not query.filters:  # filters and /changes may run DuckDB: a thread's work
            try:
                with inline.attempt():
                    ready = self.prepare(subject, action, dataset, query, request_id=request_id,
                                         client_ip=client_ip)
                self.prepared_inline += 1
                _ON_LOOP.inc()
            except inline.WouldBlock:
                ready = None
        if ready is None:
            _IN_THREAD.inc()
            # a pool of the exchange's own: anyio's ``to_thread`` (capacity limiter, cancel scopes) cost
            # ≈ 13 % of a 100-row request's CPU on the event loop (issue 13's profile)
            ready = await asyncio.get_running_loop().run_in_executor(self._pool, functools.partial(
                self.prepare, subject, action, dataset, query, request_id=request_id, client_ip=client_ip))
        try:
            records = await self.append_many_async(ready.events)
        except BaseException:
            ready.hold.abandon()
            raise
        return self.finish(ready, records)

    def prepare(self, subject: Subject, action: str, dataset: str, query: RowsQuery, *,
                request_id: str | None, client_ip: str | None) -> Prepared:
        """Decide, reserve and encode the page; the records to append before it leaves (not appended yet).

        The returned page's reservation has begun its append (``Hold.begin_append``): if the
        audit batch then fails, reconciliation closes the reservation from the audit log.
        """
        fmt = formats.check_format(query.format)
        snap = self.snapshots.current(dataset)
        limit = self._validate(snap, query)
        if action == "changes" and not query.since:
            raise BadRequest("query parameter `since` is required", parameter="since")
        request_id = request_id or uuid.uuid4().hex
        decision, reservation, decided = self._decide(subject, action, snap, query, limit, request_id, client_ip)
        with self.quota.hold(reservation) as hold:  # given back if the page fails before its append
            ready = self._deliver(subject, action, snap, query, limit, fmt, decision, decided, hold)
            try:
                hold.begin_append()
            except LedgerUnavailable as exc:  # the lease ran out while the page was built: the decision alone
                inline.check("audit append of a refusal")
                self.append(undelivered(decided, exc))
                raise
        return ready

    def finish(self, ready: Prepared, records: list[object]) -> Delivery:
        """The delivery once its records are durable: settle the reservation, sign the receipt."""
        ready.hold.settle(ready.rows)
        metrics.ROWS_DELIVERED.labels(ready.dataset, ready.format).inc(ready.rows)
        return Delivery(ready.body, formats.MEDIA_TYPES[ready.format], ready.rows, ready.version,
                        ready.next_cursor, self.receipt(records[-1]))

    def lookup_columns(self, grant_id: str | None) -> frozenset[str]:
        """The lookup columns of grant ``grant_id`` (a grant's terms never change once made)."""
        if not grant_id:
            return frozenset()
        found = self._lookup_columns.get(grant_id)
        if found is None:
            inline.check("grant lookup in the store")
            with self.store.session() as session:
                grant = session.get(Grant, grant_id)
                found = frozenset(grant.lookup_columns or []) if grant is not None else frozenset()
            self._lookup_columns[grant_id] = found
        return found

    def _page(self, subject: Subject, action: str, snap: Snapshot, query: RowsQuery, limit: int,
              since: Since | None, fmt: str, decision: Decision, reservation: Reservation | None
              ) -> tuple[bytes | memoryview, int, str | None, list[lookups.Lookup]]:
        """The encoded page under ``decision``: from the masked view, or one planned query without one."""
        # Never more rows than were charged against the daily budget.
        ob = Obligations(columns=dict(decision.columns), row_filter=decision.row_filter,
                         max_rows=reservation.rows if reservation is not None else (decision.max_rows or 0))
        req = DataRequest(columns=query.columns, filters=list(query.filters), order_by=query.order_by,
                          limit=limit, cursor=query.cursor)
        pads = self.pads_for(subject.id)
        con = self._con()
        found = lookups.resolve(con, filters.parse_all(req.filters), ob.columns,
                                self.lookup_columns(decision.grant), pads)
        binding = {"subject": subject.id, "dataset": snap.dataset, "version": snap.version, "action": action,
                   "purpose": query.purpose}
        snapshot = self.tables.table(snap.path)
        if since is not None:
            since = self._earlier(since)
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
        inline.check("a planned query")  # no view kept for it: DuckDB runs the page
        if snapshot is None:
            snapshot = self.decrypted(snap.path)  # too large to hold: a sealed file is decrypted for this page
        plan = build(snap.path, snap.catalog, ob, req, pads=pads, cursor_secret=self.cursor_secret, since=since,
                     table=SNAPSHOT if snapshot is not None else None, binding=binding, lookups=found)
        earlier = (since.table, since.earlier) if since is not None else (None, None)
        with registered(con, SNAPSHOT, snapshot), registered(con, *earlier):
            result = execute.run(con, plan, fmt, self.cursor_secret)
        _PAGES_FROM_PLAN.inc()
        body = formats.encode_table(fmt, result.table, result.next_cursor)
        return body, result.rows, result.next_cursor, found

    def decrypted(self, path: str) -> pa.Table | None:
        """A sealed snapshot the memory tables do not hold, decrypted in memory (None: a plain file,
        which DuckDB reads itself)."""
        return None if file_kind(path) == "plain" else self.snapshots.sealer.read_table(path)

    def _earlier(self, since: Since) -> Since:
        """``since`` with a sealed earlier version decrypted in memory, to be registered as ``since.table``."""
        if file_kind(since.path) == "plain":
            return since
        earlier = self.tables.table(since.path)
        if earlier is None:
            earlier = self.snapshots.sealer.read_table(since.path)
        name = "__hub_earlier_" + hashlib.sha256(since.path.encode()).hexdigest()[:16]
        return replace(since, table=name, earlier=earlier)

    def _deliver(self, subject: Subject, action: str, snap: Snapshot, query: RowsQuery, limit: int, fmt: str,
                 decision: Decision, decided: AuditEvent, hold: Hold) -> Prepared:
        """The encoded page under ``decision`` with its decision and delivery records (one batch)."""
        try:
            # `since` is resolved only once the policy allowed: its errors name the current
            # version, which a subject without a grant must not learn (issue 23, point 5).
            since = self.snapshots.earlier(snap, query.since) if action == "changes" and query.since else None
            body, rows, next_cursor, found = self._page(subject, action, snap, query, limit, since, fmt, decision,
                                                        hold.reservation)
        except inline.WouldBlock:
            raise  # not refused: the request is run again in a worker thread (``read_async``)
        except BaseException as exc:
            # refused after the allow (a bad cursor, say): the decision alone — recorded from a worker
            # thread, never on the event loop, which would wait for the audit log's commit
            inline.check("audit append of a refusal")
            self.append(undelivered(decided, exc))
            raise
        details: dict[str, Any] = {"format": fmt}
        if hold.reservation is not None:
            details["quota_day"] = hold.reservation.day  # hub quota show|verify group deliveries by it
            if hold.reservation.lease is not None:
                details["quota_lease"] = hold.reservation.lease  # reconciliation of the lease counts it
        if found:
            details["lookups"] = [lk.audit() for lk in found]
        delivered = AuditEvent(
            DATA_DELIVERY, subject=subject.id, action=action, request_id=decided.request_id, dataset=snap.dataset,
            dataset_version=snap.version, purpose=query.purpose, decision="ok", grant=decision.grant,
            policy_revision=decision.revision, obligations_digest=decided.obligations_digest,
            rows=rows, response_sha256=hashlib.sha256(body).hexdigest(), client_ip=decided.client_ip,
            details=details)
        return Prepared(body, fmt, rows, snap.dataset, snap.version, next_cursor, [decided, delivered], hold)


def undelivered(decided: AuditEvent, exc: BaseException | None) -> AuditEvent:
    """An allow's record when the request failed after it: the policy's reasons, then why no row left.

    The decision stays ``allow`` (that is what the policy decided, and what impact replay
    compares); the last reason tells an auditor the request ended in an error instead.
    """
    if isinstance(exc, HubError):
        # status, title and the parameter at fault, not the message: a message may quote what the
        # caller sent (a `since` version, a column name), and the caller's free text stays out of
        # the audit log (as an unregistered purpose does)
        parameter = exc.context.get("parameter")
        why = f"{exc.status} {exc.title}" + (f" (parameter `{parameter}`)" if isinstance(parameter, str) else "")
    else:
        why = type(exc).__name__ if exc is not None else "unknown"
    return replace(decided, reasons=[*decided.reasons, f"not delivered: {why}"])


def decision_request(subject: Subject, query: RowsQuery) -> dict[str, Any]:
    """The ``request`` member of a data request's decision input (the purpose as ``audited_purpose``)."""
    return {"purpose": audited_purpose(subject, query.purpose), "columns": list(query.columns or [])}


def audited_purpose(subject: Subject, purpose: str) -> str:
    """The purpose as the audit log keeps it: a registered purpose as it is, anything else as a digest.

    A purpose that is none of the subject's is free text from the caller and may carry a
    personal value (an ID number typed into the wrong field); the record keeps proof of
    what was asked (``unregistered:`` + SHA-256 prefix), never the text itself.
    """
    if purpose in subject.purposes:
        return purpose
    return "unregistered:" + hashlib.sha256(purpose.encode("utf-8")).hexdigest()[:16]


@contextmanager
def registered(con: duckdb.DuckDBPyConnection, name: str | None, table: pa.Table | None) -> Iterator[None]:
    """``table`` registered on ``con`` as ``name`` for the block (nothing when either is None)."""
    if name is None or table is None:
        yield
        return
    con.register(name, table)
    try:
        yield
    finally:
        con.unregister(name)


def receipt_header(receipt: dict[str, Any] | None) -> dict[str, str]:
    """``X-Hub-Receipt`` (base64url canonical JSON) when there is a receipt."""
    return {"X-Hub-Receipt": encode_receipt(receipt)} if receipt else {}
