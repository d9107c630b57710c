"""The detector cursor: a restart (or a pass killed mid-way) neither misses nor repeats alerts."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select

from hub.awareness import Scanner
from hub.store.models import Alert, AuditRecord
from tests.awareness.conftest import START, Hub, SimClock, make_hub

BURSTS = 45  # denials of p1 in one minute: above the burst threshold (20), below critical (100)


def _alerts(hub: Hub) -> list[dict[str, Any]]:
    with hub.store.session() as session:
        return [{"kind": a.kind, "severity": a.severity, "subject": a.subject, "count": a.count,
                 "evidence": list(a.evidence), "state": a.state}
                for a in session.scalars(select(Alert).order_by(Alert.kind, Alert.subject))]


def _traffic(hub: Hub, restart_after: list[int]) -> list[Scanner]:
    """p1 probes (denials), an IP stuffs credentials; a scanner pass after every 10 records,
    a new scanner (a restarted process) after each count in ``restart_after``."""
    scanners = [hub.scanner()]
    for i in range(BURSTS):
        hub.deny("partner:p1")
        if i % 3 == 0:
            hub.token_failure("203.0.113.9")
        if i % 10 == 9:
            scanners[-1].run_once(check_state=False)
        if i in restart_after:
            scanners.append(hub.scanner())
    scanners[-1].run_once(check_state=False)
    return scanners


@pytest.mark.parametrize("restart_after", [[5], [19, 20], [10, 25, 33]])
def test_a_restart_neither_misses_nor_repeats(tmp_path: Path, sim_clock: SimClock, restart_after: list[int]) -> None:
    steady = make_hub(tmp_path / "steady", sim_clock)
    _traffic(steady, [])
    expected = _alerts(steady)
    sim_clock.now = START  # the second hub replays the same minute
    restarted = make_hub(tmp_path / "restarted", sim_clock)
    scanners = _traffic(restarted, restart_after)
    assert len(scanners) == len(restart_after) + 1
    got = _alerts(restarted)

    assert [a["kind"] for a in expected] == ["credential_failures", "denial_burst"]
    burst = next(a for a in expected if a["kind"] == "denial_burst")
    assert burst["count"] == BURSTS and burst["severity"] == "high"
    assert got == expected  # same alerts, same counts, same evidence: nothing missed, nothing twice
    again = scanners[-1].run_once(check_state=False)
    assert again.records == 0 and again.changes == []
    assert _alerts(restarted) == expected
    for hub in (steady, restarted):
        hub.audit.close()
        hub.store.dispose()


def test_a_pass_that_dies_before_commit_leaves_the_cursor(hub: Hub) -> None:
    for _ in range(25):
        hub.deny("partner:p1")
    broken = hub.scanner()

    def failing_sink(session: Any, event: Any) -> None:
        raise RuntimeError("audit log down mid-pass")

    broken.sink = failing_sink
    with pytest.raises(RuntimeError):
        broken.run_once(check_state=False)
    assert broken.cursor() == 0
    assert _alerts(hub) == []
    fresh = hub.scanner()
    result = fresh.run_once(check_state=False)
    assert result.cursor == max(hub.seqs)
    assert [(a["kind"], a["count"]) for a in _alerts(hub)] == [("denial_burst", 25)]
    # the alert was audited by the detectors, naming it
    with hub.store.session() as session:
        raised = session.scalar(select(func.count()).select_from(AuditRecord)
                                .where(AuditRecord.event == "alert.raised", AuditRecord.subject == "system:awareness"))
    assert raised == 1


def test_two_scanners_racing_record_each_record_once(hub: Hub) -> None:
    """Two processes' scanners on one store: the one that claims the cursor first wins the pass;
    the other, having read the same records, finds the cursor moved, forgets its work and goes on."""
    first, second = hub.scanner(), hub.scanner()
    for _ in range(30):
        hub.deny("partner:p2")
    claim = first._claim

    def claim_after_the_other_won(session: Any, expected: int) -> bool:
        assert second.run_once(check_state=False).records == 32  # 2 registrations + 30 denials
        return claim(session, expected)

    first._claim = claim_after_the_other_won  # type: ignore[method-assign]
    assert first.run_once(check_state=False).lost_race
    first._claim = claim  # type: ignore[method-assign]
    for _ in range(5):
        hub.deny("partner:p2")
    assert first.run_once(check_state=False).records == 6  # the 5 denials and the second's alert.raised
    assert second.run_once(check_state=False).records == 0
    assert [(a["kind"], a["count"]) for a in _alerts(hub)] == [("denial_burst", 35)]


@pytest.mark.postgres
def test_the_cursor_on_postgresql(tmp_path: Path, sim_clock: SimClock, postgres_url: str) -> None:
    """The same guarantees on PostgreSQL (row lock on the cursor, ON CONFLICT upserts of the history)."""
    hub = make_hub(tmp_path / "pg", sim_clock, database_url=postgres_url)
    try:
        scanners = _traffic(hub, [12, 30])
        [burst] = [a for a in _alerts(hub) if a["kind"] == "denial_burst"]
        assert burst["count"] == BURSTS and len(burst["evidence"]) == BURSTS
        first, second = hub.scanner(), scanners[-1]
        for _ in range(3):
            hub.deny("partner:p1")
        claim = first._claim

        def claim_after_the_other_won(session: Any, expected: int) -> bool:
            assert second.run_once(check_state=False).records == 3
            return claim(session, expected)

        first._claim = claim_after_the_other_won  # type: ignore[method-assign]
        assert first.run_once(check_state=False).lost_race
        [burst] = [a for a in _alerts(hub) if a["kind"] == "denial_burst"]
        assert burst["count"] == BURSTS + 3
    finally:
        hub.audit.close()
        hub.store.dispose()
