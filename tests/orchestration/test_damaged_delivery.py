"""Damaged deliveries and a failed source never stop ``hub run`` (issue 22), through the real CLI.

A copy of the session's pipeline home receives, in one run: an XLSX cut at byte
3,727 (the operator's report), a CSV whose last record is cut inside its last field
(``…,已整改,2026-10-2``), a CSV cut inside its header, a CSV in the wrong encoding —
while the finance system loses a table and the state-assets system changes a row.
``hub run`` completes degraded (exit 4): the damaged files are quarantined whole or
row by row, the finance table keeps its last good rows, and every other source is
transformed and published.  The next run gets the corrected files (same names) and
the table back, and completes cleanly (exit 0) with every corrected row loaded.
"""

from __future__ import annotations

import csv
import io
import shutil
import sqlite3
from pathlib import Path

import pytest
from openpyxl import Workbook
from sqlalchemy import select
from typer.testing import CliRunner

from connectors import quarantine
from hub.cli import app
from hub.pipeline import EXIT_DEGRADED, EXIT_OK, EXIT_QUARANTINED
from hub.settings import get_settings, load_settings
from hub.store import open_store
from hub.store.models import Dataset, QuarantinedFile
from tests.conftest import PipelineOutput
from tests.orchestration.helpers import raw_rows

XLSX_CUT = 3727


@pytest.fixture
def home(pipeline_output: PipelineOutput, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    home = tmp_path / "hub"
    shutil.copytree(pipeline_output.home, home)
    monkeypatch.setenv("HUB_HOME", str(home))
    monkeypatch.delenv("HUB_DATABASE_URL", raising=False)
    get_settings.cache_clear()
    return home


def _first_utf8_csv(drop: Path) -> list[list[str]]:
    first = sorted(p for p in drop.glob("findings_*.csv") if not p.name.endswith(".gbk.csv"))[0]
    with first.open(encoding="utf-8") as fh:
        return list(csv.reader(fh))


def _template(sandbox: Path) -> list[str]:
    return _first_utf8_csv(sandbox / "audit")[1]


def _finding(template: list[str], number: int, status: str = "未整改", rectified: str = "") -> list[str]:
    row = list(template)
    row[0], row[9], row[10] = f"SJ202612-{number:04d}", status, rectified
    return row


def _csv(header: list[str], rows: list[list[str]], encoding: str = "utf-8") -> bytes:
    out = io.StringIO()
    csv.writer(out).writerows([header, *rows])
    return out.getvalue().encode(encoding)


def _xlsx(header: list[str], rows: list[list[str]]) -> bytes:
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    for row in [header, *rows]:
        sheet.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _hub_run() -> tuple[int, str]:
    result = CliRunner().invoke(app, ["run"], env={"COLUMNS": "250"})
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    return result.exit_code, result.output


def _versions(home: Path) -> dict[str, str | None]:
    store = open_store(load_settings(home=home).metadata_url)
    try:
        with store.session() as s:
            return {d.id: d.current_version for d in s.scalars(select(Dataset).where(Dataset.exchangeable.is_(True)))}
    finally:
        store.dispose()


def test_damaged_files_and_a_failed_source_then_their_corrections(home: Path, tmp_path: Path) -> None:
    sandbox, drop = home / "sandbox", home / "sandbox" / "audit"
    header, template = _csv_header(drop), _template(sandbox)
    workbook = _xlsx(header, [_finding(template, n) for n in range(1, 31)])
    cut_field = [_finding(template, 41), _finding(template, 42), _finding(template, 43, "已整改", "2026-10-25")]
    full_csv = _csv(header, cut_field)
    shutil.copyfile(sandbox / "finance.sqlite", tmp_path / "finance.sqlite")
    before = {"treasury": raw_rows(home, "raw_finance.treasury_payment"), "versions": _versions(home)}

    (drop / "findings_202612.xlsx").write_bytes(workbook[: min(XLSX_CUT, len(workbook) * 3 // 4)])
    (drop / "findings_202612_b.csv").write_bytes(full_csv[: full_csv.rindex(b"2026-10-25") + 9])  # …,2026-10-2
    (drop / "findings_202612_c.csv").write_bytes(_csv(header, [_finding(template, 51)])[:40])
    (drop / "findings_202612_d.csv").write_bytes(_csv(header, [_finding(template, 61)], "gb18030"))
    _sql(sandbox / "finance.sqlite", "DROP TABLE treasury_payment")
    _sql(sandbox / "state_assets.sqlite", "UPDATE enterprise SET name = name || '（更名）' WHERE rowid = 1")

    status, output = _hub_run()
    assert status == EXIT_DEGRADED, output
    assert "ingest failed" in output and "treasury_payment" in output and "findings_202612.xlsx" in output
    files = {f.file_name: f.reason_code for f in _quarantined_files(home)}
    assert files == {"findings_202612.xlsx": "unreadable_file", "findings_202612_c.csv": "bad_header",
                     "findings_202612_d.csv": "wrong_encoding"}
    ids = {r[0] for r in raw_rows(home, "raw_audit.findings")}
    assert {"SJ202612-0041", "SJ202612-0042"} <= ids  # the whole rows of the cut file
    assert not ids & {"SJ202612-0043", "SJ202612-0051", "SJ202612-0061", "SJ202612-0001"}
    assert raw_rows(home, "raw_finance.treasury_payment") == before["treasury"]  # its last good rows
    versions = _versions(home)
    assert versions["finance.treasury_payment"] == before["versions"]["finance.treasury_payment"]
    for changed in ("state_assets.enterprise", "audit.findings"):  # the other sources: transformed, published
        assert versions[changed] != before["versions"][changed], changed

    (drop / "findings_202612.xlsx").write_bytes(workbook)  # the corrected deliveries, same names
    (drop / "findings_202612_b.csv").write_bytes(full_csv)
    (drop / "findings_202612_c.csv").write_bytes(_csv(header, [_finding(template, 51)]))
    (drop / "findings_202612_d.csv").write_bytes(_csv(header, [_finding(template, 61)]))
    shutil.copyfile(tmp_path / "finance.sqlite", sandbox / "finance.sqlite")
    status, output = _hub_run()
    assert status == EXIT_OK, output
    rows = {r[0]: r for r in raw_rows(home, "raw_audit.findings")}
    assert {f"SJ202612-{n:04d}" for n in [*range(1, 31), 41, 42, 43, 51, 61]} <= set(rows)
    assert str(rows["SJ202612-0043"][10]) == "2026-10-25"
    assert raw_rows(home, "raw_finance.treasury_payment") == before["treasury"]
    assert _versions(home)["audit.findings"] != versions["audit.findings"]


def test_the_sandbox_run_completes_with_quarantined_input(pipeline_output: PipelineOutput) -> None:
    assert pipeline_output.status == EXIT_QUARANTINED  # the generator damages five audit rows


def _csv_header(drop: Path) -> list[str]:
    return _first_utf8_csv(drop)[0]


def _sql(path: Path, statement: str) -> None:
    con = sqlite3.connect(path)
    with con:
        con.execute(statement)
    con.close()


def _quarantined_files(home: Path) -> list[QuarantinedFile]:
    store = open_store(load_settings(home=home).metadata_url)
    try:
        return quarantine.list_files(store)
    finally:
        store.dispose()
