"""属地 in the workflow: an all-regions grant exists only when an application asked for it and
two officers approved it; a dataset without a jurisdiction column is served only under one."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from hub import workflow
from hub.errors import BadRequest
from hub.events import AuditEvent
from hub.policy import PolicyPoint, RegopyEngine, StoreData, load_policies
from hub.policy.data import build_policy_data
from hub.policy.resource import resource_input
from hub.store import Store, open_store
from hub.store.models import Dataset, DatasetColumn, Grant
from tests.officer_desk import Desk
from tests.policy.helpers import NOW, READ, SUBJECT, request, seed

UNPLACED = "finance.unplaced"  # a dataset whose catalog entry names no jurisdiction column


class Recorder:
    """An EventSink keeping the events."""

    def __init__(self) -> None:
        self.events: list[AuditEvent] = []

    def __call__(self, session: Any, event: AuditEvent) -> None:
        self.events.append(event)


DESK: dict[str, Desk] = {}  # the officers' keys of the current test's store


@pytest.fixture
def store(hub_home: Path) -> Store:
    s = open_store(f"sqlite:///{hub_home / 'hub.sqlite'}")
    with s.session() as session:
        DESK["desk"] = seed(session)
        session.add(Dataset(id=UNPLACED, layer="source", provider="finance", level_inferred=2,
                            sharing_type_inferred="conditional", exchangeable=True, region_column=None))
        session.flush()
        session.add(DatasetColumn(dataset_id=UNPLACED, name="amount", position=0, data_type="VARCHAR",
                                  pii_class=None, level=2))
    return s


def _unplaced(**overrides: Any) -> workflow.ApplicationRequest:
    return request(dataset=UNPLACED, columns=["amount"], clear_columns=(), **overrides)


def _decide(store: Store, app_id: str, *officers: str, decision: str = "approve",
            sink: Any = None) -> None:
    for officer in officers:
        with store.session() as session:
            DESK["desk"].decide(session, sink or Recorder(), app_id, officer, decision, now=NOW)


def _apply(store: Store, req: workflow.ApplicationRequest, sink: Any = None) -> str:
    with store.session() as session:
        return workflow.apply(session, sink or Recorder(), req, now=NOW).id


def _grants(store: Store) -> list[Grant]:
    with store.session() as session:
        return list(session.query(Grant))


def _read(store: Store, dataset: str) -> Any:
    point = PolicyPoint(RegopyEngine(), load_policies(), StoreData(store))
    with store.session() as session:
        resource = resource_input(session, dataset)
    return point.decide(SUBJECT, "read", resource, READ, {"time": NOW.isoformat()})


def test_an_application_for_a_dataset_without_jurisdiction_must_ask_for_all_regions(store: Store) -> None:
    refused = "rule jurisdiction.*finance.unplaced.*all_regions"
    with store.session() as session, pytest.raises(BadRequest, match=refused):
        workflow.apply(session, Recorder(), _unplaced(), now=NOW)


def test_all_regions_reaches_the_grant_only_after_two_approvals(store: Store) -> None:
    sink = Recorder()
    app_id = _apply(store, _unplaced(all_regions=True), sink)
    _decide(store, app_id, "sec-1", sink=sink)
    assert _grants(store) == []
    assert not _read(store, UNPLACED).allow  # one approval: nothing served
    _decide(store, app_id, "own-fin", sink=sink)
    (grant,) = _grants(store)
    assert grant.all_regions is True
    assert [e.details.get("all_regions") for e in sink.events if e.event in ("application.created",
                                                                          "grant.created")] == [True, True]
    with store.session() as session:
        assert build_policy_data(session, NOW)["grants"][grant.id]["all_regions"] is True
    decision = _read(store, UNPLACED)
    assert decision.allow and decision.grant == grant.id and decision.row_filter is None
    assert any("approved for all regions" in r for r in decision.reasons)


def test_a_rejected_all_regions_application_grants_nothing(store: Store) -> None:
    app_id = _apply(store, _unplaced(all_regions=True))
    _decide(store, app_id, "sec-1", decision="reject")
    assert _grants(store) == []
    decision = _read(store, UNPLACED)
    assert not decision.allow and any("rule jurisdiction" in r for r in decision.reasons)


def test_an_ordinary_grant_keeps_the_row_filter(store: Store) -> None:
    app_id = _apply(store, request())
    _decide(store, app_id, "own-fin", "sec-1")
    (grant,) = _grants(store)
    assert grant.all_regions is False
    with store.session() as session:
        assert build_policy_data(session, NOW)["grants"][grant.id]["all_regions"] is False
    decision = _read(store, "finance.subsidy_payment")
    assert decision.allow and decision.row_filter == {"column": "township_code", "prefix": "330106"}


def test_an_all_regions_grant_lifts_the_row_filter_of_a_regional_dataset(store: Store) -> None:
    app_id = _apply(store, request(all_regions=True))
    _decide(store, app_id, "own-fin", "sec-1")
    decision = _read(store, "finance.subsidy_payment")
    assert decision.allow and decision.row_filter is None
    assert decision.columns["recipient_id_number"] == "pseudonym"  # masks still apply


def _cli_lines(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], *args: str) -> list[str]:
    import sys

    import typer

    from hub.cli import _common
    from hub.cli import workflow as workflow_cmds

    cli = typer.Typer(no_args_is_help=True)
    cli.add_typer(workflow_cmds.application_app, name="application")
    cli.add_typer(workflow_cmds.grant_app, name="grant")
    monkeypatch.setattr(_common.console, "width", 300)
    monkeypatch.setenv("COLUMNS", "300")  # the tables print on a console made per command (hub.cli._output)
    monkeypatch.setattr(sys, "argv", ["hub", *args])
    assert _common.run_app(cli) == 0
    return capsys.readouterr().out.splitlines()


def test_the_cli_lists_show_how_far_each_application_and_grant_reaches(
        store: Store, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    everywhere = _apply(store, _unplaced(all_regions=True))
    _decide(store, everywhere, "own-fin", "sec-1")
    scoped = _apply(store, request())
    (grant,) = _grants(store)
    applications = _cli_lines(monkeypatch, capsys, "application", "list")
    assert [line for line in applications if everywhere in line and "ALL regions" in line]
    assert [line for line in applications if scoped in line and "own jurisdiction 330106" in line]
    grants = _cli_lines(monkeypatch, capsys, "grant", "list")
    assert [line for line in grants if grant.id in line and "ALL regions" in line]
