"""Output formats of the data endpoints: json, ndjson, csv, parquet, arrow.

Each encoder takes the result as an Arrow table (JSON rows already rendered by
DuckDB's ``to_json`` in the ``__json`` column, so no Python loop touches values)
and yields byte chunks; ``encode_lines`` writes JSON and NDJSON from rows rendered
once per masked view (``hub.exchange.views``).  ``Digest`` hashes exactly the bytes
sent, for the audit record and the receipt.
"""

from __future__ import annotations

import hashlib
import io
import json
from collections.abc import Iterator

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

from hub.errors import BadRequest

MEDIA_TYPES = {
    "json": "application/json",
    "ndjson": "application/x-ndjson",
    "csv": "text/csv; charset=utf-8",
    "parquet": "application/vnd.apache.parquet",
    "arrow": "application/vnd.apache.arrow.stream",
}
JSON_COLUMN = "__json"
CHUNK_ROWS = 65_536


def check_format(name: str) -> str:
    if name not in MEDIA_TYPES:
        raise BadRequest(f"format `{name[:20]}` is not one of {', '.join(MEDIA_TYPES)}", parameter="format")
    return name


class Digest:
    """SHA-256 and byte count over the chunks that pass through."""

    def __init__(self) -> None:
        self._sha = hashlib.sha256()
        self.bytes = 0

    def wrap(self, chunks: Iterator[bytes]) -> Iterator[bytes]:
        for chunk in chunks:
            self._sha.update(chunk)
            self.bytes += len(chunk)
            yield chunk

    def hexdigest(self) -> str:
        return self._sha.hexdigest()


def _joined(table: pa.Table, sep: bytes) -> Iterator[bytes]:
    """The rendered JSON rows of ``table`` joined by ``sep`` in Arrow's C++ (no Python per row)."""
    column = table.column(JSON_COLUMN)
    for start in range(0, table.num_rows, CHUNK_ROWS):
        part = pa.concat_arrays(column.slice(start, CHUNK_ROWS).chunks).cast(pa.large_string())
        rows = pa.LargeListArray.from_arrays(pa.array([0, len(part)], pa.int64()), part)
        joined = pc.binary_join(rows, pa.scalar(sep.decode(), pa.large_string()))
        yield (b"" if start == 0 else sep) + joined[0].as_buffer().to_pybytes()


def _json_lines(table: pa.Table) -> Iterator[bytes]:
    yield from _joined(table, b"\n")
    if table.num_rows:
        yield b"\n"


def _json(table: pa.Table, next_cursor: str | None) -> Iterator[bytes]:
    yield b'{"rows":['
    yield from _joined(table, b",")
    yield b'],"next_cursor":' + json.dumps(next_cursor).encode() + b"}"


def _arrow(table: pa.Table) -> Iterator[bytes]:
    sink = io.BytesIO()
    with pa.ipc.new_stream(sink, table.schema) as writer:
        for batch in table.to_batches(max_chunksize=CHUNK_ROWS):
            writer.write_batch(batch)
            yield sink.getvalue()
            sink.seek(0)
            sink.truncate()
    yield sink.getvalue()


def _csv(table: pa.Table) -> Iterator[bytes]:
    sink = io.BytesIO()
    pacsv.write_csv(table, sink)
    yield sink.getvalue()


def _parquet(table: pa.Table) -> Iterator[bytes]:
    sink = io.BytesIO()
    pq.write_table(table, sink, compression="zstd")
    yield sink.getvalue()


def encode(fmt: str, table: pa.Table, next_cursor: str | None) -> Iterator[bytes]:
    """Byte chunks of ``table`` in ``fmt`` (json carries the cursor in the body too)."""
    if fmt == "json":
        return _json(table, next_cursor)
    if fmt == "ndjson":
        return _json_lines(table)
    data = table.drop_columns([JSON_COLUMN]) if JSON_COLUMN in table.column_names else table
    return {"arrow": _arrow, "csv": _csv, "parquet": _parquet}[fmt](data)


def encode_lines(fmt: str, lines: bytes | memoryview, next_cursor: str | None) -> bytes | memoryview:
    """JSON or NDJSON from pre-rendered JSON lines (each row's JSON, then a newline).

    The same bytes ``encode`` writes: NDJSON is the lines themselves; JSON joins the rows
    with commas (a rendered row holds no raw newline: JSON escapes control characters).
    """
    if fmt == "ndjson":
        return lines
    if fmt != "json":
        raise ValueError(f"{fmt} is not a JSON format")
    rows = bytes(lines[:-1]).replace(b"\n", b",") if len(lines) else b""
    return b'{"rows":[' + rows + b'],"next_cursor":' + json.dumps(next_cursor).encode() + b"}"


def encode_table(fmt: str, table: pa.Table, next_cursor: str | None) -> bytes | memoryview:
    """``encode`` in one piece; Arrow is written to one Arrow buffer (no copy out of it)."""
    if fmt != "arrow":
        return b"".join(encode(fmt, table, next_cursor))
    sink = pa.BufferOutputStream()
    with pa.ipc.new_stream(sink, table.schema) as writer:
        writer.write_table(table, max_chunksize=CHUNK_ROWS)
    return memoryview(sink.getvalue()).cast("B")
