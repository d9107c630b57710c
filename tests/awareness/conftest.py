"""Fixtures for the awareness tests: a real SQLite store and audit log under a fresh HUB_HOME,
and a pinned audit clock so record times (the detectors' only clock) are deterministic."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from hub.audit import AuditLog
from hub.audit.record import set_clock
from hub.awareness import Scanner, Thresholds
from hub.events import DATA_DECISION, DATA_DELIVERY, TOKEN_ISSUED, TOKEN_REJECTED, AuditEvent
from hub.identity import register_partner
from hub.keys import KeyStore
from hub.settings import Settings, load_settings
from hub.store.db import Store, open_store

START = datetime(2026, 11, 1, 16, 0, tzinfo=UTC)  # midnight starting Monday 2 November in UTC+8


@dataclass
class SimClock:
    """The audit log's clock in these tests: moves only when told."""

    now: datetime = START

    def __call__(self) -> datetime:
        return self.now

    def tick(self, seconds: float = 1.0) -> datetime:
        self.now += timedelta(seconds=seconds)
        return self.now


@dataclass
class Hub:
    """A store, its real audit log and key store, and the pinned clock."""

    settings: Settings
    store: Store
    audit: AuditLog
    keys: KeyStore
    clock: SimClock
    seqs: list[int] = field(default_factory=list)

    def emit(self, event: str, step_s: float = 1.0, **fields: Any) -> int:
        """Append one event ``step_s`` seconds after the previous one; return its seq."""
        self.clock.tick(step_s)
        seq = self.audit.append(AuditEvent(event, **fields)).seq
        self.seqs.append(seq)
        return seq

    def deny(self, subject: str, dataset: str = "finance.subsidy_payment", **kw: Any) -> int:
        return self.emit(DATA_DECISION, subject=subject, action="read", dataset=dataset, decision="deny",
                         reasons=["rule grant: no grant"], client_ip=kw.pop("client_ip", "10.0.0.1"), **kw)

    def read(self, subject: str, dataset: str, rows: int, ip: str = "10.0.0.1", step_s: float = 1.0,
             lookups: list[str] | None = None) -> int:
        self.emit(DATA_DECISION, step_s, subject=subject, action="read", dataset=dataset, decision="allow",
                  client_ip=ip, details={"lookups": lookups} if lookups else {})
        return self.emit(DATA_DELIVERY, 0.01, subject=subject, action="read", dataset=dataset, decision="ok",
                         rows=rows, client_ip=ip)

    def token_failure(self, ip: str, subject: str | None = None, reason: str = "bad_signature") -> int:
        return self.emit(TOKEN_REJECTED, subject=subject, action="token", decision="deny", reasons=[reason],
                         client_ip=ip, details={"stage": "assertion", "reason": reason})

    def token(self, subject: str, ip: str) -> int:
        return self.emit(TOKEN_ISSUED, subject=subject, action="token", decision="ok", client_ip=ip)

    def scanner(self, thresholds: Thresholds | None = None, **kw: Any) -> Scanner:
        kw.setdefault("clock", self.clock)
        return Scanner(self.store, self.audit.sink, self.keys, thresholds or Thresholds(), **kw)


@pytest.fixture
def sim_clock() -> Iterator[SimClock]:
    clock = SimClock()
    set_clock(clock)
    yield clock
    set_clock(None)


def make_hub(home: Path, clock: SimClock, partners: tuple[str, ...] = ("p1", "p2"),
             database_url: str | None = None) -> Hub:
    settings = load_settings(home=home, database_url=database_url)
    store = open_store(settings.metadata_url)
    audit = AuditLog.from_settings(store, settings)
    for partner in partners:
        with store.session() as session:
            register_partner(session, audit.sink, partner, clearance=3, jurisdiction="330106",
                             purposes=["case-verification"])
    return Hub(settings, store, audit, KeyStore(settings.keys_dir), clock)


@pytest.fixture
def hub(tmp_path: Path, sim_clock: SimClock) -> Iterator[Hub]:
    made = make_hub(tmp_path / "hub", sim_clock)
    yield made
    made.audit.close()
    made.store.dispose()
