"""Fixtures: one metadata-store URL per backend (a SQLite file, a fresh PostgreSQL DB)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine

from hub.store.db import make_engine


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def store_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """An empty metadata store: a SQLite file under tmp_path, or a fresh PostgreSQL DB."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'store' / 'hub.sqlite'}"
    url: str = request.getfixturevalue("postgres_url")
    return url


@pytest.fixture
def engine(store_url: str) -> Iterator[Engine]:
    """An engine on the empty store (no schema yet)."""
    engine = make_engine(store_url)
    yield engine
    engine.dispose()
