"""Operator reads (``hub query``): the current published version in clear, audited.

The operator console reads snapshots without masking (it runs on the hub host
with the hub's own keys); ``_row_id`` and the redacted twins are internal and left
out.  Every read appends an ``operator.read`` event (rows, SHA-256 of the output)
before the bytes are written; if the audit log is down nothing is written.
"""

from __future__ import annotations

import getpass
import hashlib

import duckdb

from hub.audit import AuditLog
from hub.errors import BadRequest
from hub.events import OPERATOR_READ, AuditEvent
from hub.exchange import formats
from hub.exchange.plan import ROW_ID
from hub.exchange.snapshots import Snapshots
from hub.masking import quote_ident
from hub.settings import Settings
from hub.store.db import open_store

OPERATOR_FORMATS = ("csv", "json", "parquet")


def operator_read(settings: Settings, dataset: str, fmt: str, limit: int | None) -> bytes:
    """The encoded rows of ``dataset``'s current version, after the read is audited."""
    if fmt not in OPERATOR_FORMATS:
        raise BadRequest(f"--format `{fmt}` is not one of {', '.join(OPERATOR_FORMATS)}")
    if limit is not None and limit < 1:
        raise BadRequest("--limit must be at least 1")
    store = open_store(settings.metadata_url)
    try:
        snapshots = Snapshots(settings, store)
        snap = snapshots.current(dataset)
        cols = [quote_ident(c) for c in snap.catalog if c != ROW_ID]
        sql = f"SELECT {', '.join(cols)} FROM snapshot ORDER BY {quote_ident(ROW_ID)}"  # noqa: S608
        if fmt == "json":
            packed = ", ".join(f"{c} := {c}" for c in cols)
            sql = f"SELECT to_json(struct_pack({packed})) AS {formats.JSON_COLUMN} FROM ({sql}) AS t"  # noqa: S608
        if limit is not None:
            sql += f" LIMIT {int(limit)}"
        con = duckdb.connect()
        con.register("snapshot", snapshots.sealer.read_table(snap.path))  # decrypted in memory only
        table = con.execute(sql).to_arrow_table()
        body = b"".join(formats.encode(fmt, table, None))
        with AuditLog.from_settings(store, settings) as audit:
            audit.append(AuditEvent(OPERATOR_READ, subject=f"operator:{getpass.getuser()}", action="read",
                                    dataset=snap.dataset, dataset_version=snap.version, decision="ok",
                                    rows=table.num_rows, response_sha256=hashlib.sha256(body).hexdigest(),
                                    details={"format": fmt}))
        return body
    finally:
        store.dispose()
