"""A delivered file cut at EVERY byte offset: never an exception, never a half row loaded.

For a small CSV (UTF-8 and GB18030, CRLF, a quoted comma, a quoted line break,
Chinese text) and a small XLSX, each generated here, every prefix of the file is
read on its own (``read_file``: each loaded value is compared with the complete
source row, and the loaded count with the records that lie whole in the prefix),
and all prefixes together are ingested into a real DuckDB warehouse with a real
metadata store (one file per offset in one drop folder: one load, thousands of
deliveries).  Always: rows read = loaded + quarantined, per file.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from decimal import Decimal
from pathlib import Path
from typing import Any

import pyarrow as pa
import pytest
from openpyxl import Workbook

from connectors import quarantine
from connectors.kinds.files import read_file
from connectors.profiles import FINDINGS, audit
from connectors.samples import FINDINGS_HEADER
from connectors.sdk import Delivery, FileReject, Reject
from hub.settings import Settings
from hub.store import Store
from hub.warehouse import ingest_resource
from tests.connectors.conftest import query

ROWS = [
    ["F-1", "2026年民生资金专项审计", "U001", "西湖区民政局", "违规发放", "12000.50", "向张三违规发放补贴",
     "2026-03-02", "2026-06-30", "未整改", ""],
    ["F-2", "审计, with a comma", "U002", "教育局", "挤占挪用", "88.8", "第一行\r\n第二行（换行）",
     "2026-03-03", "2026-07-01", "已整改", "2026-10-25"],
    ["F-3", "专项", "U003", "某单位", "虚报冒领", "7", 'he said "ok"', "2026-03-04", "2026-07-02", "整改中", ""],
    ["F-4", "专项", "U004", "某单位", "未按规定采购", "1000000.00", "无", "2026-03-05", "2026-07-03", "已整改",
     "2026-10-02"],
]
TYPED = {
    "amount": lambda v: Decimal(v).quantize(Decimal("0.01")),
    "found_on": dt.date.fromisoformat, "rectify_deadline": dt.date.fromisoformat,
    "rectified_on": lambda v: dt.date.fromisoformat(v) if v else None,
}


def _expected(row: list[str]) -> dict[str, Any]:
    out = {name: TYPED.get(name, lambda v: v or None)(value) for name, value in zip(FINDINGS_HEADER, row,
                                                                                     strict=True)}
    return out


EXPECTED = {row[0]: _expected(row) for row in ROWS}
XLSX_ROWS = [[cell.replace("\r\n", "\n") for cell in row] for row in ROWS]  # XML keeps no CR in text
XLSX_EXPECTED = {row[0]: _expected(row) for row in XLSX_ROWS}


def _csv_parts(encoding: str) -> list[bytes]:
    """The header and each record as the bytes a CSV writer delivers (CRLF line ends)."""
    parts = []
    for row in [FINDINGS_HEADER, *ROWS]:
        out = io.StringIO()
        csv.writer(out).writerow(row)
        parts.append(out.getvalue().encode(encoding))
    return parts


def _xlsx() -> bytes:
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(FINDINGS_HEADER)
    for row in XLSX_ROWS:
        sheet.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _whole_records(parts: list[bytes], k: int) -> tuple[bool, int, int]:
    """For the first ``k`` bytes: are the header's names all there, how many records lie whole in
    them (a record whose LF alone is cut is whole: its CR ends it), and where the whole part ends."""
    end, whole = 0, -1
    for part in parts:
        if end + len(part) - 1 > k:  # not even the CR of this record's line end is in the prefix
            break
        end += len(part)
        whole += 1
    return k >= len(parts[0]) - 2, max(whole, 0), max(end, len(parts[0]) - 2)


def _items(path: Path, data: bytes) -> tuple[list[pa.RecordBatch], list[Reject], list[Delivery]]:
    items = list(read_file(path, FINDINGS, data))
    return ([i for i in items if isinstance(i, pa.RecordBatch)], [i for i in items if isinstance(i, Reject)],
            [i for i in items if isinstance(i, Delivery)])


def _assert_loaded_rows_are_whole(batches: list[pa.RecordBatch], expected: dict[str, Any] = EXPECTED) -> int:
    loaded = 0
    for batch in batches:
        for row in batch.to_pylist():
            source_row = {k: v for k, v in row.items() if not k.startswith("_source")}
            assert source_row == expected[row["finding_id"]], row  # never a value the source did not write
            loaded += 1
    return loaded


@pytest.mark.parametrize("encoding", ["utf-8", "gb18030"])
def test_csv_cut_at_every_offset_loads_only_whole_rows(tmp_path: Path, encoding: str) -> None:
    parts = _csv_parts(encoding)
    data = b"".join(parts)
    name = "findings_202601.gbk.csv" if encoding == "gb18030" else "findings_202601.csv"
    for k in range(len(data) + 1):
        batches, rejects, deliveries = _items(tmp_path / name, data[:k])
        (delivery,) = deliveries
        assert delivery.read == delivery.loaded + delivery.quarantined, k
        loaded = _assert_loaded_rows_are_whole(batches)
        assert loaded == delivery.loaded
        header_ok, whole, end = _whole_records(parts, k)
        if k == 0:
            assert [r.reason_code for r in rejects] == ["empty_file"]
            continue
        if not header_ok:
            assert [r.reason_code for r in rejects] == ["bad_header"] and isinstance(rejects[0], FileReject), k
            assert loaded == 0
            continue
        assert loaded == whole, (k, data[:k][-30:])
        assert all(r.reason_code == "unterminated_record" for r in rejects), (k, rejects)
        assert delivery.quarantined == len(rejects) == (1 if k > end else 0), k  # the cut record, if any


def test_xlsx_cut_at_every_offset_is_quarantined_whole(tmp_path: Path) -> None:
    data = _xlsx()
    path = tmp_path / "findings_202601.xlsx"
    for k in range(len(data)):
        batches, rejects, deliveries = _items(path, data[:k])
        assert deliveries == [Delivery(path.name, 0, 0, 0, rejects[0].reason_code)], k
        assert sum(b.num_rows for b in batches) == 0, k
        (reject,) = rejects
        assert isinstance(reject, FileReject) and reject.size == k, k
        assert reject.reason_code == ("empty_file" if k == 0 else "unreadable_file"), k
    batches, rejects, deliveries = _items(path, data)
    assert _assert_loaded_rows_are_whole(batches, XLSX_EXPECTED) == len(ROWS) and rejects == []


def _drop_every_prefix(folder: Path, data: bytes, suffix: str) -> int:
    for k in range(len(data) + 1):
        (folder / f"findings_202601_{k:05d}{suffix}").write_bytes(data[:k])
    return len(data) + 1


@pytest.mark.parametrize("suffix", [".csv", ".xlsx"])
def test_every_prefix_through_the_warehouse(tmp_path: Path, settings: Settings, store: Store, suffix: str) -> None:
    folder = tmp_path / "drop"
    folder.mkdir()
    data = b"".join(_csv_parts("utf-8")) if suffix == ".csv" else _xlsx()
    files = _drop_every_prefix(folder, data, suffix)
    result = ingest_resource(settings.warehouse_path, audit.build({"path": folder}), "findings", store, "cut")

    assert len(result.deliveries) == files
    assert all(d.read == d.loaded + d.quarantined for d in result.deliveries)
    assert result.rows_read == result.rows_loaded + result.quarantined
    assert result.rows_loaded == sum(d.loaded for d in result.deliveries)
    rows = query(settings, "SELECT * EXCLUDE (_source_file, _source_line) FROM raw_audit.findings")
    names = [n for n in FINDINGS.schema.names if not n.startswith("_source")]
    expected = EXPECTED if suffix == ".csv" else XLSX_EXPECTED
    assert {r[0]: dict(zip(names, r, strict=True)) for r in rows} == expected  # whole rows only, each once
    stored = quarantine.list_files(store, source="audit", run_id="cut")
    assert len(stored) == result.files_quarantined == sum(1 for d in result.deliveries if d.file_reason)
    assert all(f.sha256 and f.size < len(data) for f in stored)
