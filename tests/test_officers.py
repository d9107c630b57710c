"""Officers with their own keys: keygen, the one-time bootstrap, enrolment and removal by two.

End to end through ``hub officer …`` on a real HUB_HOME (SQLite store, real audit log),
each officer holding its own passphrase-protected key file.
"""

from __future__ import annotations

import stat
from datetime import timedelta
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization
from sqlalchemy import select
from typer.testing import CliRunner, Result

from hub import officers, statements
from hub.audit import verify_chain
from hub.events import discard
from hub.hubid import hub_id
from hub.keys import KeyStore
from hub.settings import load_settings
from hub.signers import SignerError, load_key_file, write_key_file
from hub.statements import StatementRefused
from hub.store.db import open_store
from hub.store.models import AuditRecord, ClientKey, Officer, OfficerStatement
from tests.officer_desk import Desk
from tests.policy.helpers import NOW

PASSPHRASE = "a long officer passphrase"


def hub(*args: str) -> Result:
    from hub.cli import app

    return CliRunner().invoke(app, list(args))


def _out(result: Result) -> str:
    """The command's output with rich's line wrapping undone."""
    return " ".join(result.output.split())


def _rows(home: Path, model: type) -> list:  # type: ignore[type-arg]
    store = open_store(load_settings(home=home).metadata_url)
    try:
        with store.session() as session:
            return list(session.scalars(select(model)))
    finally:
        store.dispose()


def _officers(home: Path) -> dict[str, bool]:
    return {o.id: o.active for o in _rows(home, Officer)}


@pytest.fixture
def keys(hub_home: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> dict[str, Path]:
    """Five officers' key files, made with ``hub officer keygen`` (passphrase from the environment)."""
    monkeypatch.setenv("HUB_OFFICER_PASSPHRASE", PASSPHRASE)
    monkeypatch.delenv("HUB_OFFICER_KEY", raising=False)
    made = {}
    for name in ("sec-1", "own-fin", "sec-2", "own-audit", "intruder"):
        path = tmp_path / "officers" / f"{name}.key"
        result = hub("officer", "keygen", "--out", str(path))
        assert result.exit_code == 0, result.output
        made[name] = path
    return made


@pytest.fixture
def bootstrapped(keys: dict[str, Path], hub_home: Path) -> dict[str, Path]:
    assert hub("officer", "bootstrap", "sec-1", "--role", "security", "--key", str(keys["sec-1"])).exit_code == 0
    result = hub("officer", "bootstrap", "own-fin", "--role", "owner", "--owner-of", "finance",
                 "--key", str(keys["own-fin"]))
    assert result.exit_code == 0, result.output
    assert "bootstrap is now closed" in _out(result)
    return keys


def _pub(key: Path) -> str:
    return str(key.with_name(key.name + ".pub"))


def test_keygen_writes_a_passphrase_protected_key_and_its_public_half(keys: dict[str, Path]) -> None:
    key = keys["sec-1"]
    assert stat.S_IMODE(key.stat().st_mode) == 0o600
    assert b"ENCRYPTED PRIVATE KEY" in key.read_bytes()
    with pytest.raises(TypeError):
        serialization.load_pem_private_key(key.read_bytes(), password=None)
    signer = load_key_file(key, PASSPHRASE.encode())
    assert Path(_pub(key)).read_bytes() == signer.public_pem()
    again = hub("officer", "keygen", "--out", str(key))
    assert again.exit_code == 1 and "already exists" in str(again.exception)


def test_keygen_refuses_a_short_passphrase(tmp_path: Path) -> None:
    with pytest.raises(SignerError, match="at least 8"):
        write_key_file(tmp_path / "k.key", b"short")
    assert not (tmp_path / "k.key").exists()


def test_the_bootstrap_enrols_two_officers_then_closes(bootstrapped: dict[str, Path], hub_home: Path) -> None:
    assert _officers(hub_home) == {"sec-1": True, "own-fin": True}
    third = hub("officer", "bootstrap", "sec-2", "--role", "security", "--key", str(bootstrapped["sec-2"]))
    assert third.exit_code == 1 and "bootstrap is closed" in str(third.exception)
    events = [(r.event, r.subject) for r in _rows(hub_home, AuditRecord)]
    # own-fin's provider, declared by the finance connector, is registered at its first use
    assert events == [("officer.registered", "officer:sec-1"), ("provider.registered", "connector:finance"),
                      ("officer.registered", "officer:own-fin"), ("officer.bootstrap_closed", "officer:own-fin")]
    [first] = [r for r in _rows(hub_home, AuditRecord) if r.subject == "officer:sec-1"]
    assert first.details["terms"]["public_key"] == Path(_pub(bootstrapped["sec-1"])).read_text()


def test_enrolling_an_officer_with_one_officers_signature_is_refused(bootstrapped: dict[str, Path],
                                                                    hub_home: Path) -> None:
    keys = bootstrapped
    add = ["officer", "add", "sec-2", "--role", "security", "--public-key", _pub(keys["sec-2"])]
    first = hub(*add, "--key", str(keys["sec-1"]))
    assert first.exit_code == 0 and "a second officer must sign" in _out(first)
    assert "sec-2" not in _officers(hub_home)
    again = hub(*add, "--key", str(keys["sec-1"]))  # the same officer once more counts once
    assert again.exit_code == 0 and "sec-2" not in _officers(hub_home)
    self_signed = hub(*add, "--key", str(keys["sec-2"]))  # the newcomer's own key is no officer's
    assert self_signed.exit_code == 1 and "not registered to any officer" in str(self_signed.exception)
    outsider = hub(*add, "--key", str(keys["intruder"]), "--officer", "own-fin")
    assert outsider.exit_code == 1 and "not a registered key of officer `own-fin`" in str(outsider.exception)
    no_key = hub(*add)
    assert no_key.exit_code == 1 and "--key" in str(no_key.exception)
    assert "sec-2" not in _officers(hub_home)
    listed = hub("officer", "list")
    assert "waiting for a second officer" in _out(listed) and "officer:sec-2" in _out(listed)
    second = hub(*add, "--key", str(keys["own-fin"]))
    assert second.exit_code == 0 and "enrolled (two officers signed)" in _out(second)
    assert _officers(hub_home)["sec-2"] is True
    assert all(s.consumed_at is not None for s in _rows(hub_home, OfficerStatement))


def test_a_first_signature_older_than_the_pending_bound_no_longer_counts(bootstrapped: dict[str, Path],
                                                                        hub_home: Path) -> None:
    keys = bootstrapped
    add = ["officer", "add", "sec-2", "--role", "security", "--public-key", _pub(keys["sec-2"])]
    assert hub(*add, "--key", str(keys["sec-1"])).exit_code == 0
    store = open_store(load_settings(home=hub_home).metadata_url)
    try:
        with store.session() as session:  # the first signature was given eight days ago
            for row in session.scalars(select(OfficerStatement).where(OfficerStatement.consumed_at.is_(None))):
                row.accepted_at = row.accepted_at - officers.PENDING_TTL - timedelta(days=1)
    finally:
        store.dispose()
    assert "waiting for a second officer" not in _out(hub("officer", "list"))
    late = hub(*add, "--key", str(keys["own-fin"]))
    assert late.exit_code == 0 and "a second officer must sign" in _out(late)
    assert "sec-2" not in _officers(hub_home)
    again = hub(*add, "--key", str(keys["sec-1"]))  # signed afresh: now the two signatures meet
    assert again.exit_code == 0 and "enrolled (two officers signed)" in _out(again)
    assert _officers(hub_home)["sec-2"] is True


def test_two_signatures_over_different_keys_do_not_enrol(bootstrapped: dict[str, Path], hub_home: Path) -> None:
    keys = bootstrapped
    add = ["officer", "add", "sec-2", "--role", "security"]
    assert hub(*add, "--public-key", _pub(keys["sec-2"]), "--key", str(keys["sec-1"])).exit_code == 0
    swapped = hub(*add, "--public-key", _pub(keys["intruder"]), "--key", str(keys["own-fin"]))
    assert swapped.exit_code == 0 and "a second officer must sign" in _out(swapped)
    role = hub("officer", "add", "sec-2", "--role", "owner", "--owner-of", "audit",
               "--public-key", _pub(keys["sec-2"]), "--key", str(keys["own-fin"]))
    assert role.exit_code == 0 and "sec-2" not in _officers(hub_home)


def test_removal_needs_two_other_officers_and_revokes_the_keys(bootstrapped: dict[str, Path],
                                                               hub_home: Path) -> None:
    keys = bootstrapped
    too_few = hub("officer", "remove", "own-fin", "--key", str(keys["sec-1"]))
    assert too_few.exit_code == 1 and "fewer than two active officers" in str(too_few.exception)
    for by in ("sec-1", "own-fin"):
        assert hub("officer", "add", "sec-2", "--role", "security", "--public-key", _pub(keys["sec-2"]),
                   "--key", str(keys[by])).exit_code == 0
    own = hub("officer", "remove", "sec-2", "--key", str(keys["sec-2"]))
    assert own.exit_code == 1 and "its own removal" in str(own.exception)
    assert hub("officer", "remove", "sec-2", "--key", str(keys["sec-1"])).exit_code == 0
    assert _officers(hub_home)["sec-2"] is True
    done = hub("officer", "remove", "sec-2", "--key", str(keys["own-fin"]))
    assert done.exit_code == 0 and "removed (two officers signed)" in _out(done)
    assert _officers(hub_home)["sec-2"] is False
    [key] = [k for k in _rows(hub_home, ClientKey) if k.client_id == "officer:sec-2"]
    assert key.revoked_at is not None
    gone = hub("officer", "add", "x-1", "--role", "security", "--public-key", _pub(keys["intruder"]),
               "--key", str(keys["sec-2"]))
    assert gone.exit_code == 1 and "was removed" in str(gone.exception)
    settings = load_settings(home=hub_home)
    store = open_store(settings.metadata_url)
    try:
        report = verify_chain(store, KeyStore(settings.keys_dir))
    finally:
        store.dispose()
    assert report.ok, report.problems
    assert report.officer_signatures == 8  # 2 bootstraps, 1+2 enrolment, 1+2 removal


def test_a_bootstrap_statement_must_be_signed_by_the_enrolled_key(hub_home: Path) -> None:
    store = open_store(load_settings(home=hub_home).metadata_url)
    desk = Desk()
    key, other = desk.signer("sec-1"), desk.signer("other")
    terms = statements.enrolment_terms("sec-1", "security", None, key.kid, key.algorithm, key.public_pem().decode())
    try:
        with store.session() as session, pytest.raises(StatementRefused, match="own key"):
            officers.bootstrap(session, discard, "sec-1", role="security", owner_of=None,
                               public_pem=key.public_pem(),
                               statement=statements.sign(other, "sec-1", "bootstrap", "officer:sec-1", terms,
                                                         audience=hub_id(session), now=NOW),
                               now=NOW)
        with store.session() as session:
            assert session.query(Officer).count() == 0
    finally:
        store.dispose()


@pytest.mark.postgres
def test_concurrent_bootstraps_on_postgres_enrol_two_officers_not_three(postgres_url: str) -> None:
    """Two bootstraps racing for the second slot: one waits for the other's commit and is refused."""
    import threading

    from hub.errors import Forbidden

    store = open_store(postgres_url)
    desk = Desk()
    with store.session() as session:
        audience = hub_id(session)

    def statement(name: str) -> tuple[bytes, str]:
        key = desk.signer(name)
        terms = statements.enrolment_terms(name, "security", None, key.kid, key.algorithm,
                                           key.public_pem().decode())
        return key.public_pem(), statements.sign(key, name, "bootstrap", f"officer:{name}", terms,
                                                 audience=audience, now=NOW)

    def enrol(session, name: str) -> None:  # type: ignore[no-untyped-def]
        pem, signed = statement(name)
        officers.bootstrap(session, discard, name, role="security", owner_of=None, public_pem=pem,
                           statement=signed, now=NOW)

    try:
        with store.session() as session:
            enrol(session, "sec-1")
        outcome: dict[str, object] = {}
        first_done = threading.Event()
        with store.session() as first:
            enrol(first, "sec-2")  # holds the enrolment lock until this session commits

            def second() -> None:
                try:
                    with store.session() as session:
                        enrol(session, "sec-3")
                    outcome["sec-3"] = "enrolled"
                except Forbidden as exc:
                    outcome["sec-3"] = str(exc)
                first_done.wait()

            racer = threading.Thread(target=second)
            racer.start()
            racer.join(timeout=1)
            assert racer.is_alive(), "the second bootstrap must wait for the first one's transaction"
        first_done.set()
        racer.join(timeout=30)
        assert "bootstrap is closed" in str(outcome["sec-3"])
        with store.session() as session:
            assert sorted(session.scalars(select(Officer.id))) == ["sec-1", "sec-2"]
    finally:
        store.dispose()
