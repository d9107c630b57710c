"""Receipts: issued, retrievable by request id, verifiable offline with only `cryptography`."""

from __future__ import annotations

import base64
import json
from pathlib import Path

import pytest
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from hub.audit import EvidenceError, public_keys
from hub.audit.pubkeys import parse_public_keys
from hub.audit.receipts import decode_receipt, encode_receipt, verify_receipt
from hub.errors import NotFound
from tests.audit.conftest import AuditEnv, cli, event


def offline_verify(receipt: dict, jwk: dict) -> bool:
    """docs/audit.md "Verifying a receipt", using nothing but json, base64 and cryptography."""
    def unb64(text: str) -> bytes:
        return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))

    body = {k: v for k, v in receipt.items() if k != "signature"}
    payload = json.dumps(body, sort_keys=True, ensure_ascii=False, separators=(",", ":")).encode()
    key = Ed25519PublicKey.from_public_bytes(unb64(jwk["x"]))
    try:
        key.verify(unb64(receipt["signature"]), payload)
    except InvalidSignature:
        return False
    return jwk["kid"] == receipt["kid"]


@pytest.fixture
def delivered(audit_env: AuditEnv) -> dict:
    audit_env.fill(3)
    record = audit_env.log.append(event(7, request_id="req-deliver", rows=1234))
    return audit_env.log.issue_receipt(record)


def test_receipt_names_the_delivery(delivered: dict) -> None:
    assert {k: delivered[k] for k in ("request_id", "seq", "dataset", "version", "rows")} == {
        "request_id": "req-deliver", "seq": 4, "dataset": "finance.subsidy_payment",
        "version": "v3", "rows": 1234}
    assert delivered["response_sha256"] == "ab" * 32


def test_receipt_verifies_offline_with_the_published_key(audit_env: AuditEnv, delivered: dict) -> None:
    published = json.loads(json.dumps(public_keys(audit_env.keys)))  # as served over HTTP
    jwk = next(k for k in published if k["kid"] == delivered["kid"])
    assert offline_verify(delivered, jwk)
    assert not offline_verify({**delivered, "rows": 1235}, jwk)
    assert not offline_verify({**delivered, "response_sha256": "cd" * 32}, jwk)


def test_receipt_is_retrievable_later_by_request_id(audit_env: AuditEnv, delivered: dict) -> None:
    assert audit_env.log.get_receipt("req-deliver") == delivered
    with pytest.raises(NotFound, match="req-unknown"):
        audit_env.log.get_receipt("req-unknown")


def test_header_token_round_trips(audit_env: AuditEnv, delivered: dict) -> None:
    token = encode_receipt(delivered)
    assert token.isascii() and "=" not in token
    assert decode_receipt(token) == delivered
    verify_receipt(decode_receipt(token), parse_public_keys(json.dumps(public_keys(audit_env.keys))))


def test_forged_receipt_is_rejected(audit_env: AuditEnv, delivered: dict) -> None:
    keys = parse_public_keys(json.dumps({"keys": public_keys(audit_env.keys)}))
    with pytest.raises(EvidenceError, match="does not verify"):
        verify_receipt({**delivered, "rows": 1}, keys)
    with pytest.raises(EvidenceError, match="unknown key"):
        verify_receipt({**delivered, "kid": "audit-x"}, keys)


def test_cli_verify_receipt(audit_env: AuditEnv, delivered: dict, tmp_path: Path) -> None:
    receipt_file, key_file = tmp_path / "receipt.json", tmp_path / "jwks.json"
    receipt_file.write_text(json.dumps(delivered), encoding="utf-8")
    key_file.write_text(json.dumps({"keys": public_keys(audit_env.keys)}), encoding="utf-8")
    ok = cli("verify-receipt", str(receipt_file), "--public-key", str(key_file))
    assert ok.exit_code == 0 and "receipt OK" in ok.output, ok.output
    receipt_file.write_text(encode_receipt({**delivered, "rows": 5}), encoding="utf-8")
    bad = cli("verify-receipt", str(receipt_file))
    assert bad.exit_code != 0 and isinstance(bad.exception, EvidenceError)
