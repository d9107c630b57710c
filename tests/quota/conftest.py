"""Fixtures: a migrated metadata store on each backend, a real audit log, an injected clock."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from hub.audit import AuditLog
from hub.events import DATA_DELIVERY, AuditEvent
from hub.keys import KeyStore
from hub.policy import Quota
from hub.quota import Ledger
from hub.store.db import Store, open_store

NOW = datetime(2026, 11, 27, 2, 0, tzinfo=UTC)  # 10:00 on 2026-11-27 in UTC+8
DAY = "2026-11-27"
LEASE_S = 30.0
APPEND_BOUND_S = 7.0


@dataclass
class Clock:
    """An injected clock: wall time for quota days and leases, a monotonic one for deadlines."""

    now: datetime = NOW
    mono: float = 1000.0

    def __call__(self) -> datetime:
        return self.now

    def monotonic(self) -> float:
        return self.mono

    def advance(self, seconds: float) -> None:
        self.now += timedelta(seconds=seconds)
        self.mono += seconds


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Store]:
    """A migrated store: a SQLite file under tmp_path, or a fresh PostgreSQL database."""
    url = (f"sqlite:///{tmp_path / 'hub.sqlite'}" if request.param == "sqlite"
           else request.getfixturevalue("postgres_url"))
    s = open_store(url)
    yield s
    s.dispose()


@pytest.fixture
def clock() -> Clock:
    return Clock()


def serving_ledger(store: Store, clock: Clock, holder: str) -> Iterator[Ledger]:
    """The ledger of one serving process (``holder``) on ``store``, disposed afterwards."""
    made = Ledger(store, lease_s=LEASE_S, append_bound_s=APPEND_BOUND_S, clock=clock, monotonic=clock.monotonic,
                  holder=holder)
    yield made
    made.dispose()


@pytest.fixture
def ledger(store: Store, clock: Clock) -> Iterator[Ledger]:
    yield from serving_ledger(store, clock, "test-host:1:abcd")


@pytest.fixture
def audit(store: Store, tmp_path: Path) -> Iterator[AuditLog]:
    log = AuditLog(store, KeyStore(tmp_path / "keys"))
    yield log
    log.close()


def deliver(audit: AuditLog, request_id: str, grant: str, rows: int, day: str = DAY, lease: str | None = None) -> None:
    """Append the delivery record a serving process appends before its first byte."""
    details = {"format": "json", "quota_day": day, **({"quota_lease": lease} if lease else {})}
    audit.append(AuditEvent(DATA_DELIVERY, subject="partner:p", action="read", request_id=request_id,
                            dataset="finance.subsidy_payment", decision="ok", grant=grant, rows=rows,
                            response_sha256="0" * 64, details=details))


def quota(grant: str = "g-1", budget: int = 100) -> Quota:
    return Quota(grant=grant, max_rows_per_day=budget)
