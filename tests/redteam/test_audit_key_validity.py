"""A retired audit key in the wrong hands: what its thief can forge after `hub keys rotate`.

The hub publishes each audit key with its validity (``valid_from`` / ``valid_until``,
``/.well-known/audit-jwks.json``) and keeps retired keys to verify what they signed.
A retired private key can leak (a backup, a decommissioned machine).  Its thief signs
a receipt, or appends records and a checkpoint, dated after the rotation: every
probe fails while a signature is accepted from a key that was no longer the hub's at
the time the signed thing is dated.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest

from hub.audit import EvidenceError, verify_chain
from hub.audit.canonical import b64url, canonical_json
from hub.audit.checkpoints import sign_checkpoint
from hub.audit.pubkeys import audit_jwks, key_map
from hub.audit.receipts import RECEIPT_TYPE, encode_receipt, from_jws, verify_receipt
from hub.client.errors import ReceiptError
from hub.client.receipts import ReceiptVerifier
from hub.keys import HubKey
from tests.audit.conftest import AuditEnv, _env, cli, event
from tests.audit.test_tamper import _insert, _rehash, _row


@pytest.fixture
def env(hub_home: Path) -> Iterator[AuditEnv]:
    yield from _env(hub_home)


def _rotated(env: AuditEnv) -> tuple[HubKey, HubKey, dict]:
    """Deliveries signed by the first key, then `hub keys rotate`; (old key, new key, a receipt of the old)."""
    env.fill(3)
    record = env.log.append(event(7, request_id="req-before", rows=10))
    receipt = env.log.issue_receipt(record)
    old = env.keys.current("audit")
    new = env.keys.rotate("audit")
    assert new.created_at is not None and old.created_at is not None
    return old, new, receipt


def _forge_receipt(old: HubKey, template: dict, ts: str) -> dict:
    """What the thief of ``old`` makes: a receipt of its own, dated ``ts``, signed with the retired key."""
    claims = {k: template[k] for k in ("request_id", "seq", "subject", "dataset", "version", "rows",
                                       "response_sha256")}
    claims.update(request_id="req-forged", rows=999_999, ts=ts)
    header = {"alg": old.alg, "kid": old.kid, "typ": RECEIPT_TYPE}
    signing_input = f"{b64url(canonical_json(header))}.{b64url(canonical_json(claims))}"
    return from_jws(f"{signing_input}.{b64url(old.sign(signing_input.encode('ascii')))}")


def test_a_receipt_dated_after_its_keys_retirement_is_refused(env: AuditEnv, tmp_path: Path) -> None:
    old, new, genuine = _rotated(env)
    after = (new.created_at + timedelta(seconds=5)).isoformat()  # type: ignore[operator]
    forged = _forge_receipt(old, genuine, after)
    jwks = audit_jwks(env.keys)
    # the hub's own check, with its key store and with the published JWKS
    for keys in (key_map(env.keys), key_map(json.loads(json.dumps(jwks))["keys"])):
        with pytest.raises(EvidenceError) as refused:
            verify_receipt(forged, keys)
        assert old.kid in str(refused.value) and "until" in str(refused.value)
        verify_receipt(genuine, keys)  # what the old key signed while it was the hub's still verifies
    # `hub audit verify-receipt`
    (tmp_path / "forged.json").write_text(encode_receipt(forged), encoding="utf-8")
    (tmp_path / "genuine.json").write_text(encode_receipt(genuine), encoding="utf-8")
    result = cli("verify-receipt", str(tmp_path / "forged.json"))
    assert result.exit_code != 0, result.output
    assert cli("verify-receipt", str(tmp_path / "genuine.json")).exit_code == 0
    # the partner's own verifier (hub.client), with the JWKS as published
    verifier = ReceiptVerifier(lambda: jwks)
    with pytest.raises(ReceiptError, match="retired"):
        verifier.verify(forged["jws"])
    assert verifier.verify(genuine["jws"]).request_id == "req-before"


def test_a_receipt_fetched_again_after_rotation_verifies(env: AuditEnv) -> None:
    """The newer key re-signs a delivery made before it existed: that is the hub's, and it verifies."""
    _old, new, _receipt = _rotated(env)
    again = env.log.get_receipt("req-before")
    assert again["kid"] == new.kid
    verify_receipt(again, key_map(env.keys))


def test_records_appended_after_rotation_under_a_retired_keys_checkpoint_fail_verify(env: AuditEnv) -> None:
    """The thief appends a record dated after the rotation and a checkpoint over it signed with the
    retired key (itself back-dated to before the rotation): verify must say the record is not the hub's."""
    old, new, _receipt = _rotated(env)
    assert verify_chain(env.store, env.keys).ok  # a healthy hub after `hub keys rotate`
    db = env.raw()
    last = _row(db, db.execute("SELECT MAX(seq) FROM audit_records").fetchone()[0])
    after = (new.created_at + timedelta(seconds=5)).isoformat(timespec="microseconds")  # type: ignore[operator]
    forged = _rehash(db, {**last, "seq": last["seq"] + 1, "prev_hash": last["hash"], "ts": after,
                          "request_id": "req-forged"})
    _insert(db, forged)
    before = (old.created_at + timedelta(microseconds=1)).isoformat(timespec="microseconds")  # type: ignore[operator]
    cp = sign_checkpoint(old, forged["seq"], forged["hash"], before)
    db.execute("INSERT INTO audit_checkpoints (seq, hash, ts, key_id, signature) VALUES (?, ?, ?, ?, ?)",
               (cp["seq"], cp["hash"], cp["ts"], cp["key_id"], cp["signature"]))
    report = verify_chain(env.store, env.keys)
    assert not report.ok, "a record dated after the rotation, under the retired key's checkpoint, verified"
    assert report.first_bad is not None and report.first_bad.seq == forged["seq"]
    assert old.kid in report.first_bad.what


def test_a_checkpoint_dated_after_its_keys_retirement_fails_verify(env: AuditEnv) -> None:
    old, new, _receipt = _rotated(env)
    db = env.raw()
    head = _row(db, db.execute("SELECT MAX(seq) FROM audit_records").fetchone()[0])
    db.execute("DELETE FROM audit_checkpoints WHERE seq = ?", (head["seq"],))
    after = (new.created_at + timedelta(seconds=5)).isoformat(timespec="microseconds")  # type: ignore[operator]
    cp = sign_checkpoint(old, head["seq"], head["hash"], after)
    db.execute("INSERT INTO audit_checkpoints (seq, hash, ts, key_id, signature) VALUES (?, ?, ?, ?, ?)",
               (cp["seq"], cp["hash"], cp["ts"], cp["key_id"], cp["signature"]))
    report = verify_chain(env.store, env.keys)
    assert not report.ok and old.kid in str(report.problems)


def test_a_long_running_client_learns_of_a_retirement_within_the_refresh_bound(env: AuditEnv) -> None:
    """A client that fetched the keys before `hub keys rotate` (a download of hours) must not accept
    the thief's receipt for ever: its copy of the JWKS is fetched again once it is `max_age_s` old."""
    env.fill(3)
    record = env.log.append(event(7, request_id="req-before", rows=10))
    genuine = env.log.issue_receipt(record)
    now = [0.0]
    fetched: list[int] = []

    def published() -> dict:  # type: ignore[type-arg]
        fetched.append(1)
        return json.loads(json.dumps(audit_jwks(env.keys)))

    verifier = ReceiptVerifier(published, max_age_s=300, clock=lambda: now[0])
    assert verifier.verify(genuine["jws"]).request_id == "req-before"  # the JWKS, before the rotation
    old = env.keys.current("audit")
    new = env.keys.rotate("audit")
    assert new.created_at is not None
    forged = _forge_receipt(old, genuine, (new.created_at + timedelta(seconds=5)).isoformat())
    now[0] = 299.0  # within the bound: the copy is as it was (the known, stated staleness)
    assert verifier.verify(forged["jws"]).request_id == "req-forged" and len(fetched) == 1
    now[0] = 300.0  # the bound reached: the keys are fetched again and the retirement is known
    with pytest.raises(ReceiptError, match="retired"):
        verifier.verify(forged["jws"])
    assert len(fetched) == 2
    assert verifier.verify(genuine["jws"]).request_id == "req-before"
