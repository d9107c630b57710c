"""The file KMS (the embedded default): master keys in ``$HUB_HOME/keys/master/``.

Each version is ``master-<NNNNNN>.key``, 0600, holding a small JSON object
(``version``, ``created_at``, ``cipher``, ``key`` base64).  Keeping the master key
beside the data protects a copied warehouse, snapshot or backup that leaves
without ``keys/``; against a thief of the whole ``HUB_HOME`` only a PKCS#11 token
(``hub.kms.pkcs11kms``) helps, which is why it exists.
"""

from __future__ import annotations

import base64
import json
import os
import threading
from datetime import UTC, datetime
from pathlib import Path

from cryptography.exceptions import InvalidTag

from hub.crypto.suite import CIPHERS, Aead, Suite
from hub.keys import _write_private
from hub.kms.base import Kms, KmsError, MasterKey

PREFIX = "master-"


class FileKms(Kms):
    """Master keys as files; ``Aead`` of the key's cipher wraps and unwraps."""

    backend = "file"

    def __init__(self, keys_dir: Path, suite: Suite) -> None:
        super().__init__(suite)
        self.folder = keys_dir / "master"
        self._lock = threading.Lock()
        self._loaded: dict[int, tuple[MasterKey, Aead]] = {}

    def _path(self, version: int) -> Path:
        return self.folder / f"{PREFIX}{version:06d}.key"

    def versions(self) -> list[MasterKey]:
        try:
            names = sorted(p.name for p in self.folder.iterdir() if p.name.startswith(PREFIX)) \
                if self.folder.exists() else []
        except OSError as exc:
            raise KmsError(f"master key folder `{self.folder}` unreadable: {exc.strerror}") from None
        return [self._load(int(name[len(PREFIX):-4]))[0] for name in names if name.endswith(".key")]

    def _load(self, version: int) -> tuple[MasterKey, Aead]:
        found = self._loaded.get(version)
        if found is not None:
            return found
        path = self._path(version)
        try:
            data = json.loads(path.read_text())
            key = base64.b64decode(data["key"])
            info = MasterKey(int(data["version"]), datetime.fromisoformat(data["created_at"]),
                             str(data["cipher"]), self.backend)
            aead = CIPHERS[info.cipher].aead(key)
        except FileNotFoundError:
            raise KmsError(f"master key version {version} is missing (`{path}`)") from None
        except (OSError, ValueError, KeyError, TypeError) as exc:
            raise KmsError(f"master key `{path.name}` is unreadable or corrupt: {exc}") from None
        if info.version != version:
            raise KmsError(f"master key `{path.name}` says it is version {info.version}")
        with self._lock:
            self._loaded[version] = (info, aead)
        return info, aead

    def rotate(self) -> MasterKey:
        with self._lock:
            self.folder.mkdir(parents=True, exist_ok=True, mode=0o700)
            existing = [int(p.name[len(PREFIX):-4]) for p in self.folder.iterdir()
                        if p.name.startswith(PREFIX) and p.name.endswith(".key")]
            version = max(existing, default=0) + 1
            info = MasterKey(version, datetime.now(UTC), self.suite.cipher, self.backend)
            body = json.dumps({"version": version, "created_at": info.created_at.isoformat(),
                               "cipher": info.cipher,
                               "key": base64.b64encode(os.urandom(self.suite.key_bytes)).decode()})
            tmp = _write_private(self.folder, body.encode())
            try:
                os.link(tmp, self._path(version))  # refused if another process made this version first
            except FileExistsError:
                pass
            finally:
                tmp.unlink()
        return self._load(version)[0]

    def _seal(self, version: int, nonce: bytes, data: bytes, aad: bytes) -> bytes:
        return self._load(version)[1].seal(nonce, data, aad)

    def _open(self, version: int, nonce: bytes, sealed: bytes, aad: bytes) -> bytes:
        try:
            return self._load(version)[1].open(nonce, sealed, aad)
        except InvalidTag:
            raise KmsError(f"a key wrapped by master key v{version} does not authenticate "
                           "(wrong key, altered blob or wrong context)") from None
