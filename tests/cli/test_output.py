"""Every list and show command: ``--json`` is one parseable document, tables fit 80 columns.

The commands run in-process (typer's runner) on a copy of a real pipeline home with
partners, officers, approved grants, a pending application and quarantined rows.
A table is read back from its box-drawing rules: every line fits ``COLUMNS=80`` and
no column is narrower than 6 characters.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from rich.cells import cell_len
from typer.testing import CliRunner

from hub import workflow
from hub.cli import app
from hub.cli._output import MIN_WIDTH, Col, layout
from hub.settings import get_settings

LIST_COMMANDS: list[tuple[list[str], type]] = [
    (["catalog", "list"], list),
    (["catalog", "show", "finance.subsidy_payment"], dict),
    (["connector", "list"], list),
    (["officer", "list"], dict),
    (["quarantine", "list"], dict),
    (["application", "list"], list),
    (["grant", "list", "--all"], list),
    (["audit", "tail", "-n", "30"], list),
    (["provider", "list"], list),
    (["config", "show"], dict),
    (["quota", "show", "GRANT"], list),  # GRANT: hz-xihu-jw's grant, which has one delivery
    (["alerts", "list"], list),
    (["alerts", "show", "ALERT"], dict),  # ALERT: the one alert the fixture records
    (["security", "suspensions"], list),
]


@pytest.fixture(scope="module")
def home(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    from connectors.quarantine import record
    from connectors.sdk import Reject
    from hub import circuit
    from hub.awareness import alerts
    from tests.api.conftest import AsgiClient
    from tests.api.exchange_world import SUBSIDY, bearer, build_world, subsidy_columns

    world = build_world(request.getfixturevalue("pipeline_output").home, tmp_path_factory.mktemp("cli") / "home")
    now = datetime.now(UTC)
    with world.store.session() as session:  # one application left pending, with a long column list
        workflow.apply(session, world.audit.sink, workflow.ApplicationRequest(
            partner="zj-province", dataset=SUBSIDY, purpose="statistics", columns=subsidy_columns(world),
            valid_from=now, valid_until=now + timedelta(days=7), max_rows_per_day=500,
            justification="统计分析"))
    record(world.store, "run-cli-test", "audit", "findings",
           [Reject(position=f"findings_2026-10.csv:{n}", reason_code="bad_date", reason="`found_on` is not a date",
                   raw='{"found_on": "2026-13-45", "finding_text": "' + "某单位违规发放补贴" * 12 + '"}')
            for n in (3, 17)])
    with AsgiClient(world.app()) as http:  # a delivery, so the quota ledger has a grant-day to show
        page = http.get(f"/v1/datasets/{SUBSIDY}/rows", params={"purpose": "case-verification", "limit": 3},
                        headers=bearer(http, world.clients["hz-xihu-jw"]))
        assert page.status_code == 200, page.text
    with world.store.session() as session:  # an alert and the dataset suspension its containment made
        raised = alerts.record(session, alerts.Finding(
            kind="denial_burst", severity="high", subject="partner:leaky", dataset=SUBSIDY, ts=now.isoformat(),
            seqs=[1, 2, 3], title="repeated denials from partner:leaky on " + SUBSIDY, details={"denials": 3}))
        assert raised is not None
        circuit.system_suspend(session, world.audit.sink, SUBSIDY, "containment of a denial burst",
                               alert_id=raised.alert.id)
    world.close()
    yield world.home


@pytest.fixture
def run(home: Path, monkeypatch: pytest.MonkeyPatch) -> Any:
    monkeypatch.setenv("HUB_HOME", str(home))
    monkeypatch.setenv("COLUMNS", "80")
    monkeypatch.delenv("HUB_DATABASE_URL", raising=False)
    get_settings.cache_clear()

    def invoke(*args: str) -> str:
        if "GRANT" in args:
            grants = json.loads(invoke("grant", "list", "--json"))
            found = next(g["id"] for g in grants if g["partner"] == "hz-xihu-jw")
            args = tuple(found if a == "GRANT" else a for a in args)
        if "ALERT" in args:
            alert = json.loads(invoke("alerts", "list", "--json"))[0]["id"]
            args = tuple(alert if a == "ALERT" else a for a in args)
        result = CliRunner().invoke(app, list(args))
        assert result.exit_code == 0, f"hub {' '.join(args)}: {result.output}{result.exception!r}"
        return result.stdout

    return invoke


def _tables(text: str) -> list[list[int]]:
    """Column widths (without padding) of each table, from its header rule ``┡━━╇━━┩``."""
    return [[len(cell) - 2 for cell in line.strip()[1:-1].split("╇")]
            for line in text.splitlines() if line.strip().startswith("┡")]


@pytest.mark.parametrize(("argv", "kind"), LIST_COMMANDS, ids=lambda v: " ".join(v) if isinstance(v, list) else "")
def test_json_is_one_document_with_stable_keys(run: Any, argv: list[str], kind: type):
    first, second = json.loads(run(*argv, "--json")), json.loads(run(*argv, "--json"))
    assert isinstance(first, kind) and first
    items = first if isinstance(first, list) else [first]
    assert all(isinstance(item, dict) and item for item in items)
    assert [sorted(i) for i in items] == [sorted(i) for i in (second if isinstance(second, list) else [second])]
    if isinstance(first, list):  # every row of a list has the same keys
        assert len({tuple(sorted(item)) for item in first}) == 1


@pytest.mark.parametrize(("argv", "kind"), LIST_COMMANDS, ids=lambda v: " ".join(v) if isinstance(v, list) else "")
def test_tables_fit_80_columns_and_no_cell_is_cut_below_6(run: Any, argv: list[str], kind: type):
    text = run(*argv)
    assert max(cell_len(line) for line in text.splitlines()) <= 80, text
    tables = _tables(text)
    assert tables, f"no table in the output of {argv}:\n{text}"
    for widths in tables:
        assert len(widths) >= 2 and min(widths) >= MIN_WIDTH, (widths, text)


def test_the_shapes_partners_and_officers_rely_on(run: Any):
    grants = json.loads(run("grant", "list", "--json"))
    assert {"id", "partner", "dataset", "purposes", "columns", "clear_columns", "all_regions", "jurisdiction",
            "valid_from", "valid_until", "max_rows_per_day", "approvals", "revoked_at"} <= set(grants[0])
    assert all(len(g["approvals"]) == 2 for g in grants)
    pending = [a for a in json.loads(run("application", "list", "--json")) if a["status"] == "pending"]
    shown = json.loads(run("application", "show", pending[0]["id"], "--json"))
    assert re.fullmatch(r"[0-9a-f]{64}", shown["terms_sha256"]) and shown["terms"]["dataset_id"]
    entry = json.loads(run("catalog", "show", "finance.subsidy_payment", "--json"))
    assert {c["name"] for c in entry["columns"]} >= {"payment_id", "recipient_name"}
    quarantined = json.loads(run("quarantine", "list", "--json"))
    assert {q["position"] for q in quarantined["rows"]} >= {"findings_2026-10.csv:3", "findings_2026-10.csv:17"}
    assert set(quarantined) == {"files", "rows", "totals"} and quarantined["totals"]["rows"] >= 2
    [day] = json.loads(run("quota", "show", "GRANT", "--json"))
    assert (day["charged"], day["delivered"], day["problems"]) == (3, 3, [])
    verified = json.loads(run("quota", "verify", "--json"))
    assert verified["problems"] == [] and verified["grant_days"] >= 1 and "released" in verified["reconciled"]


def test_a_narrow_terminal_leaves_out_columns_and_says_which(run: Any, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("COLUMNS", "40")
    text = run("grant", "list")
    assert "not shown at this width" in " ".join(text.split())
    for widths in _tables(text):
        assert min(widths) >= MIN_WIDTH


@pytest.mark.parametrize("width", [30, 50, 80, 120, 200])
def test_layout_never_squeezes_a_column_below_its_minimum(width: int):
    columns = [Col("id", wrap=False), Col("a"), Col("b", min_width=10), Col("c", priority=-1), Col("d")]
    cells = [["grant-0123456789", "x" * 70, "word " * 12, "一二三四五六七八九十" * 3, "ok"]]
    shown, widths = layout(columns, cells, width)
    assert 0 in shown and sum(widths) + 3 * len(shown) + 1 <= width
    for index, w in zip(shown, widths, strict=True):
        assert w >= (16 if index == 0 else 10 if index == 2 else MIN_WIDTH)
