"""Alembic migrations against real SQLite and PostgreSQL: up, down, idempotent, in sync."""

from __future__ import annotations

import logging
import sqlite3
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import Engine, inspect

from hub.errors import Unavailable
from hub.store import migrate
from hub.store.db import make_engine, open_store, sqlite_path
from hub.store.models import Base

MODEL_TABLES = set(Base.metadata.tables)


def _tables(engine: Engine) -> set[str]:
    return set(inspect(engine).get_table_names())


def _differences(engine: Engine) -> list[object]:
    with engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        return list(compare_metadata(context, Base.metadata))


def test_models_declare_the_migrated_tables() -> None:
    # 16 of 0001 (less 0006's replaced row_usage), 0003's officer_statements, 0005's
    # quarantined_files, 0006's quota_days and quota_reservations, 0008's providers and
    # dataset_reviews, 0009's console_login_links and console_sessions, 0010's six awareness tables,
    # 0013's trusted_publishers, installed_models and model_revocations, 0012's policy_rule_revisions,
    # 0011's client_certificates, 0016's hub_identity
    assert len(MODEL_TABLES) == 35
    assert {"officer_statements", "quarantined_files", "providers", "dataset_reviews", "console_login_links",
            "console_sessions", "quota_days", "quota_reservations", "alerts", "alert_notifications",
            "awareness_state", "awareness_hourly", "awareness_seen", "dataset_suspensions", "trusted_publishers",
            "installed_models", "model_revocations", "policy_rule_revisions",
            "client_certificates"} <= set(MODEL_TABLES)


def test_upgrade_downgrade_upgrade(engine: Engine) -> None:
    assert migrate.current(engine) is None
    assert _tables(engine) == set()

    migrate.upgrade(engine)
    assert migrate.current(engine) == migrate.head()
    assert _tables(engine) == MODEL_TABLES | {"alembic_version"}

    migrate.downgrade(engine, "base")
    assert migrate.current(engine) is None
    assert _tables(engine) <= {"alembic_version"}

    migrate.upgrade(engine)
    assert migrate.current(engine) == migrate.head()
    assert _tables(engine) == MODEL_TABLES | {"alembic_version"}


def test_upgrade_twice_is_a_no_op(engine: Engine) -> None:
    migrate.upgrade(engine)
    with engine.begin() as connection:
        connection.execute(Base.metadata.tables["quota_days"].insert(), {"grant_id": "g", "day": "2026-11-27",
                                                                        "budget": 100, "charged": 5})
    migrate.upgrade(engine)
    assert migrate.current(engine) == migrate.head()
    with engine.connect() as connection:
        assert connection.execute(Base.metadata.tables["quota_days"].select()).one().charged == 5


def test_migrated_schema_matches_the_models(engine: Engine) -> None:
    migrate.upgrade(engine)
    differences = _differences(engine)
    assert differences == [], (
        "hub/store/models.py differs from the migrations; draft one with "
        "hub.store.migrate.new_revision(message, rev_id) and review it"
    )


def test_schema_drift_is_detected(engine: Engine) -> None:
    """The check above can fail: a store missing a model's index shows a difference."""
    migrate.upgrade(engine)
    with engine.begin() as connection:
        connection.exec_driver_sql("DROP INDEX ix_grants_dataset_id")
    differences = _differences(engine)
    assert [d[0] for d in differences] == ["add_index"]  # type: ignore[index]


def test_unknown_revision_is_a_clear_error(engine: Engine) -> None:
    migrate.upgrade(engine)
    with pytest.raises(migrate.MigrationError, match="'nope'"):
        migrate.downgrade(engine, "nope")
    assert migrate.current(engine) == migrate.head()


def test_open_store_migrates_quietly(store_url: str, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO)
    store = open_store(store_url)
    try:
        assert migrate.current(store.engine) == migrate.head()
    finally:
        store.dispose()
    assert [r for r in caplog.records if r.name.startswith("alembic")] == []


def test_open_store_without_migrate_leaves_the_store_empty(store_url: str) -> None:
    store = open_store(store_url, migrate=False)
    try:
        assert migrate.current(store.engine) is None
    finally:
        store.dispose()


def test_unreachable_postgres_is_unavailable_naming_the_store() -> None:
    engine = make_engine("postgresql+psycopg://hub:secret@/hub?host=/nonexistent/socket/dir")
    try:
        with pytest.raises(Unavailable, match="metadata store .*hub.*unreachable") as caught:
            migrate.upgrade(engine)
    finally:
        engine.dispose()
    assert "secret" not in str(caught.value)


def test_store_made_by_create_all_is_adopted_at_head(engine: Engine) -> None:
    """Stores created before migrations existed (``create_all``) are stamped, data kept."""
    Base.metadata.create_all(engine)
    with engine.begin() as connection:
        connection.execute(Base.metadata.tables["quota_days"].insert(), {"grant_id": "g", "day": "2026-11-27",
                                                                        "budget": 100, "charged": 7})
    migrate.upgrade(engine)
    assert migrate.current(engine) == migrate.head()
    with engine.connect() as connection:
        assert connection.execute(Base.metadata.tables["quota_days"].select()).one().charged == 7
        assert connection.execute(Base.metadata.tables["hub_identity"].select()).one().id.startswith("hub-")


def test_unversioned_store_that_differs_is_refused(engine: Engine) -> None:
    Base.metadata.create_all(engine)
    with engine.begin() as connection:
        connection.exec_driver_sql("DROP INDEX ix_grants_partner_id")
    with pytest.raises(migrate.MigrationError, match="no schema revision.*differ"):
        migrate.upgrade(engine)
    assert migrate.current(engine) is None


def test_store_from_a_newer_hub_is_refused_naming_its_revision(engine: Engine) -> None:
    migrate.upgrade(engine)
    with engine.begin() as connection:
        connection.exec_driver_sql("UPDATE alembic_version SET version_num = 'f00d'")
    with pytest.raises(migrate.MigrationError, match="from revision 'f00d'"):
        migrate.upgrade(engine)


def test_offline_sql_builds_the_same_schema(engine: Engine) -> None:
    """``upgrade_sql`` (for DBAs to review) run by hand gives exactly the migrated schema."""
    script = migrate.upgrade_sql(engine.url.render_as_string(hide_password=False))
    assert "CREATE TABLE audit_records" in script
    raw = engine.raw_connection()
    try:
        driver = raw.driver_connection
        if engine.dialect.name == "sqlite":
            driver.executescript(script)  # type: ignore[union-attr]
        else:
            with driver.cursor() as cursor:  # type: ignore[union-attr]
                cursor.execute(script)
            driver.commit()  # type: ignore[union-attr]
    finally:
        raw.close()
    assert migrate.current(engine) == migrate.head()
    assert _differences(engine) == []


def _hold_write_lock(url: str) -> sqlite3.Connection:
    """Another process's write transaction on the SQLite store (``hub serve``, ``hub run``, a command)."""
    holder = sqlite3.connect(str(sqlite_path(url)), isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")
    return holder


def test_opening_a_store_at_head_waits_for_no_write_lock(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Every hub command opens the store; at head that only reads, so a writer holding the lock never
    makes a command queue.  (It took the migration lock, waiting up to ten minutes for it: the
    officer CLI then sat behind any long write transaction.)"""
    url = f"sqlite:///{tmp_path / 'hub.sqlite'}"
    open_store(url).dispose()
    monkeypatch.setattr(migrate, "_SQLITE_MIGRATION_WAIT_MS", 200)  # a wait for the lock fails, not hangs
    holder = _hold_write_lock(url)
    try:
        store = open_store(url)
        try:
            assert migrate.current(store.engine) == migrate.head()
        finally:
            store.dispose()
    finally:
        holder.rollback()
        holder.close()


def test_a_real_upgrade_still_takes_the_write_lock_and_names_what_it_waited_for(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    url = f"sqlite:///{tmp_path / 'hub.sqlite'}"
    engine = make_engine(url)
    try:
        migrate.upgrade(engine, "0010")
        monkeypatch.setattr(migrate, "_SQLITE_MIGRATION_WAIT_MS", 200)
        holder = _hold_write_lock(url)
        try:
            expected = "from revision '0010' to 'head': waited 0.2 s for the write lock another process holds"
            with pytest.raises(migrate.MigrationError, match=expected):
                migrate.upgrade(engine)
        finally:
            holder.rollback()
            holder.close()
        migrate.upgrade(engine)  # the lock released, the same upgrade goes through
        assert migrate.current(engine) == migrate.head()
    finally:
        engine.dispose()
