"""Extending the chain inside one write transaction (shared by the writer thread and ``sink``).

Whoever extends the chain first takes the chain lock, then reads the head (last
durable record) and only then numbers and hashes new records, so writers in several
threads or processes never fork the chain.  On SQLite the lock is the database write
lock (a no-op ``UPDATE`` takes it if the transaction has not written yet); on
PostgreSQL it is a transaction-scoped advisory lock.  ``extend_at_head`` is the SQLite
writer thread's shortcut: one statement that takes the lock and appends after the head the
writer knows, refused by the primary key if another writer got there first.
"""

from __future__ import annotations

import functools
import sqlite3
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
_SQLITE_HEAD_ROWS = 128  # the largest batch appended in one statement; each size is its own cached statement
Link = tuple[int, str, str]  # a record's (seq, prev_hash, hash)


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
           policy: CheckpointPolicy, *, locked: bool = False, check_time: bool = True,
           hash_name: str = "sha256") -> list[dict]:
    """Lock, number, hash and insert ``batch`` (event fields); add due checkpoints; return the records."""
    prepared = [Prepared(fields, hash_name=hash_name) for fields in batch]
    ts, links = extend_prepared(conn, prepared, key, policy, locked=locked, check_time=check_time)
    return [{**p.fields, "seq": seq, "ts": ts, "prev_hash": prev, "hash": hash_}
            for p, (seq, prev, hash_) in zip(prepared, links, strict=True)]


def extend_prepared(conn: Session | Connection, batch: list[Prepared], key: KeySource,
                    policy: CheckpointPolicy, *, locked: bool = False,
                    check_time: bool = True) -> tuple[str, list[Link]]:
    """``extend`` for prepared events: return ``ts`` and each record's ``(seq, prev_hash, hash)``.

    ``locked``: the transaction already holds the chain lock (SQLite ``BEGIN IMMEDIATE``).
    ``check_time``: also look up whether a checkpoint is due by time (one more query).
    """
    if not locked:
        lock_chain(conn)
    seq, prev = read_head(conn)
    ts = now_ts()
    links = _links(batch, seq, prev, ts)
    _insert(conn, batch, links, ts)
    seq, prev = links[-1][0], links[-1][2]
    marks = [(s, h) for s, _, h in links if s % policy.every == 0]
    if (not marks or marks[-1][0] != seq) and check_time and due_by_time(conn, seq, policy):
        marks.append((seq, prev))
    if marks:
        signer = key()
        write_checkpoints(conn, [sign_checkpoint(signer, s, h, ts) for s, h in marks])
    return ts, links


def extend_at_head(dbapi: sqlite3.Connection, batch: list[Prepared], head: tuple[int, str],
                   policy: CheckpointPolicy) -> tuple[str, list[Link]] | None:
    """SQLite, in one autocommit statement: append ``batch`` after ``head`` if that is still the head.

    The writer thread remembers the head it last wrote, so it need not BEGIN, read the head and
    COMMIT in separate statements (each one a GIL release and re-acquire while callers queue for
    it).  One multi-row INSERT takes the write lock, inserts and commits in one ``sqlite3_step``.
    If another writer (a ``sink``, another process) appended since, the record at ``head`` + 1
    exists: the primary key refuses the whole statement and nothing is written.  None then, and
    also when the batch reaches a checkpoint seq (its checkpoint row must commit with it) or is
    too large for one statement: the caller extends the chain the ordinary way.
    """
    seq, prev = head
    if len(batch) > _SQLITE_HEAD_ROWS or (seq + len(batch)) // policy.every != seq // policy.every:
        return None
    if dbapi.in_transaction:
        raise RuntimeError("the audit writer's SQLite connection is inside a transaction")
    ts = now_ts()  # before the lock: a writer that got in first moves the head and this is retried
    links = _links(batch, seq, prev, ts)
    try:
        dbapi.execute(_sqlite_insert(len(batch)), tuple(chain.from_iterable(_rows(batch, links, ts))))
    except sqlite3.IntegrityError:
        return None
    return ts, links


def _links(batch: list[Prepared], seq: int, prev: str, ts: str) -> list[Link]:
    """Number and hash ``batch`` after ``(seq, prev)``: each record's ``(seq, prev_hash, hash)``."""
    ts_json, prev_json = json_text_bytes(ts), json_text_bytes(prev)
    links = []
    for p in batch:
        seq += 1
        hash_ = p.hash_at(prev_json, seq, ts_json)
        links.append((seq, prev, hash_))
        prev, prev_json = hash_, b'"' + hash_.encode() + b'"'
    return links


def _rows(batch: list[Prepared], links: list[Link], ts: str) -> list[tuple[Any, ...]]:
    return [p.row_at(seq, ts, prev, hash_) for p, (seq, prev, hash_) in zip(batch, links, strict=True)]


def _insert(conn: Session | Connection, batch: list[Prepared], links: list[Link], ts: str) -> None:
    """Insert the records; on SQLite as multi-row INSERTs straight on the DBAPI connection."""
    if dialect(conn) != "sqlite":
        conn.execute(insert(_TABLE), [{**p.fields, "seq": seq, "ts": ts, "prev_hash": prev, "hash": hash_}
                                      for p, (seq, prev, hash_) in zip(batch, links, strict=True)])
        return
    raw = conn.connection() if isinstance(conn, Session) else conn
    dbapi = raw.connection.driver_connection
    if dbapi is None:
        raise RuntimeError("the audit writer's SQLite connection is closed")
    rows = _rows(batch, links, ts)
    for start in range(0, len(rows), _SQLITE_CHUNK):
        chunk = rows[start:start + _SQLITE_CHUNK]
        dbapi.execute(_sqlite_insert(len(chunk)), tuple(chain.from_iterable(chunk)))


@functools.lru_cache(maxsize=_SQLITE_HEAD_ROWS)
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
