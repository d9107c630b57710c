"""``HubClient``: a partner system's view of the exchange API, in one object.

    from hub.client import HubClient

    with HubClient.from_key_file("https://hub.example", "partner:hz-xihu-jw", "partner.pem") as hub:
        for row in hub.rows("finance.subsidy_payment", purpose="case-verification"):
            ...
        table = hub.table("finance.subsidy_payment", purpose="case-verification", format="arrow")

Tokens are fetched, cached and renewed before expiry (``hub.client.tokens``); every
request is retried on 429/503 after ``Retry-After`` (``hub.client.transport``); pages
are followed by cursor; every page's receipt is verified against the hub's published
audit keys and the bytes received (``hub.client.receipts``) unless ``verify_receipts``
is off.  A 401 on a cached token drops it and tries once more with a new one.
"""

from __future__ import annotations

import hashlib
import json
import time
from collections.abc import Callable, Generator, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any
from urllib.parse import quote

import httpx

from hub.client.credentials import Credentials
from hub.client.errors import ProblemError
from hub.client.pages import Page, check_format, next_cursor, read_table
from hub.client.receipts import AUDIT_JWKS_PATH, Receipt, ReceiptVerifier
from hub.client.tokens import TokenSource
from hub.client.transport import Retry, exchange


def match(column: str, value: str) -> str:
    """A ``match`` filter: rows whose pseudonymised ``column`` is the pseudonym of ``value`` (only on
    the grant's ``lookup_columns``; elsewhere the hub answers 400 naming the column)."""
    return f"{column}:match:{value}"


class HubClient:
    """The exchange API for one partner (or officer) system.

    ``audience`` is the hub's own token URL when it differs from ``base_url``/oauth/token
    (a tunnel or proxy in between); ``clock`` (monotonic seconds) times token renewal.
    """

    def __init__(self, base_url: str, credentials: Credentials, *, audience: str | None = None,
                 retry: Retry | None = None, clock: Callable[[], float] = time.monotonic,
                 timeout_s: float = 120.0, transport: httpx.BaseTransport | None = None,
                 verify_receipts: bool = True) -> None:
        self.base_url = base_url.rstrip("/")
        self.retry = retry or Retry()
        self.http = httpx.Client(base_url=self.base_url, timeout=timeout_s, transport=transport,
                                 headers={"User-Agent": "huitong-client/1"})
        self.tokens = TokenSource(credentials, f"{self.base_url}/oauth/token", self.http, self.retry, clock,
                                  audience)
        self.receipts = ReceiptVerifier(self.audit_jwks)
        self.verify_receipts = verify_receipts
        self.unauthorized = 0  # 401s answered to a cached token (each retried once with a new one)

    @classmethod
    def from_key_file(cls, base_url: str, client_id: str, key_path: Path | str, *, password: bytes | None = None,
                      kid: str | None = None, **kwargs: Any) -> HubClient:
        """A client whose private key is a PEM file (as ``hub partner add --key-out`` writes it)."""
        return cls(base_url, Credentials.from_file(client_id, key_path, password, kid), **kwargs)

    def __enter__(self) -> HubClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        self.http.close()

    # --- plumbing -------------------------------------------------------------------

    def token(self) -> str:
        """A current access token (cached; renewed ahead of expiry)."""
        return self.tokens.token()

    @contextmanager
    def _get(self, path: str, params: Sequence[tuple[str, Any]] = (), *, stream: bool = False,
             auth: bool = True) -> Iterator[httpx.Response]:
        """GET with retries; with ``auth``, one more try with a new token after a 401."""
        def send() -> httpx.Response:
            headers = {"Authorization": f"Bearer {self.token()}"} if auth else {}
            request = self.http.build_request("GET", path, params=list(params), headers=headers)
            return self.http.send(request, stream=stream)

        answered = False
        for second in (False, True):
            try:
                with exchange(send, self.retry) as response:
                    answered = True
                    yield response
                return
            except ProblemError as exc:
                if answered or not (auth and exc.status == 401 and not second):
                    raise
                self.unauthorized += 1
                self.tokens.invalidate()

    def _json(self, path: str, params: Sequence[tuple[str, Any]] = (), auth: bool = True) -> Any:
        with self._get(path, params, auth=auth) as response:
            return response.json()

    def audit_jwks(self) -> dict[str, Any]:
        """The hub's audit public keys (a JWK Set), which verify receipts."""
        return dict(self._json(AUDIT_JWKS_PATH, auth=False))

    def catalog(self, **filters: Any) -> Any:
        """``GET /v1/catalog`` (``q``, ``level``, ``provider``, ``sharing_type``)."""
        return self._json("/v1/catalog", [(k, v) for k, v in filters.items() if v is not None])

    def entry(self, dataset: str) -> dict[str, Any]:
        """One catalog entry: columns, level, rows, versions."""
        return dict(self._json(f"/v1/catalog/{quote(dataset, safe='')}"))

    # --- data -----------------------------------------------------------------------

    @staticmethod
    def query(purpose: str, fmt: str, *, columns: Sequence[str] | None = None, filters: Sequence[str] = (),
              order_by: str | None = None, limit: int | None = None, cursor: str | None = None,
              since: str | None = None) -> list[tuple[str, Any]]:
        """The query string of a rows/changes request."""
        params: list[tuple[str, Any]] = [("purpose", purpose), ("format", check_format(fmt))]
        params += [("filter", f) for f in filters]
        optional = {"columns": ",".join(columns) if columns else None, "order_by": order_by, "limit": limit,
                    "since": since, "cursor": cursor}
        return params + [(k, v) for k, v in optional.items() if v is not None]

    @staticmethod
    def path(dataset: str, since: str | None) -> str:
        return f"/v1/datasets/{quote(dataset, safe='')}/{'changes' if since else 'rows'}"

    def page(self, dataset: str, purpose: str, *, format: str = "json", **query: Any) -> Page:
        """One page (``cursor`` from the previous page's ``next_cursor``), its receipt verified."""
        params = self.query(purpose, format, **query)
        with self._get(self.path(dataset, query.get("since")), params) as response:
            page = Page.of(dataset, format, response, response.read())
        if self.verify_receipts:
            self.verify(page)
        return page

    def pages(self, dataset: str, purpose: str, *, format: str = "json", cursor: str | None = None,
              **query: Any) -> Iterator[Page]:
        """Every page from ``cursor`` (default: the first) to the last."""
        while True:
            page = self.page(dataset, purpose, format=format, cursor=cursor, **query)
            yield page
            if not page.next_cursor:
                return
            cursor = page.next_cursor

    def verify(self, page: Page) -> Receipt:
        """The page's receipt, verified: signed by a published audit key, over exactly this body."""
        from hub.client.errors import ReceiptError

        if not page.receipt:
            raise ReceiptError(f"the page of {page.dataset} (request {page.request_id}) came without a receipt")
        return self.receipts.verify(page.receipt, page.body, request_id=page.request_id, dataset=page.dataset)

    def rows(self, dataset: str, purpose: str, *, cursor: str | None = None, **query: Any) -> Iterator[dict[str, Any]]:
        """Every row, streamed as NDJSON page after page (a page cut off mid-way is fetched again and
        continued after the rows already yielded; each page's receipt is checked at its end)."""
        while True:
            cursor = yield from self._stream_page(dataset, purpose, cursor, query)
            if not cursor:
                return

    def changes(self, dataset: str, purpose: str, since: str, **query: Any) -> Iterator[dict[str, Any]]:
        """Rows added or changed since version ``since``, streamed like ``rows``."""
        return self.rows(dataset, purpose, since=since, **query)

    def lookup(self, dataset: str, purpose: str, column: str, value: str, **query: Any) -> list[dict[str, Any]]:
        """The rows whose pseudonymised ``column`` holds ``value`` (a ``match`` lookup; the value never
        travels further than the hub, which compares keyed pseudonyms)."""
        filters = [*query.pop("filters", ()), match(column, value)]
        return list(self.rows(dataset, purpose, filters=filters, **query))

    def table(self, dataset: str, purpose: str, *, format: str = "arrow", **query: Any) -> Any:
        """Every page as one ``pyarrow.Table`` (format arrow or parquet)."""
        import pyarrow as pa

        tables = [read_table(format, p.body) for p in self.pages(dataset, purpose, format=format, **query)]
        return pa.concat_tables(tables) if tables else None

    def _stream_page(self, dataset: str, purpose: str, cursor: str | None,
                     query: dict[str, Any]) -> Generator[dict[str, Any], None, str | None]:
        done = 0
        for attempt in range(self.retry.attempts):
            seen, digest = 0, hashlib.sha256()
            try:
                params = self.query(purpose, "ndjson", cursor=cursor, **query)
                with self._get(self.path(dataset, query.get("since")), params, stream=True) as response:
                    buffered = b""
                    for chunk in response.iter_bytes():
                        digest.update(chunk)
                        *lines, buffered = (buffered + chunk).split(b"\n")
                        for line in lines:
                            if line.strip():
                                seen += 1
                                if seen > done:
                                    done += 1
                                    yield json.loads(line)
                    if buffered.strip():
                        seen += 1
                        if seen > done:
                            done += 1
                            yield json.loads(buffered)
                    self._check_streamed(dataset, response, digest.hexdigest(), seen)
                    return next_cursor(response)
            except httpx.TransportError:  # cut off mid-body: the same page again, skipping what was yielded
                if attempt + 1 == self.retry.attempts:
                    raise
                self.retry.wait(attempt, None)
        return None  # pragma: no cover - the loop returns or raises

    def _check_streamed(self, dataset: str, response: httpx.Response, sha256: str, rows: int) -> None:
        from hub.client.errors import ReceiptError

        if not self.verify_receipts:
            return
        jws = response.headers.get("x-hub-receipt")
        if not jws:
            raise ReceiptError(f"the page of {dataset} came without a receipt")
        receipt = self.receipts.verify(jws, request_id=response.headers.get("x-hub-request-id"), dataset=dataset,
                                       body_sha256=sha256)
        if receipt.rows != rows:
            raise ReceiptError(f"receipt {receipt.request_id} says {receipt.rows} rows, {rows} arrived")

    def verify_receipt(self, jws: str, body: bytes | None = None) -> Receipt:
        """Verify a receipt (``X-Hub-Receipt``) kept from an earlier delivery, and optionally its body."""
        return self.receipts.verify(jws, body)
