"""Fixtures: a real SQLite metadata store in an isolated HUB_HOME, its keys and audit log."""

from __future__ import annotations

import shutil
import sqlite3
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from click.testing import Result
from typer.testing import CliRunner

from hub.audit import AuditLog, CheckpointPolicy
from hub.events import AuditEvent
from hub.keys import KeyStore
from hub.settings import load_settings
from hub.store import Store, open_store


@dataclass
class AuditEnv:
    home: Path
    store: Store
    keys: KeyStore
    log: AuditLog

    @property
    def db_path(self) -> Path:
        return self.home / "hub.sqlite"

    def raw(self) -> sqlite3.Connection:
        """A plain sqlite3 connection, for tampering as an attacker with file access would."""
        return sqlite3.connect(self.db_path, isolation_level=None)

    def fill(self, n: int, **fields: object) -> list[int]:
        return [self.log.append(event(i, **fields)).seq for i in range(n)]


def event(i: int = 0, **fields: object) -> AuditEvent:
    base: dict[str, object] = {
        "event": "data.delivery", "subject": "partner:hz-xihu-jw", "action": "read",
        "request_id": f"req-{i}", "dataset": "finance.subsidy_payment", "dataset_version": "v3",
        "purpose": "case-verification", "decision": "allow", "reasons": ["grant g-1 covers 核查"],
        "grant": "g-1", "rows": i, "response_sha256": "ab" * 32, "client_ip": "127.0.0.1",
        "details": {"format": "csv", "列": [1, 2]},
    }
    base.update(fields)
    return AuditEvent(**base)  # type: ignore[arg-type]


def cli(*args: str) -> Result:
    """Run ``hub audit ARGS`` in-process (imported here: ``hub.cli`` loads every command group)."""
    from hub.cli.audit import app

    return CliRunner().invoke(app, list(args))


def _env(home: Path, suite: str = "international") -> Iterator[AuditEnv]:
    settings = load_settings(home=home, audit_checkpoint_every=5, audit_checkpoint_seconds=3600,
                             crypto_suite=suite)
    store = open_store(settings.metadata_url)
    log = AuditLog.from_settings(store, settings)
    yield AuditEnv(home, store, log.keys, log)
    log.close()
    store.dispose()


@pytest.fixture
def suite() -> str:
    """The cryptographic suite of the log (tests parametrize ``suite`` to run under ``gm``)."""
    return "international"


@pytest.fixture
def audit_env(hub_home: Path, suite: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[AuditEnv]:
    """Store, keys and an audit log (checkpoint every 5 records) in the test's HUB_HOME, under ``suite``."""
    monkeypatch.setenv("HUB_CRYPTO_SUITE", suite)  # for the `hub audit` commands run in-process
    from hub.settings import get_settings

    get_settings.cache_clear()
    yield from _env(hub_home, suite)


@pytest.fixture
def fast_env(tmp_path: Path) -> Iterator[AuditEnv]:
    """Like ``audit_env`` but on tmpfs when there is one: for tests of ordering under many
    writers, where each fsync of a loaded CI disk would only add minutes, not checks."""
    shm = Path("/dev/shm")
    home = Path(tempfile.mkdtemp(prefix="hub-audit-", dir=shm)) if shm.is_dir() else tmp_path / "hub"
    try:
        yield from _env(home)
    finally:
        shutil.rmtree(home, ignore_errors=True)


@pytest.fixture
def policy() -> CheckpointPolicy:
    return CheckpointPolicy(every=5, seconds=3600)
