"""The KMS interface: master keys that wrap (encrypt) data keys and never leave their backend.

A master key has a version (1, 2, …); ``wrap`` seals a data key under the current
version with the suite's cipher (``hub.crypto``), binding a ``context`` (what the
data key is for) as associated data; ``unwrap`` opens it under whichever version
sealed it, so a data key wrapped before a rotation stays readable while it waits
to be re-wrapped.  Every failure is ``KmsError``: callers refuse (fail closed).
"""

from __future__ import annotations

import os
from abc import ABC, abstractmethod
from dataclasses import dataclass
from datetime import datetime

from hub.crypto.suite import NONCE_BYTES, Suite
from hub.errors import Unavailable


class KmsError(Unavailable):
    """The key management service cannot wrap or unwrap (missing, locked, or the key is wrong)."""

    title = "key management unavailable"


@dataclass(frozen=True)
class MasterKey:
    """What ``hub keys status`` shows of one master key version (never the key)."""

    version: int
    created_at: datetime
    cipher: str  # AES-256-GCM | SM4-GCM (PKCS#11: the token's mechanism)
    backend: str


@dataclass(frozen=True)
class Wrapped:
    """A data key sealed by master key ``version``: ``nonce || ciphertext || tag``."""

    version: int
    blob: bytes


class Kms(ABC):
    """Master keys of one deployment (file or PKCS#11 backend)."""

    backend: str = "?"

    def __init__(self, suite: Suite) -> None:
        self.suite = suite

    @abstractmethod
    def versions(self) -> list[MasterKey]:
        """Every master key version, oldest first."""

    @abstractmethod
    def rotate(self) -> MasterKey:
        """Make a new master key version; it wraps from now on, older versions still unwrap."""

    @abstractmethod
    def _seal(self, version: int, nonce: bytes, data: bytes, aad: bytes) -> bytes:
        """``ciphertext || tag`` of ``data`` under master key ``version``."""

    @abstractmethod
    def _open(self, version: int, nonce: bytes, sealed: bytes, aad: bytes) -> bytes:
        """The plaintext of ``sealed``; raises ``KmsError`` if it does not authenticate."""

    def current(self) -> MasterKey:
        """The version that wraps now (the newest of the suite's cipher), created on first use."""
        found = [k for k in self.versions() if self._wraps_for_suite(k)]
        return found[-1] if found else self.rotate()

    def _wraps_for_suite(self, key: MasterKey) -> bool:
        return key.cipher == self.suite.cipher

    def wrap(self, data_key: bytes, context: str) -> Wrapped:
        """Seal ``data_key`` under the current master key, bound to ``context``."""
        version = self.current().version
        nonce = os.urandom(NONCE_BYTES)
        return Wrapped(version, nonce + self._seal(version, nonce, data_key, context.encode("utf-8")))

    def unwrap(self, wrapped: Wrapped, context: str) -> bytes:
        """Open a wrapped data key; ``KmsError`` if the version is unknown or the blob/context is wrong."""
        if len(wrapped.blob) <= NONCE_BYTES:
            raise KmsError(f"wrapped key (master v{wrapped.version}) is truncated")
        nonce, sealed = wrapped.blob[:NONCE_BYTES], wrapped.blob[NONCE_BYTES:]
        return self._open(wrapped.version, nonce, sealed, context.encode("utf-8"))

    def rewrap(self, wrapped: Wrapped, context: str) -> Wrapped:
        """The same data key sealed under the current master key (no data is re-encrypted)."""
        if wrapped.version == self.current().version:
            return wrapped
        return self.wrap(self.unwrap(wrapped, context), context)

    def close(self) -> None:
        """Release sessions (PKCS#11); a no-op for files."""
        return None
