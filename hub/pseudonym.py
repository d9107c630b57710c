"""Per-partner pseudonyms: keys, pads and tracing of leaked extracts.

A pseudonym is HMAC-SHA256 of the normalised value (trimmed, upper-case) under a
key derived per partner from the hub's pseudonym secret.  The same person gets
the same pseudonym in every extract of one partner (joins work), a different one
for every other partner (no linkage across partners), and a leaked extract names
its partner: ``trace`` recomputes candidate pseudonyms per partner and counts hits.
"""

from __future__ import annotations

import hashlib
import hmac
from pathlib import Path

from hub.keys import load_secret as load_hub_secret

BLOCK = 64  # SHA-256 block size in bytes (RFC 2104)
PREFIX = "ps_"
HEX_CHARS = 32


def load_secret(keys_dir: Path) -> bytes:
    """The hub's pseudonym secret (32 random bytes, 0600), created on first use."""
    return load_hub_secret(keys_dir, "pseudonym")


def partner_key(secret: bytes, partner_id: str) -> bytes:
    """The pseudonym key of one partner (HMAC of its id under the hub secret)."""
    return hmac.new(secret, f"pseudonym:{partner_id}".encode(), hashlib.sha256).digest()


def pads(key: bytes) -> tuple[bytes, bytes]:
    """(inner, outer) HMAC pads for ``key``, so SQL can compute HMAC with two hashes."""
    padded = key.ljust(BLOCK, b"\0")
    return bytes(b ^ 0x36 for b in padded), bytes(b ^ 0x5C for b in padded)


def pseudonym(key: bytes, value: str) -> str:
    """The pseudonym of ``value`` in Python (same result as the SQL expression)."""
    digest = hmac.new(key, value.strip().upper().encode("utf-8"), hashlib.sha256).hexdigest()
    return PREFIX + digest[:HEX_CHARS]
