"""One page of a ``rows`` or ``changes`` answer, and reading it in each format.

JSON and NDJSON pages decode to dicts; CSV to dicts of strings; Arrow and Parquet to
``pyarrow.Table`` (pyarrow is imported only for those two, so the client itself needs
nothing but httpx, pyjwt and cryptography).  The next cursor comes from the ``Link``
header (``rel="next"``), which every format carries.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx

from hub.client.errors import ClientError

FORMATS = ("json", "ndjson", "csv", "parquet", "arrow")
MEDIA_TYPES = {"json": "application/json", "ndjson": "application/x-ndjson", "csv": "text/csv",
               "parquet": "application/vnd.apache.parquet", "arrow": "application/vnd.apache.arrow.stream"}


def check_format(fmt: str) -> str:
    if fmt not in FORMATS:
        raise ClientError(f"format `{fmt}` is not one of {', '.join(FORMATS)}")
    return fmt


def next_cursor(response: httpx.Response) -> str | None:
    """The cursor of the next page, from ``Link: <…?cursor=…>; rel="next"`` (None on the last page)."""
    url = response.links.get("next", {}).get("url")
    if not url:
        return None
    values = parse_qs(urlsplit(url).query).get("cursor")
    return values[0] if values else None


@dataclass(frozen=True)
class Page:
    """The body of one answer and what its headers say about it."""

    dataset: str
    format: str
    body: bytes
    request_id: str | None
    version: str | None
    next_cursor: str | None
    receipt: str | None

    @classmethod
    def of(cls, dataset: str, fmt: str, response: httpx.Response, body: bytes) -> Page:
        return cls(dataset, fmt, body, response.headers.get("x-hub-request-id"),
                   response.headers.get("x-hub-dataset-version"), next_cursor(response),
                   response.headers.get("x-hub-receipt"))

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self.body).hexdigest()

    def rows(self) -> list[dict[str, Any]]:
        """The rows as dicts (json, ndjson; csv as strings)."""
        if self.format == "json":
            return list(json.loads(self.body)["rows"])
        if self.format == "ndjson":
            return [json.loads(line) for line in self.body.splitlines() if line.strip()]
        if self.format == "csv":
            return list(csv.DictReader(io.StringIO(self.body.decode("utf-8"))))
        return self.table().to_pylist()  # type: ignore[no-any-return]

    def table(self) -> Any:
        """The page as a ``pyarrow.Table`` (arrow, parquet)."""
        return read_table(self.format, self.body)


def read_table(fmt: str, body: bytes) -> Any:
    """A ``pyarrow.Table`` from an Arrow IPC stream or a Parquet file."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    if fmt == "arrow":
        return pa.ipc.open_stream(pa.BufferReader(body)).read_all()
    if fmt == "parquet":
        return pq.read_table(pa.BufferReader(body))
    raise ClientError(f"a {fmt} page is not a table: ask for format arrow or parquet")
