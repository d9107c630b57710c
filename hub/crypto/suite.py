"""The two cryptographic suites and their hash and authenticated cipher.

=============  ===================  ====================
suite          international        gm (国密)
=============  ===================  ====================
hash           SHA-256              SM3 (GB/T 32905)
signature      Ed25519 (``EdDSA``)  SM2 with SM3 (GB/T 32918, ``SM2SM3``)
cipher         AES-256-GCM          SM4-GCM (GB/T 32907, 128-bit key)
=============  ===================  ====================

The audit chain hashes with the suite's hash; checkpoints, receipts and access
tokens are signed with its signature; data keys, the warehouse key and sealed
snapshots use its cipher (``hub.kms``).  Pseudonyms stay HMAC-SHA256 in both
suites: they are computed inside DuckDB, which has SHA-256 and no SM3.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import Any

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

NONCE_BYTES = 12
TAG_BYTES = 16


class Aead:
    """One authenticated cipher under one key: ``seal``/``open`` with a 96-bit nonce and a 128-bit tag."""

    def __init__(self, cipher: str, key: bytes) -> None:
        self.cipher = cipher
        self._key = key
        self._aes = AESGCM(key) if cipher == "AES-256-GCM" else None

    def seal(self, nonce: bytes, data: bytes, aad: bytes = b"") -> bytes:
        """``ciphertext || tag``."""
        if self._aes is not None:
            return self._aes.encrypt(nonce, data, aad)
        enc = Cipher(algorithms.SM4(self._key), modes.GCM(nonce)).encryptor()
        enc.authenticate_additional_data(aad)
        return enc.update(data) + enc.finalize() + enc.tag

    def open(self, nonce: bytes, sealed: bytes, aad: bytes = b"") -> bytes:
        """The plaintext; ``InvalidTag`` if the key, nonce, AAD or ciphertext is wrong."""
        if self._aes is not None:
            return self._aes.decrypt(nonce, sealed, aad)
        if len(sealed) < TAG_BYTES:
            raise InvalidTag()
        dec = Cipher(algorithms.SM4(self._key), modes.GCM(nonce, sealed[-TAG_BYTES:])).decryptor()
        dec.authenticate_additional_data(aad)
        return dec.update(sealed[:-TAG_BYTES]) + dec.finalize()


@dataclass(frozen=True)
class Suite:
    """A named choice of hash, signature algorithm and cipher."""

    name: str
    hash_name: str  # hashlib / openssl name
    signature: str  # JWS ``alg`` of the hub's signatures
    cipher: str
    key_bytes: int  # symmetric key length of the cipher

    def new_hash(self, data: bytes = b"") -> Any:
        """A hashlib-style object (``update``, ``copy``, ``hexdigest``)."""
        return new_hash(self.hash_name, data)

    def hexdigest(self, data: bytes) -> str:
        return new_hash(self.hash_name, data).hexdigest()

    def aead(self, key: bytes) -> Aead:
        if len(key) != self.key_bytes:
            raise ValueError(f"{self.cipher} needs a {self.key_bytes}-byte key, got {len(key)} bytes")
        return Aead(self.cipher, key)


SUITES = {
    "international": Suite("international", "sha256", "EdDSA", "AES-256-GCM", 32),
    "gm": Suite("gm", "sm3", "SM2SM3", "SM4-GCM", 16),
}
CIPHERS = {suite.cipher: suite for suite in SUITES.values()}


def suite_named(name: str) -> Suite:
    """The suite called ``name``; ``ValueError`` naming the choices otherwise."""
    try:
        return SUITES[name]
    except KeyError:
        raise ValueError(f"unknown cryptographic suite `{name}` (choose {' or '.join(SUITES)})") from None


class _CryptographyHash:
    """hashlib's interface over ``cryptography``'s hash (SM3 where hashlib's OpenSSL lacks it)."""

    def __init__(self, ctx: hashes.Hash) -> None:
        self._ctx = ctx

    def update(self, data: bytes) -> None:
        self._ctx.update(data)

    def copy(self) -> _CryptographyHash:
        return _CryptographyHash(self._ctx.copy())

    def digest(self) -> bytes:
        return self._ctx.copy().finalize()

    def hexdigest(self) -> str:
        return self.digest().hex()


def _hashlib_has_sm3() -> bool:
    try:
        return hashlib.new("sm3", b"abc").hexdigest().startswith("66c7f0f4")
    except ValueError:
        return False


_SM3_IN_HASHLIB = _hashlib_has_sm3()


def new_hash(name: str, data: bytes = b"") -> Any:
    """A hashlib-style hash object for ``sha256`` or ``sm3``."""
    if name == "sha256":
        return hashlib.sha256(data)
    if name != "sm3":
        raise ValueError(f"unknown hash `{name}`")
    if _SM3_IN_HASHLIB:
        return hashlib.new("sm3", data)
    ctx = hashes.Hash(hashes.SM3())
    ctx.update(data)
    return _CryptographyHash(ctx)


def hash_hex(name: str, data: bytes) -> str:
    """Lower-case hex digest of ``data`` under hash ``name`` (``sha256`` or ``sm3``)."""
    return new_hash(name, data).hexdigest()
