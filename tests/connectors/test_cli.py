"""``hub connector`` and ``hub quarantine`` from the command line."""

from __future__ import annotations

import warnings
from pathlib import Path

import typer
from typer.testing import CliRunner

from connectors.profiles import audit
from connectors.samples import FINDINGS_HEADER, finding, write_csv
from hub.settings import Settings
from hub.store import Store
from tests.connectors.conftest import load

runner = CliRunner()


def _hub_groups() -> typer.Typer:
    """The two command groups as `hub` mounts them.

    Importing ``hub.cli`` imports every group; jieba (pulled in by the catalog group) has
    invalid escape sequences that Python 3.11 reports while compiling it when no bytecode
    cache exists — a third-party warning, ignored here only for that import.
    """
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", "invalid escape sequence", DeprecationWarning)
        warnings.filterwarnings("ignore", "invalid escape sequence", SyntaxWarning)
        from hub.cli import connector, quarantine
    groups = typer.Typer()
    groups.add_typer(connector.app, name="connector")
    groups.add_typer(quarantine.app, name="quarantine")
    return groups


app = _hub_groups()


def test_new_then_check_passes(tmp_path: Path) -> None:
    made = runner.invoke(app, ["connector", "new", "demo_source", "--dir", str(tmp_path)])
    assert made.exit_code == 0, made.output
    root = tmp_path / "demo_source"
    assert (root / "pyproject.toml").read_text().count(
        'demo_source = "demo_source.connector:demo_source"'
    ) == 1
    assert (root / "tests" / "test_demo_source.py").exists() and (root / "README.md").exists()
    checked = runner.invoke(app, ["connector", "check", str(root)])
    assert checked.exit_code == 0, checked.output
    assert "all 4 checks passed" in checked.output
    again = runner.invoke(app, ["connector", "new", "demo_source", "--dir", str(tmp_path)])
    assert again.exit_code != 0 and "already exists" in str(again.exception)


def test_check_fails_a_nonconforming_connector(tmp_path: Path) -> None:
    runner.invoke(app, ["connector", "new", "lazy_source", "--dir", str(tmp_path)])
    module = tmp_path / "lazy_source" / "lazy_source" / "connector.py"
    module.write_text(module.read_text().replace('primary_key="id", ', ""), encoding="utf-8")
    checked = runner.invoke(app, ["connector", "check", str(tmp_path / "lazy_source")])
    assert checked.exit_code != 0
    assert "merge needs a primary key" in str(checked.exception)


def test_list_shows_builtins_and_their_resources() -> None:
    listed = runner.invoke(app, ["connector", "list"], env={"COLUMNS": "200"})
    assert listed.exit_code == 0, listed.output
    for name in (
        "finance",
        "state_assets",
        "audit",
        "statistics",
        "subsidy_payment",
        "findings",
        "indicators",
    ):
        assert name in listed.output


def test_quarantine_list(sandbox: Path, settings: Settings, store: Store) -> None:
    folder = sandbox / "audit"
    write_csv(
        folder / "findings_202604.csv", FINDINGS_HEADER, [finding("F-7", amount="lots"), finding("F-8")[:3]]
    )
    load(settings, audit.build({"path": folder}), store, "run-q")
    shown = runner.invoke(
        app, ["quarantine", "list", "--source", "audit", "--run", "run-q"], env={"COLUMNS": "250"}
    )
    assert shown.exit_code == 0, shown.output
    assert "findings_202604.csv:2" in shown.output and "bad_number" in shown.output
    assert "findings_202604.csv:3" in shown.output and "too_few_fields" in shown.output
    assert "2 shown, 2 row(s) quarantined for source audit" in shown.output
    assert "0 shown, 0 file(s) quarantined whole for source audit" in shown.output
    other = runner.invoke(app, ["quarantine", "list", "--source", "finance"])
    assert "0 shown, 0 row(s) quarantined" in other.output


def test_quarantine_list_shows_files_clearly(sandbox: Path, settings: Settings, store: Store) -> None:
    folder = sandbox / "audit"
    (folder / "findings_202605.xlsx").write_bytes(b"PK\x03\x04 cut short")
    (folder / "findings_202606.csv").write_bytes("finding_id,金额\n1,２\n".encode("gb18030"))
    load(settings, audit.build({"path": folder}), store, "run-f")
    shown = runner.invoke(app, ["quarantine", "list", "--kind", "files"], env={"COLUMNS": "400"})
    assert shown.exit_code == 0, shown.output
    assert "findings_202605.xlsx" in shown.output and "unreadable_file" in shown.output
    assert "findings_202606.csv" in shown.output and "wrong_encoding" in shown.output
    assert "zip_signature" in shown.output and "gb18030" in shown.output  # what was found in them
    assert "2 shown, 2 file(s) quarantined whole" in shown.output and "row(s)" not in shown.output
