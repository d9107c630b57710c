"""Delivery receipts: signed evidence, held by the partner, of what the hub delivered.

A receipt is ``{request_id, seq, dataset, version, rows, response_sha256, ts, kid,
signature}``.  ``signature`` is Ed25519 by the audit key ``kid`` over the canonical
JSON (``hub.audit.canonical``) of the receipt without ``signature``, base64url without
padding.  Ed25519 is deterministic, so ``get_receipt`` returns the same receipt
byte-for-byte until the audit key rotates (afterwards: same content, new ``kid``).
In an HTTP header the receipt travels as base64url of its canonical JSON.
"""

from __future__ import annotations

import json
from typing import Any

from cryptography.exceptions import InvalidSignature
from sqlalchemy import select

from hub.audit.canonical import b64url, b64url_decode, canonical_json
from hub.audit.errors import EvidenceError
from hub.audit.pubkeys import PublicKeys, candidates
from hub.audit.record import RECORD_FIELDS, AuditRecordView
from hub.errors import NotFound
from hub.events import DATA_DELIVERY
from hub.keys import HubKey
from hub.store.db import Store
from hub.store.models import AuditRecord

RECEIPT_FIELDS = ("request_id", "seq", "dataset", "version", "rows", "response_sha256", "ts", "kid")


def receipt_payload(receipt: dict[str, Any]) -> bytes:
    """The bytes a receipt signature covers."""
    return canonical_json({name: receipt.get(name) for name in RECEIPT_FIELDS})


def issue_receipt(record: AuditRecordView, key: HubKey) -> dict[str, Any]:
    """A receipt for a delivery record, signed by ``key``."""
    receipt: dict[str, Any] = {
        "request_id": record.request_id, "seq": record.seq, "dataset": record.dataset,
        "version": record.dataset_version, "rows": record.rows,
        "response_sha256": record.response_sha256, "ts": record.ts, "kid": key.kid,
    }
    receipt["signature"] = b64url(key.private.sign(receipt_payload(receipt)))
    return receipt


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


def verify_receipt(receipt: dict[str, Any], keys: PublicKeys) -> None:
    """Raise ``EvidenceError`` naming the problem unless the receipt's signature verifies."""
    missing = [n for n in (*RECEIPT_FIELDS, "signature") if n not in receipt]
    if missing:
        raise EvidenceError(f"receipt lacks field(s) {', '.join(missing)}")
    kid = str(receipt["kid"])
    options = candidates(keys, kid)
    if not options:
        raise EvidenceError(f"receipt signed by unknown key `{kid}`")
    try:
        signature = b64url_decode(str(receipt["signature"]))
    except ValueError as exc:
        raise EvidenceError(f"receipt signature is not base64url: {exc}") from None
    for key in options:
        try:
            key.verify(signature, receipt_payload(receipt))
            return
        except InvalidSignature:
            continue
    raise EvidenceError(f"receipt signature does not verify with key `{kid}` (forged or altered)")


def encode_receipt(receipt: dict[str, Any]) -> str:
    """The receipt as one header-safe token (base64url of its canonical JSON)."""
    return b64url(canonical_json(receipt))


def decode_receipt(text: str) -> dict[str, Any]:
    """A receipt from its JSON text or its header token; ``EvidenceError`` if neither."""
    stripped = text.strip()
    try:
        raw = stripped if stripped.startswith("{") else b64url_decode(stripped).decode("utf-8")
        data = json.loads(raw)
    except (ValueError, UnicodeDecodeError) as exc:
        raise EvidenceError(f"not a receipt (JSON or base64url token): {exc}") from None
    if not isinstance(data, dict):
        raise EvidenceError("a receipt must be a JSON object")
    return data
