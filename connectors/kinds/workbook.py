"""XLSX workbooks of a drop folder: the first sheet's rows, read whole or not at all.

An XLSX file is a ZIP archive of XML parts; a truncated upload loses the archive's
central directory (at its end), a corrupt one breaks a part.  ``rows`` reads the
whole first sheet before returning anything, so a file that breaks half way yields
no row at all, and says what was found instead (``Unreadable``): the parser's error
and whether the bytes are a ZIP archive at all.  Cells become text as the CSV
files spell them: dates ``YYYY-MM-DD``, datetimes ISO, numbers as Python writes
them (``12000.5``), empty cells ``None``.
"""

from __future__ import annotations

import datetime as dt
import io
import json
import zipfile
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

from connectors.kinds.csvtext import Record


@dataclass(frozen=True)
class Unreadable:
    """Why a workbook cannot be read, and what its bytes are."""

    code: str
    reason: str
    detail: dict[str, object] = field(default_factory=dict)

    def detail_json(self) -> str:
        return json.dumps(self.detail, ensure_ascii=False, sort_keys=True)


def cell_text(value: Any) -> Any:
    """A cell value as the text a CSV file would hold (None stays None)."""
    if isinstance(value, dt.datetime):
        return value.date().isoformat() if value.time() == dt.time() else value.isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, float):
        return repr(value)
    return value if value is None else str(value)


def rows(data: bytes) -> list[Record] | Unreadable:
    """Every non-empty row of the first sheet (header included), or why there are none."""
    from openpyxl import load_workbook

    try:
        book = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
        try:
            if not book.worksheets:
                return Unreadable("unreadable_file", "the workbook has no sheet", _structure(data))
            return list(_records(book.worksheets[0].iter_rows(values_only=True)))
        finally:
            book.close()
    except Exception as exc:  # noqa: BLE001 - any parser failure on untrusted bytes means "unreadable"
        reason = f"not a readable XLSX workbook ({type(exc).__name__}: {str(exc)[:200]})"
        return Unreadable("unreadable_file", reason, _structure(data))


def _records(sheet_rows: Iterable[tuple[Any, ...]]) -> Iterator[Record]:
    for line, cells in enumerate(sheet_rows, start=1):
        values = [cell_text(c) for c in cells]
        while values and values[-1] in (None, ""):
            values.pop()
        if values:
            raw = json.dumps(values, ensure_ascii=False)
            yield Record(line, values, raw, True)


def _structure(data: bytes) -> dict[str, object]:
    """What the bytes are: a ZIP archive (with which parts) or not, and how they start."""
    found: dict[str, object] = {"zip_signature": data[:4] == b"PK\x03\x04"}
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            names = archive.namelist()
            found["zip_parts"] = names[:20]
            found["zip_test"] = archive.testzip() or "ok"
    except Exception as exc:  # noqa: BLE001 - BadZipFile, zlib, struct and OS errors of a broken archive
        found["zip_error"] = f"{type(exc).__name__}: {str(exc)[:120]}"
    return found
