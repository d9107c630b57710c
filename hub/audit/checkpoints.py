"""Signed checkpoints: ``(seq, hash, ts)`` of the chain head, signed with the audit key.

The signature is Ed25519 (or SM2 with SM3 under the ``gm`` suite: ``hub.crypto``) over
``canonical_json({"hash", "kid", "seq", "ts"})`` and is stored base64url (no padding,
raw: 64 bytes either way) with its ``key_id``; the key's type says which algorithm.  A checkpoint is written in the same
transaction as the record it names: at every seq that is a multiple of
``audit_checkpoint_every``, and at the end of a batch (or on the writer's timer) when
the last checkpoint is older than ``audit_checkpoint_seconds``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, cast

from sqlalchemy import Table, insert, select

from hub.audit.canonical import b64url, b64url_decode, canonical_json
from hub.audit.pubkeys import PublicKeys, candidates, window_problem
from hub.audit.record import now_ts
from hub.crypto.signing import InvalidSignature
from hub.keys import HubKey
from hub.store.db import Store
from hub.store.models import AuditCheckpoint, AuditRecord

_CP = cast(Table, AuditCheckpoint.__table__)
CHECKPOINT_FIELDS = ("seq", "hash", "ts", "key_id", "signature")


@dataclass(frozen=True)
class CheckpointPolicy:
    """When to checkpoint: every ``every`` records or ``seconds`` seconds."""

    every: int = 1000
    seconds: float = 60.0


def checkpoint_payload(seq: int, hash_: str, ts: str, kid: str) -> bytes:
    """The bytes a checkpoint signature covers."""
    return canonical_json({"hash": hash_, "kid": kid, "seq": seq, "ts": ts})


def sign_checkpoint(key: HubKey, seq: int, hash_: str, ts: str | None = None) -> dict[str, Any]:
    """A checkpoint row for ``(seq, hash)`` signed by ``key``."""
    stamp = ts or now_ts()
    signature = key.sign(checkpoint_payload(seq, hash_, stamp, key.kid))
    return {"seq": seq, "hash": hash_, "ts": stamp, "key_id": key.kid, "signature": b64url(signature)}


def signature_problem(cp: dict[str, Any], keys: PublicKeys) -> str | None:
    """None if the checkpoint's signature verifies with a known key that was still the hub's
    at the checkpoint's time, else what is wrong."""
    kid = str(cp.get("key_id", ""))
    options = candidates(keys, kid)
    if not options:
        return f"checkpoint signed by unknown key `{kid}`"
    try:
        signature = b64url_decode(str(cp["signature"]))
        payload = checkpoint_payload(int(cp["seq"]), str(cp["hash"]), str(cp["ts"]), kid)
    except (ValueError, KeyError) as exc:
        return f"checkpoint is malformed: {exc}"
    for key in options:
        try:
            key.verify(signature, payload)
        except InvalidSignature:
            continue
        return window_problem(keys, kid, str(cp["ts"]), "the checkpoint")
    return f"checkpoint signature does not verify with key `{kid}` (forged or altered)"


def last_checkpoint(conn: Any) -> tuple[int, str] | None:
    """``(seq, ts)`` of the newest checkpoint, or None."""
    row = conn.execute(select(_CP.c.seq, _CP.c.ts).order_by(_CP.c.seq.desc()).limit(1)).first()
    return (int(row[0]), str(row[1])) if row else None


def _age_s(ts: str) -> float:
    return (datetime.fromisoformat(now_ts()) - datetime.fromisoformat(ts)).total_seconds()


def due_by_time(conn: Any, head_seq: int, policy: CheckpointPolicy) -> bool:
    """True when records exist past the last checkpoint and it is older than the period."""
    last = last_checkpoint(conn)
    if last is None:
        first_ts = conn.execute(
            select(AuditRecord.ts).where(AuditRecord.seq == 1)
        ).scalar_one_or_none()
        return head_seq > 0 and first_ts is not None and _age_s(first_ts) >= policy.seconds
    return head_seq > last[0] and _age_s(last[1]) >= policy.seconds


def write_checkpoints(conn: Any, rows: list[dict[str, Any]]) -> None:
    """Insert checkpoint rows in the caller's transaction."""
    if rows:
        conn.execute(insert(_CP), rows)


def list_checkpoints(store: Store, after_seq: int | None = None, limit: int = 100) -> list[dict[str, Any]]:
    """Checkpoints in seq order (for ``GET /v1/audit/checkpoints``)."""
    query = select(*(_CP.c[name] for name in CHECKPOINT_FIELDS)).order_by(_CP.c.seq)
    if after_seq is not None:
        query = query.where(_CP.c.seq > after_seq)
    with store.session() as session:
        return [dict(row._mapping) for row in session.execute(query.limit(max(1, min(limit, 10000))))]
