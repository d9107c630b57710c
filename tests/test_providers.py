"""The provider registry: declared providers register themselves, others by hand; none is coded."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from sqlalchemy import select
from typer.testing import CliRunner

from connectors import Provider
from hub import providers
from hub.errors import BadRequest, Conflict
from hub.events import discard
from hub.store import Store, open_store
from hub.store.models import AuditRecord, DataProvider

runner = CliRunner()


@pytest.fixture
def store(hub_home: Path) -> Store:
    return open_store(f"sqlite:///{hub_home / 'hub.sqlite'}")


def test_the_built_in_connectors_declare_their_providers() -> None:
    found = providers.declared()
    by_code = {code: connector for code, (connector, _) in found.items()}
    assert by_code.items() >= {"finance": "finance", "state_assets": "state_assets", "audit": "audit",
                               "statistics": "statistics"}.items()
    assert found["statistics"][1].default_level == 1 and found["finance"][1].default_level == 2


def test_require_registers_a_declared_provider_once_and_refuses_an_unknown_one(store: Store) -> None:
    with store.session() as session:
        assert providers.require(session, "audit", discard).registered_by == "connector:audit"
        assert providers.codes(session) == {"audit"}  # only the one asked for
        assert providers.require(session, "audit", discard).name_zh == "审计局"
        with pytest.raises(providers.UnknownProvider, match=r"provider `police` is not registered \(registered: "
                                                            r"audit\); register it with `hub provider add police"):
            providers.require(session, "police", discard)


def test_register_refuses_a_taken_code_and_a_bad_declaration(store: Store) -> None:
    with store.session() as session:
        providers.register(session, discard, Provider(code="city", name_zh="城市管理局"), "operator:test")
        with pytest.raises(Conflict, match="provider `city` is already registered"):
            providers.register(session, discard, Provider(code="city", name_zh="别的"), "operator:test")
    for code, name, message in [("clues", "x", "not one of the hub's schemas"), ("city2", "", "name_zh"),
                                ("X-1", "x", "must be 2-41")]:
        with pytest.raises(BadRequest, match=message):
            providers.make(code, name)


def test_hub_provider_add_and_list(hub_home: Path) -> None:
    from hub.cli import app

    added = runner.invoke(app, ["provider", "add", "city", "--name-zh", "城市管理局", "--default-level", "1"])
    assert added.exit_code == 0, added.output
    again = runner.invoke(app, ["provider", "add", "city", "--name-zh", "城市管理局"])
    assert again.exit_code != 0 and "already registered" in str(again.exception)
    listed = runner.invoke(app, ["provider", "list", "--json"])
    assert listed.exit_code == 0, listed.output
    by_code = {p["code"]: p for p in json.loads(listed.output)}
    assert (by_code["city"]["name_zh"], by_code["city"]["registered_by"]) == ("城市管理局", "operator:cli")
    # declared by the finance connector, not registered until its first use
    assert (by_code["finance"]["registered_by"], by_code["finance"]["declared_by"]) == (None, "connector:finance")
    assert runner.invoke(app, ["provider", "list"]).exit_code == 0  # the table
    store = open_store(f"sqlite:///{hub_home / 'hub.sqlite'}")
    with store.session() as session:
        row = session.get(DataProvider, "city")
        assert row is not None and row.default_level == 1
        events = [(r.event, r.details.get("provider")) for r in session.scalars(select(AuditRecord))]
    assert events == [("provider.registered", "city")]
