"""Appending: seq, links, hashes (checked by an independent re-implementation), sink, async."""

from __future__ import annotations

import asyncio
import hashlib
import json
import threading
from datetime import UTC, datetime, timedelta

import pytest

from hub.audit import GENESIS, AuditInvalid, AuditLog, CheckpointPolicy, verify_chain
from hub.audit import chain as chain_module
from hub.audit import checkpoints as checkpoints_module
from hub.audit.checkpoints import list_checkpoints
from hub.events import AuditEvent
from hub.store.models import Partner
from tests.audit.conftest import AuditEnv, event

NOW = datetime.now(UTC)


def independent_hash(row: dict) -> str:
    """docs/audit.md, step 1, written from the document rather than from hub code."""
    body = {k: v for k, v in row.items() if k != "hash"}
    text = json.dumps(body, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def raw_records(env: AuditEnv) -> list[dict]:
    conn = env.raw()
    conn.row_factory = lambda cur, row: {d[0]: v for d, v in zip(cur.description, row, strict=True)}
    rows = conn.execute("SELECT * FROM audit_records ORDER BY seq").fetchall()
    for row in rows:
        row["reasons"], row["details"] = json.loads(row["reasons"]), json.loads(row["details"])
    return rows


def test_appends_chain_from_genesis_and_hashes_reimplement(audit_env: AuditEnv) -> None:
    records = [audit_env.log.append(event(i)) for i in range(7)]
    assert [r.seq for r in records] == list(range(1, 8))
    assert records[0].prev_hash == GENESIS
    assert all(b.prev_hash == a.hash for a, b in zip(records, records[1:], strict=False))
    stored = raw_records(audit_env)
    assert [independent_hash(row) for row in stored] == [r.hash for r in records]
    assert stored[2]["details"] == {"format": "csv", "列": [1, 2]}


def test_checkpoints_every_n_and_chain_verifies(audit_env: AuditEnv) -> None:
    audit_env.fill(12)
    assert [cp["seq"] for cp in list_checkpoints(audit_env.store)] == [5, 10]
    report = verify_chain(audit_env.store, audit_env.keys)
    assert report.ok, report.summary()
    assert (report.records, report.last_checkpoint_seq, report.unsigned_tail) == (12, 10, 2)


def test_checkpoint_now_covers_the_tail(audit_env: AuditEnv) -> None:
    audit_env.fill(3)
    assert audit_env.log.checkpoint_now() == 3
    assert audit_env.log.checkpoint_now() is None
    assert verify_chain(audit_env.store, audit_env.keys).unsigned_tail == 0


def test_key_rotation_keeps_old_checkpoints_verifiable(audit_env: AuditEnv) -> None:
    audit_env.fill(5)
    audit_env.keys.rotate("audit")
    audit_env.fill(5)
    kids = {cp["key_id"] for cp in list_checkpoints(audit_env.store)}
    assert len(kids) == 2
    assert verify_chain(audit_env.store, audit_env.keys).ok


@pytest.mark.parametrize(("fields", "named"), [
    ({"rows": 1.5}, "rows"),
    ({"details": {"amount": 0.1}}, "details.amount"),
    ({"details": {1: "x"}}, "details"),
    ({"request_id": "r" * 65}, "request_id"),
    ({"subject": "a\x00b"}, "subject"),
    ({"event": ""}, "event"),
])
def test_unrecordable_events_are_refused_naming_the_field(
    audit_env: AuditEnv, fields: dict, named: str
) -> None:
    with pytest.raises(AuditInvalid, match=f"`{named}") if named != "event" else pytest.raises(AuditInvalid):
        audit_env.log.append(event(**fields))
    assert audit_env.log.append(event()).seq == 1  # nothing half-written, no gap


def test_sink_commits_with_the_state_change(audit_env: AuditEnv) -> None:
    with audit_env.store.session() as session:
        session.add(Partner(id="p1", clearance=3, jurisdiction="330106", purposes=[], created_at=NOW))
        audit_env.log.sink(session, AuditEvent("partner.registered", subject="officer:o1"))
    assert audit_env.log.append(event()).seq == 2
    assert [r["event"] for r in raw_records(audit_env)] == ["partner.registered", "data.delivery"]


def test_sink_in_a_rolled_back_transaction_leaves_no_record(audit_env: AuditEnv) -> None:
    audit_env.fill(2)
    with pytest.raises(RuntimeError), audit_env.store.session() as session:
        session.add(Partner(id="p2", clearance=3, jurisdiction="330106", purposes=[], created_at=NOW))
        audit_env.log.sink(session, AuditEvent("partner.registered", subject="officer:o1"))
        raise RuntimeError("state change failed")
    with audit_env.store.session() as session:
        assert session.get(Partner, "p2") is None
    assert audit_env.log.append(event()).seq == 3
    assert [r["seq"] for r in raw_records(audit_env)] == [1, 2, 3]
    assert verify_chain(audit_env.store, audit_env.keys).ok


def test_append_async_from_many_tasks(audit_env: AuditEnv) -> None:
    async def burst() -> list[int]:
        records = await asyncio.gather(*(audit_env.log.append_async(event(i)) for i in range(200)))
        return sorted(r.seq for r in records)

    assert asyncio.run(burst()) == list(range(1, 201))
    assert verify_chain(audit_env.store, audit_env.keys).ok


class FakeClock:
    """The audit log's clock (``now_ts``), moved by the test instead of by the wall clock."""

    def __init__(self) -> None:
        self.now = datetime(2026, 11, 27, 2, 0, tzinfo=UTC)

    def __call__(self) -> str:
        return self.now.isoformat(timespec="microseconds")

    def advance(self, seconds: float) -> None:
        self.now += timedelta(seconds=seconds)


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> FakeClock:
    fake = FakeClock()
    monkeypatch.setattr(chain_module, "now_ts", fake)  # record timestamps
    monkeypatch.setattr(checkpoints_module, "now_ts", fake)  # "is a checkpoint due by time?"
    return fake


def test_checkpoint_by_time_when_appending(audit_env: AuditEnv, clock: FakeClock) -> None:
    log = AuditLog(audit_env.store, audit_env.keys, policy=CheckpointPolicy(every=1000, seconds=60))
    for i, wait in enumerate((61, 0, 59)):
        with audit_env.store.session() as session:  # sink: no writer thread, no idle timer
            log.sink(session, event(i))
        clock.advance(wait)
    with audit_env.store.session() as session:
        log.sink(session, event(3))
    # record 2 found the first record older than the period; record 3 came at once, record 4 59 s later
    assert [cp["seq"] for cp in list_checkpoints(audit_env.store)] == [2]
    clock.advance(1)
    with audit_env.store.session() as session:
        log.sink(session, event(4))
    assert [cp["seq"] for cp in list_checkpoints(audit_env.store)] == [2, 5]
    log.close()


def test_idle_writer_checkpoints_the_tail(audit_env: AuditEnv, clock: FakeClock,
                                         monkeypatch: pytest.MonkeyPatch) -> None:
    # the writer wakes every ``seconds`` of real time when idle; whether a checkpoint is due is
    # decided by the (fake) clock, and each wake-up is an event the test waits on
    log = AuditLog(audit_env.store, audit_env.keys, policy=CheckpointPolicy(every=1000, seconds=0.02))
    woke = threading.Semaphore(0)
    timer = log._timer_checkpoint

    def counted() -> None:
        timer()
        woke.release()

    monkeypatch.setattr(log, "_timer_checkpoint", counted)
    log.append(event(1))
    for _ in range(2):  # idle wake-ups before the period passed on the log's clock: nothing due
        assert woke.acquire(timeout=60)
    assert list_checkpoints(audit_env.store) == []
    clock.advance(1)
    for _ in range(2):  # the next wake-up after the period checkpoints the tail (seq 1) once
        assert woke.acquire(timeout=60)
    assert [cp["seq"] for cp in list_checkpoints(audit_env.store)] == [1]
    log.close()


def test_append_many_writes_its_events_together_in_order(audit_env: AuditEnv) -> None:
    """A delivery's decision and delivery records: consecutive, one batch (same ts), chained."""
    import threading

    audit_env.fill(2)
    groups: list[list[int]] = []

    def deliver(i: int) -> None:
        records = audit_env.log.append_many([event(i, event="data.decision"), event(i, event="data.delivery")])
        assert [r.event for r in records] == ["data.decision", "data.delivery"]
        assert records[0].ts == records[1].ts and records[1].prev_hash == records[0].hash
        groups.append([r.seq for r in records])

    threads = [threading.Thread(target=deliver, args=(i,)) for i in range(40)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(groups) == 40 and all(b == a + 1 for a, b in groups)  # never interleaved with another caller
    assert sorted(s for g in groups for s in g) == list(range(3, 83))
    stored = raw_records(audit_env)
    assert [independent_hash(row) for row in stored] == [row["hash"] for row in stored]
    assert verify_chain(audit_env.store, audit_env.keys).ok


def test_append_many_async_and_empty(audit_env: AuditEnv) -> None:
    async def pair() -> list[int]:
        records = await audit_env.log.append_many_async([event(1), event(2)])
        return [r.seq for r in records]

    assert asyncio.run(pair()) == [1, 2]
    assert audit_env.log.append_many([]) == []
