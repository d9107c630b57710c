"""The writer thread: its one-statement append after the head it knows, and the callers' hand-off."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest

from hub.audit import AuditLog, AuditUnavailable, CheckpointPolicy, verify_chain
from hub.audit import log as log_module
from hub.audit import pending as handoff
from hub.audit.chain import extend_at_head, read_head
from hub.audit.pending import Pending
from hub.audit.record import Prepared
from tests.audit.conftest import AuditEnv, event

POLICY = CheckpointPolicy(every=1000, seconds=3600)


@pytest.fixture
def attempts(monkeypatch: pytest.MonkeyPatch) -> list[bool]:
    """Whether each one-statement append the writer tried went through."""
    seen: list[bool] = []

    def spy(*args: Any) -> Any:
        done = extend_at_head(*args)
        seen.append(done is not None)
        return done

    monkeypatch.setattr(log_module, "extend_at_head", spy)
    return seen


def test_writer_appends_in_one_statement_after_its_own_head(audit_env: AuditEnv, attempts: list[bool]) -> None:
    log = AuditLog(audit_env.store, audit_env.keys, policy=POLICY)
    assert [log.append(event(i)).seq for i in range(4)] == [1, 2, 3, 4]
    assert attempts == [True, True, True]  # the first batch reads the head; the others know it
    log.close()
    assert verify_chain(audit_env.store, audit_env.keys).ok


def test_writer_notices_a_head_moved_by_the_sink(audit_env: AuditEnv, attempts: list[bool]) -> None:
    log = AuditLog(audit_env.store, audit_env.keys, policy=POLICY)
    log.append(event(1))
    log.append(event(2))
    with audit_env.store.session() as session:
        sunk = log.append_in(session, event(3, event="grant.created"))
    after = log.append(event(4))
    assert attempts == [True, False]  # refused (nothing written), then appended the ordinary way
    assert (sunk.seq, after.seq, after.prev_hash) == (3, 4, sunk.hash)
    log.close()
    report = verify_chain(audit_env.store, audit_env.keys)
    assert report.ok and report.records == 4, report.summary()


@contextmanager
def raw_at_head(env: AuditEnv, records: int) -> Iterator[tuple[Any, tuple[int, str]]]:
    """A raw connection to a log of ``records`` records, and that log's head."""
    env.fill(records)
    raw = env.raw()
    try:
        with env.store.engine.connect() as conn:
            head = read_head(conn)
        yield raw, head
    finally:
        raw.close()


def test_stale_head_inserts_nothing(audit_env: AuditEnv) -> None:
    with raw_at_head(audit_env, 2) as (raw, head):
        batch = [Prepared.of(event(i)) for i in range(3)]
        stale = (1, raw.execute("SELECT hash FROM audit_records WHERE seq = 1").fetchone()[0])
        assert extend_at_head(raw, batch, stale, POLICY) is None
        assert extend_at_head(raw, batch, (0, "0" * 64), POLICY) is None  # "empty log" is stale too
        assert raw.execute("SELECT count(*) FROM audit_records").fetchone()[0] == 2
        done = extend_at_head(raw, batch, head, POLICY)
        assert done is not None and [seq for seq, _, _ in done[1]] == [3, 4, 5]
    assert verify_chain(audit_env.store, audit_env.keys).ok


def test_batch_reaching_a_checkpoint_takes_the_ordinary_way(audit_env: AuditEnv) -> None:
    with raw_at_head(audit_env, 3) as (raw, head):
        batch = [Prepared.of(event(i)) for i in range(2)]  # seq 4, 5: checkpoint at 5 (every 5)
        assert extend_at_head(raw, batch, head, CheckpointPolicy(every=5)) is None
        assert extend_at_head(raw, batch[:1], head, CheckpointPolicy(every=5)) is not None


def _pendings(n: int) -> list[Pending]:
    return [Pending(Prepared.of(event(i))) for i in range(n)]


def _released(p: Pending) -> bool:
    if p.done.acquire(blocking=False):
        p.done.release()
        return True
    return False


def test_callers_are_woken_one_after_another() -> None:
    batch = _pendings(3)
    handoff.finish(batch, "ts", [(i, "", "") for i in range(1, 4)])
    assert [_released(p) for p in batch] == [True, False, False]
    handoff.wake(batch[0].next)  # what the first caller does once awake
    assert [_released(p) for p in batch] == [True, True, False]


def test_a_caller_that_left_before_its_turn_passes_it_on() -> None:
    first, gone, last = batch = _pendings(3)
    handoff.abandon(gone)  # timed out while the batch was still being written
    handoff.finish(batch, "ts", [(i, "", "") for i in range(1, 4)])
    handoff.wake(first.next)
    assert _released(last)


def test_a_caller_that_left_after_its_turn_passes_it_on_once() -> None:
    first, gone, last = batch = _pendings(3)
    handoff.finish(batch, "ts", [(i, "", "") for i in range(1, 4)])
    handoff.wake(first.next)  # ``gone`` is released ...
    handoff.abandon(gone)  # ... but its caller had stopped waiting just then
    assert _released(last)
    handoff.abandon(gone)  # leaving twice wakes nobody twice (a second release would raise)


def test_patient_callers_are_not_held_up_by_impatient_ones(audit_env: AuditEnv,
                                                           monkeypatch: pytest.MonkeyPatch) -> None:
    """Callers whose wait ends early leave the hand-off chain without breaking it."""
    log = AuditLog(audit_env.store, audit_env.keys, policy=POLICY)
    log.append(event(0))
    monkeypatch.setattr(log, "_wait_s", lambda: 0.1 if threading.current_thread().name[0] == "i" else 300)
    outcomes: dict[str, object] = {}
    gave_up = threading.Semaphore(0)

    def append(name: str) -> None:
        try:
            outcomes[name] = log.append(event(1)).seq
        except AuditUnavailable as exc:
            outcomes[name] = exc
            gave_up.release()

    blocker = audit_env.raw()
    blocker.execute("BEGIN IMMEDIATE")  # the writer waits for the lock (less than its 5 s timeout)
    threads = [threading.Thread(target=append, args=(name,), name=name)
               for name in ("i1", "p1", "i2", "p2", "i3", "p3")]
    for t in threads:
        t.start()
    for _ in range(3):  # the impatient callers gave up while the lock was held (an event, not a window)
        assert gave_up.acquire(timeout=60)
    blocker.execute("ROLLBACK")
    blocker.close()
    for t in threads:
        t.join(timeout=120)
    assert not any(t.is_alive() for t in threads)
    assert all(isinstance(outcomes[f"i{n}"], AuditUnavailable) for n in (1, 2, 3))
    patient = {outcomes[f"p{n}"] for n in (1, 2, 3)}
    assert len(patient) == 3 and patient <= set(range(2, 8)), outcomes
    assert log.append(event(2)).seq == 8  # every append was written, late callers' too
    log.close()
    assert verify_chain(audit_env.store, audit_env.keys).ok
