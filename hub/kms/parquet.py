"""Sealed snapshots: published Parquet encrypted under a data key, decrypted in memory only.

``international`` suite: Parquet modular encryption (pyarrow.parquet.encryption,
``AES_GCM_V1``) with two data keys per dataset version: the *personal* key encrypts
every column of level ≥ 3 and every free-text column (with their redacted twins),
the *general* key every other column and the footer (schema, statistics).  Every
module is AES-GCM, so every byte of the file is authenticated, and a reader given
only the general key could read the non-personal columns.  pyarrow draws a fresh
data-encryption key per column and wraps it with the data key through a KMS client
bound to ``hub.kms.DataKeys`` (the "master key identifier" pyarrow stores in the
footer is the data key's id).  The data keys are wrapped by the master key, so a
master-key rotation touches the small key files, never the snapshot.

``gm`` suite: the Parquet specification defines only AES-GCM and AES-GCM-CTR, so
pyarrow cannot encrypt a column with SM4.  The nearest honest design: the whole
Parquet file is sealed with SM4-GCM (``cryptography``) in frames of 1 MiB, every
column and the footer included.  Layout: ``HUBSEAL1``, a 4-byte big-endian header
length, the header JSON (``v``, ``key``, ``cipher``, ``frame``), then frames of
``4-byte length || 12-byte nonce || ciphertext || 16-byte tag``; each frame's AAD is
the header, its index and whether it is the last, so frames cannot be dropped,
reordered or cut off.

``read_table`` recognises all three forms (plain ``PAR1`` files of an unencrypted
deployment, ``PARE`` encrypted-footer Parquet, ``HUBSEAL1``) and returns Arrow; no
clear byte reaches the disk.
"""

from __future__ import annotations

import base64
import io
import json
import os
import struct
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pyarrow as pa
import pyarrow.parquet as pq
import pyarrow.parquet.encryption as pe
from cryptography.exceptions import InvalidTag

from hub.crypto.suite import CIPHERS, NONCE_BYTES
from hub.kms.base import KmsError
from hub.kms.datakeys import DataKey, DataKeys

if TYPE_CHECKING:
    from hub.settings import Settings

SEALED_MAGIC = b"HUBSEAL1"
FRAME = 1 << 20
_LEN = struct.Struct(">I")
_INDEX = struct.Struct(">QB")


class _DataKeyClient(pe.KmsClient):
    """pyarrow's KMS client: wraps pyarrow's per-column keys with one of our data keys."""

    def __init__(self, keys: DataKeys) -> None:
        super().__init__()
        self.keys = keys

    def wrap_key(self, key_bytes: bytes, master_key_identifier: str) -> str:
        key = self.keys.get(master_key_identifier)
        nonce = os.urandom(NONCE_BYTES)
        sealed = CIPHERS[key.cipher].aead(key.key).seal(nonce, bytes(key_bytes), master_key_identifier.encode())
        return base64.b64encode(nonce + sealed).decode("ascii")

    def unwrap_key(self, wrapped_key: str, master_key_identifier: str) -> bytes:
        key = self.keys.get(master_key_identifier)
        blob = base64.b64decode(wrapped_key)
        try:
            return CIPHERS[key.cipher].aead(key.key).open(blob[:NONCE_BYTES], blob[NONCE_BYTES:],
                                                          master_key_identifier.encode())
        except InvalidTag:
            raise KmsError(f"a column key of data key `{master_key_identifier}` does not authenticate") from None


class Sealer:
    """Writes and reads the snapshots of one ``HUB_HOME`` under its data keys."""

    def __init__(self, keys: DataKeys) -> None:
        self.keys = keys
        self._factory = pe.CryptoFactory(lambda _config: _DataKeyClient(keys))
        self._kms_config = pe.KmsConnectionConfig()

    # --- writing ------------------------------------------------------------------------

    def write(self, table: pa.Table, path: Path, key: DataKey, sensitive: list[str],
              personal: DataKey | None = None) -> None:
        """Write ``table`` to ``path`` encrypted under ``key`` (the general key) and ``personal``
        (the ``sensitive`` columns; default ``key``); see the module docstring."""
        if key.cipher == "SM4-GCM":
            sink = io.BytesIO()
            pq.write_table(table, sink, compression="zstd")
            _write_frames(path, key, sink.getbuffer())
            return
        personal_cols = [c for c in table.column_names if c in set(sensitive)]
        general_cols = [c for c in table.column_names if c not in set(sensitive)]
        column_keys: dict[str, list[str]] = {}
        for data_key, cols in ((personal or key, personal_cols), (key, general_cols)):
            if cols:
                column_keys.setdefault(data_key.id, []).extend(cols)
        config = pe.EncryptionConfiguration(
            footer_key=key.id, column_keys=column_keys, encryption_algorithm="AES_GCM_V1",
            plaintext_footer=False, double_wrapping=False, internal_key_material=True,
            data_key_length_bits=256)
        props = self._factory.file_encryption_properties(self._kms_config, config)
        pq.write_table(table, path, compression="zstd", encryption_properties=props)

    # --- reading ------------------------------------------------------------------------

    def _decryption(self) -> Any:
        return self._factory.file_decryption_properties(self._kms_config, pe.DecryptionConfiguration())

    def parquet_file(self, path: str | Path) -> pq.ParquetFile:
        """The snapshot as a ``ParquetFile`` (decrypting in memory)."""
        kind = file_kind(path)
        try:
            if kind == "sealed":
                return pq.ParquetFile(io.BytesIO(_read_frames(Path(path), self.keys)))
            if kind == "encrypted":
                return pq.ParquetFile(str(path), decryption_properties=self._decryption())
            return pq.ParquetFile(str(path))
        except OSError as exc:
            raise KmsError(f"snapshot `{Path(path).name}` cannot be decrypted: {exc}") from None

    def read_table(self, path: str | Path, columns: list[str] | None = None) -> pa.Table:
        """The whole snapshot (or ``columns``) as Arrow, decrypted in memory."""
        return self.parquet_file(path).read(columns=columns)

    def schema(self, path: str | Path) -> pa.Schema:
        return self.parquet_file(path).schema_arrow

    def num_rows(self, path: str | Path) -> int:
        return int(self.parquet_file(path).metadata.num_rows)


def file_kind(path: str | Path) -> str:
    """``plain`` (PAR1), ``encrypted`` (Parquet with an encrypted footer, PARE) or ``sealed`` (HUBSEAL1)."""
    with open(path, "rb") as fh:
        head = fh.read(len(SEALED_MAGIC))
        if head == SEALED_MAGIC:
            return "sealed"
        fh.seek(-4, os.SEEK_END)
        tail = fh.read(4)
    return "encrypted" if tail == b"PARE" else "plain"


def _header(key: DataKey) -> bytes:
    return json.dumps({"v": 1, "key": key.id, "cipher": key.cipher, "frame": FRAME}, sort_keys=True).encode()


def _write_frames(path: Path, key: DataKey, data: memoryview) -> None:
    aead = CIPHERS[key.cipher].aead(key.key)
    header = _header(key)
    count = max(1, -(-len(data) // FRAME))
    with path.open("wb") as out:
        out.write(SEALED_MAGIC + _LEN.pack(len(header)) + header)
        for i in range(count):
            nonce = os.urandom(NONCE_BYTES)
            sealed = aead.seal(nonce, bytes(data[i * FRAME:(i + 1) * FRAME]),
                               header + _INDEX.pack(i, i == count - 1))
            out.write(_LEN.pack(len(sealed)) + nonce + sealed)


def _read_frames(path: Path, keys: DataKeys) -> bytes:
    blob = path.read_bytes()
    at = len(SEALED_MAGIC)
    (size,) = _LEN.unpack_from(blob, at)
    header = blob[at + 4:at + 4 + size]
    meta = json.loads(header)
    key = keys.get(str(meta["key"]))
    aead = CIPHERS[key.cipher].aead(key.key)
    at += 4 + size
    parts, index = [], 0
    while at < len(blob):
        (length,) = _LEN.unpack_from(blob, at)
        nonce, sealed = blob[at + 4:at + 4 + NONCE_BYTES], blob[at + 4 + NONCE_BYTES:at + 4 + NONCE_BYTES + length]
        at += 4 + NONCE_BYTES + length
        last = at >= len(blob)
        try:
            parts.append(aead.open(nonce, sealed, header + _INDEX.pack(index, last)))
        except InvalidTag:
            raise KmsError(f"sealed snapshot `{path.name}`: frame {index} does not authenticate "
                           "(altered, reordered or truncated)") from None
        index += 1
    return b"".join(parts)


def snapshot_sealer(settings: Settings) -> Sealer | None:
    """The sealer of ``settings.home`` (None when ``HUB_ENCRYPT_AT_REST`` is off: snapshots stay plain)."""
    if not settings.encrypt_at_rest:
        return None
    from hub.kms import data_keys

    return Sealer(data_keys(settings))


def snapshot_reader(settings: Settings) -> Sealer:
    """A sealer for reading: it opens plain snapshots too, so it exists whatever the setting."""
    from hub.kms import data_keys

    return Sealer(data_keys(settings))


def snapshot_key_id(dataset: str, number: int, *, personal: bool = False) -> str:
    """The id of a data key of version ``number`` of ``dataset`` (general or personal; fixed, so
    retiring a version finds its keys)."""
    import hashlib

    base = "dk-" + hashlib.sha256(f"snapshot\0{dataset}\0{number}".encode()).hexdigest()[:40]
    return base + "-p" if personal else base
