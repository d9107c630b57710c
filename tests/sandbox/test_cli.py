"""``hub sandbox seed``: writes a sandbox, prints the summary, refuses foreign directories."""

from __future__ import annotations

import json
import warnings
from pathlib import Path

import typer
from typer.testing import CliRunner


def _app() -> typer.Typer:
    # jieba (imported by the CLI's catalog commands) has invalid escapes that Python reports
    # (DeprecationWarning on 3.11, SyntaxWarning later) when it first compiles them.
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", "invalid escape sequence", DeprecationWarning)
        warnings.filterwarnings("ignore", "invalid escape sequence", SyntaxWarning)
        from hub.cli import app
    return app


def test_seed_command_writes_and_summarises(tmp_path: Path) -> None:
    target = tmp_path / "sbx"
    result = CliRunner().invoke(_app(), ["sandbox", "seed", str(target), "--seed", "3", "--scale", "50"])
    assert result.exit_code == 0, result.output
    assert "subsidy_payment" in result.output and "clues.split_procurement" in result.output
    assert json.loads((target / "manifest.json").read_text())["seed"] == 3


def test_seed_command_refuses_foreign_directory_unless_forced(tmp_path: Path) -> None:
    (tmp_path / "thesis.docx").write_text("not a sandbox")
    refused = CliRunner().invoke(_app(), ["sandbox", "seed", str(tmp_path), "--scale", "50"])
    assert refused.exit_code != 0
    assert "not a sandbox" in str(refused.exception)
    assert not (tmp_path / "finance.sqlite").exists()
    forced = CliRunner().invoke(_app(), ["sandbox", "seed", str(tmp_path), "--scale", "50", "--force"])
    assert forced.exit_code == 0, forced.output
    assert (tmp_path / "thesis.docx").exists() and (tmp_path / "finance.sqlite").exists()
