"""Tampering with the stored chain in each way is caught, naming the first bad seq.

Each case edits the SQLite file directly, as someone with file access would, then
runs ``verify_chain`` and ``hub audit verify``.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from hub.audit import verify_chain
from hub.audit.canonical import b64url
from hub.audit.checkpoints import checkpoint_payload
from hub.audit.record import record_hash
from tests.audit.conftest import AuditEnv, cli

Tamper = Callable[[sqlite3.Connection], None]


def _row(db: sqlite3.Connection, seq: int) -> dict:
    db.row_factory = sqlite3.Row
    row = dict(db.execute("SELECT * FROM audit_records WHERE seq = ?", (seq,)).fetchone())
    db.row_factory = None
    return row


def _rehash(db: sqlite3.Connection, row: dict) -> dict:
    """What an attacker who knows the hashing procedure (but not the key) would store."""
    import json

    body = {**row, "reasons": json.loads(row["reasons"]), "details": json.loads(row["details"])}
    first = {**_row(db, 1)}
    first_body = {**first, "reasons": json.loads(first["reasons"]), "details": json.loads(first["details"])}
    hash_name = "sm3" if record_hash(first_body, "sm3") == first["hash"] else "sha256"  # the chain's own hash
    return {**row, "hash": record_hash(body, hash_name)}


def _insert(db: sqlite3.Connection, row: dict) -> None:
    cols = ", ".join(f'"{c}"' for c in row)
    db.execute(f"INSERT INTO audit_records ({cols}) VALUES ({', '.join('?' * len(row))})",
               tuple(row.values()))


def modify(db: sqlite3.Connection) -> None:
    db.execute("UPDATE audit_records SET rows = 999999 WHERE seq = 7")


def delete(db: sqlite3.Connection) -> None:
    db.execute("DELETE FROM audit_records WHERE seq = 7")


def insert_naive(db: sqlite3.Connection) -> None:
    for seq in range(12, 6, -1):
        db.execute("UPDATE audit_records SET seq = seq + 1 WHERE seq = ?", (seq,))
    forged = {**_row(db, 6), "seq": 7, "request_id": "forged", "hash": "f" * 64}
    _insert(db, forged)


def insert_rehashed(db: sqlite3.Connection) -> None:
    for seq in range(12, 6, -1):
        db.execute("UPDATE audit_records SET seq = seq + 1 WHERE seq = ?", (seq,))
    before = _row(db, 6)
    _insert(db, _rehash(db, {**before, "seq": 7, "request_id": "forged", "prev_hash": before["hash"]}))


def swap(db: sqlite3.Connection) -> None:
    db.execute("UPDATE audit_records SET seq = -1 WHERE seq = 6")
    db.execute("UPDATE audit_records SET seq = 6 WHERE seq = 7")
    db.execute("UPDATE audit_records SET seq = 7 WHERE seq = -1")


def truncate_after_checkpoint(db: sqlite3.Connection) -> None:
    db.execute("DELETE FROM audit_records WHERE seq > 8")


def rewrite_chain(db: sqlite3.Connection) -> None:
    prev = _row(db, 2)["hash"]
    for seq in range(3, 13):
        row = _row(db, seq)
        row = _rehash(db, {**row, "prev_hash": prev, "rows": 0 if seq == 3 else row["rows"]})
        db.execute("UPDATE audit_records SET rows = ?, prev_hash = ?, hash = ? WHERE seq = ?",
                   (row["rows"], row["prev_hash"], row["hash"], seq))
        prev = row["hash"]


def forge_signature(db: sqlite3.Connection) -> None:
    seq, hash_, ts, kid = db.execute(
        "SELECT seq, hash, ts, key_id FROM audit_checkpoints WHERE seq = 5").fetchone()
    fake = Ed25519PrivateKey.generate().sign(checkpoint_payload(seq, hash_, ts, kid))
    db.execute("UPDATE audit_checkpoints SET signature = ? WHERE seq = 5", (b64url(fake),))


def forge_checkpoint_hash(db: sqlite3.Connection) -> None:
    db.execute("UPDATE audit_checkpoints SET hash = ? WHERE seq = 10", ("0" * 64,))


CASES = [
    ("modify", modify, 7, "hash mismatch"),
    ("delete", delete, 7, "record missing"),
    ("insert", insert_naive, 7, "hash mismatch"),
    ("insert-rehashed", insert_rehashed, 8, "hash mismatch"),
    ("swap", swap, 6, "hash mismatch"),
    ("truncate-after-checkpoint", truncate_after_checkpoint, 9, "truncated after seq 8"),
    ("rewrite-chain", rewrite_chain, 5, "names a different hash"),
    ("forge-checkpoint-signature", forge_signature, 5, "signature does not verify"),
    ("forge-checkpoint-hash", forge_checkpoint_hash, 10, "signature does not verify"),
]


@pytest.fixture
def chain12(audit_env: AuditEnv) -> AuditEnv:
    audit_env.fill(12)  # checkpoints at 5 and 10
    assert verify_chain(audit_env.store, audit_env.keys).ok
    return audit_env


@pytest.mark.parametrize("suite", ["international", "gm"])
@pytest.mark.parametrize(("tamper", "bad_seq", "what"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_tampering_is_caught_at_the_right_seq(chain12: AuditEnv, tamper: Tamper, bad_seq: int,
                                              what: str, suite: str) -> None:
    with chain12.raw() as db:
        tamper(db)
    report = verify_chain(chain12.store, chain12.keys)
    assert not report.ok
    assert report.first_bad is not None
    assert (report.first_bad.seq, what in report.first_bad.what) == (bad_seq, True), report.first_bad


@pytest.mark.parametrize("suite", ["international", "gm"])
@pytest.mark.parametrize(("tamper", "bad_seq"), [(modify, 7), (truncate_after_checkpoint, 9)])
def test_cli_verify_exits_1_naming_the_seq(chain12: AuditEnv, tamper: Tamper, bad_seq: int, suite: str) -> None:
    with chain12.raw() as db:
        tamper(db)
    result = cli("verify")
    assert result.exit_code == 1
    assert f"first bad seq {bad_seq}:" in result.output


@pytest.mark.parametrize("suite", ["international", "gm"])
def test_cli_verify_exits_0_with_a_summary(chain12: AuditEnv, suite: str) -> None:
    result = cli("verify")
    assert result.exit_code == 0, result.output
    assert "12 records" in result.output and "2 signed checkpoints" in result.output
