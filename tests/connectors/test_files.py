"""The files kind through the audit profile: encodings, XLSX, damaged rows, latest file wins."""

from __future__ import annotations

from pathlib import Path

from openpyxl import Workbook

from connectors import quarantine
from connectors.profiles import audit
from connectors.samples import FINDINGS_HEADER, finding, write_csv
from hub.settings import Settings
from hub.store import Store
from tests.connectors.conftest import load, query, snapshot

TABLE = "raw_audit.findings"


def _xlsx(path: Path, rows: list[list[str]]) -> None:
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(FINDINGS_HEADER)
    for row in rows:
        sheet.append(row)
    book.save(path)


def _drop(folder: Path) -> None:
    for old in folder.iterdir():
        old.unlink()
    truncated = finding("F-9")[:6]
    bad_date = finding("F-8", found_on="2026-02-30")
    no_key = finding("")
    write_csv(
        folder / "findings_202603.csv",
        FINDINGS_HEADER,
        [finding("F-1"), finding("F-2"), truncated, bad_date, no_key],
    )
    write_csv(
        folder / "findings_202604.gbk.csv",
        FINDINGS_HEADER,
        [finding("F-2", status="整改中"), finding("F-3", amount="88.8")],
        encoding="gb18030",
    )
    _xlsx(folder / "findings_202605.xlsx", [finding("F-4"), finding("F-1", status="已整改")])


def _statuses(settings: Settings) -> dict[str, tuple[str, str, int]]:
    rows = query(settings, f"SELECT finding_id, rectify_status, _source_file, _source_line FROM {TABLE}")
    return {r[0]: (r[1], r[2], r[3]) for r in rows}


def test_drop_folder(sandbox: Path, settings: Settings, store: Store) -> None:
    folder = sandbox / "audit"
    _drop(folder)
    source = audit.build({"path": folder})
    first = load(settings, source, store)["findings"]

    assert _statuses(settings) == {
        "F-1": ("已整改", "findings_202605.xlsx", 3),
        "F-2": ("整改中", "findings_202604.gbk.csv", 2),
        "F-3": ("未整改", "findings_202604.gbk.csv", 3),
        "F-4": ("未整改", "findings_202605.xlsx", 2),
    }
    assert query(settings, f"SELECT amount::VARCHAR FROM {TABLE} WHERE finding_id = 'F-3'") == [("88.80",)]
    assert first.quarantined == 3
    listed = {(q.position, q.reason_code) for q in quarantine.list_rows(store, source="audit")}
    assert listed == {
        ("findings_202603.csv:4", "too_few_fields"),
        ("findings_202603.csv:5", "bad_date"),
        ("findings_202603.csv:6", "missing_key"),
    }

    before = snapshot(settings, TABLE)
    (folder / "findings_202604.gbk.csv").touch()  # seen again, same content: loads once
    again = load(settings, source, store)["findings"]
    assert (again.rows_read, again.inserted, again.updated) == (0, 0, 0)
    assert snapshot(settings, TABLE) == before

    # a late file of an older month does not override newer rows; its new finding is added
    write_csv(
        folder / "findings_202602.csv", FINDINGS_HEADER, [finding("F-1", status="未整改"), finding("F-5")]
    )
    late = load(settings, source, store)["findings"]
    assert (late.inserted, late.updated) == (1, 0)
    assert _statuses(settings)["F-1"] == ("已整改", "findings_202605.xlsx", 3)

    # a newer file repeating a finding updates it, never duplicates it
    write_csv(folder / "findings_202606.csv", FINDINGS_HEADER, [finding("F-2", status="已整改")])
    newer = load(settings, source, store)["findings"]
    assert (newer.inserted, newer.updated) == (0, 1)
    assert _statuses(settings)["F-2"] == ("已整改", "findings_202606.csv", 2)
    assert query(settings, f"SELECT count(*), count(DISTINCT finding_id) FROM {TABLE}")[0] == (5, 5)
    assert quarantine.count(store, "audit") == 3


def test_unreadable_and_misheaded_files_are_quarantined(
    sandbox: Path, settings: Settings, store: Store
) -> None:
    folder = sandbox / "audit"
    (folder / "findings_202607.csv").write_bytes("finding_id,金额\n".encode("gb18030"))  # not UTF-8
    write_csv(folder / "findings_202608.csv", ["id", "x"], [["1", "2"]])
    result = load(settings, audit.build({"path": folder}), store)["findings"]
    listed = {(q.file_name, q.reason_code, q.rows) for q in quarantine.list_files(store, source="audit")}
    assert listed == {("findings_202607.csv", "wrong_encoding", 0), ("findings_202608.csv", "bad_header", 1)}
    assert quarantine.list_rows(store, source="audit") == []
    assert (result.rows_read, result.rows_loaded, result.quarantined, result.files_quarantined) == (3, 2, 1, 2)
    assert query(settings, f"SELECT count(*) FROM {TABLE}") == [(2,)]  # the tiny sandbox's own file
