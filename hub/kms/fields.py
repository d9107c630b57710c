"""Single text values encrypted under a data key: ``hubenc1:`` + base64(nonce || ciphertext || tag).

For personal data that lands outside the warehouse file, such as the raw content of a
quarantined source row (kept in the metadata store, ``connectors.quarantine``).  The
key is the warehouse key (a rejected row is warehouse data that failed its checks);
its length picks the suite's cipher (32 bytes AES-256-GCM, 16 bytes SM4-GCM), and a
``context`` (what the value is) is bound as associated data.
"""

from __future__ import annotations

import base64
import os

from cryptography.exceptions import InvalidTag

from hub.crypto.suite import NONCE_BYTES, SUITES
from hub.kms.base import KmsError

PREFIX = "hubenc1:"
QUARANTINE = "quarantine.raw"
_BY_LENGTH = {suite.key_bytes: suite for suite in SUITES.values()}


def _aead(key_b64: str):  # type: ignore[no-untyped-def]
    key = base64.b64decode(key_b64)
    suite = _BY_LENGTH.get(len(key))
    if suite is None:
        raise KmsError(f"a field key must be 16 or 32 bytes, got {len(key)}")
    return suite.aead(key)


def seal_text(key_b64: str, text: str, context: str) -> str:
    """``text`` encrypted under the key (base64 text, as ``hub.kms.warehouse.warehouse_key`` gives it)."""
    nonce = os.urandom(NONCE_BYTES)
    sealed = _aead(key_b64).seal(nonce, text.encode("utf-8"), context.encode())
    return PREFIX + base64.b64encode(nonce + sealed).decode("ascii")


def open_text(key_b64: str | None, value: str, context: str) -> str:
    """The clear text of a sealed value (a value stored before sealing is returned as it is)."""
    if not value.startswith(PREFIX):
        return value
    if key_b64 is None:
        return "(encrypted)"
    blob = base64.b64decode(value[len(PREFIX):])
    try:
        return _aead(key_b64).open(blob[:NONCE_BYTES], blob[NONCE_BYTES:], context.encode()).decode("utf-8")
    except InvalidTag:
        raise KmsError(f"a sealed {context} value does not authenticate under the warehouse key") from None
