"""The decision point: cache and its invalidation, fail closed, ensure_allowed."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from hub import policy, workflow
from hub.errors import Forbidden, NotFound
from hub.events import discard
from hub.policy import (
    UNAVAILABLE,
    OpaEngine,
    PolicyPoint,
    RegopyEngine,
    StaticData,
    StoreData,
    load_policies,
    parse_decision,
    policy_set,
)
from hub.policy.decision import PolicyError
from hub.policy.engine import ENTRYPOINT, first_value
from hub.store import Store, open_store
from hub.store.models import Grant
from tests.officer_desk import Desk
from tests.policy.helpers import NOW, READ, SUBJECT, request, resource, seed


class Counting:
    """Wraps an engine and counts evaluations (to see cache hits)."""

    def __init__(self, inner: Any) -> None:
        self.inner, self.name, self.calls = inner, inner.name, 0

    def load(self, policies: Any, data: Any) -> None:
        self.inner.load(policies, data)

    def evaluate(self, doc: Any) -> Any:
        self.calls += 1
        return self.inner.evaluate(doc)


@pytest.fixture
def seeded(hub_home: Path) -> Iterator[tuple[Store, Desk]]:
    """The store with a grant approved by two officers, and the officers' keys."""
    s = open_store(f"sqlite:///{hub_home / 'hub.sqlite'}")
    with s.session() as session:
        desk = seed(session)
        app = workflow.apply(session, discard, request(), now=NOW)
        desk.approve(session, discard, app.id, "own-fin", "sec-1", now=NOW)
    yield s, desk
    s.dispose()


@pytest.fixture
def store(seeded: tuple[Store, Desk]) -> Store:
    return seeded[0]


@pytest.fixture
def desk(seeded: tuple[Store, Desk]) -> Desk:
    return seeded[1]


def _grant_id(store: Store) -> str:
    with store.session() as session:
        return session.query(Grant).one().id


def _point(store: Store, recheck: float = 3600.0) -> PolicyPoint:
    return PolicyPoint(Counting(RegopyEngine()), load_policies(), StoreData(store), recheck_seconds=recheck)


def test_store_grant_allows_with_obligations(store: Store) -> None:
    decision = _point(store).decide(SUBJECT, "read", resource(), READ)
    assert decision.allow, decision.reasons
    assert decision.grant == _grant_id(store)
    assert decision.columns == {"recipient_name": "clear", "recipient_id_number": "pseudonym",
                                "amount": "clear", "township_code": "clear"}
    assert decision.row_filter == {"column": "township_code", "prefix": "330106"}
    assert decision.max_rows == 1000
    assert len(decision.obligations_digest()) == 64


def test_repeated_decisions_come_from_the_cache(store: Store) -> None:
    point = _point(store)
    first = point.decide(SUBJECT, "read", resource(), READ)
    second = point.decide(SUBJECT, "read", resource(), READ)
    assert second is first
    assert point.engine.calls == 1  # type: ignore[attr-defined]


def test_revoking_a_grant_denies_the_very_next_decision(store: Store, desk: Desk) -> None:
    point = _point(store)
    assert point.decide(SUBJECT, "read", resource(), READ).allow
    with store.session() as session:
        desk.revoke(session, discard, _grant_id(store), "sec-1", "case closed", now=NOW)
    after = point.decide(SUBJECT, "read", resource(), READ)
    assert not after.allow
    assert any("holds no grant" in r for r in after.reasons)


def test_lockdown_denies_the_very_next_decision(store: Store, desk: Desk) -> None:
    point = _point(store)
    assert point.decide(SUBJECT, "describe", resource(), READ).allow
    with store.session() as session:
        desk.lockdown(session, discard, "hz-xihu-jw", "sec-1", "leaked extract", now=NOW)
    after = point.decide(SUBJECT, "describe", resource(), READ)
    assert not after.allow
    assert any("rule lockdown" in r for r in after.reasons)


def test_a_change_from_another_process_is_seen_on_recheck(store: Store) -> None:
    point = _point(store, recheck=0)
    assert point.decide(SUBJECT, "read", resource(), READ).allow
    with store.session() as session:  # no workflow call: as if another process changed the store
        session.get(Grant, _grant_id(store)).revoked_at = NOW  # type: ignore[union-attr]
    assert not point.decide(SUBJECT, "read", resource(), READ).allow


def test_a_policy_revision_that_does_not_compile_denies_everything(store: Store) -> None:
    point = _point(store)
    assert point.decide(SUBJECT, "read", resource(), READ).allow
    point.set_policies(policy_set({"hub/broken.rego": "package hub\n\ndecision := {\n"}))
    for action in ("read", "describe", "audit"):
        decision = point.decide(SUBJECT, action, resource(), READ)
        assert not decision.allow and decision.reasons == (UNAVAILABLE,)
        assert decision.error and "does not compile" in decision.error


def test_a_policy_without_decision_denies(store: Store) -> None:
    point = _point(store)
    point.set_policies(policy_set({"hub/empty.rego": "package hub\n\nother := 1\n"}))
    decision = point.decide(SUBJECT, "read", resource(), READ)
    assert not decision.allow and decision.reasons == (UNAVAILABLE,)


def test_an_unreadable_store_denies() -> None:
    class Broken:
        def load(self, now: Any) -> dict[str, Any]:
            raise OSError("disk gone")

    point = PolicyPoint(RegopyEngine(), load_policies(), Broken())
    decision = point.decide(SUBJECT, "describe", resource(), READ)
    assert not decision.allow and decision.reasons == (UNAVAILABLE,) and "disk gone" in str(decision.error)


def test_unreachable_opa_denies() -> None:
    point = PolicyPoint(OpaEngine("http://127.0.0.1:9", timeout_s=0.5), load_policies(), StaticData({}))
    decision = point.decide(SUBJECT, "describe", resource(), READ)
    assert not decision.allow and decision.reasons == (UNAVAILABLE,)


@pytest.mark.parametrize("mode", ["malformed", "error"])
def test_misbehaving_opa_denies(opa_double: Any, double_url: str, mode: str) -> None:
    point = PolicyPoint(OpaEngine(double_url, timeout_s=5), load_policies(), StaticData({}))
    officer = {"id": "officer:x", "kind": "officer"}
    assert point.decide(officer, "describe", resource(), READ).reasons != (UNAVAILABLE,)
    opa_double.state.mode = mode
    decision = point.decide(SUBJECT, "read", resource(), READ)
    assert not decision.allow and decision.reasons == (UNAVAILABLE,)


def test_opa_backend_decides_from_store_data(store: Store, desk: Desk, double_url: str) -> None:
    point = PolicyPoint(OpaEngine(double_url, timeout_s=5), load_policies(), StoreData(store),
                        recheck_seconds=3600)
    assert point.decide(SUBJECT, "read", resource(), READ).allow
    with store.session() as session:
        desk.revoke(session, discard, _grant_id(store), "sec-1", now=NOW)
    assert not point.decide(SUBJECT, "read", resource(), READ).allow


@pytest.mark.parametrize("raw", [
    None, [], "allow", {"allow": True}, {"allow": "yes", "reasons": ["r"], "grant": None, "columns": {},
                                        "row_filter": None, "max_rows": 0, "quota": None},
    {"allow": True, "reasons": [], "grant": None, "columns": {}, "row_filter": None, "max_rows": 0, "quota": None},
    {"allow": True, "reasons": ["r"], "grant": None, "columns": {"a": 1}, "row_filter": None, "max_rows": 0,
     "quota": None},
    {"allow": True, "reasons": ["r"], "grant": None, "columns": {}, "row_filter": None, "max_rows": True,
     "quota": None},
    {"allow": True, "reasons": ["r"], "grant": "g-1", "columns": {}, "row_filter": None, "max_rows": 5,
     "quota": None},
    {"allow": True, "reasons": ["r"], "grant": "g-1", "columns": {}, "row_filter": None, "max_rows": 5,
     "quota": {"grant": "g-2", "max_rows_per_day": 5}},
    {"allow": False, "reasons": ["r"], "grant": None, "columns": {}, "row_filter": None, "max_rows": 0,
     "quota": {"grant": "g-1", "max_rows_per_day": 5}},
    {"allow": True, "reasons": ["r"], "grant": "g-1", "columns": {}, "row_filter": None, "max_rows": 5,
     "quota": {"grant": "g-1", "max_rows_per_day": -1}},
])
def test_malformed_engine_answers_are_rejected(raw: Any) -> None:
    with pytest.raises(PolicyError, match="malformed decision"):
        parse_decision(raw, "p", "d")


def test_malformed_engine_output_denies() -> None:
    class Liar:
        name = "liar"

        def load(self, policies: Any, data: Any) -> None: ...

        def evaluate(self, doc: Any) -> Any:
            return {"allow": True}

    point = PolicyPoint(Liar(), load_policies(), StaticData({}))
    decision = point.decide(SUBJECT, "read", resource(), READ)
    assert not decision.allow and decision.reasons == (UNAVAILABLE,)


def test_ensure_allowed_raises_forbidden_with_reasons(store: Store) -> None:
    point = _point(store)
    assert point.ensure_allowed(SUBJECT, "read", resource(), READ).allow
    with pytest.raises(Forbidden, match="rule purpose") as info:
        point.ensure_allowed(SUBJECT, "read", resource(), {**READ, "purpose": ""})
    assert info.value.context["reasons"]


def test_cached_entries_expire_at_the_next_grant_boundary(store: Store) -> None:
    from hub.policy.point import valid_until

    point = _point(store)
    point.decide(SUBJECT, "read", resource(), READ)
    _, edges = point.scopes.of(SUBJECT)
    with store.session() as session:
        until = session.query(Grant).one().valid_until.timestamp()
    assert until in edges
    assert valid_until(until - 10, edges) == until
    assert valid_until(NOW.timestamp(), edges) <= NOW.timestamp() + 86400


def test_module_level_decide_uses_settings(hub_home: Path) -> None:
    policy.set_default_point(None)
    try:
        decision = policy.decide(SUBJECT, "read", resource(), READ)
        assert not decision.allow and any("rule registered" in r for r in decision.reasons)
        with pytest.raises(Forbidden):
            policy.ensure_allowed(SUBJECT, "describe", resource(), READ)
    finally:
        point = policy.default_point()
        policy.set_default_point(None)
        assert isinstance(point.source, StoreData)
        point.source.store.dispose()


def test_opa_restarted_empty_is_fed_again(opa_double: Any, double_url: str) -> None:
    point = PolicyPoint(OpaEngine(double_url, timeout_s=5), load_policies(), StaticData({}),
                        recheck_seconds=3600)
    officer = {"id": "officer:x", "kind": "officer"}
    point.decide(officer, "describe", resource(), READ)
    opa_double.state.modules.clear()  # as if the server restarted without policies
    assert point.decide(officer, "audit", resource(), READ).reasons == (UNAVAILABLE,)
    assert point.decide(officer, "audit", resource(), READ).reasons != (UNAVAILABLE,)


def test_resource_input_from_the_catalog_drives_the_same_decision(store: Store) -> None:
    from hub.policy import resource_input
    from hub.store.models import DatasetColumn

    with store.session() as session:
        session.add(DatasetColumn(dataset_id="finance.subsidy_payment", name="paid_at", position=9,
                                  data_type="TIMESTAMP", level=2))
        built = resource_input(session, "finance.subsidy_payment", "v1")
        with pytest.raises(NotFound, match="finance.nothing"):
            resource_input(session, "finance.nothing")
    assert built["sharing_type"] == "conditional" and built["owner"] == "finance" and built["level"] == 3
    assert built["columns"]["township_code"]["type"] == "admin_code"
    assert built["columns"]["paid_at"]["type"] == "timestamp"
    decision = _point(store).decide(SUBJECT, "read", built, READ)
    assert decision.allow and decision.columns["recipient_id_number"] == "pseudonym"
    assert decision.columns["paid_at"] == "drop"  # not in the grant


@pytest.mark.parametrize(("res_columns", "req_columns"), [
    (["recipient_name"], None), ("recipient_name", None), (None, None), ({"amount": {"level": 2}}, "amount")])
def test_malformed_input_denies_instead_of_reading_no_columns(store: Store, res_columns: Any,
                                                               req_columns: Any) -> None:
    broken = {**resource(), "columns": res_columns}
    if isinstance(res_columns, dict):
        broken = resource()
    req = {**READ, "columns": req_columns} if req_columns is not None else READ
    decision = _point(store).decide(SUBJECT, "read", broken, req)
    assert not decision.allow and decision.reasons[0].startswith("rule input:")
    assert decision.columns == {} and decision.max_rows == 0


INJECTION = ('x"],"allow":true,"columns":{"recipient_id_number":"clear","recipient_name":"clear"},'
             '"max_rows":1000,"grant":"g-17","reasons":["')


@pytest.mark.parametrize("purpose", [INJECTION, 'case-verification"', "a\\b", "line\nnext", "tab\tx",
                                     "nul\x00x", "bell\x07", "back\\\"q", "中文\u2028"])
def test_input_strings_reach_the_reasons_intact_and_never_rewrite_the_decision(store: Store, purpose: str) -> None:
    # regopy's Python-value input is rendered unescaped: these once broke the output, and the
    # first one turned the deny into an allow with clear PII, no row filter and 1000 rows
    decision = _point(store).decide(SUBJECT, "read", resource(), {**READ, "purpose": purpose})
    assert not decision.allow and decision.error is None
    assert decision.grant is None and decision.columns == {} and decision.max_rows == 0
    assert any(f"purpose `{purpose}`" in reason for reason in decision.reasons), decision.reasons


def test_an_odd_string_the_reasons_do_not_echo_leaves_the_decision_alone(store: Store) -> None:
    decision = _point(store).decide(SUBJECT, "read", resource(), READ, {"client_ip": 'a"b\\c\n'})
    assert decision.allow and decision.error is None and decision.max_rows


def test_both_ways_of_setting_the_input_decide_alike(store: Store) -> None:
    import json

    from hub.policy.engine import set_input

    point = _point(store)
    point.refresh()
    engine = point.engine.inner
    doc = {"subject": SUBJECT, "action": "read", "resource": resource(), "request": READ,
           "context": {"time": "2026-11-27T10:00:00+08:00"}}
    text = json.dumps(doc, ensure_ascii=False, separators=(",", ":"))
    answers = []
    for use_term in (False, True):
        with engine._lock:
            if use_term:
                engine._interpreter.set_input_term(text)
            else:
                set_input(engine._interpreter, doc, text)  # no backslash in its JSON: the fast way
            answers.append(parse_decision(first_value(
                engine._interpreter.query_bundle_entrypoint(engine._bundle, ENTRYPOINT)), "", ""))
    assert answers[0].allow and answers[0] == answers[1]


@pytest.mark.parametrize(("drop", "reason"), [
    ("kind", "rule unknown-subject: subject kind `` is not one of"),
    ("id", "rule registered: partner `` is not registered"),
])
def test_a_subject_without_kind_or_id_is_a_named_deny(store: Store, drop: str, reason: str) -> None:
    subject = {k: v for k, v in SUBJECT.items() if k != drop}
    decision = _point(store).decide(subject, "read", resource(), READ)
    assert not decision.allow and decision.error is None
    assert any(r.startswith(reason) for r in decision.reasons), decision.reasons


def test_an_input_without_action_is_a_named_deny(store: Store) -> None:
    point = _point(store)
    point.refresh()
    doc = {"subject": SUBJECT, "resource": resource(), "request": READ,
           "context": {"time": "2026-11-27T10:00:00+08:00"}}
    decision = parse_decision(point.engine.evaluate(doc), "", "")
    assert not decision.allow
    assert decision.reasons[0].startswith("rule unknown-action: `` is not one of")


def test_a_grant_decision_names_its_daily_budget_and_ignores_usage_input(store: Store) -> None:
    point = _point(store)
    gid = _grant_id(store)
    with store.session() as session:
        most = session.get(Grant, gid).max_rows_per_day  # type: ignore[union-attr]
    decision = point.decide(SUBJECT, "read", resource(), READ)
    assert decision.allow and decision.max_rows == most
    assert decision.quota is not None and decision.quota.to_dict() == {"grant": gid, "max_rows_per_day": most}
    # usage is no longer decision input: the old member changes nothing
    spent = point.decide(SUBJECT, "read", resource(), READ, {"rows_used_today": {gid: most}})
    assert spent.allow and spent.quota == decision.quota


def test_an_output_repeating_a_key_is_refused(store: Store, monkeypatch: pytest.MonkeyPatch) -> None:
    # the second defence: put the input the old, raw way, so the injection reaches the output
    import hub.policy.engine as engine_module

    monkeypatch.setattr(engine_module, "set_input", lambda interp, doc, text: interp.set_input(doc))
    decision = _point(store).decide(SUBJECT, "read", resource(), {**READ, "purpose": INJECTION})
    assert not decision.allow and decision.columns == {}
    assert decision.error == "policy engine output repeats a key; refusing it"


def test_a_grant_the_data_cannot_write_out_is_left_out_not_every_decision(store: Store) -> None:
    from datetime import UTC
    from datetime import datetime as dt

    from hub.policy.data import build_policy_data

    gid = _grant_id(store)
    with store.session() as session:  # a window at the very end of year 9999 (UTC+8 overflows)
        session.get(Grant, gid).valid_until = dt(9999, 12, 31, 23, 0, tzinfo=UTC)  # type: ignore[union-attr]
    with store.session() as session:
        data = build_policy_data(session, NOW)
    assert gid not in data["grants"]
    decision = _point(store).decide(SUBJECT, "read", resource(), READ)
    assert not decision.allow and decision.error is None  # a named deny, not an engine outage
    assert any("holds no grant" in r for r in decision.reasons)


@pytest.mark.parametrize("rows", [2**63, 2**64 + 1, 10**30])
def test_integers_beyond_64_bits_are_not_wrapped(store: Store, rows: int) -> None:
    decision = _point(store).decide(SUBJECT, "read", {**resource(), "level": rows}, READ)
    assert not decision.allow  # wrapped to a negative number, the level would pass as low
    assert any(f"it is level {rows}" in r for r in decision.reasons), decision.reasons
