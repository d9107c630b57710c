"""The ``rest`` kind: JSON feeds behind page tokens, fetched with bounded retries.

Each feed is ``GET {base_url}{path}?page_size=N&page_token=T[&updated_since=C]``
answering ``{"items": [...], "next_page_token": ...}``.  429, 502, 503, 504,
timeouts and connection errors are retried with exponential backoff and full
jitter (``Retry-After`` honoured up to the cap); after ``max_attempts`` the read
fails with ``SourceUnavailable`` (retryable).  A column cursor (``reported_at``)
is sent as ``updated_since`` so a later run asks only for what changed.  The API
token is a secret: sent as a bearer header, never logged.
"""

from __future__ import annotations

import json
import random
import time
from collections.abc import Iterator
from typing import Any

import httpx
import pyarrow as pa
import pyarrow.compute as pc
from pydantic import BaseModel, Field, SecretStr

from connectors.conform import column_from_values, conform
from connectors.errors import ConnectorError, SourceUnavailable
from connectors.sdk import Incremental, Reject, Resource, connector, incremental, resource
from connectors.tables import TableSpec

RETRY_STATUS = frozenset({429, 502, 503, 504})


class RestFeed(TableSpec):
    """A feed: a table spec plus the path that serves it."""

    path: str = Field(pattern=r"^/")
    since_param: str = "updated_since"


class RestConfig(BaseModel):
    """Config of a REST source: base URL, optional bearer token (a secret), feeds, retry policy."""

    base_url: str | None = None
    token: SecretStr | None = None
    source: str = Field(default="rest", pattern=r"^[a-z_][a-z0-9_]*$")
    feeds: list[RestFeed] = Field(default_factory=list)
    page_size: int = Field(default=500, ge=1, le=10_000)
    max_attempts: int = Field(default=8, ge=1, le=20)
    backoff_base_s: float = Field(default=0.2, ge=0)
    backoff_cap_s: float = Field(default=10.0, ge=0)
    timeout_s: float = Field(default=30.0, gt=0)


class _Fetcher:
    """GETs pages with bounded retries, exponential backoff and full jitter."""

    def __init__(self, config: RestConfig, client: httpx.Client) -> None:
        self.config = config
        self.client = client
        self.retries = 0

    def get(self, path: str, params: dict[str, Any]) -> dict[str, Any]:
        last = ""
        for attempt in range(self.config.max_attempts):
            try:
                response = self.client.get(path, params=params)
            except (httpx.TimeoutException, httpx.TransportError) as exc:
                last, wait = type(exc).__name__, None
            else:
                if response.status_code not in RETRY_STATUS:
                    return _payload(response, path)
                last, wait = f"HTTP {response.status_code}", response.headers.get("retry-after")
            if attempt + 1 < self.config.max_attempts:
                self.retries += 1
                time.sleep(self._delay(attempt, wait))
        raise SourceUnavailable(
            f"{self.config.base_url}{path} failed {self.config.max_attempts} times (last: {last})",
            path=path,
        )

    def _delay(self, attempt: int, retry_after: str | None) -> float:
        cap = min(self.config.backoff_cap_s, self.config.backoff_base_s * 2**attempt)
        if retry_after and retry_after.isdigit():
            return min(self.config.backoff_cap_s, float(retry_after))
        return random.uniform(0, cap)  # noqa: S311 - jitter, not cryptography


def _payload(response: httpx.Response, path: str) -> dict[str, Any]:
    if response.status_code >= 400:
        raise ConnectorError(f"{path} answered HTTP {response.status_code}", status=response.status_code)
    try:
        body = response.json()
    except ValueError:
        raise ConnectorError(f"{path} answered something that is not JSON") from None
    if not isinstance(body, dict) or not isinstance(body.get("items"), list):
        raise ConnectorError(f"{path} answered JSON without an `items` list")
    return body


def _page(
    items: list[Any], feed: RestFeed, page: int, state: Incremental
) -> Iterator[pa.RecordBatch | Reject]:
    schema = feed.schema
    rows = [item if isinstance(item, dict) else {} for item in items]
    arrays = [column_from_values([r.get(f.name) for r in rows], f.type) for f in schema]
    raw = pa.Table.from_arrays(arrays, names=schema.names)
    result = conform(raw, schema, feed.primary_key)
    for index, code, reason in result.rejected:
        raw_item = json.dumps(items[index], ensure_ascii=False, default=str)
        yield Reject(f"page {page} item {index + 1}", raw_item, code, reason)
    if feed.cursor and result.batch.num_rows:
        state.advance(pc.max(pc.filter(raw[feed.cursor], result.valid)).as_py())
    yield result.batch


def read_feed(config: RestConfig, feed: RestFeed, state: Incremental) -> Iterator[pa.RecordBatch | Reject]:
    """Read every page of ``feed`` (since the cursor ``state.start``)."""
    if not config.base_url:
        raise ConnectorError(f"source `{config.source}` has no base_url configured (hub.yaml)")
    headers = {"Authorization": f"Bearer {config.token.get_secret_value()}"} if config.token else {}
    params: dict[str, Any] = {"page_size": config.page_size}
    if feed.cursor and state.start is not None:
        params[feed.since_param] = state.start
    with httpx.Client(base_url=config.base_url, headers=headers, timeout=config.timeout_s) as client:
        fetcher, page = _Fetcher(config, client), 1
        while True:
            body = fetcher.get(feed.path, params)
            yield from _page(body["items"], feed, page, state)
            token = body.get("next_page_token")
            if not token:
                return
            params["page_token"], page = token, page + 1


def feed_resource(config: RestConfig, feed: RestFeed) -> Resource:
    """A resource reading ``feed``; rows of a key re-reported later replace earlier ones."""

    def read(state: Incremental) -> Iterator[pa.RecordBatch | Reject]:
        return read_feed(config, feed, state)

    version = f'{{t}}."{feed.cursor}"' if feed.cursor else None
    return resource(
        schema=feed.schema,
        primary_key=feed.primary_key,
        write_disposition=feed.write_disposition,
        cursor=incremental(feed.cursor) if feed.cursor else None,
        name=feed.name,
        version_sql=version,
        dedupe=bool(feed.primary_key),
        draft=feed.draft,
    )(read)


@connector("rest", config=RestConfig, source_name=lambda c: c.source)
def rest(config: RestConfig) -> list[Resource]:
    """JSON feeds of an HTTP API with page tokens, declared in configuration."""
    return [feed_resource(config, feed) for feed in config.feeds]
