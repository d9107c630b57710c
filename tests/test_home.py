"""Issue 23, point 6: the hub's files are private whatever the caller's umask (``hub.home``).

The demo run (tests/test_demo.py) checks every file under HUB_HOME after ``hub demo``;
here: the ``hub`` console script's entry point, the Dagster code location, and
``secure_home`` on a home created earlier under a loose umask.
"""

from __future__ import annotations

import os
import stat
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

import hub.orchestration
from hub.home import secure_home

HUB_CLI = str(Path(sys.executable).parent / "hub")


def exposed(home: Path) -> list[str]:
    """Every path under ``home`` (itself included) that group or others may read, write or enter."""
    paths = [home, *home.rglob("*")]
    return [f"{p} {stat.filemode(p.lstat().st_mode)}" for p in paths
            if not p.is_symlink() and p.lstat().st_mode & 0o077]


@pytest.fixture
def loose_umask() -> Iterator[None]:
    """The caller's umask is 022 (files 0644) for the test; the previous one comes back after."""
    previous = os.umask(0o022)
    yield
    os.umask(previous)


def test_the_hub_command_creates_private_files_under_a_loose_umask(tmp_path: Path, loose_umask: None) -> None:
    home = tmp_path / "home"
    home.mkdir()  # 0755: made by the operator before the hub ran
    env = {**os.environ, "HUB_HOME": str(home)}
    env.pop("HUB_DATABASE_URL", None)
    done = subprocess.run([HUB_CLI, "db", "upgrade"], env=env, capture_output=True, text=True, timeout=300,
                          preexec_fn=lambda: os.umask(0o022))
    assert done.returncode == 0, done.stderr
    assert (home / "hub.sqlite").exists()
    assert exposed(home) == []


def test_loading_the_dagster_code_location_makes_files_private(loose_umask: None,
                                                              monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delitem(vars(hub.orchestration), "defs", raising=False)
    monkeypatch.setattr(hub.orchestration, "build_definitions", lambda: "definitions")  # the hook, not dagster
    assert hub.orchestration.defs == "definitions"
    assert os.umask(0o022) == 0o077


def test_secure_home_tightens_an_existing_home(tmp_path: Path, loose_umask: None) -> None:
    home = tmp_path / "old-home"
    home.mkdir(mode=0o755)
    (home / "warehouse.duckdb").write_bytes(b"x")
    secure_home(home)
    assert stat.S_IMODE(home.stat().st_mode) == 0o700
    fresh = tmp_path / "new-home" / "nested"
    secure_home(fresh)
    assert stat.S_IMODE(fresh.stat().st_mode) == 0o700
