"""One delivered file of a drop folder, checked whole and row by row.

``read_delivery`` turns the bytes of one file into what the loader takes: a batch
of the rows proven complete and valid, a ``Reject`` for every other record, and a
``Delivery`` saying how many records the file held, how many were loaded and how
many quarantined (read = loaded + quarantined, always).  A file that cannot be
read as a whole — empty, undecodable in its declared encoding, an XLSX that is not
a readable workbook, a header that is not the feed's — is one ``FileReject``
(name, size, SHA-256, reason, what was found) and loads nothing.

Row checks, in order: the record's own shape (cut last record, malformed quotes,
NUL, too few or too many fields), then one key delivered twice or more in the file
(every copy is quarantined as ``duplicate_key_in_delivery``: the file contradicts
itself and no copy is provably the intended one), then the declared types in their
exact forms (``connectors.conform``).
"""

from __future__ import annotations

import hashlib
import json
from collections import Counter
from collections.abc import Iterator, Sequence
from typing import TypeAlias

import pyarrow as pa

from connectors.conform import conform
from connectors.kinds import csvtext, workbook
from connectors.kinds.csvtext import Record
from connectors.sdk import Delivery, FileReject, Reject

ORIGIN = ("_source_file", "_source_line")
Item: TypeAlias = "pa.RecordBatch | Reject | Delivery"


def read_delivery(name: str, data: bytes, schema: pa.Schema, primary_key: Sequence[str]) -> Iterator[Item]:
    """The items of one delivered file (see the module docstring)."""
    names = [n for n in schema.names if n not in ORIGIN]
    parsed = _parse(name, data)
    if not isinstance(parsed, list):
        rows = _countable(name, data)
        yield _file_reject(name, data, parsed.code, parsed.reason, parsed.detail_json(), rows)
        yield Delivery(name, rows, 0, rows, parsed.code)
        return
    if not parsed:
        yield _file_reject(name, data, "empty_file", "the file holds no header and no rows", "{}", 0)
        yield Delivery(name, 0, 0, 0, "empty_file")
        return
    head, body = parsed[0], parsed[1:]
    if [str(h).strip() for h in head.values] != names or (head.problem and head.terminated):
        yield _bad_header(name, data, head, names, len(body))
        yield Delivery(name, len(body), 0, len(body), "bad_header")
        return
    yield from _rows(name, body, schema, names, primary_key, xlsx=_is_xlsx(name))


def _is_xlsx(name: str) -> bool:
    return name.lower().endswith(".xlsx")


def _parse(name: str, data: bytes) -> list[Record] | csvtext.Undecodable | workbook.Unreadable:
    if _is_xlsx(name):
        return workbook.rows(data) if data else []
    text = csvtext.decode(data, csvtext.declared_encoding(name))
    return text if isinstance(text, csvtext.Undecodable) else list(csvtext.records(text))


def _countable(name: str, data: bytes) -> int:
    """Records (after the header) of a file quarantined whole, when they can be counted."""
    if _is_xlsx(name):
        return 0
    text = data.decode(csvtext.declared_encoding(name), errors="replace")
    return max(sum(1 for _ in csvtext.records(text)) - 1, 0)


def _file_reject(name: str, data: bytes, code: str, reason: str, detail: str, rows: int) -> FileReject:
    digest = hashlib.sha256(data).hexdigest()
    return FileReject(name, "", code, reason, size=len(data), sha256=digest, rows=rows, detail=detail)


def _bad_header(name: str, data: bytes, head: Record, names: list[str], rows: int) -> FileReject:
    cut = "" if head.terminated else " (the file ends inside its header: it was cut)"
    detail = json.dumps({"header": head.values, "expected": names, "line": head.line}, ensure_ascii=False)
    return _file_reject(name, data, "bad_header", f"header is not {names}{cut}", detail, rows)


def _shape(record: Record, width: int, xlsx: bool) -> tuple[str, str] | None:
    if record.problem:
        return record.problem
    found = len(record.values)
    if found == width or (found < width and xlsx):  # a workbook drops empty trailing cells
        return None
    code = "too_few_fields" if found < width else "too_many_fields"
    return code, f"{found} fields, expected {width}"


def _rows(name: str, body: list[Record], schema: pa.Schema, names: list[str], primary_key: Sequence[str],
          xlsx: bool) -> Iterator[Item]:
    whole: list[Record] = []
    rejects: list[Reject] = []
    for record in body:
        problem = _shape(record, len(names), xlsx)
        if problem:
            rejects.append(Reject(f"{name}:{record.line}", record.raw, *problem))
        else:
            whole.append(Record(record.line, record.values + [None] * (len(names) - len(record.values)),
                                record.raw, True))
    whole, repeated = _unique(name, whole, names, primary_key)
    rejects += repeated
    batch = pa.RecordBatch.from_pylist([], schema)
    if whole:
        result = conform(_table(name, whole, names, schema), schema, primary_key)
        for index, code, reason in result.rejected:
            rejects.append(Reject(f"{name}:{whole[index].line}", _as_json(names, whole[index]), code, reason))
        batch = result.batch
    yield from rejects
    yield batch
    yield Delivery(name, len(body), batch.num_rows, len(rejects))


def _unique(name: str, rows: list[Record], names: list[str],
            primary_key: Sequence[str]) -> tuple[list[Record], list[Reject]]:
    """Rows whose key occurs once in the file, and a reject for every copy of a repeated key."""
    if not primary_key:
        return rows, []
    at = [names.index(k) for k in primary_key]
    keys = [tuple(r.values[i] for i in at) for r in rows]
    counts = Counter(k for k in keys if all(v not in (None, "") for v in k))
    if all(n == 1 for n in counts.values()):
        return rows, []
    lines: dict[tuple[object, ...], list[int]] = {}
    for key, row in zip(keys, rows, strict=True):
        lines.setdefault(key, []).append(row.line)
    kept, rejects = [], []
    for key, row in zip(keys, rows, strict=True):
        if counts.get(key, 0) < 2:
            kept.append(row)
            continue
        shown = ", ".join(f"{k}={v}" for k, v in zip(primary_key, key, strict=True))
        reason = (f"key {shown} occurs {counts[key]} times in this file (lines "
                  f"{', '.join(map(str, lines[key]))}): every copy is quarantined")
        rejects.append(Reject(f"{name}:{row.line}", _as_json(names, row), "duplicate_key_in_delivery", reason))
    return kept, rejects


def _as_json(names: list[str], record: Record) -> str:
    return json.dumps(dict(zip(names, record.values, strict=True)), ensure_ascii=False)


def _table(name: str, rows: list[Record], names: list[str], schema: pa.Schema) -> pa.Table:
    columns: dict[str, pa.Array] = {}
    for i, column in enumerate(names):
        columns[column] = pa.array([None if r.values[i] in (None, "") else r.values[i] for r in rows], pa.string())
    if ORIGIN[0] in schema.names:
        columns[ORIGIN[0]] = pa.array([name] * len(rows), pa.string())
        columns[ORIGIN[1]] = pa.array([r.line for r in rows], pa.int64())
    return pa.table(columns)
