"""The files kind through the audit profile: encodings, XLSX, damaged rows, latest file wins."""

from __future__ import annotations

import hashlib
import json
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


def _only(folder: Path, name: str, data: bytes) -> Path:
    """Empty the drop folder but for one file."""
    for old in folder.iterdir():
        old.unlink()
    (folder / name).write_bytes(data)
    return folder / name


def _csv_bytes(rows: list[list[str]], encoding: str = "utf-8", header: list[str] = FINDINGS_HEADER) -> bytes:
    import csv
    import io

    out = io.StringIO()
    csv.writer(out, lineterminator="\n").writerows([header, *rows])
    return out.getvalue().encode(encoding)


def test_wrong_encoding_is_one_file_entry_naming_lines_and_encoding(
    sandbox: Path, settings: Settings, store: Store
) -> None:
    folder = sandbox / "audit"
    rows = [finding("F-1"), finding("F-2"), ["F-3", *finding("F-3")[1:6], "ascii only", *finding("F-3")[7:]]]
    _only(folder, "findings_202601.csv", _csv_bytes(rows, "gb18030"))  # a .csv must be UTF-8
    (folder / "findings_202602.gbk.csv").write_bytes(_csv_bytes([finding("F-4")], "utf-8"))  # declared GB18030
    write_csv(folder / "findings_202603.csv", FINDINGS_HEADER, [finding("F-5")])
    result = load(settings, audit.build({"path": folder}), store)["findings"]

    files = {f.file_name: f for f in quarantine.list_files(store, source="audit")}
    assert set(files) == {"findings_202601.csv", "findings_202602.gbk.csv"}
    gb = files["findings_202601.csv"]
    detail = json.loads(gb.detail)
    assert (gb.reason_code, gb.rows) == ("wrong_encoding", 3)
    assert detail["bad_lines"] == [2, 3, 4] and detail["bad_line_count"] == 3  # the header is ASCII, so it decodes
    assert "gb18030" in detail["decodes_as"] and len(detail["bad_offsets"]) == 3
    assert gb.size == (folder / "findings_202601.csv").stat().st_size
    assert gb.sha256 == hashlib.sha256((folder / "findings_202601.csv").read_bytes()).hexdigest()
    assert "lines 2, 3, 4" in gb.reason and "gb18030" in gb.reason
    utf8 = files["findings_202602.gbk.csv"]  # UTF-8 bytes either fail GB18030 or decode as mojibake
    assert utf8.reason_code == "wrong_encoding" and json.loads(utf8.detail)["decodes_as"] == ["utf-8"]
    assert query(settings, f"SELECT finding_id FROM {TABLE}") == [("F-5",)]  # the other file loads
    by_file = {d.name: d for d in result.deliveries}
    assert (by_file["findings_202601.csv"].read, by_file["findings_202601.csv"].quarantined) == (3, 3)
    assert result.rows_read == result.rows_loaded + result.quarantined == 5


def test_a_key_twice_in_one_file_quarantines_every_copy(sandbox: Path, settings: Settings, store: Store) -> None:
    folder = sandbox / "audit"
    rows = [finding("F-1"), finding("F-2", status="整改中"), finding("F-2", status="已整改"), finding("F-3")]
    _only(folder, "findings_202601.csv", _csv_bytes(rows))
    result = load(settings, audit.build({"path": folder}), store)["findings"]

    listed = {(q.position, q.reason_code) for q in quarantine.list_rows(store, source="audit")}
    assert listed == {("findings_202601.csv:3", "duplicate_key_in_delivery"),
                      ("findings_202601.csv:4", "duplicate_key_in_delivery")}
    assert [json.loads(q.raw)["rectify_status"] for q in quarantine.list_rows(store, source="audit")] in (
        ["已整改", "整改中"], ["整改中", "已整改"])  # both copies kept, with their content
    assert sorted(query(settings, f"SELECT finding_id FROM {TABLE}")) == [("F-1",), ("F-3",)]
    assert (result.rows_read, result.rows_loaded, result.quarantined) == (4, 2, 2)


def test_a_key_in_two_files_of_one_run_is_no_duplicate(sandbox: Path, settings: Settings, store: Store) -> None:
    folder = sandbox / "audit"
    _only(folder, "findings_202601.csv", _csv_bytes([finding("F-1")]))
    (folder / "findings_202602.csv").write_bytes(_csv_bytes([finding("F-1", status="已整改")]))
    load(settings, audit.build({"path": folder}), store)
    assert query(settings, f"SELECT rectify_status, _source_file FROM {TABLE}") == [("已整改", "findings_202602.csv")]
    assert quarantine.count(store, "audit") == 0  # the latest file wins: a documented rule, not a dropped row


def test_empty_and_header_only_files(sandbox: Path, settings: Settings, store: Store) -> None:
    folder = sandbox / "audit"
    _only(folder, "findings_202601.csv", b"")
    (folder / "findings_202602.csv").write_bytes(_csv_bytes([]))
    (folder / "findings_202603.csv").write_bytes(_csv_bytes([]).rstrip(b"\n"))  # header, no line end
    source = audit.build({"path": folder})
    result = load(settings, source, store)["findings"]

    assert [(f.file_name, f.reason_code, f.size) for f in quarantine.list_files(store)] == [
        ("findings_202601.csv", "empty_file", 0)]
    assert quarantine.count(store) == 0
    assert sorted((d.name, d.read, d.loaded, d.quarantined, d.file_reason) for d in result.deliveries) == [
        ("findings_202601.csv", 0, 0, 0, "empty_file"), ("findings_202602.csv", 0, 0, 0, None),
        ("findings_202603.csv", 0, 0, 0, None)]
    assert query(settings, f"SELECT count(*) FROM {TABLE}") == [(0,)]
    again = load(settings, source, store)["findings"]  # each is read once: the cursor records it
    assert again.deliveries == [] and quarantine.count_files(store) == 1


def test_a_damaged_file_is_replaced_by_its_corrected_version_next_run(
    sandbox: Path, settings: Settings, store: Store
) -> None:
    folder = sandbox / "audit"
    good = _xlsx_bytes([finding("F-1"), finding("F-2", status="已整改")])
    _only(folder, "findings_202601.csv", _csv_bytes([finding("F-0")]))
    source = audit.build({"path": folder})
    load(settings, source, store)
    before = snapshot(settings, TABLE)
    (folder / "findings_202602.xlsx").write_bytes(good[: len(good) // 2])  # a cut upload
    (folder / "findings_202603.csv").write_bytes(_csv_bytes([finding("F-3", status="整改中")])[:-12])
    first = load(settings, source, store)["findings"]
    assert [f.reason_code for f in quarantine.list_files(store)] == ["unreadable_file"]
    assert [q.reason_code for q in quarantine.list_rows(store)] == ["unterminated_record"]
    assert snapshot(settings, TABLE) == before  # the dataset keeps its last good version
    assert first.files_quarantined == 1

    (folder / "findings_202602.xlsx").write_bytes(good)  # corrected, same name
    (folder / "findings_202603.csv").unlink()
    (folder / "findings_202603_fixed.csv").write_bytes(_csv_bytes([finding("F-3", status="整改中")]))  # new name
    second = load(settings, source, store)["findings"]
    assert sorted(d.name for d in second.deliveries) == ["findings_202602.xlsx", "findings_202603_fixed.csv"]
    assert sorted(query(settings, f"SELECT finding_id, rectify_status FROM {TABLE}")) == [
        ("F-0", "未整改"), ("F-1", "未整改"), ("F-2", "已整改"), ("F-3", "整改中")]
    assert (second.quarantined, second.files_quarantined) == (0, 0)


def test_dates_numbers_and_the_last_record_must_be_exact(sandbox: Path, settings: Settings, store: Store) -> None:
    folder = sandbox / "audit"
    rows = [finding("F-1"), finding("F-2", found_on="2026-3-2"), finding("F-3", amount="1.555"),
            finding("F-4", found_on="2026-03-02T10:00:00"), finding("F-5", amount="1e3")]
    cut = _csv_bytes([*rows, finding("F-6", status="已整改")[:10] + ["2026-10-2"]]).rstrip(b"\n")
    _only(folder, "findings_202601.csv", cut)  # the last record cut inside its last field: …,已整改,2026-10-2
    result = load(settings, audit.build({"path": folder}), store)["findings"]
    reasons = {q.position: (q.reason_code, q.reason) for q in quarantine.list_rows(store)}
    assert {p: code for p, (code, _) in reasons.items()} == {
        "findings_202601.csv:3": "bad_date", "findings_202601.csv:4": "bad_number",
        "findings_202601.csv:5": "bad_date", "findings_202601.csv:6": "bad_number",
        "findings_202601.csv:7": "unterminated_record"}
    assert "`found_on`" in reasons["findings_202601.csv:3"][1] and "YYYY-MM-DD" in reasons["findings_202601.csv:3"][1]
    assert "`amount`" in reasons["findings_202601.csv:4"][1]
    assert query(settings, f"SELECT finding_id FROM {TABLE}") == [("F-1",)]
    assert (result.rows_read, result.rows_loaded, result.quarantined) == (6, 1, 5)


def _xlsx_bytes(rows: list[list[str]]) -> bytes:
    import io

    out = io.BytesIO()
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(FINDINGS_HEADER)
    for row in rows:
        sheet.append(row)
    book.save(out)
    return out.getvalue()
