"""The usage ledger: today's rows per grant, exact within a process, written in the background."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from hub.exchange import usage
from hub.exchange.usage import UsageLedger, UsageUnavailable
from hub.store import Store, open_store
from hub.store.models import RowUsage

NOW = datetime(2026, 11, 27, 2, 0, tzinfo=UTC)  # 10:00 on 2026-11-27 in UTC+8
SUBJECT = "partner:hz-xihu-jw"


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    s = open_store(f"sqlite:///{tmp_path / 'hub.sqlite'}")
    yield s
    s.dispose()


def stored(store: Store) -> dict[tuple[str, str, str], int]:
    with store.session() as session:
        return {(u.partner_id, u.grant_id, u.day): u.rows for u in session.scalars(select(RowUsage))}


def test_reservations_count_at_once_and_settle_to_the_rows_delivered(store: Store) -> None:
    ledger = UsageLedger(store, ttl_s=3600, period_s=3600)
    held = ledger.reserve(SUBJECT, "g-1", 100, NOW)
    assert ledger.used_today(SUBJECT, NOW) == {"g-1": 100}
    ledger.settle(held, 40)
    assert ledger.used_today(SUBJECT, NOW) == {"g-1": 40}
    ledger.release(ledger.reserve(SUBJECT, "g-1", 30, NOW))
    assert ledger.used_today(SUBJECT, NOW) == {"g-1": 40}
    assert ledger.used_today("partner:other", NOW) == {}
    ledger.close()


def test_written_rows_are_counted_once_before_and_after_the_next_read(store: Store) -> None:
    ledger = UsageLedger(store, ttl_s=3600, period_s=3600)
    ledger.settle(ledger.reserve(SUBJECT, "g-1", 10, NOW), 10)
    ledger.flush()
    assert stored(store) == {("hz-xihu-jw", "g-1", "2026-11-27"): 10}
    assert ledger.used_today(SUBJECT, NOW) == {"g-1": 10}  # written since the last read
    ledger.ttl_s = 0  # the next call reads the store again: the same rows, not twice
    assert ledger.used_today(SUBJECT, NOW) == {"g-1": 10}
    ledger.close()


def test_another_process_usage_is_seen_after_the_ttl(store: Store) -> None:
    ledger = UsageLedger(store, ttl_s=3600, period_s=3600)
    assert ledger.used_today(SUBJECT, NOW) == {}
    usage.record(store, "hz-xihu-jw", "g-1", "2026-11-27", 25)  # another API process
    assert ledger.used_today(SUBJECT, NOW) == {}  # within the TTL
    ledger.ttl_s = 0
    assert ledger.used_today(SUBJECT, NOW) == {"g-1": 25}
    ledger.close()


def test_a_new_day_starts_from_zero(store: Store) -> None:
    ledger = UsageLedger(store, ttl_s=3600, period_s=3600)
    ledger.settle(ledger.reserve(SUBJECT, "g-1", 10, NOW), 10)
    ledger.flush()
    tomorrow = NOW + timedelta(days=1)
    assert ledger.used_today(SUBJECT, tomorrow) == {}
    ledger.settle(ledger.reserve(SUBJECT, "g-1", 5, tomorrow), 5)
    ledger.close()
    assert stored(store) == {("hz-xihu-jw", "g-1", "2026-11-27"): 10, ("hz-xihu-jw", "g-1", "2026-11-28"): 5}


def test_a_failed_write_keeps_the_rows_counted_and_pending(store: Store, monkeypatch: pytest.MonkeyPatch) -> None:
    ledger = UsageLedger(store, ttl_s=3600, period_s=3600)
    ledger.settle(ledger.reserve(SUBJECT, "g-1", 10, NOW), 10)
    ledger.settle(ledger.reserve(SUBJECT, "g-2", 7, NOW), 7)

    def broken(*_: object) -> None:
        raise UsageUnavailable("store down")

    monkeypatch.setattr(usage, "record", broken)
    ledger.flush()
    assert ledger.failing
    assert ledger.used_today(SUBJECT, NOW) == {"g-1": 10, "g-2": 7}  # neither lost nor doubled
    monkeypatch.undo()
    ledger.flush()
    assert not ledger.failing
    assert stored(store) == {("hz-xihu-jw", "g-1", "2026-11-27"): 10, ("hz-xihu-jw", "g-2", "2026-11-27"): 7}
    ledger.ttl_s = 0
    assert ledger.used_today(SUBJECT, NOW) == {"g-1": 10, "g-2": 7}
    ledger.close()


def test_an_unreadable_store_refuses(tmp_path: Path) -> None:
    s = open_store(f"sqlite:///{tmp_path / 'hub.sqlite'}")
    ledger = UsageLedger(s, ttl_s=0, period_s=3600)
    with s.session() as session:
        session.execute(RowUsage.__table__.delete())  # type: ignore[attr-defined]
    s.engine.dispose()
    (tmp_path / "hub.sqlite").unlink()
    (tmp_path / "hub.sqlite").mkdir()  # no database can be opened there
    with pytest.raises(UsageUnavailable):
        ledger.used_today(SUBJECT, NOW)
