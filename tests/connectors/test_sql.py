"""The sql kind through the finance profile: exact counts, idempotent reruns, exact changes.

The same scenario runs against the SQLite file and against a real PostgreSQL copy.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from connectors import quarantine
from connectors.profiles import finance
from hub.settings import Settings
from hub.store import Store
from tests.connectors.conftest import load, query, snapshot
from tests.connectors.sources import SourceDB, copy_finance_to_postgres

TABLES = ["budget_unit", "payroll", "subsidy_payment", "treasury_payment", "revenue_receipt"]


def _damage(db: SourceDB) -> None:
    """Rows the loader must quarantine: a blank key and a timestamp that is not one."""
    db.execute("INSERT INTO budget_unit VALUES ('', '无编码单位', '330106', '行政')")
    db.execute(
        "INSERT INTO subsidy_payment VALUES (90, 'DB', 'x', '赵六', '13800000000', '6222', '330106001', 10.5,"
        " '2026-03', '2026-03-05T10:00:00', 'yesterday')"
    )


@pytest.fixture(params=["sqlite", "postgres"])
def finance_db(request: pytest.FixtureRequest, sandbox: Path) -> Iterator[SourceDB]:
    lite = sandbox / "finance.sqlite"
    if request.param == "sqlite":
        db = SourceDB(f"sqlite:///{lite}")
    else:
        pg_url = request.getfixturevalue("postgres_url")
        copy_finance_to_postgres(lite, pg_url)
        db = SourceDB(pg_url)
    _damage(db)
    yield db
    db.dispose()


def test_counts_rerun_and_changes(finance_db: SourceDB, settings: Settings, store: Store) -> None:
    source = finance.build({"url": finance_db.url, "batch_size": 2})
    first = load(settings, source, store, "run-1")

    for table in TABLES:
        raw = query(settings, f"SELECT count(*) FROM raw_finance.{table}")[0][0]
        assert raw == finance_db.count(table) - first[table].quarantined, table
    assert first["budget_unit"].quarantined == 1 and first["subsidy_payment"].quarantined == 1
    listed = {(q.resource, q.position, q.reason_code) for q in quarantine.list_rows(store, source="finance")}
    assert listed == {
        ("budget_unit", "row 3", "missing_key"),
        ("subsidy_payment", "payment_id=90", "bad_timestamp"),
    }
    assert first["subsidy_payment"].cursor_after == "2026-03-05T10:00:04"

    before = {t: snapshot(settings, f"raw_finance.{t}") for t in TABLES}
    second = load(settings, source, store, "run-2")
    assert all(r.inserted == r.updated == r.deleted == 0 for r in second.values())
    assert {t: snapshot(settings, f"raw_finance.{t}") for t in TABLES} == before
    assert quarantine.count(store, "finance") == 2  # seen twice, stored once

    finance_db.execute(
        "UPDATE subsidy_payment SET amount = 999.99, updated_at = '2026-03-06T08:00:00' WHERE payment_id = 2"
    )
    finance_db.execute(
        "INSERT INTO subsidy_payment VALUES (5, 'TK', 'y', '钱七', '13900000000', '6223',"
        " '330106002', 321.00, '2026-03', '2026-03-06T09:00:00', '2026-03-06T09:00:00')"
    )
    finance_db.execute("UPDATE payroll SET gross_pay = 9100 WHERE record_id = 1")
    finance_db.execute("DELETE FROM budget_unit WHERE unit_code = 'U002'")
    third = load(settings, source, store, "run-3")

    assert (third["subsidy_payment"].inserted, third["subsidy_payment"].updated) == (1, 1)
    assert (third["payroll"].inserted, third["payroll"].updated) == (0, 1)
    assert third["budget_unit"].deleted == 1
    assert third["treasury_payment"].inserted == third["treasury_payment"].updated == 0
    assert third["revenue_receipt"].inserted == third["revenue_receipt"].updated == 0
    rows = query(
        settings,
        "SELECT payment_id, amount::VARCHAR, updated_at::VARCHAR FROM raw_finance.subsidy_payment "
        "WHERE payment_id IN (2, 5) ORDER BY 1",
    )
    assert rows == [(2, "999.99", "2026-03-06 08:00:00"), (5, "321.00", "2026-03-06 09:00:00")]
    assert query(settings, "SELECT count(*), count(DISTINCT payment_id) FROM raw_finance.subsidy_payment")[
        0
    ] == (5, 5)


def test_sqlite_loose_types_are_cast_or_quarantined(sandbox: Path, settings: Settings, store: Store) -> None:
    db = SourceDB(f"sqlite:///{sandbox / 'finance.sqlite'}")
    db.execute("INSERT INTO payroll VALUES (7, 'U001', 'z', '孙八', '科员', '2026-03', 'abc', '6222')")
    db.execute("INSERT INTO payroll VALUES (8, 'U001', 'z', '周九', '科员', '2026-03', '1234.5', '6222')")
    db.execute(
        "INSERT INTO treasury_payment VALUES (3, 'U001', 'u', '某', 10, '款', '2026-03-09 09:00:00+00:00',"
        " '2026-03-09T09:00:00Z')"
    )
    db.dispose()
    result = load(settings, finance.build({"url": f"sqlite:///{sandbox / 'finance.sqlite'}"}), store)

    assert result["payroll"].quarantined == 1
    [row] = quarantine.list_rows(store, source="finance")
    assert (row.position, row.reason_code) == ("record_id=7", "bad_number") and '"abc"' in row.raw
    assert query(settings, "SELECT gross_pay::VARCHAR FROM raw_finance.payroll WHERE record_id = 8") == [
        ("1234.50",)
    ]
    # an offset is converted to Asia/Shanghai, then made naive
    paid = query(
        settings,
        "SELECT paid_at::VARCHAR, updated_at::VARCHAR FROM raw_finance.treasury_payment WHERE payment_id = 3",
    )
    assert paid == [("2026-03-09 17:00:00", "2026-03-09 17:00:00")]
    types = dict(
        query(
            settings,
            "SELECT column_name, data_type FROM information_schema.columns "
            "WHERE table_schema = 'raw_finance' AND table_name = 'subsidy_payment'",
        )
    )
    assert (
        types["amount"] == "DECIMAL(18,2)"
        and types["paid_at"] == "TIMESTAMP"
        and types["payment_id"] == "BIGINT"
    )


def test_typed_postgres_columns_and_cursor(postgres_url: str, settings: Settings) -> None:
    """A production-like PostgreSQL table (numeric, timestamptz) loads and resumes from its cursor."""
    from pydantic import SecretStr

    from connectors.kinds.sql import table_resource
    from connectors.sdk import Source
    from connectors.tables import TableSpec
    from hub.warehouse import ingest_resource

    db = SourceDB(postgres_url)
    db.execute("CREATE TABLE t (id BIGINT PRIMARY KEY, amount NUMERIC(18,2), updated_at TIMESTAMPTZ)")
    db.execute("INSERT INTO t VALUES (1, 1.5, '2026-01-01 10:00:00+08'), (2, 2.5, '2026-01-02 10:00:00+00')")
    spec = TableSpec(
        name="t",
        columns={"id": "bigint", "amount": "decimal(18,2)", "updated_at": "timestamp"},
        primary_key=["id"],
        cursor="updated_at",
    )
    source = Source("pg", (table_resource(SecretStr(postgres_url), spec, 1000),))
    first = ingest_resource(settings.warehouse_path, source, "t", None, "r1")
    assert first.inserted == 2
    db.execute("UPDATE t SET amount = 3.25, updated_at = '2026-01-03 00:00:00+08' WHERE id = 1")
    second = ingest_resource(settings.warehouse_path, source, "t", None, "r2")
    db.dispose()
    assert (second.rows_read, second.inserted, second.updated) == (2, 0, 1)
    rows = query(settings, "SELECT id, amount::VARCHAR, updated_at::VARCHAR FROM raw_pg.t ORDER BY id")
    assert rows == [(1, "3.25", "2026-01-03 00:00:00"), (2, "2.50", "2026-01-02 18:00:00")]


def test_a_key_delivered_twice_by_one_read_is_quarantined_every_copy(
    tmp_path: Path, settings: Settings, store: Store
) -> None:
    """A source table without its key constraint: no copy wins by accident, none vanishes."""
    from pydantic import SecretStr

    from connectors.kinds.sql import SqlConfig, sql
    from connectors.tables import TableSpec

    url = f"sqlite:///{tmp_path / 'nokey.sqlite'}"
    db = SourceDB(url)
    db.execute("CREATE TABLE items (id INTEGER, label TEXT)")  # no PRIMARY KEY in the source
    db.execute("INSERT INTO items VALUES (1, 'a'), (2, 'b'), (2, 'b2'), (3, 'c')")
    spec = TableSpec(name="items", columns={"id": "bigint", "label": "varchar"}, primary_key=["id"])
    source = sql.build(SqlConfig(url=SecretStr(url), source="nokey", tables=[spec]))
    first = load(settings, source, store, "r1")["items"]  # straight into the empty table
    assert sorted(query(settings, "SELECT id, label FROM raw_nokey.items")) == [(1, "a"), (3, "c")]
    assert (first.rows_read, first.rows_loaded, first.quarantined) == (4, 2, 2)

    db.execute("UPDATE items SET label = 'c2' WHERE id = 3")
    db.execute("INSERT INTO items VALUES (4, 'd'), (4, 'd2')")
    second = load(settings, source, store, "r2")["items"]  # staged and merged into the loaded table
    assert sorted(query(settings, "SELECT id, label FROM raw_nokey.items")) == [(1, "a"), (3, "c2")]
    assert (second.rows_read, second.rows_loaded, second.quarantined) == (6, 2, 4)
    listed = sorted((q.position, q.raw) for q in quarantine.list_rows(store, source="nokey"))
    assert listed == [
        ("id=2 (copy 1 of 2)", '{"id": 2, "label": "b"}'), ("id=2 (copy 2 of 2)", '{"id": 2, "label": "b2"}'),
        ("id=4 (copy 1 of 2)", '{"id": 4, "label": "d"}'), ("id=4 (copy 2 of 2)", '{"id": 4, "label": "d2"}'),
    ]
    db.dispose()
