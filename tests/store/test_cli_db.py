"""``hub db upgrade|downgrade|current`` on both backends, run through the real CLI runner."""

from __future__ import annotations

import io
import sys
from pathlib import Path

import pytest
import typer
from sqlalchemy import inspect

from hub.cli import _common
from hub.cli.db import app as db_app
from hub.store import migrate
from hub.store.db import make_engine


def hub(monkeypatch: pytest.MonkeyPatch, *args: str, stdin: str = "") -> int:
    """Run ``hub db ARGS`` as the console script would (db mounted as in hub/cli/__init__.py)."""
    root = typer.Typer(name="hub")
    root.add_typer(db_app, name="db")
    monkeypatch.setattr(sys, "argv", ["hub", "db", *args])
    monkeypatch.setattr(sys, "stdin", io.StringIO(stdin))
    return _common.run_app(root)


@pytest.fixture
def configured(store_url: str, hub_home: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    monkeypatch.setenv("HUB_DATABASE_URL", store_url)
    return store_url


def _revision(url: str) -> str | None:
    engine = make_engine(url)
    try:
        return migrate.current(engine)
    finally:
        engine.dispose()


def test_upgrade_current_downgrade(configured: str, monkeypatch: pytest.MonkeyPatch,
                                   capsys: pytest.CaptureFixture[str]) -> None:
    assert hub(monkeypatch, "current") == 0
    assert "empty (no schema)" in capsys.readouterr().out

    assert hub(monkeypatch, "upgrade") == 0
    assert f"{migrate.head()} (head), empty → {migrate.head()}" in capsys.readouterr().out
    assert hub(monkeypatch, "upgrade") == 0
    assert "unchanged" in capsys.readouterr().out
    assert hub(monkeypatch, "current") == 0
    assert f"{migrate.head()} (head)" in capsys.readouterr().out

    assert hub(monkeypatch, "downgrade", "base", "--yes") == 0
    assert "empty (no schema)" in capsys.readouterr().out
    assert _revision(configured) is None


def test_downgrade_asks_and_a_no_keeps_the_schema(configured: str, monkeypatch: pytest.MonkeyPatch,
                                                  capsys: pytest.CaptureFixture[str]) -> None:
    assert hub(monkeypatch, "upgrade") == 0
    assert hub(monkeypatch, "downgrade", "base", stdin="n\n") != 0
    assert "drops tables" in capsys.readouterr().out
    assert _revision(configured) == migrate.head()


def test_downgrade_to_an_unknown_revision_names_it(configured: str, monkeypatch: pytest.MonkeyPatch,
                                                   capsys: pytest.CaptureFixture[str]) -> None:
    assert hub(monkeypatch, "upgrade") == 0
    assert hub(monkeypatch, "downgrade", "v99", "--yes") == 1
    err = capsys.readouterr().err
    assert "v99" in err and "Traceback" not in err


def test_default_store_lives_in_hub_home(hub_home: Path, monkeypatch: pytest.MonkeyPatch,
                                         capsys: pytest.CaptureFixture[str]) -> None:
    assert hub(monkeypatch, "current") == 0
    assert "file absent" in capsys.readouterr().out
    assert not (hub_home / "hub.sqlite").exists()  # looking does not create it

    assert hub(monkeypatch, "upgrade") == 0
    engine = make_engine(f"sqlite:///{hub_home / 'hub.sqlite'}")
    try:
        assert "audit_records" in inspect(engine).get_table_names()
    finally:
        engine.dispose()


def test_upgrade_sql_prints_and_changes_nothing(configured: str, monkeypatch: pytest.MonkeyPatch,
                                                capsys: pytest.CaptureFixture[str]) -> None:
    assert hub(monkeypatch, "upgrade", "--sql") == 0
    assert "CREATE TABLE grants" in capsys.readouterr().out
    assert _revision(configured) is None
