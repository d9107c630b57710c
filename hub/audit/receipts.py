"""Delivery receipts: signed evidence, held by the partner, of what the hub delivered.

A receipt is a compact JWS (RFC 7515) signed with EdDSA (Ed25519) by the hub's audit
key: ``BASE64URL(header) "." BASE64URL(claims) "." BASE64URL(signature)``, where the
header is ``{"alg": "EdDSA", "kid": …, "typ": "hub-receipt+jws"}`` and the claims are
``{request_id, seq, subject, dataset, version, rows, response_sha256, ts}``, both
canonical JSON (``hub.audit.canonical``).  A partner verifies it with nothing but the
JWKS the API serves (``/.well-known/audit-jwks.json``), ``base64`` and ``openssl
pkeyutl -verify -rawin`` (docs/audit.md §6).  It travels whole in ``X-Hub-Receipt``.

In Python a receipt is a dict: the claims, ``kid`` and ``jws`` (the signed form, the
only part that counts).  Ed25519 is deterministic, so ``get_receipt`` returns the same
receipt byte for byte until the audit key rotates (afterwards: same claims, new ``kid``).

Receipts issued before the JWS form (a JSON object with an Ed25519 ``signature`` over
the canonical JSON of its other eight fields) still verify.
"""

from __future__ import annotations

import json
import re
from typing import Any

from sqlalchemy import select

from hub.audit.canonical import b64url, b64url_decode, canonical_json
from hub.audit.errors import EvidenceError
from hub.audit.pubkeys import KeyLookup, candidates, window_problem
from hub.audit.record import RECORD_FIELDS, AuditRecordView
from hub.crypto.signing import ALGORITHMS, PublicKey
from hub.errors import NotFound
from hub.events import DATA_DELIVERY
from hub.keys import HubKey
from hub.store.db import Store
from hub.store.models import AuditRecord

RECEIPT_TYPE = "hub-receipt+jws"
CLAIMS = ("request_id", "seq", "subject", "dataset", "version", "rows", "response_sha256", "ts")
LEGACY_FIELDS = ("request_id", "seq", "dataset", "version", "rows", "response_sha256", "ts", "kid")
_JWS = re.compile(r"[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+")


def receipt_claims(record: AuditRecordView) -> dict[str, Any]:
    """What a receipt for the delivery ``record`` states."""
    return {"request_id": record.request_id, "seq": record.seq, "subject": record.subject,
            "dataset": record.dataset, "version": record.dataset_version, "rows": record.rows,
            "response_sha256": record.response_sha256, "ts": record.ts}


def issue_receipt(record: AuditRecordView, key: HubKey) -> dict[str, Any]:
    """A receipt for a delivery record, signed by ``key``."""
    claims = receipt_claims(record)
    header = {"alg": key.alg, "kid": key.kid, "typ": RECEIPT_TYPE}
    signing_input = f"{b64url(canonical_json(header))}.{b64url(canonical_json(claims))}"
    jws = f"{signing_input}.{b64url(key.sign(signing_input.encode('ascii')))}"
    return {**claims, "kid": key.kid, "jws": jws}


def get_receipt(store: Store, key: HubKey, request_id: str) -> dict[str, Any]:
    """The receipt of the delivery of ``request_id``; ``NotFound`` if there is none."""
    query = (select(AuditRecord).where(AuditRecord.request_id == request_id)
             .where(AuditRecord.event == DATA_DELIVERY).order_by(AuditRecord.seq.desc()).limit(1))
    with store.session() as session:
        row = session.execute(query).scalar_one_or_none()
        if row is None:
            raise NotFound(f"no delivery recorded for request `{request_id}`", request_id=request_id)
        record = AuditRecordView.from_mapping({n: getattr(row, n) for n in RECORD_FIELDS})
    return issue_receipt(record, key)


def _json_part(text: str, what: str) -> dict[str, Any]:
    try:
        value = json.loads(b64url_decode(text).decode("utf-8"))
    except (ValueError, UnicodeDecodeError) as exc:
        raise EvidenceError(f"receipt {what} is not base64url JSON: {exc}") from None
    if not isinstance(value, dict):
        raise EvidenceError(f"receipt {what} is not a JSON object")
    return value


def parse_jws(jws: str) -> tuple[dict[str, Any], dict[str, Any], bytes]:
    """``(header, claims, signature)`` of a compact receipt JWS, unverified."""
    if not _JWS.fullmatch(jws):
        raise EvidenceError("receipt is not a compact JWS (three base64url parts joined by dots)")
    head, body, sig = jws.split(".")
    header, claims = _json_part(head, "header"), _json_part(body, "claims")
    try:
        signature = b64url_decode(sig)
    except ValueError as exc:
        raise EvidenceError(f"receipt signature is not base64url: {exc}") from None
    return header, claims, signature


def _check_signature(keys: KeyLookup, kid: str, signature: bytes, payload: bytes, alg: str = "EdDSA") -> None:
    options = [key for key in candidates(keys, kid) if key.alg == alg]  # the key's type pins the algorithm
    if not options:
        raise EvidenceError(f"receipt signed by unknown key `{kid}` (or one that is no {alg} key)")
    if not any(_verifies(key, signature, payload) for key in options):
        raise EvidenceError(f"receipt signature does not verify with key `{kid}` (forged or altered)")


def _verifies(key: PublicKey, signature: bytes, payload: bytes) -> bool:
    return key.verifies(signature, payload)


def _verify_jws(receipt: dict[str, Any], keys: KeyLookup) -> None:
    jws = str(receipt["jws"])
    header, claims, signature = parse_jws(jws)
    alg = header.get("alg")
    if alg not in ALGORITHMS or header.get("typ") != RECEIPT_TYPE:
        raise EvidenceError(f"receipt header must say alg EdDSA or SM2SM3 and typ {RECEIPT_TYPE}")
    kid = str(header.get("kid", ""))
    _check_signature(keys, kid, signature, jws.rsplit(".", 1)[0].encode("ascii"), str(alg))
    _check_window(keys, kid, claims)
    for name, value in {**claims, "kid": kid}.items():  # the plain copy must say what is signed
        if name in receipt and receipt[name] != value:
            raise EvidenceError(f"receipt field `{name}` does not verify: it differs from the signed claims")


def _verify_legacy(receipt: dict[str, Any], keys: KeyLookup) -> None:
    missing = [n for n in (*LEGACY_FIELDS, "signature") if n not in receipt]
    if missing:
        raise EvidenceError(f"receipt lacks field(s) {', '.join(missing)}")
    try:
        signature = b64url_decode(str(receipt["signature"]))
    except ValueError as exc:
        raise EvidenceError(f"receipt signature is not base64url: {exc}") from None
    payload = canonical_json({name: receipt.get(name) for name in LEGACY_FIELDS})
    _check_signature(keys, str(receipt["kid"]), signature, payload)
    _check_window(keys, str(receipt["kid"]), receipt)


def _check_window(keys: KeyLookup, kid: str, claims: dict[str, Any]) -> None:
    """The key was still the hub's when the delivery was made (a retired key signs nothing later)."""
    late = window_problem(keys, kid, str(claims.get("ts", "")) or None,
                          f"the receipt of request `{claims.get('request_id')}`")
    if late:
        raise EvidenceError(late)


def verify_receipt(receipt: dict[str, Any], keys: KeyLookup) -> None:
    """Raise ``EvidenceError`` naming the problem unless the receipt's signature verifies."""
    if "jws" in receipt:
        _verify_jws(receipt, keys)
    else:
        _verify_legacy(receipt, keys)


def encode_receipt(receipt: dict[str, Any]) -> str:
    """The receipt as one header-safe token: its JWS (legacy receipts: base64url canonical JSON)."""
    if "jws" in receipt:
        return str(receipt["jws"])
    return b64url(canonical_json(receipt))


def from_jws(jws: str) -> dict[str, Any]:
    """A receipt dict (claims, ``kid``, ``jws``) from its compact JWS, unverified."""
    header, claims, _ = parse_jws(jws)
    return {**claims, "kid": header.get("kid"), "jws": jws}


def decode_receipt(text: str) -> dict[str, Any]:
    """A receipt from its JWS, its JSON, or a legacy header token; ``EvidenceError`` if none."""
    stripped = text.strip()
    if _JWS.fullmatch(stripped):
        return from_jws(stripped)
    try:
        raw = stripped if stripped.startswith("{") else b64url_decode(stripped).decode("utf-8")
        data = json.loads(raw)
    except (ValueError, UnicodeDecodeError) as exc:
        raise EvidenceError(f"not a receipt (JWS, JSON or base64url token): {exc}") from None
    if not isinstance(data, dict):
        raise EvidenceError("a receipt must be a JSON object")
    return data
