"""Extending the chain inside one write transaction (shared by the writer thread and ``sink``).

Whoever extends the chain first takes the chain lock, then reads the head (last
durable record) and only then numbers and hashes new records, so writers in several
threads or processes never fork the chain.  On SQLite the lock is the database write
lock (a no-op ``UPDATE`` takes it if the transaction has not written yet); on
PostgreSQL it is a transaction-scoped advisory lock.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from itertools import chain
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
from hub.audit.record import GENESIS, RECORD_FIELDS, Prepared, json_text_bytes, now_ts
from hub.keys import HubKey
from hub.store.models import AuditRecord

CHAIN_LOCK_ID = 0x4855_4954_4F4E_47  # "HUITONG": the PostgreSQL advisory lock of the chain head
_TABLE = cast(Table, AuditRecord.__table__)
KeySource = Callable[[], HubKey]
_HEAD = "SELECT seq, hash FROM audit_records ORDER BY seq DESC LIMIT 1"
_QUOTED = ", ".join('"' + name + '"' for name in RECORD_FIELDS)  # identifiers from the record declaration
_SQLITE_INSERT = "INSERT INTO audit_records (" + _QUOTED + ") VALUES "  # noqa: S608 - declared names
_SQLITE_ROW = "(" + ", ".join("?" * len(RECORD_FIELDS)) + ")"
_SQLITE_CHUNK = 64  # 64 rows x 20 columns: few distinct statements (all stay in sqlite3's statement cache)


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
    """Lock, number, hash and insert ``batch`` (event fields); add due checkpoints; return the records."""
    prepared = [Prepared(fields) for fields in batch]
    ts, links = extend_prepared(conn, prepared, key, policy, locked=locked, check_time=check_time)
    return [{**p.fields, "seq": seq, "ts": ts, "prev_hash": prev, "hash": hash_}
            for p, (seq, prev, hash_) in zip(prepared, links, strict=True)]


def extend_prepared(conn: Session | Connection, batch: list[Prepared], key: KeySource,
                    policy: CheckpointPolicy, *, locked: bool = False,
                    check_time: bool = True) -> tuple[str, list[tuple[int, str, str]]]:
    """``extend`` for prepared events: return ``ts`` and each record's ``(seq, prev_hash, hash)``.

    ``locked``: the transaction already holds the chain lock (SQLite ``BEGIN IMMEDIATE``).
    ``check_time``: also look up whether a checkpoint is due by time (one more query).
    """
    if not locked:
        lock_chain(conn)
    seq, prev = read_head(conn)
    ts = now_ts()
    ts_json, prev_json = json_text_bytes(ts), json_text_bytes(prev)
    links = []
    for p in batch:
        seq += 1
        hash_ = p.hash_at(prev_json, seq, ts_json)
        links.append((seq, prev, hash_))
        prev, prev_json = hash_, b'"' + hash_.encode() + b'"'
    _insert(conn, batch, links, ts)
    marks = [(s, h) for s, _, h in links if s % policy.every == 0]
    if (not marks or marks[-1][0] != seq) and check_time and due_by_time(conn, seq, policy):
        marks.append((seq, prev))
    if marks:
        signer = key()
        write_checkpoints(conn, [sign_checkpoint(signer, s, h, ts) for s, h in marks])
    return ts, links


def _insert(conn: Session | Connection, batch: list[Prepared], links: list[tuple[int, str, str]], ts: str) -> None:
    """Insert the records; on SQLite as multi-row INSERTs straight on the DBAPI connection."""
    if dialect(conn) != "sqlite":
        conn.execute(insert(_TABLE), [{**p.fields, "seq": seq, "ts": ts, "prev_hash": prev, "hash": hash_}
                                      for p, (seq, prev, hash_) in zip(batch, links, strict=True)])
        return
    raw = conn.connection() if isinstance(conn, Session) else conn
    dbapi = raw.connection.driver_connection
    if dbapi is None:
        raise RuntimeError("the audit writer's SQLite connection is closed")
    rows = [p.row_at(seq, ts, prev, hash_) for p, (seq, prev, hash_) in zip(batch, links, strict=True)]
    for start in range(0, len(rows), _SQLITE_CHUNK):
        chunk = rows[start:start + _SQLITE_CHUNK]
        dbapi.execute(_sqlite_insert(len(chunk)), tuple(chain.from_iterable(chunk)))


@functools.lru_cache(maxsize=_SQLITE_CHUNK)
def _sqlite_insert(rows: int) -> str:
    """A multi-row INSERT: one statement step (one GIL release) per chunk instead of per row."""
    return _SQLITE_INSERT + ", ".join([_SQLITE_ROW] * rows)


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
