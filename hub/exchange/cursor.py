"""Opaque, signed keyset-pagination cursors.

A cursor carries the last row's sort key and is bound to the partner, dataset,
version and query it was issued for; HMAC-SHA256 under a hub secret makes it
tamper-proof.  Any mismatch or bad signature is a 400 naming the cursor, never a
silent restart from the first page.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from typing import Any

from hub.errors import BadRequest

MAX_CURSOR_CHARS = 2048
# one encoder for every cursor (``json.dumps`` with options builds a new one per call): same bytes
_payload = json.JSONEncoder(separators=(",", ":"), default=str).encode


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def query_fingerprint(**binding: Any) -> str:
    """A stable hash of what a cursor is bound to (partner, dataset, version, query)."""
    blob = json.dumps(binding, sort_keys=True, ensure_ascii=False, default=str)
    return hashlib.sha256(blob.encode()).hexdigest()[:32]


def issue(secret: bytes, binding: str, last_key: list[Any]) -> str:
    """Sign ``last_key`` for the query fingerprint ``binding``."""
    payload = _payload({"b": binding, "k": last_key}).encode()
    sig = hmac.digest(secret, payload, "sha256")
    return f"{_b64(payload)}.{_b64(sig)}"


def read(secret: bytes, binding: str, token: str) -> list[Any]:
    """Verify a cursor and return its last key; 400 if forged, foreign or stale."""
    bad = BadRequest("cursor is invalid for this request", parameter="cursor")
    if len(token) > MAX_CURSOR_CHARS or token.count(".") != 1:
        raise bad
    body, sig = token.split(".")
    try:
        payload, mac = _unb64(body), _unb64(sig)
    except (ValueError, TypeError):
        raise bad from None
    if not hmac.compare_digest(mac, hmac.digest(secret, payload, "sha256")):
        raise bad
    data = json.loads(payload)
    if data.get("b") != binding or not isinstance(data.get("k"), list):
        raise bad
    return list(data["k"])
