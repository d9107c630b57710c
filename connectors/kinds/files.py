"""The ``files`` kind: a drop folder of CSV (UTF-8 or GB18030) and XLSX files.

Files matching a feed's pattern are read in order — the ``YYYYMM`` in the name,
then the name — so that for a key the row of the latest file wins.  The cursor is
the set of files already loaded, by name and SHA-256 of the content: a file seen
again unchanged loads once; a file whose content changed loads again.  Damaged
rows (too few or too many fields, a bad date or number, a missing key) become
``Reject`` objects naming ``file:line`` and the reason.  Columns ``_source_file``
and ``_source_line``, when declared, say where each row came from.
"""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import io
import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pyarrow as pa
from pydantic import BaseModel, Field

from connectors.conform import conform
from connectors.errors import ConnectorConfigError
from connectors.sdk import Incremental, Reject, Resource, connector, file_names, resource
from connectors.tables import TableSpec

ORIGIN = ("_source_file", "_source_line")
_MONTH = re.compile(r"(\d{6})")
Row = tuple[int, list[Any]]  # (line number, field values)


class FileFeed(TableSpec):
    """A feed of a drop folder: a table spec plus the file name pattern."""

    pattern: str = "*.csv"


class FilesConfig(BaseModel):
    """Config of a drop-folder source: the folder and its feeds."""

    path: Path
    source: str = Field(default="files", pattern=r"^[a-z_][a-z0-9_]*$")
    feeds: list[FileFeed] = Field(default_factory=list)


def file_order(path: Path) -> tuple[str, str]:
    """Sort key of a dropped file: the YYYYMM in its name, then its name."""
    match = _MONTH.search(path.name)
    return (match[1] if match else "", path.name)


def _csv_rows(path: Path) -> Iterator[Row]:
    encoding = "gb18030" if path.name.lower().endswith(".gbk.csv") else "utf-8-sig"
    text = path.read_bytes().decode(encoding)
    reader = csv.reader(io.StringIO(text, newline=""))
    for values in reader:
        if values:
            yield reader.line_num, values


def _cell(value: Any) -> Any:
    if isinstance(value, dt.datetime):
        return value.date().isoformat() if value.time() == dt.time() else value.isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, float):
        return repr(value)
    return value if value is None else str(value)


def _xlsx_rows(path: Path) -> Iterator[Row]:
    from openpyxl import load_workbook

    book = load_workbook(path, read_only=True, data_only=True)
    try:
        for line, cells in enumerate(book.worksheets[0].iter_rows(values_only=True), start=1):
            values = [_cell(c) for c in cells]
            while values and values[-1] in (None, ""):
                values.pop()
            if values:
                yield line, values
    finally:
        book.close()


def _rows(path: Path) -> Iterator[Row]:
    return _xlsx_rows(path) if path.suffix.lower() == ".xlsx" else _csv_rows(path)


def _split(path: Path, names: list[str]) -> tuple[list[Row], list[Reject]]:
    """Good-shaped rows and shape rejects (bad header, too few/many fields, bad encoding)."""
    try:
        rows = list(_rows(path))
    except (UnicodeDecodeError, csv.Error, OSError, ValueError, KeyError) as exc:
        return [], [
            Reject(f"{path.name}:1", "", "unreadable_file", f"cannot read {path.name}: {type(exc).__name__}")
        ]
    if not rows:
        return [], []
    (head_line, header), body = rows[0], rows[1:]
    if [str(h).strip() for h in header] != names:
        raw = json.dumps(header, ensure_ascii=False)
        return [], [Reject(f"{path.name}:{head_line}", raw, "bad_header", f"header is not {names}")]
    good, bad = [], []
    for line, values in body:
        if len(values) == len(names) or (len(values) < len(names) and path.suffix.lower() == ".xlsx"):
            good.append((line, values + [None] * (len(names) - len(values))))
            continue
        code = "too_few_fields" if len(values) < len(names) else "too_many_fields"
        reason = f"{len(values)} fields, expected {len(names)}"
        bad.append(Reject(f"{path.name}:{line}", json.dumps(values, ensure_ascii=False), code, reason))
    return good, bad


def _table(path: Path, rows: list[Row], names: list[str], schema: pa.Schema) -> pa.Table:
    columns: dict[str, pa.Array] = {}
    for i, name in enumerate(names):
        values = [None if r[1][i] in (None, "") else r[1][i] for r in rows]
        columns[name] = pa.array(values, pa.string())
    if ORIGIN[0] in schema.names:
        columns[ORIGIN[0]] = pa.array([path.name] * len(rows), pa.string())
        columns[ORIGIN[1]] = pa.array([line for line, _ in rows], pa.int64())
    return pa.table(columns)


def read_file(path: Path, feed: FileFeed) -> Iterator[pa.RecordBatch | Reject]:
    """Rows of one dropped file, conformed to ``feed``, and its damaged rows as rejects."""
    schema = feed.schema
    names = [n for n in schema.names if n not in ORIGIN]
    rows, shape_rejects = _split(path, names)
    yield from shape_rejects
    if not rows:
        return
    result = conform(_table(path, rows, names, schema), schema, feed.primary_key)
    for index, code, reason in result.rejected:
        line, values = rows[index]
        raw = json.dumps(dict(zip(names, values, strict=True)), ensure_ascii=False)
        yield Reject(f"{path.name}:{line}", raw, code, reason)
    yield result.batch


def read_folder(folder: Path, feed: FileFeed, state: Incremental) -> Iterator[pa.RecordBatch | Reject]:
    """Every new or changed file of the feed, oldest first; the cursor records them."""
    if not folder.is_dir():
        raise ConnectorConfigError(f"drop folder {folder} does not exist")
    seen: dict[str, str] = dict(state.start or {})
    for path in sorted(folder.glob(feed.pattern), key=file_order):
        digest = hashlib.sha256(path.read_bytes()).hexdigest()
        if seen.get(path.name) == digest:
            continue
        yield from read_file(path, feed)
        seen[path.name] = digest
        state.advance(dict(seen))


VERSION_SQL = "regexp_extract({t}._source_file, '(\\d{{6}})') || '/' || {t}._source_file"


def feed_resource(folder: Path, feed: FileFeed) -> Resource:
    """A resource reading ``feed`` from ``folder``; the latest file wins per key."""

    def read(state: Incremental) -> Iterator[pa.RecordBatch | Reject]:
        return read_folder(folder, feed, state)

    origin = ORIGIN[0] in feed.columns
    return resource(
        schema=feed.schema,
        primary_key=feed.primary_key,
        write_disposition=feed.write_disposition,
        cursor=file_names(),
        name=feed.name,
        version_sql=VERSION_SQL if origin and feed.primary_key else None,
        dedupe=bool(feed.primary_key),
        draft=feed.draft,
    )(read)


def _sample(directory: Path, empty: bool) -> FilesConfig:
    from connectors.samples import sample_files

    return FilesConfig(path=sample_files(directory, empty), source="sample_files", feeds=[NOTES_FEED])


NOTES_FEED = FileFeed(
    name="notes",
    columns={
        "note_id": "varchar",
        "amount": "decimal(18,2)",
        "noted_on": "date",
        "_source_file": "varchar",
        "_source_line": "bigint",
    },
    primary_key=["note_id"],
    pattern="notes_*",
)


@connector("files", config=FilesConfig, sample=_sample, source_name=lambda c: c.source)
def files(config: FilesConfig) -> list[Resource]:
    """CSV and XLSX files dropped in a folder, declared in configuration."""
    return [feed_resource(config.path, feed) for feed in config.feeds]
