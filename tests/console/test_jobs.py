"""The console's long work is bounded: the same job started again joins the running job, at
most ``MAX_RUNNING`` run at once (one more is a 429 page naming the running ones), and the
policy page's case suite runs once per policy revision and cases, not on every visit.

The work is held running by an event the test sets, so "still running" is a fact, not a race.
"""

from __future__ import annotations

import shutil
import threading
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from hub.console.jobs import MAX_RUNNING, Job, VerifyJobs
from hub.errors import Busy, Unavailable
from tests.api.conftest import AsgiClient
from tests.api.exchange_world import World
from tests.console.helpers import csrf_of, log_in


@pytest.fixture
def release() -> Iterator[threading.Event]:
    gate = threading.Event()
    yield gate
    gate.set()  # never leave a held thread behind


def _held(gate: threading.Event, started: list[str], name: str) -> Any:
    def work(progress: Any) -> str:
        started.append(name)
        progress(1)
        gate.wait(30)
        return name
    return work


def test_the_same_work_joins_the_running_job_and_the_bound_refuses_one_more(release: threading.Event) -> None:
    jobs, started, done = VerifyJobs(), [], threading.Event()
    first = jobs.start("sec-1", 10, _held(release, started, "a"), lambda job: None)
    again = jobs.start("sec-1", 10, _held(release, started, "b"), lambda job: None)
    assert again is first, "a second click started a second full verification"
    other = jobs.start("sec-2", 10, _held(release, started, "c"), lambda job: None)  # another officer's own
    assert other is not first and MAX_RUNNING == 2
    with pytest.raises(Busy) as refused:
        jobs.start("sec-3", 0, _held(release, started, "d"), lambda job: None, kind="impact", subject="r1",
                   options="days=30")
    assert refused.value.status == 429
    assert "already runs 2 long jobs" in str(refused.value) and "by sec-1" in str(refused.value)
    release.set()
    for job in (first, other):
        assert job.finished.wait(10)
    assert sorted(started) == ["a", "c"] and first.report == "a"
    # once they have finished, new work starts again, and a finished job is never joined
    last = jobs.start("sec-1", 10, lambda progress: "x", lambda job: done.set())
    assert last is not first and done.wait(10) and last.report == "x"


def test_an_impact_with_other_options_is_other_work(release: threading.Event) -> None:
    jobs: VerifyJobs = VerifyJobs()
    started: list[str] = []
    thirty = jobs.start("sec-1", 0, _held(release, started, "30"), lambda job: None, kind="impact", subject="r1",
                        options="days=30")
    seven = jobs.start("sec-1", 0, _held(release, started, "7"), lambda job: None, kind="impact", subject="r1",
                       options="days=7")
    assert seven is not thirty
    assert jobs.start("sec-1", 0, _held(release, started, "again"), lambda job: None, kind="impact", subject="r1",
                      options="days=7") is seven


def test_a_job_whose_thread_cannot_start_holds_no_slot(monkeypatch: pytest.MonkeyPatch,
                                                       release: threading.Event) -> None:
    jobs, started = VerifyJobs(), []

    def no_thread(self: threading.Thread) -> None:
        raise RuntimeError("can't start new thread")

    with monkeypatch.context() as patched:
        patched.setattr(threading.Thread, "start", no_thread)
        for _ in range(3):
            with pytest.raises(Unavailable, match="could not be started now"):
                jobs.start("sec-1", 10, _held(release, started, "never"), lambda job: None)
    first = jobs.start("sec-1", 10, _held(release, started, "a"), lambda job: None)
    second = jobs.start("sec-2", 10, _held(release, started, "b"), lambda job: None)
    assert first is not second and not first.finished.is_set()


def test_over_http_a_third_verification_is_a_429_page_naming_the_running_ones(
        world: World, client: AsgiClient, release: threading.Event, monkeypatch: pytest.MonkeyPatch) -> None:
    """Two officers' verifications run; a third officer's (the finance owner's) is refused with the reason; a click on
    the running one's form again shows the same job."""
    from hub.console.routes import audit as audit_routes

    real = audit_routes.verify_chain

    def held_verify(*args: Any, **kwargs: Any) -> Any:  # the real verification, after the test lets it go
        release.wait(30)
        return real(*args, **kwargs)

    monkeypatch.setattr(audit_routes, "verify_chain", held_verify)
    locations = []
    for officer in ("sec-1", "sec-2", "sec-1"):
        log_in(client, world.desk, officer)
        started = client.post("/console/audit/verify", data={"csrf": csrf_of(client.get("/console/audit"))})
        assert started.status_code == 303, started.text
        locations.append(started.headers["location"])
    assert locations[2] == locations[0] and locations[1] != locations[0]
    log_in(client, world.desk, "own-fin")
    refused = client.post("/console/audit/verify", data={"csrf": csrf_of(client.get("/console/audit"))})
    assert refused.status_code == 429
    assert "already runs 2 long jobs" in refused.text and "by sec-2" in refused.text
    release.set()
    state = client.app.state.console  # type: ignore[attr-defined]
    for location in locations[:2]:
        job: Job | None = state.jobs.get(location.rsplit("/", 1)[1])
        assert job is not None and job.finished.wait(60) and job.report.ok, job and job.error
    log_in(client, world.desk, "own-fin")
    again = client.post("/console/audit/verify", data={"csrf": csrf_of(client.get("/console/audit"))})
    assert again.status_code == 303
    last = state.jobs.get(again.headers["location"].rsplit("/", 1)[1])
    assert last is not None and last.finished.wait(60)  # nothing left running into the next test


# --- the policy page's case suite: run once per policy revision and cases --------------------------


def test_the_policy_page_runs_the_case_suite_once_per_revision(world: World, client: AsgiClient) -> None:
    log_in(client, world.desk, "sec-1")
    suite = client.app.state.console.suite  # type: ignore[attr-defined]
    before = suite.runs
    pages = [client.get("/console/policy/tests", headers={"HX-Request": "true"}) for _ in range(3)]
    assert all(p.status_code == 200 for p in pages) and len({p.text for p in pages}) == 1
    assert suite.runs - before <= 1  # the first visit ran it, unless an earlier test of the module did


def test_changed_cases_or_policies_run_the_suite_again(tmp_path: Path) -> None:
    from hub.policy.cases import CASES_DIR, SuiteRuns
    from hub.policy.sources import load_policies

    cases = tmp_path / "cases"
    shutil.copytree(CASES_DIR, cases)
    suite, policies = SuiteRuns(cases), load_policies()
    first = suite.outcomes(policies)
    assert suite.outcomes(policies) is first and suite.runs == 1
    assert first and all(not o.problems for o in first), [o.problems for o in first if o.problems][:3]
    victim = sorted(p for p in cases.iterdir() if p.stem != "fixtures")[0]
    victim.unlink()  # fewer cases: the next visit shows the new suite
    fewer = suite.outcomes(policies)
    assert suite.runs == 2 and 0 < len(fewer) < len(first)
    changed = replace(policies, revision="another-revision")
    suite.outcomes(changed)
    assert suite.runs == 3
