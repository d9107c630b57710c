"""Extending the chain inside one write transaction (shared by the writer thread and ``sink``).

Whoever extends the chain first takes the chain lock, then reads the head (last
durable record) and only then numbers and hashes new records, so writers in several
threads or processes never fork the chain.  On SQLite the lock is the database write
lock (a no-op ``UPDATE`` takes it if the transaction has not written yet); on
PostgreSQL it is a transaction-scoped advisory lock.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any, cast

from sqlalchemy import Connection, Table, insert, text
from sqlalchemy.orm import Session

from hub.audit.checkpoints import (
    CheckpointPolicy,
    due_by_time,
    last_checkpoint,
    sign_checkpoint,
    write_checkpoints,
)
from hub.audit.record import GENESIS, RECORD_FIELDS, chain, now_ts
from hub.keys import HubKey
from hub.store.models import AuditRecord

CHAIN_LOCK_ID = 0x4855_4954_4F4E_47  # "HUITONG": the PostgreSQL advisory lock of the chain head
_TABLE = cast(Table, AuditRecord.__table__)
KeySource = Callable[[], HubKey]
_HEAD = "SELECT seq, hash FROM audit_records ORDER BY seq DESC LIMIT 1"
_JSON_COLUMNS = {"reasons", "details"}  # stored as SQLAlchemy's JSON type stores them (json.dumps)
_SQLITE_CHUNK = 500  # 500 rows x 20 columns stays far below SQLite's 32766 bound parameters
_QUOTED = ", ".join('"' + name + '"' for name in RECORD_FIELDS)  # identifiers from the record declaration
_SQLITE_INSERT = "INSERT INTO audit_records (" + _QUOTED + ") VALUES "  # noqa: S608 - declared names
_SQLITE_ROW = "(" + ", ".join("?" * len(RECORD_FIELDS)) + ")"


def lock_chain(conn: Session | Connection) -> None:
    """Serialize with every other writer of the chain until this transaction ends."""
    if dialect(conn) == "postgresql":
        conn.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": CHAIN_LOCK_ID})
    else:
        conn.execute(text("UPDATE audit_records SET seq = seq WHERE 0 = 1"))


def dialect(conn: Session | Connection) -> str:
    """The database dialect name of a session or connection."""
    bind = conn.get_bind() if isinstance(conn, Session) else conn
    return str(bind.dialect.name)


def read_head(conn: Session | Connection) -> tuple[int, str]:
    """``(seq, hash)`` of the last durable record, ``(0, GENESIS)`` for an empty log."""
    raw = conn.connection() if isinstance(conn, Session) else conn
    row = raw.exec_driver_sql(_HEAD).first()
    return (int(row[0]), str(row[1])) if row else (0, GENESIS)


def extend(conn: Session | Connection, batch: list[dict[str, Any]], key: KeySource,
           policy: CheckpointPolicy, *, locked: bool = False, check_time: bool = True) -> list[dict]:
    """Lock, number, hash and insert ``batch``; add due checkpoints; return the records.

    ``locked``: the transaction already holds the chain lock (SQLite ``BEGIN IMMEDIATE``).
    ``check_time``: also look up whether a checkpoint is due by time (one more query).
    """
    if not locked:
        lock_chain(conn)
    seq, prev = read_head(conn)
    ts = now_ts()
    records = []
    for fields in batch:
        seq += 1
        record = chain(fields, seq, prev, ts)
        records.append(record)
        prev = record["hash"]
    _insert(conn, records)
    marks = [r for r in records if r["seq"] % policy.every == 0]
    tail_unmarked = not marks or marks[-1] is not records[-1]
    if tail_unmarked and check_time and due_by_time(conn, seq, policy):
        marks.append(records[-1])
    if marks:
        signer = key()
        write_checkpoints(conn, [sign_checkpoint(signer, r["seq"], r["hash"], ts) for r in marks])
    return records


def _insert(conn: Session | Connection, records: list[dict[str, Any]]) -> None:
    """Insert records; on SQLite as multi-row INSERTs (one statement step per chunk, not per row)."""
    if dialect(conn) != "sqlite":
        conn.execute(insert(_TABLE), records)
        return
    for start in range(0, len(records), _SQLITE_CHUNK):
        chunk = records[start:start + _SQLITE_CHUNK]
        params = [json.dumps(r[c]) if c in _JSON_COLUMNS else r[c] for r in chunk for c in RECORD_FIELDS]
        sql = _SQLITE_INSERT + ", ".join([_SQLITE_ROW] * len(chunk))
        raw = conn.connection() if isinstance(conn, Session) else conn
        raw.exec_driver_sql(sql, tuple(params))


def checkpoint_if_due(conn: Session | Connection, key: KeySource, policy: CheckpointPolicy,
                      force: bool = False) -> int | None:
    """Checkpoint the head when it is due by time (or ``force``); return its seq or None."""
    lock_chain(conn)
    seq, head_hash = read_head(conn)
    if seq == 0:
        return None
    last = last_checkpoint(conn)
    if last is not None and last[0] >= seq:
        return None
    if not force and not due_by_time(conn, seq, policy):
        return None
    write_checkpoints(conn, [sign_checkpoint(key(), seq, head_hash)])
    return seq
