"""The store itself on SQLite and PostgreSQL: pragmas, round trips, concurrent start."""

from __future__ import annotations

import threading
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
from sqlalchemy import select, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import IntegrityError, StatementError

from hub.store import migrate
from hub.store.db import Store, open_store, sqlite_path
from hub.store.models import AuditRecord, Grant, Partner

CST = timezone(timedelta(hours=8))
T0 = datetime(2026, 11, 27, 10, 0, tzinfo=CST)


@pytest.fixture
def store(store_url: str) -> Store:
    store = open_store(store_url)
    yield store  # type: ignore[misc]
    store.dispose()


def test_sqlite_runs_wal_full_sync_and_foreign_keys(tmp_path: Path) -> None:
    store = open_store(f"sqlite:///{tmp_path / 'deep' / 'dir' / 'hub.sqlite'}")
    try:
        with store.engine.connect() as connection:
            pragma = lambda name: connection.exec_driver_sql(f"PRAGMA {name}").scalar()  # noqa: E731
            assert pragma("journal_mode") == "wal"
            assert pragma("synchronous") == 2  # FULL
            assert pragma("foreign_keys") == 1
            assert (tmp_path / "deep" / "dir" / "hub.sqlite-wal").exists()
    finally:
        store.dispose()


def test_sqlite_path() -> None:
    assert sqlite_path("sqlite:////srv/hub/hub.sqlite") == Path("/srv/hub/hub.sqlite")
    assert sqlite_path("sqlite://") is None
    assert sqlite_path("postgresql+psycopg://u@/db") is None


def _partner() -> Partner:
    return Partner(id="hz-xihu-jw", name="西湖区纪委", clearance=3, jurisdiction="330106",
                   purposes=["case-verification"], created_at=T0)


def _grant() -> Grant:
    return Grant(
        id="g-17", partner_id="hz-xihu-jw", dataset_id="finance.subsidy_payment",
        purposes=["case-verification"], columns=["recipient_name", "amount"],
        clear_columns=["amount"], valid_from=T0, valid_until=T0 + timedelta(days=90),
        max_rows_per_day=10_000, approvals=[{"officer": "o-1", "role": "owner"},
                                            {"officer": "o-2", "role": "security"}],
        created_at=T0,
    )


def _audit_record() -> AuditRecord:
    return AuditRecord(
        seq=1, ts="2026-11-27T10:00:00+08:00", event="decision", request_id="r-1",
        subject="partner:hz-xihu-jw", action="read", dataset="finance.subsidy_payment",
        decision="allow", reasons=["grant g-17 covers purpose case-verification"], grant="g-17",
        rows=12, details={"columns": {"amount": "clear"}, "区": "西湖"}, prev_hash="0" * 64, hash="a" * 64,
    )


def test_round_trip_partner_grant_audit(store: Store) -> None:
    with store.session() as session:
        session.add(_partner())
        session.flush()  # the models declare no relationship(): flush parents first
        session.add_all([_grant(), _audit_record()])
    with store.session() as session:
        partner = session.get(Partner, "hz-xihu-jw")
        grant = session.get(Grant, "g-17")
        record = session.scalars(select(AuditRecord).where(AuditRecord.grant == "g-17")).one()
        assert partner is not None and grant is not None
        assert (partner.name, partner.purposes) == ("西湖区纪委", ["case-verification"])
        assert partner.suspended is False
        assert grant.approvals[1] == {"officer": "o-2", "role": "security"}
        assert grant.clear_columns == ["amount"]
        assert grant.valid_until - grant.valid_from == timedelta(days=90)
        assert record.reasons == ["grant g-17 covers purpose case-verification"]
        assert record.details == {"columns": {"amount": "clear"}, "区": "西湖"}


def test_instants_come_back_aware_utc(store: Store) -> None:
    with store.session() as session:
        session.add(_partner())
    with store.session() as session:
        created = session.get(Partner, "hz-xihu-jw").created_at  # type: ignore[union-attr]
    assert created.tzinfo is not None and created.utcoffset() == timedelta(0)
    assert created == T0
    with store.session() as session:  # comparisons bind through the same type
        found = session.scalars(select(Partner.id).where(Partner.created_at < T0 + timedelta(minutes=1)))
        assert found.all() == ["hz-xihu-jw"]


def test_naive_datetimes_are_refused(store: Store) -> None:
    partner = _partner()
    partner.created_at = datetime(2026, 11, 27, 10, 0)
    with pytest.raises(StatementError, match="naive datetime"), store.session() as session:
        session.add(partner)


def test_foreign_keys_are_enforced(store: Store) -> None:
    with pytest.raises(IntegrityError), store.session() as session:
        session.add(_grant())  # its partner does not exist


def test_unique_audit_hash(store: Store) -> None:
    with store.session() as session:
        session.add(_audit_record())
    duplicate = _audit_record()
    duplicate.seq = 2
    with pytest.raises(IntegrityError), store.session() as session:
        session.add(duplicate)


def _start_together(urls: list[str]) -> tuple[list[Store], list[BaseException]]:
    """``open_store`` on each URL, each in its own thread, all released at once."""
    barrier = threading.Barrier(len(urls))
    stores: list[Store] = []
    errors: list[BaseException] = []

    def start(url: str) -> None:
        try:
            barrier.wait()
            stores.append(open_store(url))
        except BaseException as exc:  # noqa: BLE001 - reported by the callers' assertions
            errors.append(exc)

    threads = [threading.Thread(target=start, args=(url,)) for url in urls]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return stores, errors


def test_concurrent_open_store_on_a_fresh_store(store_url: str) -> None:
    stores, errors = _start_together([store_url] * 4)
    try:
        assert errors == []
        assert len(stores) == 4
        assert {migrate.current(s.engine) for s in stores} == {migrate.head()}
        with stores[0].engine.connect() as connection:
            assert connection.execute(text("SELECT count(*) FROM alembic_version")).scalar() == 1
    finally:
        for store in stores:
            store.dispose()


def test_concurrent_open_store_on_different_stores(store_url: str, tmp_path: Path) -> None:
    """Alembic's proxies are process-global: two stores migrating at once must not mix."""
    other = f"sqlite:///{tmp_path / 'other.sqlite'}"
    stores, errors = _start_together([store_url, other, store_url, other])
    try:
        assert errors == []
        databases = {make_url(store_url).database, make_url(other).database}
        assert {s.engine.url.database for s in stores} == databases
        assert {migrate.current(s.engine) for s in stores} == {migrate.head()}
    finally:
        for store in stores:
            store.dispose()
