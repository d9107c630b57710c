"""The encrypted warehouse: DuckDB's database encryption with a data key from the KMS.

DuckDB (≥ 1.4) encrypts a database file attached with ``ENCRYPTION_KEY`` (AES-GCM on
every block, the WAL and, with ``temp_file_encryption``, spilled temporary files).
Writing needs the ``httpfs`` extension's OpenSSL (DuckDB refuses to write with its
built-in mbedtls, whose random numbers it does not trust for nonces); the extension
comes from the ``duckdb-extension-httpfs`` wheel (pinned to the DuckDB version in the
lock) and DuckDB checks its signature when it loads.

The key is the ``warehouse`` data key (``hub.kms.DataKeys``) wrapped by the master
key.  DuckDB takes it as a string; the hub passes the key's base64 text.

In one process every connection shares one in-memory DuckDB with the file attached
(two DuckDB instances of one process may not attach the same file), handed out as
cursors and closed when the last one is.  SQLMesh attaches the file itself through
``encrypted_attach`` in its gateway configuration (``hub.transform``); the hub holds no
connection while a plan runs.  A warehouse written before encryption was on is
copied into an encrypted file once (``COPY FROM DATABASE``) and swapped in place.
"""

from __future__ import annotations

import base64
import functools
import os
import re
import threading
import time
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

import duckdb

from hub.errors import Unavailable
from hub.kms.datakeys import WAREHOUSE

if TYPE_CHECKING:
    from hub.settings import Settings

_ALIAS = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


def warehouse_key(settings: Settings) -> str | None:
    """The warehouse's encryption key (base64 text) or None when ``HUB_ENCRYPT_AT_REST`` is off."""
    if not settings.encrypt_at_rest:
        return None
    from hub.kms import data_keys

    key = data_keys(settings).get_or_create(WAREHOUSE, "warehouse")
    return base64.b64encode(key.key).decode("ascii")


def httpfs_path() -> str:
    """The httpfs extension file of the installed DuckDB (from the duckdb-extension-httpfs wheel)."""
    import duckdb_extension_httpfs

    folder = Path(duckdb_extension_httpfs.__file__).parent / "extensions" / f"v{duckdb.__version__}"
    path = folder / "httpfs.duckdb_extension"
    if not path.exists():
        raise Unavailable(f"the httpfs extension for DuckDB {duckdb.__version__} is missing ({path}): "
                          "install duckdb-extension-httpfs of the same version (make installs it from the lock)")
    return str(path)


def alias_of(path: Path) -> str:
    """The catalog name of the attached file: its stem, as ``duckdb.connect(path)`` would name it."""
    alias = path.stem
    if not _ALIAS.fullmatch(alias):
        raise Unavailable(f"warehouse file name `{path.name}` must be a plain identifier")
    return alias


def attach_sql(path: Path, key: str, alias: str) -> str:
    """``ATTACH`` of the encrypted file (the key is base64 text: no quote can appear in it)."""
    if not re.fullmatch(r"[A-Za-z0-9+/=]+", key):
        raise ValueError("a warehouse key must be base64 text")
    quoted = str(path).replace("'", "''")
    return f"ATTACH IF NOT EXISTS '{quoted}' AS {alias} (ENCRYPTION_KEY '{key}')"


class _Host:
    """The in-memory DuckDB of this process that has the encrypted file attached."""

    def __init__(self, path: Path, key: str, wait_s: float) -> None:
        self.alias = alias_of(path)
        self.con = duckdb.connect()
        self.con.execute(f"LOAD '{httpfs_path()}'")
        self.con.execute("SET temp_file_encryption = true")
        temp = (str(path) + ".tmp").replace("'", "''")
        self.con.execute(f"SET temp_directory = '{temp}'")
        self._attach(path, key, wait_s)
        self.users = 0

    def _attach(self, path: Path, key: str, wait_s: float) -> None:
        deadline = time.monotonic() + wait_s
        while True:
            try:
                self.con.execute(attach_sql(path, key, self.alias))
                return
            except duckdb.CatalogException as exc:
                if "is not encrypted" not in str(exc):
                    raise Unavailable(f"warehouse {path} is not available: {exc}") from None
                _encrypt_plain_file(self.con, path, key)
            except duckdb.IOException as exc:
                if "lock" not in str(exc).lower() or time.monotonic() > deadline:
                    raise Unavailable(f"warehouse {path} is not available: {exc}") from None
                time.sleep(0.2)


_hosts: dict[str, _Host] = {}
_lock = threading.Lock()


@contextmanager
def encrypted_connection(path: Path, key: str, wait_s: float = 60.0) -> Iterator[duckdb.DuckDBPyConnection]:
    """A cursor on the shared in-memory DuckDB that has ``path`` attached with ``key``, in its catalog."""
    path.parent.mkdir(parents=True, exist_ok=True)
    name = str(path.resolve())
    with _lock:
        host = _hosts.get(name)
        if host is None:
            host = _hosts[name] = _Host(path, key, wait_s)
        host.users += 1
    try:
        cursor = host.con.cursor()
        try:
            cursor.execute(f"USE {host.alias}")
            yield cursor
        finally:
            cursor.close()
    finally:
        with _lock:
            host.users -= 1
            if host.users == 0:
                del _hosts[name]
                host.con.close()


def _encrypt_plain_file(con: duckdb.DuckDBPyConnection, path: Path, key: str) -> None:
    """Replace an unencrypted warehouse by an encrypted copy (a one-off when encryption is turned on)."""
    plain, sealed = "__hub_plain", "__hub_sealed"
    target = path.with_name(path.name + ".encrypting")
    target.unlink(missing_ok=True)
    con.execute(f"ATTACH '{str(path).replace(chr(39), chr(39) * 2)}' AS {plain} (READ_ONLY)")
    try:
        con.execute(attach_sql(target, key, sealed))
        con.execute(f"COPY FROM DATABASE {plain} TO {sealed}")
        con.execute(f"DETACH {sealed}")
    finally:
        con.execute(f"DETACH {plain}")
    os.replace(target, path)
    Path(str(path) + ".wal").unlink(missing_ok=True)


@functools.cache
def _attach_class() -> type:
    """SQLMesh's DuckDB catalog attach, with the httpfs load and ``ENCRYPTION_KEY`` it lacks."""
    with warnings.catch_warnings():  # SQLMesh's config base still declares pydantic v1 json_encoders
        warnings.simplefilter("ignore", DeprecationWarning)
        from sqlmesh.core.config.connection import DuckDBAttachOptions

        class EncryptedAttach(DuckDBAttachOptions):
            encryption_key: str = ""

            def to_sql(self, alias: str) -> str:
                return (f"LOAD '{httpfs_path()}'; SET temp_file_encryption = true; "
                        + attach_sql(Path(self.path), self.encryption_key, alias))

            def __repr_args__(self):  # type: ignore[no-untyped-def]  # never show the key
                return [(k, "***" if k == "encryption_key" else v) for k, v in super().__repr_args__()]

    return EncryptedAttach


def encrypted_attach(path: Path, key: str) -> Any:
    """The SQLMesh ``catalogs`` entry that attaches ``path`` encrypted with ``key``."""
    return _attach_class()(type="duckdb", path=str(path), encryption_key=key)
