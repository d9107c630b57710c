"""All four profiles against a sandbox written by the real generator (``hub.sandbox.seed``)."""

from __future__ import annotations

import csv
import json
import sqlite3
from pathlib import Path

from openpyxl import load_workbook

from connectors import quarantine
from connectors.profiles import load_profiles
from hub.sandbox import seed
from hub.sandbox.statistics_api import serve_in_background
from hub.settings import Settings
from hub.store import Store
from tests.connectors.conftest import load, query

SQL = {
    "finance": ["budget_unit", "payroll", "subsidy_payment", "treasury_payment", "revenue_receipt"],
    "state_assets": ["enterprise", "asset_disposal", "major_decision"],
}


def _file_rows(folder: Path) -> list[tuple[str, str]]:
    """(position, finding_id) of every data row, read independently of the connector."""
    rows = []
    for path in sorted(folder.iterdir()):
        if path.suffix == ".xlsx":
            book = load_workbook(path, read_only=True)
            cells = enumerate(book.worksheets[0].iter_rows(values_only=True), 1)
            rows += [
                (f"{path.name}:{n}", str(r[0] or ""))
                for n, r in cells
                if n > 1 and any(c not in (None, "") for c in r)
            ]
            book.close()
        else:
            encoding = "gb18030" if path.name.endswith(".gbk.csv") else "utf-8-sig"
            with path.open(encoding=encoding, newline="") as fh:
                reader = csv.reader(fh)
                rows += [
                    (f"{path.name}:{reader.line_num}", r[0]) for r in reader if r and reader.line_num > 1
                ]
    return rows


def test_generated_sandbox_loads_exactly(hub_home: Path, store: Store) -> None:
    sandbox = hub_home / "sandbox"
    seed(sandbox, seed=5, scale=10)
    settings = Settings(home=hub_home)
    with serve_in_background(sandbox, fail_rate=0.2, seed=2) as url:
        sources = {s.name: s for s in load_profiles(settings, statistics_url=url)}
        first = {name: load(settings, source, store, "seed-1") for name, source in sources.items()}
        second = {name: load(settings, source, store, "seed-2") for name, source in sources.items()}

    for db, tables in SQL.items():
        with sqlite3.connect(sandbox / f"{db}.sqlite") as conn:
            for table in tables:
                source_rows = conn.execute(f"SELECT count(*) FROM {table}").fetchone()[0]
                raw = query(settings, f"SELECT count(*) FROM raw_{db}.{table}")[0][0]
                assert raw == source_rows - first[db][table].quarantined, table
        conn.close()

    bad = {q.position for q in quarantine.list_rows(store, source="audit")}
    expected = {fid for position, fid in _file_rows(sandbox / "audit") if position not in bad}
    assert {r[0] for r in query(settings, "SELECT finding_id FROM raw_audit.findings")} == expected
    assert len(bad) == first["audit"]["findings"].quarantined

    items = [
        json.loads(line) for line in (sandbox / "statistics" / "indicators.jsonl").read_text().splitlines()
    ]
    keys = {(i["region_code"], i["period"], i["indicator_code"]) for i in items}
    assert query(settings, "SELECT count(*) FROM raw_statistics.indicators") == [(len(keys),)]

    for results in second.values():
        assert all(r.inserted == r.updated == r.deleted == 0 for r in results.values())
