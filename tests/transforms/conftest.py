"""Session-scoped warehouses for the transform tests (SQLMesh runs take seconds each)."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import duckdb
import pytest

from hub.transform import TransformResult, run_transforms
from tests.transforms.rawdata import AS_OF, create_raw


def build_raw_warehouse(directory: Path) -> Path:
    """A DuckDB warehouse holding only the handcrafted raw layer."""
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / "warehouse.duckdb"
    with duckdb.connect(str(path)) as con:
        create_raw(lambda sql, params: con.execute(sql.replace("%s", "?"), params))
    return path


def query(path: Path, sql: str) -> list[tuple[Any, ...]]:
    """Rows of one query against a warehouse file (read-only)."""
    with duckdb.connect(str(path), read_only=True) as con:
        return con.execute(sql).fetchall()


def execute(path: Path, sql: str) -> None:
    """Change a warehouse file (as a connector load would)."""
    with duckdb.connect(str(path)) as con:
        con.execute(sql)


@pytest.fixture(scope="session")
def transformed(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, TransformResult]:
    """The handcrafted warehouse after one ``run_transforms``; tests must not change it."""
    path = build_raw_warehouse(tmp_path_factory.mktemp("warehouse"))
    return path, run_transforms(path, as_of=AS_OF)


@pytest.fixture
def warehouse_copy(transformed: tuple[Path, TransformResult], tmp_path: Path) -> Callable[[], Path]:
    """A private copy of the transformed warehouse (SQLMesh state travels inside it)."""

    def make() -> Path:
        target = tmp_path / "copy" / "warehouse.duckdb"  # same file name: same DuckDB catalog
        target.parent.mkdir()
        shutil.copy(transformed[0], target)
        return target

    return make
