"""Incremental ingest through the real Dagster assets: a rerun adds nothing, changes apply exactly."""

from __future__ import annotations

import csv
import shutil
import sqlite3
from pathlib import Path

import pytest

from hub.pipeline import EXIT_DEGRADED, run_pipeline
from hub.sandbox import seed
from hub.settings import load_settings
from tests.orchestration.helpers import raw_rows

TABLES = ("raw_finance.subsidy_payment", "raw_finance.treasury_payment", "raw_audit.findings",
          "raw_statistics.indicators", "raw_state_assets.enterprise")


def ingest(home: Path) -> None:
    run_pipeline(load_settings(home=home), home / "sandbox", only=("ingest",))


def snapshot(home: Path) -> dict[str, list[tuple[object, ...]]]:
    return {t: raw_rows(home, t) for t in TABLES}


@pytest.fixture(scope="module")
def home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    home = tmp_path_factory.mktemp("incremental") / "hub"
    seed(home / "sandbox", seed=11, scale=150)
    ingest(home)
    return home


def test_second_run_changes_nothing(home: Path):
    before = snapshot(home)
    ingest(home)
    assert snapshot(home) == before


def _correct_subsidies(sandbox: Path) -> tuple[list[int], int]:
    con = sqlite3.connect(sandbox / "finance.sqlite")
    with con:
        first = con.execute("SELECT payment_id FROM subsidy_payment ORDER BY payment_id LIMIT 3")
        ids = [r[0] for r in first]
        con.executemany("UPDATE subsidy_payment SET amount = amount + 1, updated_at = '2026-11-27T09:00:00' "
                        "WHERE payment_id = ?", [(i,) for i in ids])
        new_id = con.execute("SELECT max(payment_id) + 1 FROM subsidy_payment").fetchone()[0]
        con.execute("INSERT INTO subsidy_payment SELECT ?, program_code, recipient_id_number, "
                    "recipient_name, recipient_phone, bank_card, township_code, 99.5, '2026-11', "
                    "'2026-11-27T09:00:00', '2026-11-27T09:00:00' FROM subsidy_payment "
                    "WHERE payment_id = ?", [new_id, ids[0]])
    con.close()
    return ids, new_id


def _drop_audit_file(sandbox: Path) -> tuple[str, str]:
    first = sorted((sandbox / "audit").glob("findings_*.csv"))[0]
    with first.open(encoding="utf-8") as fh:
        rows = list(csv.reader(fh))
    header, repeated = rows[0], list(rows[1])
    repeated[9], repeated[10] = "已整改", "2026-11-20"
    fresh = list(rows[1])
    fresh[0] = "SJ202612-9999"
    with (sandbox / "audit" / "findings_202612.csv").open("w", encoding="utf-8", newline="") as fh:
        csv.writer(fh).writerows([header, repeated, fresh])
    return repeated[0], fresh[0]


def test_source_changes_apply_exactly(home: Path):
    before = snapshot(home)
    changed, new_id = _correct_subsidies(home / "sandbox")
    repeated, fresh = _drop_audit_file(home / "sandbox")
    ingest(home)
    after = snapshot(home)

    old_sub = {r[0]: r for r in before["raw_finance.subsidy_payment"]}
    new_sub = {r[0]: r for r in after["raw_finance.subsidy_payment"]}
    assert set(new_sub) == set(old_sub) | {new_id}  # one row added, none duplicated
    assert {k for k in old_sub if old_sub[k] != new_sub[k]} == set(changed)
    assert all(new_sub[k][7] == old_sub[k][7] + 1 for k in changed)

    old_f = {r[0]: r for r in before["raw_audit.findings"]}
    new_f = {r[0]: r for r in after["raw_audit.findings"]}
    assert set(new_f) == set(old_f) | {fresh}
    assert {k for k in old_f if old_f[k] != new_f[k]} == {repeated}
    assert new_f[repeated][9] == "已整改" and new_f[repeated][11] == "findings_202612.csv"
    for table in ("raw_finance.treasury_payment", "raw_statistics.indicators", "raw_state_assets.enterprise"):
        assert after[table] == before[table]


def test_failed_ingest_keeps_previous_state(home: Path, tmp_path: Path):
    """A source that breaks mid-run (a table vanishes) fails its asset, changes nothing it had
    committed, and does not stop the other assets (the run reports it: degraded)."""
    copy = tmp_path / "hub"
    shutil.copytree(home, copy)
    before = snapshot(copy)
    con = sqlite3.connect(copy / "sandbox" / "finance.sqlite")
    with con:
        con.execute("UPDATE subsidy_payment SET amount = amount + 1, updated_at = '2026-11-28T00:00:00' "
                    "WHERE payment_id = 1")
        con.execute("DROP TABLE treasury_payment")
    con.close()
    result = run_pipeline(load_settings(home=copy), copy / "sandbox", only=("ingest",))
    assert result.status == EXIT_DEGRADED
    assert len(result.failures) == 1 and "treasury_payment" in result.failures[0]
    after = snapshot(copy)
    assert after["raw_finance.treasury_payment"] == before["raw_finance.treasury_payment"]
    changed = {r[0]: r for r in after["raw_finance.subsidy_payment"]}[1]  # the other tables still loaded
    assert changed[7] == {r[0]: r for r in before["raw_finance.subsidy_payment"]}[1][7] + 1
