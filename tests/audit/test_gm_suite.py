"""The gm suite (国密): SM3 chain, SM2-signed checkpoints and receipts, verified alone and by third parties.

Under ``HUB_CRYPTO_SUITE=gm`` each record hash is SM3 of the canonical JSON, checkpoints
and receipts are SM2 signatures (with SM3, signer ID 1234567812345678) by an SM2 audit
key published as an EC/SM2 JWK.  The chain, its checkpoints and a receipt verify with
the published keys only; ``openssl`` alone (SM3 digest, SM2 verify) checks a record hash
and a checkpoint signature, as docs/audit.md tells a third party to; a chain continued
after a change of suite still verifies.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest

from hub.audit import (
    AuditLog,
    issue_receipt,
    parse_public_keys,
    public_keys,
    verify_chain,
    verify_export,
    verify_receipt,
)
from hub.audit.canonical import b64url_decode, canonical_json
from hub.audit.checkpoints import checkpoint_payload
from hub.audit.errors import EvidenceError
from hub.audit.export import export
from hub.audit.record import HASHED_FIELDS
from hub.audit.verify import stored_checkpoints, stored_records
from hub.crypto.suite import hash_hex
from hub.keys import KeyStore
from hub.settings import load_settings
from hub.store import open_store
from tests.audit.conftest import AuditEnv, event

pytestmark = pytest.mark.parametrize("suite", ["gm"])


def test_the_gm_chain_is_sm3_and_its_signatures_sm2(audit_env: AuditEnv, suite: str) -> None:
    audit_env.fill(12)
    records = list(stored_records(audit_env.store))
    first = records[0]
    body = canonical_json({name: first[name] for name in HASHED_FIELDS})
    assert first["hash"] == hash_hex("sm3", body) != hash_hex("sha256", body)
    jwks = public_keys(audit_env.keys)
    assert {(k["kty"], k["crv"], k["alg"]) for k in jwks} == {("EC", "SM2", "SM2SM3")}
    report = verify_chain(audit_env.store, parse_public_keys(json.dumps({"keys": jwks})))
    assert report.ok and report.checkpoints == 2 and report.records == 12, report.summary()


def test_a_gm_receipt_verifies_with_the_jwks_and_not_when_altered(audit_env: AuditEnv, suite: str) -> None:
    record = audit_env.log.append(event(1))
    receipt = issue_receipt(record, audit_env.keys.current("audit"))
    header = json.loads(b64url_decode(receipt["jws"].split(".")[0]))
    assert header["alg"] == "SM2SM3"
    keys = parse_public_keys(json.dumps({"keys": public_keys(audit_env.keys)}))
    verify_receipt(receipt, keys)
    head, body, sig = receipt["jws"].split(".")
    claims = json.loads(b64url_decode(body))
    claims["rows"] = 10**6
    from hub.audit.canonical import b64url

    forged = {**receipt, "jws": f"{head}.{b64url(canonical_json(claims))}.{sig}", "rows": 10**6}
    with pytest.raises(EvidenceError, match="does not verify"):
        verify_receipt(forged, keys)
    relabelled = {**receipt, "jws": receipt["jws"].replace(head, b64url(canonical_json({**header, "alg": "EdDSA"})))}
    with pytest.raises(EvidenceError, match="unknown key|does not verify"):
        verify_receipt(relabelled, keys)


def test_a_gm_export_verifies_alone_and_catches_an_edit(audit_env: AuditEnv, tmp_path: Path, suite: str) -> None:
    audit_env.fill(11)
    path = tmp_path / "audit.jsonl"
    with path.open("w", encoding="utf-8") as out:
        export(audit_env.store, audit_env.keys, out)
    assert verify_export(path).ok
    lines = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]
    for line in lines:
        if line["type"] == "record" and line["record"]["seq"] == 3:
            line["record"]["rows"] += 1
    path.write_text("".join(json.dumps(line, ensure_ascii=False) + "\n" for line in lines), encoding="utf-8")
    report = verify_export(path)
    assert not report.ok and report.first_bad is not None and report.first_bad.seq == 3


@pytest.mark.skipif(shutil.which("openssl") is None, reason="openssl is not installed")
def test_openssl_alone_checks_an_sm3_hash_and_an_sm2_checkpoint(audit_env: AuditEnv, tmp_path: Path,
                                                                suite: str) -> None:
    """docs/audit.md's third-party procedure for the gm suite, step by step with the openssl command."""
    audit_env.fill(5)
    record = list(stored_records(audit_env.store))[4]
    body = canonical_json({name: record[name] for name in HASHED_FIELDS})
    digest = subprocess.run(["openssl", "dgst", "-sm3", "-r"], input=body, capture_output=True, check=True)
    assert digest.stdout.split()[0].decode() == record["hash"]

    cp = stored_checkpoints(audit_env.store)[0]
    key = audit_env.keys.find("audit", cp["key_id"])
    assert key is not None
    (tmp_path / "pub.pem").write_bytes(key.verifier.pem())
    (tmp_path / "payload").write_bytes(checkpoint_payload(cp["seq"], cp["hash"], cp["ts"], cp["key_id"]))
    (tmp_path / "sig.der").write_bytes(_der(b64url_decode(cp["signature"])))
    verify = ["openssl", "pkeyutl", "-verify", "-pubin", "-inkey", str(tmp_path / "pub.pem"), "-rawin",
              "-digest", "sm3", "-pkeyopt", "distid:1234567812345678", "-in", str(tmp_path / "payload"),
              "-sigfile", str(tmp_path / "sig.der")]
    assert subprocess.run(verify, capture_output=True).returncode == 0
    (tmp_path / "payload").write_bytes(checkpoint_payload(cp["seq"], "0" * 64, cp["ts"], cp["key_id"]))
    assert subprocess.run(verify, capture_output=True).returncode != 0


def _der(raw: bytes) -> bytes:
    """The DER ECDSA-Sig-Value openssl wants from a raw ``r || s`` (what the docs do with asn1parse)."""
    from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature

    return encode_dss_signature(int.from_bytes(raw[:32], "big"), int.from_bytes(raw[32:], "big"))


def test_a_chain_continued_under_the_other_suite_still_verifies(hub_home: Path, suite: str) -> None:
    store = open_store(load_settings(home=hub_home).metadata_url)
    try:
        for name in ("international", "gm", "international"):
            settings = load_settings(home=hub_home, crypto_suite=name, audit_checkpoint_every=3)
            with AuditLog.from_settings(store, settings) as log:
                for i in range(4):
                    log.append(event(i))
        report = verify_chain(store, KeyStore(hub_home / "keys"))
        assert report.ok and report.records == 12, report.summary()
        algs = {k["alg"] for k in public_keys(KeyStore(hub_home / "keys"))}
        assert algs == {"EdDSA", "SM2SM3"}
    finally:
        store.dispose()
