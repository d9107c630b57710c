"""A whole dataset into one file, resumable after a kill, byte for byte the same result.

Pages are fetched by cursor; each page's body is kept as a part file (written to a
temporary name, then renamed) and recorded, with its receipt and the next cursor, in
``state.json`` (replaced atomically) in a work folder beside the output
(``.FILE.hub-download/``).  A download that is killed — at any instant — leaves at
worst a page that is fetched again; run again with the same parameters, it carries on
from the last recorded cursor.  When the last page is in, the parts are joined into
FILE (through a temporary file and a rename) and the work folder is removed; the
receipts are kept beside it in ``FILE.receipts`` (one JWS per line).

Joining: NDJSON pages are concatenated; CSV pages keep the first page's header only;
JSON pages become one JSON array, a row per line; Arrow pages one IPC stream; Parquet
pages one Parquet file.  The result depends only on the rows, never on where the
download was interrupted.  A dataset republished between two runs is refused (the
version is part of the state), as are other parameters than the ones recorded.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import os
import shutil
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, BinaryIO

from hub.client.api import HubClient
from hub.client.errors import DownloadError
from hub.client.pages import read_table

STATE = "state.json"
Progress = Callable[[int, int], None]  # (rows so far, pages so far)


@dataclass
class DownloadResult:
    """What a (possibly resumed) download did."""

    path: Path
    rows: int
    pages: int
    resumed_pages: int  # pages that an earlier, interrupted run had already fetched
    version: str | None
    receipts: list[str] = field(default_factory=list)


def _write_atomic(path: Path, data: bytes) -> None:
    tmp = path.with_name(path.name + ".tmp")
    with tmp.open("wb") as fh:
        fh.write(data)
        fh.flush()
        os.fsync(fh.fileno())
    tmp.replace(path)


class Download:
    """Download ``dataset`` into ``out`` (see the module docstring)."""

    def __init__(self, client: HubClient, dataset: str, purpose: str, out: Path, *, format: str = "ndjson",
                 page_size: int | None = None, **query: Any) -> None:
        self.client, self.dataset, self.purpose, self.out = client, dataset, purpose, Path(out)
        self.format, self.query = format, {**query, "limit": page_size}
        self.work = self.out.with_name(f".{self.out.name}.hub-download")
        request = {"dataset": dataset, "purpose": purpose, "format": format, **self.query}
        self.fingerprint = hashlib.sha256(json.dumps(request, sort_keys=True, default=str).encode()).hexdigest()

    def _state(self) -> dict[str, Any]:
        path = self.work / STATE
        if not path.exists():
            self.work.mkdir(parents=True, exist_ok=True)
            return {"fingerprint": self.fingerprint, "version": None, "pages": [], "next_cursor": None}
        state = json.loads(path.read_text(encoding="utf-8"))
        if state.get("fingerprint") != self.fingerprint:
            raise DownloadError(f"{self.work} holds a partial download with other parameters: run it with those, "
                                f"or remove {self.work} to start over")
        return dict(state)

    def run(self, progress: Progress | None = None) -> DownloadResult:
        """Fetch what is missing, then join the parts into the output file."""
        state = self._state()
        resumed = len(state["pages"])
        if not state["pages"] or state["next_cursor"]:
            self._fetch(state, progress)
        rows = sum(p["rows"] for p in state["pages"])
        self._join(state)
        receipts = [p["receipt"] for p in state["pages"] if p.get("receipt")]
        self.out.with_name(self.out.name + ".receipts").write_text("".join(r + "\n" for r in receipts),
                                                                   encoding="ascii")
        shutil.rmtree(self.work)
        return DownloadResult(self.out, rows, len(state["pages"]), resumed, state["version"], receipts)

    def _fetch(self, state: dict[str, Any], progress: Progress | None) -> None:
        cursor = state["next_cursor"]
        rows = sum(p["rows"] for p in state["pages"])
        for page in self.client.pages(self.dataset, self.purpose, format=self.format, cursor=cursor, **self.query):
            if state["version"] is None:
                state["version"] = page.version
            elif page.version != state["version"]:
                raise DownloadError(f"{self.dataset} was republished during the download ({state['version']} → "
                                    f"{page.version}): remove {self.work} and download again")
            name = f"{len(state['pages']) + 1:06d}.{self.format}"
            _write_atomic(self.work / name, page.body)
            count = self._count(page.body)
            rows += count
            state["pages"].append({"file": name, "rows": count, "request_id": page.request_id,
                                   "receipt": page.receipt})
            state["next_cursor"] = page.next_cursor
            _write_atomic(self.work / STATE, json.dumps(state, indent=1).encode())
            if progress:
                progress(rows, len(state["pages"]))

    def _count(self, body: bytes) -> int:
        if self.format == "ndjson":
            return sum(1 for line in body.splitlines() if line.strip())
        if self.format == "json":
            return len(json.loads(body)["rows"])
        if self.format == "csv":
            return max(sum(1 for _ in csv.reader(io.StringIO(body.decode("utf-8")))) - 1, 0)
        return int(read_table(self.format, body).num_rows)

    def _parts(self, state: dict[str, Any]) -> Iterator[bytes]:
        for page in state["pages"]:
            yield (self.work / page["file"]).read_bytes()

    def _join(self, state: dict[str, Any]) -> None:
        tmp = self.out.with_name(self.out.name + ".joining")
        with tmp.open("wb") as fh:
            {"ndjson": _join_ndjson, "csv": _join_csv, "json": _join_json,
             "arrow": _join_arrow, "parquet": _join_parquet}[self.format](self._parts(state), fh)
        tmp.replace(self.out)


def _join_ndjson(parts: Iterator[bytes], fh: BinaryIO) -> None:
    for body in parts:
        fh.write(body if not body or body.endswith(b"\n") else body + b"\n")


def _join_csv(parts: Iterator[bytes], fh: BinaryIO) -> None:
    for index, body in enumerate(parts):
        fh.write(body if index == 0 else body.split(b"\n", 1)[1] if b"\n" in body else b"")


def _join_json(parts: Iterator[bytes], fh: BinaryIO) -> None:
    first = True
    fh.write(b"[")
    for body in parts:
        for row in json.loads(body)["rows"]:
            fh.write((b"\n" if first else b",\n") + json.dumps(row, ensure_ascii=False).encode())
            first = False
    fh.write(b"\n]\n")


def _join_arrow(parts: Iterator[bytes], fh: BinaryIO) -> None:
    import pyarrow as pa

    writer = None
    for body in parts:
        table = read_table("arrow", body)
        writer = writer or pa.ipc.new_stream(fh, table.schema)
        writer.write_table(table)
    if writer is not None:
        writer.close()


def _join_parquet(parts: Iterator[bytes], fh: BinaryIO) -> None:
    import pyarrow.parquet as pq

    writer = None
    for body in parts:
        table = read_table("parquet", body)
        writer = writer or pq.ParquetWriter(fh, table.schema, compression="zstd")
        writer.write_table(table)
    if writer is not None:
        writer.close()
