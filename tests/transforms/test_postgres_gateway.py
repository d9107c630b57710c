"""The postgres gateway runs the same models on PostgreSQL and finds the same clues."""

from __future__ import annotations

from pathlib import Path

import psycopg
import pytest
from sqlalchemy.engine import make_url

from hub.transform import run_transforms
from tests.transforms.conftest import query
from tests.transforms.rawdata import AS_OF, EXPECTED, clue_keys, create_raw

pytestmark = pytest.mark.postgres


def _connect(postgres_url: str) -> psycopg.Connection:
    url = make_url(postgres_url)
    return psycopg.connect(dbname=url.database, host=url.query["host"], user=url.username, autocommit=True)


def test_postgres_gateway_finds_the_same_clue_keys_as_duckdb(
    postgres_url: str, transformed: tuple[Path, object], tmp_path: Path
) -> None:
    with _connect(postgres_url) as conn:
        create_raw(conn.execute)
    result = run_transforms(tmp_path / "unused.duckdb", as_of=AS_OF, gateway="postgres", pg_url=postgres_url)
    assert result.gateway == "postgres" and "clues.split_procurement" in result.executed
    with _connect(postgres_url) as conn:
        on_postgres = clue_keys(lambda sql: conn.execute(sql).fetchall())
    on_duckdb = clue_keys(lambda sql: query(transformed[0], sql))
    assert on_postgres == on_duckdb == EXPECTED
    with _connect(postgres_url) as conn:  # SQLMesh state lives in PostgreSQL too
        assert conn.execute("SELECT COUNT(*) FROM sqlmesh._snapshots").fetchone()[0] > 0
