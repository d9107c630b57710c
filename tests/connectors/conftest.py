"""Fixtures of the connector tests: a tiny sandbox, settings, store, helpers over DuckDB."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import duckdb
import pytest

from connectors.samples import tiny_sandbox
from hub.settings import Settings, load_settings
from hub.store import Store, open_store
from hub.warehouse import LoadResult, ingest_resource


@pytest.fixture
def sandbox(hub_home: Path) -> Path:
    """The four source systems with a handful of rows each, at ``$HUB_HOME/sandbox``."""
    return tiny_sandbox(hub_home / "sandbox")


@pytest.fixture
def settings(hub_home: Path, sandbox: Path) -> Settings:
    return load_settings(home=hub_home)


@pytest.fixture
def store(settings: Settings) -> Iterator[Store]:
    opened = open_store(settings.metadata_url)
    yield opened
    opened.dispose()


def load(
    settings: Settings, source: Any, store: Store | None, run_id: str | None = None, **kwargs: Any
) -> dict[str, LoadResult]:
    """Ingest every resource of ``source``; results by resource name."""
    run = run_id or uuid.uuid4().hex[:8]
    return {
        r.name: ingest_resource(settings.warehouse_path, source, r.name, store, run, **kwargs)
        for r in source.resources
    }


def query(settings: Settings, sql: str, params: list[Any] | None = None) -> list[tuple[Any, ...]]:
    """Rows of a read-only query against the warehouse."""
    with duckdb.connect(str(settings.warehouse_path), read_only=True) as conn:
        return conn.execute(sql, params or []).fetchall()


def snapshot(settings: Settings, table: str) -> list[tuple[Any, ...]]:
    """All rows of a raw table in a stable order."""
    return sorted(query(settings, f"SELECT * FROM {table}"), key=repr)
