"""Data keys (envelope encryption): one per purpose, wrapped by the master key, as small files.

``$HUB_HOME/keys/data/<id>.json`` (0600) holds a data key sealed by a master key
version (``hub.kms.base``): ``id``, ``purpose`` (``warehouse``, or
``snapshot:<dataset>@<version>``), ``cipher``, ``created_at``, ``master_version``,
``wrapped`` (base64) and ``rewrapped_at``.  The plaintext key exists only in the
memory of the process that unwrapped it.  A master-key rotation re-wraps every
file (``rewrap_all``): each is replaced whole (``os.replace``) and the old master
version stays, so a reader holding either form decrypts — no data is rewritten and
no request waits.  Deleting a snapshot's data key destroys the snapshot for good.
"""

from __future__ import annotations

import base64
import json
import os
import re
import threading
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from hub.keys import _write_private
from hub.kms.base import Kms, KmsError, Wrapped

WAREHOUSE = "warehouse"
_ID = re.compile(r"[a-z0-9][a-z0-9-]{0,63}")


@dataclass(frozen=True)
class DataKey:
    """An unwrapped data key (keep it in memory only)."""

    id: str
    purpose: str
    cipher: str
    key: bytes


@dataclass(frozen=True)
class DataKeyInfo:
    """What ``hub keys status`` shows of a data key (never the key)."""

    id: str
    purpose: str
    cipher: str
    created_at: datetime
    master_version: int
    rewrapped_at: datetime | None


@dataclass(frozen=True)
class RewrapReport:
    master_version: int
    rewrapped: int
    already_current: int


def _context(record: dict[str, Any]) -> str:
    """The associated data a wrapped key is bound to: a blob moved to another file does not open."""
    return f"hub-data-key\0{record['id']}\0{record['purpose']}\0{record['cipher']}"


class DataKeys:
    """The data keys of one ``HUB_HOME``, wrapped by ``kms``."""

    def __init__(self, keys_dir: Path, kms: Kms) -> None:
        self.folder = keys_dir / "data"
        self.kms = kms
        self._plain: dict[str, DataKey] = {}
        self._lock = threading.Lock()

    def _path(self, key_id: str) -> Path:
        if not _ID.fullmatch(key_id):
            raise KmsError(f"`{key_id[:80]}` is not a data key id")
        return self.folder / f"{key_id}.json"

    def create(self, purpose: str, key_id: str | None = None) -> DataKey:
        """A new random data key of the suite's cipher for ``purpose``, stored wrapped."""
        suite = self.kms.suite
        key = DataKey(key_id or f"dk-{uuid.uuid4().hex}", purpose, suite.cipher, os.urandom(suite.key_bytes))
        record: dict[str, Any] = {"id": key.id, "purpose": purpose, "cipher": key.cipher,
                                  "created_at": datetime.now(UTC).isoformat(), "rewrapped_at": None}
        wrapped = self.kms.wrap(key.key, _context(record))
        self._write(record, wrapped, exclusive=True)
        with self._lock:
            self._plain[key.id] = key
        return key

    def get(self, key_id: str) -> DataKey:
        """The unwrapped data key ``key_id`` (cached in memory); ``KmsError`` if it is gone or wrong."""
        found = self._plain.get(key_id)
        if found is not None:
            return found
        record = self._read(key_id)
        wrapped = Wrapped(int(record["master_version"]), base64.b64decode(record["wrapped"]))
        key = DataKey(key_id, str(record["purpose"]), str(record["cipher"]),
                      self.kms.unwrap(wrapped, _context(record)))
        with self._lock:
            self._plain[key_id] = key
        return key

    def get_or_create(self, key_id: str, purpose: str) -> DataKey:
        """``get``, or ``create`` under that id the first time (the warehouse key)."""
        if self._path(key_id).exists():
            return self.get(key_id)
        try:
            return self.create(purpose, key_id)
        except FileExistsError:  # another process made it first
            return self.get(key_id)

    def delete(self, key_id: str) -> None:
        """Destroy a data key (what it encrypted can never be read again)."""
        with self._lock:
            self._plain.pop(key_id, None)
        self._path(key_id).unlink(missing_ok=True)

    def infos(self) -> list[DataKeyInfo]:
        """Every data key, oldest first."""
        out = []
        for path in self._files():
            record = self._read(path.stem)
            stamp = record.get("rewrapped_at")
            out.append(DataKeyInfo(path.stem, str(record["purpose"]), str(record["cipher"]),
                                   datetime.fromisoformat(record["created_at"]), int(record["master_version"]),
                                   datetime.fromisoformat(stamp) if stamp else None))
        return sorted(out, key=lambda i: i.created_at)

    def rewrap_all(self) -> RewrapReport:
        """Re-wrap every data key under the current master key (the data stays as it is)."""
        current = self.kms.current().version
        done = same = 0
        for path in self._files():
            record = self._read(path.stem)
            if int(record["master_version"]) == current:
                same += 1
                continue
            old = Wrapped(int(record["master_version"]), base64.b64decode(record["wrapped"]))
            record["rewrapped_at"] = datetime.now(UTC).isoformat()
            self._write(record, self.kms.rewrap(old, _context(record)), exclusive=False)
            done += 1
        return RewrapReport(current, done, same)

    def _files(self) -> list[Path]:
        if not self.folder.exists():
            return []
        return sorted(p for p in self.folder.iterdir() if p.suffix == ".json" and _ID.fullmatch(p.stem))

    def _read(self, key_id: str) -> dict[str, Any]:
        path = self._path(key_id)
        try:
            record = json.loads(path.read_text())
        except FileNotFoundError:
            raise KmsError(f"data key `{key_id}` does not exist (destroyed with its data?)") from None
        except (OSError, ValueError) as exc:
            raise KmsError(f"data key file `{path.name}` is unreadable: {exc}") from None
        if not isinstance(record, dict) or record.get("id") != key_id:
            raise KmsError(f"data key file `{path.name}` is corrupt")
        return record

    def _write(self, record: dict[str, Any], wrapped: Wrapped, *, exclusive: bool) -> None:
        self.folder.mkdir(parents=True, exist_ok=True, mode=0o700)
        body = {**record, "master_version": wrapped.version, "wrapped": base64.b64encode(wrapped.blob).decode()}
        tmp = _write_private(self.folder, json.dumps(body, sort_keys=True).encode())
        path = self._path(str(record["id"]))
        try:
            if exclusive:
                os.link(tmp, path)  # FileExistsError if the id is taken
            else:
                os.replace(tmp, path)  # readers see the old or the new file whole
        finally:
            tmp.unlink(missing_ok=True)
