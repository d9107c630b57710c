"""The hub's own signing key pairs (audit signing, access-token signing, federation identity).

Keys live under ``$HUB_HOME/keys/<purpose>/<kid>.pem`` with 0600 permissions.
The newest key of a purpose and of the configured suite's algorithm signs
(Ed25519 under ``international``, SM2 under ``gm``: ``hub.crypto``); every key
ever made stays for verification, so rotation (or a change of suite) never
invalidates old signatures or unexpired tokens.  A key store that cannot be read
raises ``KeyStoreError`` (fail closed: nothing is signed).
"""

from __future__ import annotations

import base64
import os
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from hub.crypto.signing import EDDSA, PrivateKey, PublicKey, generate_private_key, load_private_pem
from hub.errors import Unavailable

if TYPE_CHECKING:
    from hub.settings import Settings

PURPOSES = ("audit", "token", "identity")  # identity: the hub's federation key (hub.federation)


class KeyStoreError(Unavailable):
    """The key store is missing, unreadable or corrupt."""


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


@dataclass(frozen=True)
class HubKey:
    kid: str
    signer: PrivateKey

    @classmethod
    def of(cls, kid: str, private: Any) -> HubKey:
        """A key from a library private key (Ed25519 from ``cryptography``) or a ``PrivateKey``."""
        return cls(kid, private if isinstance(private, PrivateKey) else PrivateKey(EDDSA, private))

    @property
    def alg(self) -> str:
        """The JWS algorithm of the key: ``EdDSA`` or ``SM2SM3``."""
        return self.signer.alg

    @property
    def private(self) -> Any:
        """The library's private key object (what pyjwt and ``cryptography`` take)."""
        return self.signer.key

    @property
    def verifier(self) -> PublicKey:
        return self.signer.public()

    @property
    def public(self) -> Any:
        """The library's public key object."""
        return self.verifier.key

    def sign(self, data: bytes) -> bytes:
        """The raw JOSE signature of ``data`` (64 bytes for both algorithms)."""
        return self.signer.sign(data)

    def public_raw(self) -> bytes:
        return self.verifier.raw()

    @property
    def created_at(self) -> datetime | None:
        """When the key was made, from its kid (``<purpose>-<ns since epoch>-<hex>``); None if foreign."""
        parts = self.kid.split("-")
        if len(parts) != 3 or not parts[1].isdigit():
            return None
        return datetime.fromtimestamp(int(parts[1]) / 1e9, UTC)

    def jwk(self) -> dict[str, str]:
        """The public key as a JWK (OKP/Ed25519, RFC 8037; or EC/SM2, see ``hub.crypto.signing``)."""
        return self.verifier.jwk(self.kid)


class KeyStore:
    """Signing keys of one ``HUB_HOME``; new keys are made for ``alg`` (the suite's signature)."""

    def __init__(self, keys_dir: Path, alg: str = EDDSA) -> None:
        self.root = keys_dir
        self.alg = alg
        # Parsed keys per purpose with the (name, mtime, size) of the files they came from:
        # signing happens on every delivery, and re-parsing PEM files each time cost more
        # than the signature.  A rotation, removal or rewrite (even by another process)
        # changes the signature, so the files stay the single source of truth.
        self._cache: dict[str, tuple[tuple[tuple[str, int, int], ...], list[HubKey]]] = {}

    def _dir(self, purpose: str) -> Path:
        if purpose not in PURPOSES:
            raise ValueError(f"unknown key purpose `{purpose}`")
        return self.root / purpose

    def keys(self, purpose: str) -> list[HubKey]:
        """Every key of ``purpose``, oldest first."""
        folder = self._dir(purpose)
        if not folder.exists():
            return []
        try:
            files = sorted((e.name, e.stat()) for e in os.scandir(folder) if e.name.endswith(".pem"))
            signature = tuple((name, st.st_mtime_ns, st.st_size) for name, st in files)
            cached = self._cache.get(purpose)
            if cached is not None and cached[0] == signature:
                return list(cached[1])
            keys = [self._load(folder / name) for name, _ in files]
        except (OSError, ValueError) as exc:
            raise KeyStoreError(f"key store `{folder}` unreadable: {exc}") from None
        self._cache[purpose] = (signature, keys)
        return list(keys)

    @classmethod
    def from_settings(cls, settings: Settings) -> KeyStore:
        """The key store of ``settings.home``, making keys for the configured suite."""
        return cls(settings.keys_dir, settings.suite.signature)

    def current(self, purpose: str) -> HubKey:
        """The signing key of ``purpose`` (newest of the store's algorithm), created on first use."""
        keys = [k for k in self.keys(purpose) if k.alg == self.alg]
        return keys[-1] if keys else self.rotate(purpose)

    def find(self, purpose: str, kid: str) -> HubKey | None:
        return next((k for k in self.keys(purpose) if k.kid == kid), None)

    def rotate(self, purpose: str) -> HubKey:
        """Make a new signing key; older keys stay for verification."""
        folder = self._dir(purpose)
        folder.mkdir(parents=True, exist_ok=True, mode=0o700)
        key = generate_private_key(self.alg)
        tmp = _write_private(folder, key.pem())
        # Nanoseconds keep names (and so "newest signs") ordered even within one second.  The time
        # is taken just before the key appears: it is when the older key stops being the signer (its
        # `valid_until`, hub.audit.pubkeys), so what the older key still signs is dated before it (but
        # for a record stamped within the rename itself, which is a system call's time).
        kid = f"{purpose}-{time.time_ns():020d}-{os.urandom(3).hex()}"
        os.replace(tmp, folder / f"{kid}.pem")  # the .pem appears whole: a reader never loads half a key
        return HubKey(kid, key)

    @staticmethod
    def _load(path: Path) -> HubKey:
        try:
            return HubKey(path.stem, load_private_pem(path.read_bytes()))
        except ValueError as exc:
            raise ValueError(f"{path.name}: {exc}") from None


def load_secret(keys_dir: Path, name: str) -> bytes:
    """A 32-byte hub secret ``keys_dir/<name>.secret`` (0600), created on first use.

    Concurrent first uses are safe: the secret is written under a temporary name and
    linked into place, which fails for every process but the first; the others read
    the winner's secret, never a half-written one.  Unreadable or corrupt →
    ``KeyStoreError``.
    """
    path = keys_dir / f"{name}.secret"
    try:
        if not path.exists():
            keys_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
            tmp = _write_private(keys_dir, os.urandom(32))
            try:
                os.link(tmp, path)  # appears whole or not at all; refused if another process won
            except FileExistsError:
                pass
            finally:
                tmp.unlink()
        secret = path.read_bytes()
    except OSError as exc:
        raise KeyStoreError(f"{name} secret unreadable: {exc}") from None
    if len(secret) != 32:
        raise KeyStoreError(f"{name} secret is corrupt (expected 32 bytes)")
    return secret


def _write_private(folder: Path, content: bytes) -> Path:
    """``content`` in a new 0600 file under a temporary name in ``folder`` (synced); its path."""
    tmp = folder / f".tmp-{os.getpid()}-{os.urandom(6).hex()}"
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as fh:
        fh.write(content)
        fh.flush()
        os.fsync(fh.fileno())
    return tmp
