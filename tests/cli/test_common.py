"""How the CLI ends on a store it could not lock (``hub.cli._common.run_app``)."""

from __future__ import annotations

import sqlite3
import sys
from pathlib import Path

import pytest

from hub.cli import app
from hub.cli._common import run_app
from hub.settings import load_settings
from hub.store import db, migrate
from hub.store.db import open_store, sqlite_path

PARTNER = ["partner", "add", "hz-xihu-jw", "--clearance", "3", "--jurisdiction", "330106",
           "--purpose", "case-verification"]


def _hub(monkeypatch: pytest.MonkeyPatch, *args: str) -> int:
    monkeypatch.setattr(sys, "argv", ["hub", *args])
    return run_app(app)


def test_a_command_behind_another_writer_reads_freely_and_a_write_fails_naming_the_lock(
        hub_home: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    url = load_settings(home=hub_home).metadata_url
    open_store(url).dispose()
    monkeypatch.setattr(db, "SQLITE_BUSY_TIMEOUT_S", 1)  # the bound a command waits (10 s in use)
    monkeypatch.setattr(migrate, "_SQLITE_MIGRATION_WAIT_MS", 200)  # (was 10 min behind any writer)
    holder = sqlite3.connect(str(sqlite_path(url)), isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")  # another process's write transaction (`hub run`, `hub serve`)
    try:
        assert _hub(monkeypatch, "application", "list") == 0  # reading needs no lock
        assert _hub(monkeypatch, *PARTNER) == 1
        err = capsys.readouterr().err.replace("\n", " ")
        assert f"the metadata store `{sqlite_path(url)}` stayed locked by another writer" in err
        assert "for 1 s, the most a command waits; nothing was changed" in err
        assert "internal error" not in err and "Traceback" not in err
    finally:
        holder.rollback()
        holder.close()
    assert _hub(monkeypatch, *PARTNER) == 0  # released: the same command goes through
