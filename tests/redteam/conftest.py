"""Red-team fixtures: a real hub (SQLite store, real audit chain) with officers holding their keys.

``Hub`` is what an attacker with shell access meets: the store file under HUB_HOME
(``raw()`` opens it as any process with file access could) and the ``hub`` CLI's
code paths (``hub.workflow`` / ``hub.officers`` with the real audit sink).  The
officers' keys are in ``desk``; an attacker does not hold them.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from hub.audit import AuditLog, VerifyReport, verify_chain
from hub.identity import register_partner
from hub.settings import load_settings
from hub.store import Store, open_store
from hub.store.models import Grant
from hub.workflow import apply
from tests.officer_desk import Desk
from tests.policy.helpers import NOW, request, seed


@dataclass
class Hub:
    home: Path
    store: Store
    log: AuditLog
    desk: Desk

    def raw(self) -> sqlite3.Connection:
        """The metadata store opened as a plain file, as anyone with write access to it could."""
        return sqlite3.connect(self.home / "hub.sqlite", isolation_level=None)

    def verify(self) -> VerifyReport:
        return verify_chain(self.store, self.log.keys)

    def apply(self, **overrides: object) -> str:
        with self.store.session() as session:
            return apply(session, self.log.sink, request(**overrides), now=NOW).id

    def decide(self, app_id: str, officer: str, decision: str = "approve") -> None:
        with self.store.session() as session:
            self.desk.decide(session, self.log.sink, app_id, officer, decision, now=NOW)

    def grant_of(self, app_id: str) -> Grant | None:
        with self.store.session() as session:
            found = session.query(Grant).filter_by(application_id=app_id).one_or_none()
            if found is not None:
                session.expunge(found)
            return found


@pytest.fixture
def hub(hub_home: Path) -> Iterator[Hub]:
    """Three officers enrolled (two by the bootstrap), a registered partner, the real audit log."""
    settings = load_settings(home=hub_home, audit_checkpoint_every=10_000, audit_checkpoint_seconds=3600)
    store = open_store(settings.metadata_url)
    log = AuditLog.from_settings(store, settings)
    with store.session() as session:
        desk = seed(session, log.sink)
    with store.session() as session:  # a partner registered as the operator registers one (audited)
        register_partner(session, log.sink, "hz-gongshu-jw", clearance=3, jurisdiction="330105",
                         purposes=["case-verification"])
    yield Hub(hub_home, store, log, desk)
    log.close()
    store.dispose()
