"""The ``huitong`` kind: datasets of another hub (上下贯通), pulled through its exchange API.

A hub is registered at another hub as a partner — its own key pair, clearance,
jurisdiction, purposes — and reads there under grants two of that hub's officers
approved, exactly as any partner does: every page is decided, masked, quota-bound and
audited at the origin.  This connector is that partner's client:

* it authenticates with ``private_key_jwt`` (RFC 7523: an assertion signed by the key
  registered at the origin) and reads each configured dataset in Arrow;
* incrementally: the cursor is the origin version last loaded (``pulled_version``);
  the next read asks ``/changes?since=<it>`` and loads only rows added or changed; a
  first read — or a ``since`` the origin retired (410) or no longer knows — is a full
  read of ``/rows``;
* it verifies EVERY page's receipt (``X-Hub-Receipt``, a JWS) against the origin's
  published audit keys (``/.well-known/audit-jwks.json``), or only against the keys
  pinned in the config (``audit_jwks``, received out of band: then even an attacker
  who serves both keys and receipts on the channel is caught) — signature, and that it
  states exactly this page: request id, subject, dataset, version, row count and the
  SHA-256 of the bytes received.  A receipt that does not verify raises before the page
  is handed on, so the load's one transaction rolls back: nothing half-written, the
  last good version stays;
* the rows land as ``raw_remote_<hub>.<schema>__<table>`` (the hub.yaml source is named
  ``remote_<hub>``) and are published here under the remote hub as provider
  (``<hub>.<schema>__<table>``) once an officer reviewed the entry;
* the committed cursor carries the provenance — origin hub and URL, dataset, version,
  level and sharing type there, the grant, the masks the grant implies, the receipts of
  this pull (JWS) — atomically with the rows; the catalog records it and never rates
  the dataset below its origin's level and sharing type (就高从严, ``catalog.entries``).

A refusal by the origin (no grant, a revoked or expired grant, a lockdown, an unknown
dataset) is terminal and says so; the origin being down or rate-limiting is retried
with backoff and then ``SourceUnavailable``.  A row deleted at the origin is not
deleted here: ``/changes`` reports rows added or changed only.

    sources:
      remote_county_330106:
        connector: huitong
        hub: county_330106                     # the origin's federation name
        name_zh: 西湖区汇通节点
        url: https://hub.xihu.example
        client_id: partner:zj_province         # as registered there
        key_path: /etc/hub/keys/at-county_330106.pem
        purpose: case-verification
        datasets:
          - dataset: clues.duplicate_subsidy
            primary_key: [payment_id]
            columns: {payment_id: bigint, recipient_id_number: varchar, ...}

The HTTP part is small on purpose (token, bounded retries, problem details); the
partner client the hub ships for other partners is the general one.
"""

from __future__ import annotations

import hashlib
import json
import random
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, quote, urlsplit

import httpx
import jwt
import pyarrow as pa
from pydantic import BaseModel, Field, field_validator, model_validator

from connectors.conform import conform
from connectors.draft import Draft
from connectors.errors import ConnectorConfigError, ConnectorError, SourceUnavailable
from connectors.provider import Provider, check_code
from connectors.schema import arrow_schema
from connectors.sdk import ConnectorDef, Incremental, Reject, Resource, Source, pulled_version, resource

RETRY_STATUS = frozenset({429, 502, 503, 504})
AUDIT_JWKS = "/.well-known/audit-jwks.json"
ASSERTION_TYPE = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"
MAX_RETRY_AFTER_S = 30.0


class OriginRefused(ConnectorError):
    """The origin hub refused the pull (no grant, revoked, locked down, unknown dataset): terminal."""

    status = 403
    title = "origin hub refused the pull"


class ReceiptRejected(ConnectorError):
    """A delivery receipt that does not verify: the load stops, nothing of it is kept."""

    title = "receipt rejected"


class RemoteDataset(BaseModel):
    """One dataset of the origin: its id there, the columns (types as received) and key."""

    model_config = {"extra": "forbid"}

    dataset: str = Field(pattern=r"^[a-z][a-z0-9_]*\.[a-z_][a-z0-9_]*$")
    columns: dict[str, str] = Field(min_length=1)
    primary_key: list[str] = Field(min_length=1)
    draft: Draft | None = None

    @property
    def table(self) -> str:
        """The table it lands in: ``<schema>__<table>``."""
        return self.dataset.replace(".", "__")


class HuitongConfig(BaseModel):
    """Config of a remote hub: where it is, who this hub is there, what it pulls."""

    model_config = {"extra": "forbid"}

    source: str = Field(default="", pattern=r"^$|^[a-z_][a-z0-9_]*$")  # the hub.yaml name: remote_<hub>
    hub: str  # the origin's federation name (its datasets are published here under it)
    name_zh: str = ""  # the origin's Chinese name (its provider entry here)
    url: str = Field(pattern=r"^https?://")
    client_id: str = Field(pattern=r"^partner:[a-z0-9][a-z0-9._-]{0,63}$")
    key_path: Path  # this hub's private key (PEM) registered at the origin
    audience: str | None = None  # the origin's token URL when it differs from <url>/oauth/token
    # the origin's audit keys (its /.well-known/audit-jwks.json, a JWKS or PEM) received out of band:
    # receipts then verify only against them, never against keys served on the channel they came by
    audit_jwks: Path | None = None
    purpose: str = Field(pattern=r"^[a-z0-9][a-z0-9_-]{0,63}$")
    datasets: list[RemoteDataset] = Field(min_length=1)
    page_size: int = Field(default=10_000, ge=1, le=100_000)
    timeout_s: float = Field(default=60.0, gt=0)
    max_attempts: int = Field(default=5, ge=1, le=20)
    backoff_s: float = Field(default=0.5, ge=0)

    @field_validator("hub")
    @classmethod
    def _hub(cls, value: str) -> str:
        return check_code(value)

    @model_validator(mode="after")
    def _names(self) -> HuitongConfig:
        if self.source and self.source != f"remote_{self.hub}":
            raise ValueError(f"the source of hub `{self.hub}` is named `remote_{self.hub}` in hub.yaml (its tables "
                             f"land in raw_remote_{self.hub}), not `{self.source}`")
        tables = [d.table for d in self.datasets]
        if len(set(tables)) != len(tables):
            raise ValueError("a dataset is listed twice")
        return self

    @property
    def token_url(self) -> str:
        return self.audience or f"{self.url.rstrip('/')}/oauth/token"


def make_transport() -> httpx.BaseTransport | None:
    """The HTTP transport (None: httpx's own).  The tests' network attacker replaces it."""
    return None


# --- the HTTP part ----------------------------------------------------------------------


class _Remote:
    """The origin's API as this hub's partner client: token, GETs with bounded retries."""

    def __init__(self, config: HuitongConfig) -> None:
        self.config = config
        self.http = httpx.Client(base_url=config.url.rstrip("/"), timeout=config.timeout_s,
                                 transport=make_transport(), headers={"User-Agent": "huitong-connector/1"})
        self._token: str | None = None

    def close(self) -> None:
        self.http.close()

    def _key(self) -> Any:
        from cryptography.hazmat.primitives.serialization import load_pem_private_key

        try:
            return load_pem_private_key(self.config.key_path.read_bytes(), password=None)
        except (OSError, ValueError, TypeError) as exc:
            raise ConnectorConfigError(f"hub `{self.config.hub}`: the key `{self.config.key_path}` registered "
                                       f"there is unusable: {exc}") from None

    def _assertion(self) -> str:
        now = int(datetime.now(UTC).timestamp())
        claims = {"iss": self.config.client_id, "sub": self.config.client_id, "aud": self.config.token_url,
                  "iat": now, "exp": now + 60, "jti": uuid.uuid4().hex}
        return jwt.encode(claims, self._key(), algorithm="EdDSA")

    def token(self) -> str:
        if self._token is None:
            form = {"grant_type": "client_credentials", "client_assertion_type": ASSERTION_TYPE,
                    "client_assertion": self._assertion()}
            response = self._send(lambda: self.http.post("/oauth/token", data=form), "POST /oauth/token")
            if response.status_code != 200:
                raise OriginRefused(f"hub `{self.config.hub}` refused this hub's credentials "
                                    f"({self.config.client_id}): HTTP {response.status_code} {_detail(response)} — "
                                    "is this hub's public key registered there as that partner?")
            self._token = str(response.json()["access_token"])
        return self._token

    def _send(self, request: Callable[[], httpx.Response], what: str) -> httpx.Response:
        last = ""
        for attempt in range(self.config.max_attempts):
            try:
                response = request()
            except httpx.TransportError as exc:
                last, wait = type(exc).__name__, None
            else:
                if response.status_code not in RETRY_STATUS:
                    return response
                last, wait = f"HTTP {response.status_code}", response.headers.get("retry-after")
            if attempt + 1 < self.config.max_attempts:
                time.sleep(self._delay(attempt, wait))
        raise SourceUnavailable(f"hub `{self.config.hub}` at {self.config.url}: {what} failed "
                                f"{self.config.max_attempts} times (last: {last})")

    def _delay(self, attempt: int, retry_after: str | None) -> float:
        if retry_after and retry_after.strip().isdigit():
            return min(float(retry_after), MAX_RETRY_AFTER_S)
        return random.uniform(0, self.config.backoff_s * 2 ** attempt)  # noqa: S311 - jitter, not secrecy

    def get(self, path: str, params: list[tuple[str, Any]] | None = None, *, auth: bool = True) -> httpx.Response:
        """A GET (a 401 on a cached token gets one more try with a new token)."""
        for fresh in (False, True):
            headers = {"Authorization": f"Bearer {self.token()}"} if auth else {}

            def send(h: dict[str, str] = headers) -> httpx.Response:
                return self.http.get(path, params=params, headers=h)

            response = self._send(send, f"GET {path}")
            if response.status_code != 401 or not auth or fresh:
                return response
            self._token = None
        raise AssertionError("unreachable")  # pragma: no cover

    def json(self, path: str, params: list[tuple[str, Any]] | None = None, *, auth: bool = True) -> Any:
        response = self.get(path, params, auth=auth)
        if response.status_code != 200:
            raise _refusal(self.config, response, f"GET {path}")
        return response.json()


def _detail(response: httpx.Response) -> str:
    try:
        body = response.json()
    except ValueError:
        return response.text[:300]
    if not isinstance(body, dict):
        return str(body)[:300]
    reasons = body.get("reasons") or []
    return str(body.get("detail", "")) + (f" (reasons: {'; '.join(map(str, reasons))})" if reasons else "")


def _refusal(config: HuitongConfig, response: httpx.Response, what: str) -> ConnectorError:
    status = response.status_code
    text = f"hub `{config.hub}` answered {what} with HTTP {status}: {_detail(response)}"
    return OriginRefused(text) if status in (401, 403, 404) else ConnectorError(text)


# --- receipts ---------------------------------------------------------------------------


@dataclass
class _Page:
    body: bytes
    version: str
    request_id: str
    receipt: str
    next_cursor: str | None


def _page(response: httpx.Response) -> _Page:
    cursor = None
    link = response.headers.get("link", "")
    if 'rel="next"' in link:
        target = link[link.index("<") + 1:link.index(">")]
        cursor = (parse_qs(urlsplit(target).query).get("cursor") or [None])[0]
    return _Page(response.content, response.headers.get("x-hub-dataset-version", ""),
                 response.headers.get("x-hub-request-id", ""), response.headers.get("x-hub-receipt", ""), cursor)


class _Receipts:
    """Verifies receipts against the origin's audit keys: pinned (``audit_jwks``), or as published
    there (fetched again on an unknown key)."""

    def __init__(self, remote: _Remote) -> None:
        self.remote = remote
        self.pinned = remote.config.audit_jwks is not None
        self.keys = self._pinned() if self.pinned else self._fetch()

    def _pinned(self) -> dict[str, Any]:
        from hub.audit.errors import EvidenceError
        from hub.audit.pubkeys import parse_public_keys

        path = self.remote.config.audit_jwks
        assert path is not None
        try:
            return parse_public_keys(path.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, EvidenceError) as exc:
            raise ConnectorConfigError(f"hub `{self.remote.config.hub}`: the pinned audit keys `{path}` are "
                                       f"unusable: {exc}") from None

    def _fetch(self) -> dict[str, Any]:
        from hub.audit.pubkeys import parse_public_keys

        response = self.remote.get(AUDIT_JWKS, auth=False)
        if response.status_code != 200:
            raise _refusal(self.remote.config, response, f"GET {AUDIT_JWKS}")
        return parse_public_keys(response.text)

    def verify(self, page: _Page, dataset: str, rows: int) -> dict[str, Any]:
        """The receipt of ``page`` as a dict, or ``ReceiptRejected`` naming what does not hold."""
        from hub.audit.errors import EvidenceError
        from hub.audit.receipts import from_jws, parse_jws, verify_receipt

        hub = self.remote.config.hub
        if not page.receipt:
            raise ReceiptRejected(f"hub `{hub}` delivered a page of `{dataset}` without a receipt: the load stops")
        try:
            receipt = from_jws(page.receipt)
            if str(parse_jws(page.receipt)[0].get("kid")) not in self.keys and not self.pinned:
                self.keys = self._fetch()  # the origin may have rotated its audit key
            verify_receipt(receipt, self.keys)
        except EvidenceError as exc:
            raise ReceiptRejected(f"the receipt of hub `{hub}` for a page of `{dataset}` (request "
                                  f"{page.request_id or '?'}) does not verify: {exc}; the load stops and "
                                  "nothing of it is kept") from None
        expected = {"request_id": page.request_id, "subject": self.remote.config.client_id, "dataset": dataset,
                    "version": page.version, "rows": rows, "response_sha256": hashlib.sha256(page.body).hexdigest()}
        wrong = sorted(k for k, v in expected.items() if receipt.get(k) != v)
        if wrong:
            raise ReceiptRejected(f"the receipt of hub `{hub}` (request {page.request_id or '?'}) does not state "
                                  f"the page received: {', '.join(wrong)} differ (altered in transit?); the load "
                                  "stops and nothing of it is kept")
        return receipt


# --- one pull -----------------------------------------------------------------------------


@dataclass
class _Pull:
    """One read of one dataset: catalog entry and grant there, pages, receipts, provenance."""

    config: HuitongConfig
    spec: RemoteDataset
    state: Incremental
    remote: _Remote
    receipts: list[dict[str, Any]] = field(default_factory=list)
    rows: int = 0

    @property
    def since(self) -> str | None:
        start = self.state.start
        return str(start["version"]) if isinstance(start, dict) and start.get("version") else None

    def run(self) -> Iterator[pa.RecordBatch | Reject]:
        grant = self._grant()
        entry = self.remote.json(f"/v1/catalog/{quote(self.spec.dataset, safe='')}")
        checker = _Receipts(self.remote)
        mode, first = self._open()
        version = first.version
        for page in self._pages(first, mode):
            if page.version != version:
                raise SourceUnavailable(f"hub `{self.config.hub}` republished `{self.spec.dataset}` during the pull "
                                        f"({version} → {page.version}): the next run pulls again")
            table = _arrow(page.body, self.config.hub, self.spec.dataset)
            receipt = checker.verify(page, self.spec.dataset, table.num_rows)
            self.receipts.append(receipt)
            yield from self._conform(table, page, len(self.receipts))
        self.state.advance({"version": version, "origin": self._origin(entry, grant, version, mode),
                            "receipts": [r["jws"] for r in self.receipts]})

    def _grant(self) -> dict[str, Any]:
        """The grant this hub holds there for the dataset and purpose; a clear refusal if none is in force."""
        grants = self.remote.json("/v1/grants", [("include_revoked", "true")]).get("grants", [])
        mine = [g for g in grants if g.get("dataset") == self.spec.dataset
                and self.config.purpose in (g.get("purposes") or [])]
        now = datetime.now(UTC)
        live = [g for g in mine if not g.get("revoked_at") and _within(g, now)]
        if live:
            return dict(sorted(live, key=lambda g: str(g["id"]))[0])
        where = f"hub `{self.config.hub}`"
        kept = f"the last pulled version ({self.since}) stays" if self.since else "nothing was pulled yet"
        revoked = [g for g in mine if g.get("revoked_at")]
        if revoked:
            g = revoked[0]
            raise OriginRefused(f"{where} revoked grant `{g['id']}` on `{self.spec.dataset}` at {g['revoked_at']}: "
                                f"the pull is refused; {kept}")
        if mine:
            raise OriginRefused(f"{where}: the grant on `{self.spec.dataset}` for `{self.config.purpose}` is not in "
                                f"force now (valid {mine[0].get('valid_from')} – {mine[0].get('valid_until')}); {kept}")
        raise OriginRefused(f"{where} granted this hub ({self.config.client_id}) nothing on `{self.spec.dataset}` "
                            f"for purpose `{self.config.purpose}`: apply there first (`hub federation apply`)")

    def _params(self, cursor: str | None, since: str | None) -> list[tuple[str, Any]]:
        params: list[tuple[str, Any]] = [("purpose", self.config.purpose), ("format", "arrow"),
                                         ("limit", self.config.page_size),
                                         ("columns", ",".join(self.spec.columns))]
        if since:
            params.append(("since", since))
        if cursor:
            params.append(("cursor", cursor))
        return params

    def _request(self, mode: str, cursor: str | None) -> httpx.Response:
        action = "changes" if mode.startswith("changes") else "rows"
        path = f"/v1/datasets/{quote(self.spec.dataset, safe='')}/{action}"
        return self.remote.get(path, self._params(cursor, self.since if action == "changes" else None))

    def _open(self) -> tuple[str, _Page]:
        """The first page: changes since the cursor, or the whole dataset (first pull, or ``since`` retired)."""
        if self.since:
            mode = f"changes since {self.since}"
            response = self._request(mode, None)
            if response.status_code == 200:
                return mode, _page(response)
            if not _since_gone(response, self.spec.dataset):
                raise _refusal(self.config, response, f"the changes of `{self.spec.dataset}`")
            mode = f"full (version {self.since} retired or unknown there)"
        else:
            mode = "full (first pull)"
        response = self._request(mode, None)
        if response.status_code != 200:
            raise _refusal(self.config, response, f"the rows of `{self.spec.dataset}`")
        return mode, _page(response)

    def _pages(self, first: _Page, mode: str) -> Iterator[_Page]:
        page = first
        while True:
            yield page
            if not page.next_cursor:
                return
            response = self._request(mode, page.next_cursor)
            if response.status_code == 400 and "cursor" in _detail(response):
                raise SourceUnavailable(f"hub `{self.config.hub}` republished `{self.spec.dataset}` during the "
                                        "pull: the next run pulls again")
            if response.status_code != 200:
                raise _refusal(self.config, response, f"a page of `{self.spec.dataset}`")
            page = _page(response)

    def _conform(self, table: pa.Table, page: _Page, number: int) -> Iterator[pa.RecordBatch | Reject]:
        schema = arrow_schema(self.spec.columns)
        result = conform(table.select([c for c in table.column_names if c in self.spec.columns]), schema,
                         self.spec.primary_key)
        for index, code, reason in result.rejected:
            row = {k: v for k, v in table.slice(index, 1).to_pylist()[0].items()}
            yield Reject(f"{self.spec.dataset}@{page.version} page {number} row {index + 1}",
                         json.dumps(row, ensure_ascii=False, default=str), code, reason)
        self.rows += result.batch.num_rows
        yield result.batch

    def _origin(self, entry: dict[str, Any], grant: dict[str, Any], version: str, mode: str) -> dict[str, Any]:
        """The provenance the catalog records (the receipts' JWS stay in the warehouse cursor)."""
        pii = {c.get("name"): c.get("pii") for c in entry.get("columns") or []}
        clear = set(grant.get("clear_columns") or [])
        masks = {c: "clear (granted clear, two-person rule)" if c in clear
                 else f"masked there ({pii[c]})" if pii.get(c) else "clear" for c in self.spec.columns}
        return {"hub": self.config.hub, "url": self.config.url, "dataset": self.spec.dataset, "version": version,
                "level": entry.get("level"), "sharing_type": entry.get("sharing_type"),
                "provider": entry.get("provider"), "region_column": entry.get("region_column"),
                "name_zh": entry.get("name_zh", ""),
                "grant": {k: grant.get(k) for k in ("id", "purposes", "columns", "clear_columns", "all_regions",
                                                    "valid_from", "valid_until", "approvals")},
                "masks": masks, "masks_basis": "the grant's clear columns and the origin catalog's PII classes",
                "purpose": self.config.purpose, "as": self.config.client_id, "mode": mode, "rows": self.rows,
                "pulled_at": datetime.now(UTC).isoformat(),
                "receipts": [{k: r.get(k) for k in ("request_id", "seq", "rows", "response_sha256", "kid", "ts")}
                             for r in self.receipts]}


def _within(grant: dict[str, Any], now: datetime) -> bool:
    try:
        return datetime.fromisoformat(grant["valid_from"]) <= now < datetime.fromisoformat(grant["valid_until"])
    except (KeyError, TypeError, ValueError):
        return False


def _since_gone(response: httpx.Response, dataset: str) -> bool:
    """410 (the ``since`` version is retired) or 400 because the origin no longer knows it."""
    return response.status_code == 410 or (response.status_code == 400
                                           and f"`{dataset}` has no version" in _detail(response))


def _arrow(body: bytes, hub: str, dataset: str) -> pa.Table:
    try:
        return pa.ipc.open_stream(body).read_all()
    except (pa.ArrowInvalid, OSError) as exc:
        raise ConnectorError(f"hub `{hub}` sent a page of `{dataset}` that is not an Arrow stream: {exc}") from None


# --- applying at the origin -------------------------------------------------------------


def apply(config: HuitongConfig, dataset: str, *, days: int, max_rows_per_day: int,
          clear_columns: list[str] | None = None, all_regions: bool = False, justification: str = "") -> Any:
    """File this hub's application at the origin for a configured dataset (its declared columns);
    returns the origin's answer (the application, pending until two of its officers approve)."""
    from datetime import timedelta

    spec = next((d for d in config.datasets if d.dataset == dataset), None)
    if spec is None:
        listed = ", ".join(d.dataset for d in config.datasets)
        raise ConnectorConfigError(f"source `remote_{config.hub}` lists no dataset `{dataset}` (lists: {listed})")
    now = datetime.now(UTC)
    body = {"dataset": dataset, "purpose": config.purpose, "columns": list(spec.columns),
            "clear_columns": list(clear_columns or []), "valid_from": now.isoformat(),
            "valid_until": (now + timedelta(days=days)).isoformat(), "max_rows_per_day": max_rows_per_day,
            "all_regions": all_regions, "justification": justification}
    remote = _Remote(config)
    try:
        response = remote._send(lambda: remote.http.post("/v1/applications", json=body, headers={
            "Authorization": f"Bearer {remote.token()}"}), "POST /v1/applications")
        if response.status_code != 201:
            raise _refusal(config, response, "the application")
        return response.json()
    finally:
        remote.close()


# --- the connector ------------------------------------------------------------------------


def _draft(config: HuitongConfig, spec: RemoteDataset) -> Draft:
    if spec.draft is not None:
        return spec.draft
    origin = config.name_zh or config.hub
    return Draft(name_zh=f"{spec.dataset}（来自{origin}）", summary=f"从汇通节点 {config.hub} 拉取的 {spec.dataset}",
                 level=None, sharing_type="conditional")


def _resource(config: HuitongConfig, spec: RemoteDataset) -> Resource:
    @resource(schema=arrow_schema(spec.columns), primary_key=spec.primary_key, write_disposition="merge",
              cursor=pulled_version(), name=spec.table, draft=_draft(config, spec))
    def pull(state: Incremental) -> Iterator[pa.RecordBatch | Reject]:
        remote = _Remote(config)
        try:
            yield from _Pull(config, spec, state, remote).run()
        finally:
            remote.close()

    return pull


class HuitongConnector(ConnectorDef):
    """The connector definition; its provider is the remote hub named in the config."""

    def build(self, raw: BaseModel | Any, name: str | None = None, provider: Provider | str | None = None) -> Source:
        config = self.validate_config(raw)
        assert isinstance(config, HuitongConfig)
        if provider is None:
            provider = Provider(code=config.hub, name_zh=config.name_zh or f"汇通节点 {config.hub}")
        return super().build(config, name or f"remote_{config.hub}", provider)


def _build(config: HuitongConfig) -> list[Resource]:
    return [_resource(config, spec) for spec in config.datasets]


huitong = HuitongConnector(
    "huitong", HuitongConfig, _build,
    description="datasets of another hub (上下贯通), pulled with private_key_jwt through /changes in Arrow, "
                "every receipt verified",
    source_name=lambda config: f"remote_{config.hub}",
)
