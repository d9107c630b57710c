"""Receipts: compact JWS, retrievable by request id, verifiable offline with only `cryptography`.

(``tests/api/test_receipt_shell.py`` verifies one with nothing but curl and openssl.)
"""

from __future__ import annotations

import base64
import json
from pathlib import Path

import pytest
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from hub.audit import EvidenceError, public_keys
from hub.audit.canonical import b64url, canonical_json
from hub.audit.pubkeys import audit_jwks, parse_public_keys
from hub.audit.receipts import LEGACY_FIELDS, decode_receipt, encode_receipt, verify_receipt
from hub.errors import NotFound
from tests.audit.conftest import AuditEnv, cli, event


def unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def offline_verify(jws: str, jwks: dict) -> dict | None:
    """docs/audit.md §6 "in Python": the claims if the JWS verifies with the JWKS, else None."""
    head, body, sig = jws.split(".")
    header = json.loads(unb64(head))
    if header.get("alg") != "EdDSA" or header.get("typ") != "hub-receipt+jws":
        return None
    jwk = next((k for k in jwks["keys"] if k["kid"] == header["kid"]), None)
    if jwk is None:
        return None
    try:
        Ed25519PublicKey.from_public_bytes(unb64(jwk["x"])).verify(unb64(sig), f"{head}.{body}".encode())
    except InvalidSignature:
        return None
    claims: dict = json.loads(unb64(body))
    return claims


def tamper(jws: str, **changes: object) -> str:
    """The JWS with its claims changed and the old signature kept (a forgery)."""
    head, body, sig = jws.split(".")
    claims = {**json.loads(unb64(body)), **changes}
    return f"{head}.{b64url(canonical_json(claims))}.{sig}"


@pytest.fixture
def delivered(audit_env: AuditEnv) -> dict:
    audit_env.fill(3)
    record = audit_env.log.append(event(7, request_id="req-deliver", rows=1234))
    return audit_env.log.issue_receipt(record)


def test_receipt_names_the_delivery(delivered: dict) -> None:
    assert {k: delivered[k] for k in ("request_id", "seq", "subject", "dataset", "version", "rows")} == {
        "request_id": "req-deliver", "seq": 4, "subject": "partner:hz-xihu-jw",
        "dataset": "finance.subsidy_payment", "version": "v3", "rows": 1234}
    assert delivered["response_sha256"] == "ab" * 32
    assert delivered["jws"].count(".") == 2


def test_receipt_verifies_offline_with_the_published_jwks(audit_env: AuditEnv, delivered: dict) -> None:
    published = json.loads(json.dumps(audit_jwks(audit_env.keys)))  # as served over HTTP
    claims = offline_verify(delivered["jws"], published)
    assert claims == {k: delivered[k] for k in claims}
    assert set(claims) == {"request_id", "seq", "subject", "dataset", "version", "rows", "response_sha256", "ts"}
    assert offline_verify(tamper(delivered["jws"], rows=1235), published) is None
    assert offline_verify(tamper(delivered["jws"], response_sha256="cd" * 32), published) is None


def test_the_jwks_lists_current_and_retired_keys_with_validity(audit_env: AuditEnv, delivered: dict) -> None:
    old = audit_env.keys.current("audit")
    new = audit_env.keys.rotate("audit")
    keys = audit_jwks(audit_env.keys)["keys"]
    assert [(k["kid"], k["status"]) for k in keys] == [(old.kid, "retired"), (new.kid, "current")]
    assert keys[0]["valid_until"] == keys[1]["valid_from"] and keys[1]["valid_until"] is None
    assert keys[0]["valid_from"] < keys[0]["valid_until"]
    # a receipt signed before the rotation still verifies with the retired key
    assert offline_verify(delivered["jws"], {"keys": keys}) is not None


def test_receipt_is_retrievable_later_by_request_id(audit_env: AuditEnv, delivered: dict) -> None:
    assert audit_env.log.get_receipt("req-deliver") == delivered
    with pytest.raises(NotFound, match="req-unknown"):
        audit_env.log.get_receipt("req-unknown")


def test_header_token_round_trips(audit_env: AuditEnv, delivered: dict) -> None:
    token = encode_receipt(delivered)
    assert token == delivered["jws"] and token.isascii() and "=" not in token
    assert decode_receipt(token) == delivered
    verify_receipt(decode_receipt(token), parse_public_keys(json.dumps(public_keys(audit_env.keys))))


def test_forged_receipt_is_rejected(audit_env: AuditEnv, delivered: dict) -> None:
    keys = parse_public_keys(json.dumps(audit_jwks(audit_env.keys)))
    with pytest.raises(EvidenceError, match="does not verify"):
        verify_receipt(decode_receipt(tamper(delivered["jws"], rows=1)), keys)
    with pytest.raises(EvidenceError, match="does not verify"):
        verify_receipt({**delivered, "rows": 1}, keys)  # the plain copy says something else than the JWS
    head, body, sig = delivered["jws"].split(".")
    other_kid = b64url(canonical_json({"alg": "EdDSA", "kid": "audit-x", "typ": "hub-receipt+jws"}))
    with pytest.raises(EvidenceError, match="unknown key"):
        verify_receipt(decode_receipt(f"{other_kid}.{body}.{sig}"), keys)
    with pytest.raises(EvidenceError, match="typ"):
        none_alg = b64url(canonical_json({"alg": "none", "kid": delivered["kid"], "typ": "hub-receipt+jws"}))
        verify_receipt(decode_receipt(f"{none_alg}.{body}.{sig}"), keys)


def test_a_receipt_issued_before_the_jws_form_still_verifies(audit_env: AuditEnv, delivered: dict) -> None:
    key = audit_env.keys.current("audit")
    legacy = {name: delivered[name] for name in LEGACY_FIELDS}
    legacy["signature"] = b64url(key.private.sign(canonical_json(legacy)))
    keys = parse_public_keys(json.dumps(audit_jwks(audit_env.keys)))
    verify_receipt(decode_receipt(encode_receipt(legacy)), keys)
    with pytest.raises(EvidenceError, match="does not verify"):
        verify_receipt({**legacy, "rows": 2}, keys)


def test_cli_verify_receipt(audit_env: AuditEnv, delivered: dict, tmp_path: Path) -> None:
    receipt_file, key_file = tmp_path / "receipt.json", tmp_path / "jwks.json"
    receipt_file.write_text(json.dumps(delivered), encoding="utf-8")
    key_file.write_text(json.dumps(audit_jwks(audit_env.keys)), encoding="utf-8")
    ok = cli("verify-receipt", str(receipt_file), "--public-key", str(key_file))
    assert ok.exit_code == 0 and "receipt OK" in ok.output, ok.output
    receipt_file.write_text(delivered["jws"], encoding="utf-8")  # the X-Hub-Receipt header as saved
    assert cli("verify-receipt", str(receipt_file)).exit_code == 0
    receipt_file.write_text(tamper(delivered["jws"], rows=5), encoding="utf-8")
    bad = cli("verify-receipt", str(receipt_file))
    assert bad.exit_code != 0 and isinstance(bad.exception, EvidenceError)
