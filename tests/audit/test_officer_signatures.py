"""``hub audit verify`` re-verifies every officer signature the chain carries.

The chain here has no checkpoint after its first records (checkpoint every 10,000),
so an attacker with file access can rewrite its tail consistently: only the officer
signatures can tell, and they must, naming the seq.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterator
from pathlib import Path

import pytest

from hub.audit import AuditLog, verify_chain
from hub.audit.export import export, verify_export
from hub.settings import load_settings
from hub.store import open_store
from hub.workflow import apply
from tests.audit.conftest import AuditEnv, cli
from tests.audit.test_tamper import _insert, _rehash, _row
from tests.officer_desk import Desk
from tests.policy.helpers import NOW, request, seed


@pytest.fixture
def signed_env(hub_home: Path) -> Iterator[tuple[AuditEnv, Desk, str]]:
    """Officers enrolled and an application approved by two of them, all on the real audit log."""
    settings = load_settings(home=hub_home, audit_checkpoint_every=10_000, audit_checkpoint_seconds=3600)
    store = open_store(settings.metadata_url)
    log = AuditLog.from_settings(store, settings)
    with store.session() as session:
        desk = seed(session, log.sink)
    with store.session() as session:
        app_id = apply(session, log.sink, request(), now=NOW).id
    with store.session() as session:
        desk.approve(session, log.sink, app_id, "own-fin", "sec-1", now=NOW)
    yield AuditEnv(hub_home, store, log.keys, log), desk, app_id
    log.close()
    store.dispose()


def _seq_of(db: sqlite3.Connection, event: str, subject: str) -> int:
    return int(db.execute("SELECT seq FROM audit_records WHERE event = ? AND subject = ? ORDER BY seq",
                          (event, subject)).fetchone()[0])


def _rewrite_from(db: sqlite3.Connection, seq: int, change: dict[str, object]) -> None:
    """Change record ``seq`` and re-chain every record after it (what a careful attacker stores)."""
    prev = _row(db, seq - 1)["hash"]
    last = db.execute("SELECT MAX(seq) FROM audit_records").fetchone()[0]
    for n in range(seq, last + 1):
        row = {**_row(db, n), **(change if n == seq else {}), "prev_hash": prev}
        row = _rehash(db, row)
        db.execute("UPDATE audit_records SET details = ?, prev_hash = ?, hash = ? WHERE seq = ?",
                   (row["details"], row["prev_hash"], row["hash"], n))
        prev = row["hash"]


def _details(db: sqlite3.Connection, seq: int) -> dict:
    return json.loads(_row(db, seq)["details"])


def test_a_clean_chain_verifies_every_officer_signature(signed_env: tuple[AuditEnv, Desk, str]) -> None:
    env, _desk, _app = signed_env
    report = verify_chain(env.store, env.keys)
    assert report.ok, report.problems
    # two bootstraps, the enrolment of own-audit (one pending + two on the record), two approvals
    assert report.officer_signatures == 7
    assert "7 officer signatures verified" in report.summary()


def test_altering_the_signature_of_one_approval_fails_naming_its_seq(
        signed_env: tuple[AuditEnv, Desk, str]) -> None:
    env, _desk, _app = signed_env
    db = env.raw()
    seq = _seq_of(db, "application.decided", "officer:sec-1")
    details = _details(db, seq)
    head, claims, signature = details["signed"][0]["statement"].split(".")
    flipped = signature[:20] + ("A" if signature[20] != "A" else "B") + signature[21:]
    details["signed"][0]["statement"] = f"{head}.{claims}.{flipped}"
    _rewrite_from(db, seq, {"details": json.dumps(details)})
    report = verify_chain(env.store, env.keys)
    assert not report.ok
    assert report.first_bad is not None and report.first_bad.seq == seq
    assert "officer signature of `officer:sec-1` does not verify" in report.first_bad.what
    result = cli("verify")
    assert result.exit_code == 1 and f"seq {seq}" in result.output


def test_altering_the_signed_terms_is_caught(signed_env: tuple[AuditEnv, Desk, str]) -> None:
    env, _desk, _app = signed_env
    db = env.raw()
    seq = _seq_of(db, "application.decided", "officer:own-fin")
    details = _details(db, seq)
    details["terms"]["clear_columns"] = ["recipient_name", "recipient_id_number"]
    _rewrite_from(db, seq, {"details": json.dumps(details)})
    report = verify_chain(env.store, env.keys)
    assert report.first_bad is not None and report.first_bad.seq == seq
    assert "terms altered" in report.first_bad.what


def test_an_unsigned_approval_appended_to_the_chain_is_caught(signed_env: tuple[AuditEnv, Desk, str]) -> None:
    env, _desk, _app = signed_env
    db = env.raw()
    seq = _seq_of(db, "application.decided", "officer:own-fin")
    last = _row(db, db.execute("SELECT MAX(seq) FROM audit_records").fetchone()[0])
    forged = {**_row(db, seq), "seq": last["seq"] + 1, "prev_hash": last["hash"], "subject": "officer:own-audit",
              "details": json.dumps({"application": "app-forged", "role": "owner"})}
    _insert(db, _rehash(db, forged))
    report = verify_chain(env.store, env.keys)
    assert report.first_bad is not None and report.first_bad.seq == last["seq"] + 1
    assert "officer signature missing" in report.first_bad.what


def test_a_grant_whose_approvals_name_no_verified_statement_is_caught(
        signed_env: tuple[AuditEnv, Desk, str]) -> None:
    env, _desk, _app = signed_env
    db = env.raw()
    seq = int(db.execute("SELECT seq FROM audit_records WHERE event = 'grant.created'").fetchone()[0])
    details = _details(db, seq)
    details["approvals"][1]["statement"] = "0" * 64
    _rewrite_from(db, seq, {"details": json.dumps(details)})
    report = verify_chain(env.store, env.keys)
    assert report.first_bad is not None and report.first_bad.seq == seq
    assert "no verified approval record carries" in report.first_bad.what


def test_a_statement_under_a_key_never_registered_is_caught(signed_env: tuple[AuditEnv, Desk, str]) -> None:
    env, desk, app_id = signed_env
    db = env.raw()
    seq = _seq_of(db, "application.decided", "officer:sec-1")
    details = _details(db, seq)
    # re-signed by a key the attacker made, under sec-1's name and for this hub: signature valid, key unknown
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    from hub import statements
    from hub.signers import KeySigner

    rogue = KeySigner(Ed25519PrivateKey.generate())
    statement = statements.sign(rogue, "sec-1", "approve", details["target"], details["terms"],
                                audience=desk.audience, now=NOW)
    details["signed"] = [{"statement": statement, "kid": rogue.kid, "digest": details["signed"][0]["digest"]}]
    _rewrite_from(db, seq, {"details": json.dumps(details)})
    report = verify_chain(env.store, env.keys)
    assert report.first_bad is not None and report.first_bad.seq == seq
    assert "was never registered to it" in report.first_bad.what


def test_an_export_carries_and_verifies_the_officer_signatures(signed_env: tuple[AuditEnv, Desk, str],
                                                               tmp_path: Path) -> None:
    env, _desk, _app = signed_env
    out = tmp_path / "audit.jsonl"
    with out.open("w", encoding="utf-8") as fh:
        export(env.store, env.keys, fh)
    report = verify_export(out)
    assert report.ok and report.officer_signatures == 7


def _docs_snippet() -> dict:  # type: ignore[type-arg]
    """The `check_statement` procedure of docs/audit.md §8, as a third party would copy it."""
    text = (Path(__file__).parents[2] / "docs" / "audit.md").read_text(encoding="utf-8")
    section = text[text.index("## 8. Officer statements"):]
    code = section[section.index("```python") + len("```python"):]
    namespace: dict = {}  # type: ignore[type-arg]
    exec(code[:code.index("```")], namespace)  # noqa: S102 - our own documentation, under test
    return namespace


@pytest.mark.parametrize("algorithm", ["EdDSA", "ES256"])
def test_the_documented_procedure_checks_a_statement(tmp_path: Path, algorithm: str) -> None:
    from hub import statements
    from hub.signers import write_key_file

    signer = write_key_file(tmp_path / "k.key", b"passphrase-1", algorithm)
    terms = {"partner": "hz-xihu-jw", "列": [1, "二"]}
    jws = statements.sign(signer, "sec-1", "lockdown", "partner:hz-xihu-jw", terms, audience="hub-" + "0" * 32,
                          note="leak")
    check = _docs_snippet()["check_statement"]
    assert check(jws, signer.public_pem().decode(), terms)["note"] == "leak"
    with pytest.raises(Exception):  # noqa: B017 - any failure will do: the check must not pass
        check(jws, signer.public_pem().decode(), {**terms, "partner": "other"})
    other = write_key_file(tmp_path / "o.key", b"passphrase-2", algorithm)
    with pytest.raises(Exception):  # noqa: B017
        check(jws, other.public_pem().decode(), terms)
