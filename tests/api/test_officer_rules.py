"""Officer rules end to end (issue 15): real traffic through the exchange, recorded in the
real audit log, replayed against a drafted rule set; two-officer activation and rollback.

Runs in the exchange world (a real pipeline's HUB_HOME, real SQLite store, real audit log,
officers holding their own keys).  The rule revisions are drafted, activated and rolled
back through ``hub.policy.rules.revisions`` with real signed statements; the live
requests go through the ASGI app, so its decision point (and decision cache) must pick
up every activation and rollback.
"""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from hub.policy import PolicyPoint, RegopyEngine, StaticData, load_policies
from hub.policy.data import build_policy_data
from hub.policy.resource import resource_input
from hub.policy.rules import revisions
from hub.policy.rules.replay import impact_in_store, loosening_problems
from hub.policy.rules.schema import RulesInvalid
from hub.policy.rules.stored import active_revision
from hub.statements import StatementRefused
from hub.store.models import AuditRecord
from tests.api.conftest import AsgiClient
from tests.api.exchange_world import SUBSIDY, World, enrol_officer

ROWS = f"/v1/datasets/{SUBSIDY}/rows"

#: the change set: zj-province loses the subsidy data; clearance-3 partners lose phone numbers
RULES: dict[str, Any] = {
    "note": "省级暂停补贴数据；三级许可不再提供手机号码",
    "denies": [{"id": "d-prov", "match": {"subject": "partner:zj-province", "dataset": SUBSIDY}}],
    "masks": [{"id": "m-phone", "match": {"clearance": 3}, "columns": {"pii": "CN_MOBILE"}, "strategy": "drop"}],
    "cases": [
        {"name": "clearance-3 partner gets no phone",
         "expect": {"allow": True, "columns": {"recipient_phone": "drop"}}},
        {"name": "province partner is denied the subsidy data",
         "input": {"subject": {"id": "partner:zj-province", "clearance": 2}},
         "data": {"grants": {"g-17": {"partner": "zj-province"}}},
         "expect": {"allow": False, "reasons": ["officer rule `d-prov`"]}},
    ],
}

#: (partner, query) sent before any rule exists
TRAFFIC: list[tuple[str, dict[str, Any]]] = [
    ("hz-xihu-jw", {"purpose": "case-verification", "limit": 50}),
    ("hz-xihu-jw", {"purpose": "case-verification", "limit": 50}),
    ("hz-xihu-jw", {"purpose": "case-verification", "limit": 20, "columns": "recipient_phone,amount"}),
    ("hz-xihu-jw", {"purpose": "case-verification", "limit": 20, "columns": "amount,township_code"}),
    ("hz-xihu-jw", {"purpose": "statistics", "limit": 10}),  # no grant for it: denied
    ("zj-province", {"purpose": "case-verification", "limit": 30}),
    ("zj-province", {"purpose": "case-verification", "limit": 30, "columns": "amount,recipient_phone"}),
    ("leaky", {"purpose": "case-verification", "limit": 5}),
]


def _decision_records(world: World, after_seq: int) -> list[AuditRecord]:
    with world.store.session() as session:
        rows = session.scalars(select(AuditRecord).where(AuditRecord.event == "data.decision",
                                                         AuditRecord.seq > after_seq).order_by(AuditRecord.seq))
        return list(rows)


def _head(world: World) -> int:
    with world.store.session() as session:
        return int(session.scalar(select(AuditRecord.seq).order_by(AuditRecord.seq.desc()).limit(1)) or 0)


@pytest.fixture(scope="module")
def traffic(world: World, http: AsgiClient) -> list[tuple[AuditRecord, str, dict[str, Any]]]:
    """The TRAFFIC sent through the exchange, with the decision record each one left."""
    from tests.api.exchange_world import bearer

    start = _head(world)
    for partner, params in TRAFFIC:
        response = http.get(ROWS, params=params, headers=bearer(http, world.clients[partner]))
        assert response.status_code in (200, 403), response.text
    records = _decision_records(world, start)
    assert len(records) == len(TRAFFIC)
    return [(r, p, q) for r, (p, q) in zip(records, TRAFFIC, strict=True)]


def _signed_draft(world: World, officer: str, doc: dict[str, Any]) -> str:
    with world.store.session() as session:
        statement = world.desk.sign(officer, "draft_rules", revisions.DRAFT_TARGET, revisions.draft_terms(doc))
        return revisions.draft(session, world.audit.sink, doc, statement).id


def _activate(world: World, officer: str, revision: str) -> Any:
    with world.store.session() as session:
        statement = world.desk.sign(officer, "activate_rules", f"rules:{revision}",
                                    revisions.change_terms(session, revision))
        row = revisions.activate(session, world.audit.sink, revision, statement)
        return None if row is None else row.id


def _rollback(world: World, officer: str, revision: str) -> Any:
    with world.store.session() as session:
        statement = world.desk.sign(officer, "rollback_rules", f"rules:{revision}",
                                    revisions.change_terms(session, revision))
        return revisions.rollback(session, world.audit.sink, revision, statement)


def _active(world: World) -> str:
    with world.store.session() as session:
        row = active_revision(session)
        return row.id if row else "r0"


def _recompute(world: World, rules: dict[str, Any] | None, record: AuditRecord, partner: str,
               params: dict[str, Any]) -> Any:
    """One decision computed from what the test sent (not from the record's details)."""
    from hub.identity import load_subject

    with world.store.session() as session:
        data = build_policy_data(session, record_time(record))
        subject = load_subject(session, f"partner:{partner}")
        assert subject is not None
        resource = resource_input(session, SUBSIDY)
    data["rules"] = rules
    point = PolicyPoint(RegopyEngine(), load_policies(), StaticData(data), recheck_seconds=3600)
    columns = params["columns"].split(",") if "columns" in params else []
    request = {"purpose": params["purpose"], "columns": columns, "rows_requested": params["limit"]}
    return point.decide(subject.policy_input(), "read", resource, request, {"rows_used_today": {}, "time": record.ts})


def record_time(record: AuditRecord) -> Any:
    from datetime import datetime

    return datetime.fromisoformat(record.ts)


def _expected(world: World, traffic: list[tuple[AuditRecord, str, dict[str, Any]]], candidate: dict[str, Any],
              ) -> tuple[dict[int, tuple[str, str]], dict[tuple[str, str], int]]:
    """(flips by seq, mask changes by (subject, column)) of the traffic, recomputed one by one."""
    expected_flips: dict[int, tuple[str, str]] = {}
    expected_masks: dict[tuple[str, str], int] = {}
    for record, partner, params in traffic:
        before = _recompute(world, None, record, partner, params)
        after = _recompute(world, candidate, record, partner, params)
        assert ("allow" if before.allow else "deny") == record.decision  # the baseline is what happened
        if before.allow != after.allow:
            expected_flips[record.seq] = ("allow" if before.allow else "deny", "allow" if after.allow else "deny")
        elif before.allow:
            for column in set(before.columns) | set(after.columns):
                if before.columns.get(column, "drop") != after.columns.get(column, "drop"):
                    key = (f"partner:{partner}", column)
                    expected_masks[key] = expected_masks.get(key, 0) + 1
    return expected_flips, expected_masks


def test_impact_over_recorded_traffic_matches_decisions_recomputed_one_by_one(
        world: World, traffic: list[tuple[AuditRecord, str, dict[str, Any]]]) -> None:
    candidate = {**RULES, "revision": "candidate"}
    with world.store.session() as session:
        impact = impact_in_store(session, candidate, days=30)
    seqs = {r.seq for r, _, _ in traffic}
    assert impact.replayed >= len(traffic) and impact.skipped == 0 and impact.rebuilt == 0
    expected_flips, expected_masks = _expected(world, traffic, candidate)
    reported_flips = {f["seq"]: (f["before"], f["after"]) for f in impact.flips if f["seq"] in seqs}
    assert reported_flips == expected_flips
    # zj-province's two allowed reads flip to deny; nothing flips to allow
    assert sorted(expected_flips.values()) == [("allow", "deny")] * 2
    reported_masks = {(g.subject, column): sum(counts.values())
                      for g in impact.groups.values() for column, counts in g.masks.items()}
    assert {k: v for k, v in reported_masks.items() if k[0] != "partner:zj-province"} == expected_masks
    # phone numbers go from mask_middle to drop for the clearance-3 partners' reads that carry them
    assert expected_masks == {("partner:hz-xihu-jw", "recipient_phone"): 3, ("partner:leaky", "recipient_phone"): 1}
    xihu = impact.groups[("partner:hz-xihu-jw", SUBSIDY)]
    assert xihu.masks["recipient_phone"] == {"tighter": 3}
    assert xihu.examples and "recipient_phone" in xihu.examples[0]["change"]
    assert not impact.loosening and loosening_problems(impact) == []
    assert impact.to_dict()["totals"]["allow_to_deny"] >= 2


def test_activation_needs_two_security_officers_other_than_the_author_and_rollback_restores(
        world: World, http: AsgiClient, traffic: list[tuple[AuditRecord, str, dict[str, Any]]]) -> None:
    from tests.api.exchange_world import bearer

    if "sec-3" not in world.clients:
        enrol_officer(world, "sec-3", "security", None)
    xihu = bearer(http, world.clients["hz-xihu-jw"])
    province = bearer(http, world.clients["zj-province"])
    before = http.get(ROWS, params={"purpose": "case-verification", "limit": 5}, headers=xihu)
    assert before.status_code == 200 and "recipient_phone" in before.json()["rows"][0]
    assert http.get(ROWS, params={"purpose": "case-verification", "limit": 5}, headers=province).status_code == 200

    revision = _signed_draft(world, "sec-1", RULES)
    with pytest.raises(StatementRefused, match="drafted"):
        _activate(world, "sec-1", revision)  # its author
    with pytest.raises(StatementRefused, match="only security officers"):
        _activate(world, "own-fin", revision)  # an owner officer
    assert _activate(world, "sec-2", revision) is None  # one approval: waits
    assert _active(world) == "r0"
    with pytest.raises(StatementRefused, match="already signed"):
        _activate(world, "sec-2", revision)  # the same officer twice
    assert _active(world) == "r0"
    assert http.get(ROWS, params={"purpose": "case-verification", "limit": 5}, headers=province).status_code == 200

    assert _activate(world, "sec-3", revision) == revision  # the second officer
    assert _active(world) == revision
    # the live decision point reloads at once: earlier (cached) decisions no longer count
    denied = http.get(ROWS, params={"purpose": "case-verification", "limit": 5}, headers=province)
    assert denied.status_code == 403 and "officer rule `d-prov`" in denied.text
    shaped = http.get(ROWS, params={"purpose": "case-verification", "limit": 5}, headers=xihu)
    assert shaped.status_code == 200 and "recipient_phone" not in shaped.json()["rows"][0]
    with world.store.session() as session:
        last = session.scalars(select(AuditRecord).where(AuditRecord.event == "data.decision")
                               .order_by(AuditRecord.seq.desc())).first()
        assert last is not None and any(f"(rules {revision})" in r for r in last.reasons)

    # replaying a rollback to r0 shows the loosening it is (deny→allow) …
    with world.store.session() as session:
        back = impact_in_store(session, None, days=30)
    assert back.loosening and back.totals()["deny_to_allow"] >= 1 and loosening_problems(back)
    # … and a rollback, too, takes two security officers
    assert _rollback(world, "sec-2", "r0") is None
    assert _active(world) == revision
    assert _rollback(world, "sec-3", "r0") is not None
    assert _active(world) == "r0"
    after = http.get(ROWS, params={"purpose": "case-verification", "limit": 5}, headers=xihu)
    assert after.status_code == 200 and set(after.json()["rows"][0]) == set(before.json()["rows"][0])
    assert http.get(ROWS, params={"purpose": "case-verification", "limit": 5}, headers=province).status_code == 200

    # … and back to the revision rolled back from, again by two
    assert _rollback(world, "sec-2", revision) is None
    assert _rollback(world, "sec-1", revision) is not None
    assert _active(world) == revision
    assert http.get(ROWS, params={"purpose": "case-verification", "limit": 5}, headers=province).status_code == 403
    _rollback(world, "sec-2", "r0")
    _rollback(world, "sec-3", "r0")
    assert _active(world) == "r0"


def test_a_draft_whose_cases_fail_or_that_loosens_cannot_be_activated(world: World) -> None:
    failing = {**RULES, "cases": [{"name": "wrongly expects the phone", "expect": {
        "allow": True, "columns": {"recipient_phone": "mask_middle"}}}]}
    revision = _signed_draft(world, "sec-1", failing)
    with pytest.raises(revisions.RulesRefused, match="policy case `wrongly expects the phone` fails"):
        _activate(world, "sec-2", revision)
    assert _active(world) == "r0"
    # a mask rule that would loosen is refused at the draft already
    loose = {"masks": [{"id": "m-id", "match": {"dataset": SUBSIDY}, "columns": {"column": "recipient_id_number"},
                        "strategy": "mask_middle"}]}
    with pytest.raises(RulesInvalid, match="would loosen"):
        _signed_draft(world, "sec-1", loose)
    # a change set that drops a rule in force is refused at activation
    first = _signed_draft(world, "sec-1", RULES)
    _activate(world, "sec-2", first)
    if "sec-3" not in world.clients:
        enrol_officer(world, "sec-3", "security", None)
    assert _activate(world, "sec-3", first) == first
    dropping = {k: v for k, v in RULES.items() if k != "denies"}
    smaller = _signed_draft(world, "sec-1", dropping)
    with pytest.raises(revisions.RulesRefused, match="`d-prov` of the revision in force is dropped"):
        _activate(world, "sec-2", smaller)
    with world.store.session() as session:
        assert revisions.diff(revisions.get_revision(session, first).document,
                              revisions.get_revision(session, smaller).document)["removed"].keys() == {"d-prov"}
    _rollback(world, "sec-2", "r0")
    _rollback(world, "sec-3", "r0")
    assert _active(world) == "r0"


def test_cli_draft_impact_diff_and_refusals(world: World, traffic: list[tuple[AuditRecord, str, dict[str, Any]]],
                                            tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                            capsys: pytest.CaptureFixture[str]) -> None:
    """``hub policy draft|impact|diff|validate|activate`` on the world's HUB_HOME."""
    import yaml

    from hub.cli import _common
    from hub.cli import app as hub_app
    from hub.settings import get_settings

    monkeypatch.setenv("HUB_HOME", str(world.home))
    monkeypatch.setenv("HUB_OFFICER_PASSPHRASE", "officer passphrase")
    monkeypatch.delenv("HUB_DATABASE_URL", raising=False)
    monkeypatch.delenv("HUB_OFFICER_KEY", raising=False)
    monkeypatch.setattr(_common.console, "width", 250)
    get_settings.cache_clear()
    keys = {o: world.desk.write_key(o, tmp_path / f"{o}.key", b"officer passphrase") for o in ("sec-1", "sec-2")}

    def hub(*args: str) -> tuple[int, str]:
        capsys.readouterr()
        monkeypatch.setattr(sys, "argv", ["hub", *args])
        code = _common.run_app(hub_app)
        out = capsys.readouterr()
        return code, out.out + out.err

    rules_file = tmp_path / "rules.yaml"
    rules_file.write_text(yaml.safe_dump(RULES, allow_unicode=True), encoding="utf-8")
    code, out = hub("policy", "draft", str(rules_file), "--key", str(keys["sec-1"]))
    assert code == 0, out
    revision = re.search(r"officer rules (r[0-9]+) drafted by sec-1", " ".join(out.split()))
    assert revision is not None, out
    rev = revision.group(1)

    code, out = hub("policy", "impact", rev, "--json")
    assert code == 0, out
    report = json.loads(out)
    seqs = {r.seq for r, _, _ in traffic}
    expected_flips, expected_masks = _expected(world, traffic, {**RULES, "revision": rev})
    assert {f["seq"]: (f["before"], f["after"]) for f in report["flips"] if f["seq"] in seqs} == expected_flips
    assert report["candidate"] == rev and report["loosening"] is False
    code, out = hub("policy", "impact", rev)
    assert code == 0 and "allow→deny" in out and "partner:zj-province" in out

    code, out = hub("policy", "diff", "r0", rev, "--json")
    assert code == 0 and set(json.loads(out)["added"]) == {"d-prov", "m-phone"}
    code, out = hub("policy", "activate", rev, "--key", str(keys["sec-1"]))
    assert code == 1 and "cannot approve it" in out  # its author
    loose = tmp_path / "loose.yaml"
    loose.write_text(yaml.safe_dump({"masks": [{"id": "m-clear", "match": {"dataset": SUBSIDY},
                                                "columns": {"column": "recipient_phone"}, "strategy": "clear"}]}))
    code, out = hub("policy", "validate", str(loose))
    assert code == 1 and "`clear` would loosen" in out
    code, out = hub("policy", "validate", rev)
    assert code == 0, out
    code, out = hub("policy", "revisions", "--json")
    assert code == 0 and any(r["revision"] == rev and r["status"] == "draft" for r in json.loads(out))
    get_settings.cache_clear()


def test_the_http_api_drafts_replays_and_activates_with_two_security_officers(
        world: World, http: AsgiClient, traffic: list[tuple[AuditRecord, str, dict[str, Any]]]) -> None:
    """``/v1/policy/rules``: the same steps as the CLI and the console, signed by officers' own keys."""
    from tests.api.exchange_world import bearer

    if "sec-3" not in world.clients:
        enrol_officer(world, "sec-3", "security", None)
    sec = {o: bearer(http, world.clients[o]) for o in ("sec-1", "sec-2", "sec-3")}
    assert http.get("/v1/policy/rules", headers=bearer(http, world.clients["hz-xihu-jw"])).status_code == 403
    bad = http.post("/v1/policy/rules/validate", headers=sec["sec-1"],
                    json={"document": {"masks": [{"id": "m1", "strategy": "drop"}]}})
    assert bad.status_code == 200 and not bad.json()["draftable"] and "masks.0.columns" in bad.json()["problems"][0]
    assert http.post("/v1/policy/rules/validate", headers=sec["sec-1"], json={"document": []}).status_code == 400
    nan = http.post("/v1/policy/rules/validate", headers={**sec["sec-1"], "Content-Type": "application/json"},
                    content=b'{"document": {"cases": [{"name": NaN}]}}')
    assert nan.status_code == 400 and "NaN" in nan.text
    checked = http.post("/v1/policy/rules/validate", headers=sec["sec-1"], json={"document": RULES}).json()
    assert checked["problems"] == [] and all(c["passed"] for c in checked["cases"])
    terms = checked["terms"]
    drafted = http.post("/v1/policy/rules", headers=sec["sec-1"], json={
        "document": RULES, "statement": world.desk.sign("sec-1", "draft_rules", revisions.DRAFT_TARGET, terms)})
    assert drafted.status_code == 201, drafted.text
    revision = drafted.json()["revision"]
    assert drafted.json()["action"] == "activate_rules" and drafted.json()["signed_by"] == []

    report = http.get(f"/v1/policy/rules/{revision}/impact", params={"days": 30}, headers=sec["sec-2"]).json()
    expected_flips, _ = _expected(world, traffic, {**RULES, "revision": revision})
    seqs = {r.seq for r, _, _ in traffic}
    assert {f["seq"]: (f["before"], f["after"]) for f in report["flips"] if f["seq"] in seqs} == expected_flips
    assert report["refused"] == [] and report["candidate"] == revision
    assert http.get(f"/v1/policy/rules/{revision}/impact", params={"days": 0}, headers=sec["sec-2"]).status_code == 400
    assert set(http.get(f"/v1/policy/rules/{revision}/diff", headers=sec["sec-2"]).json()["added"]) == {
        "d-prov", "m-phone"}

    def sign(officer: str, action: str, target: str) -> Any:
        detail = http.get(f"/v1/policy/rules/{target}", headers=sec[officer]).json()
        assert detail["audience"] == world.desk.audience  # what the officer binds the statement to
        statement = world.desk.sign(officer, action, f"rules:{target}", detail["terms"])
        path = "activation" if action == "activate_rules" else "rollback"
        return http.post(f"/v1/policy/rules/{target}/{path}", headers=sec[officer], json={"statement": statement})

    own = sign("sec-1", "activate_rules", revision)
    assert own.status_code == 403 and "cannot approve it" in own.text
    assert sign("sec-2", "activate_rules", revision).status_code == 202
    assert sign("sec-2", "activate_rules", revision).status_code == 403  # the same officer twice
    assert http.get(f"/v1/policy/rules/{revision}", headers=sec["sec-3"]).json()["signed_by"] == ["sec-2"]
    done = sign("sec-3", "activate_rules", revision)
    assert done.status_code == 200 and done.json()["status"] == "active" and _active(world) == revision
    assert sign("sec-2", "rollback_rules", "r0").status_code == 202
    assert sign("sec-3", "rollback_rules", "r0").status_code == 200 and _active(world) == "r0"
    assert http.get("/v1/policy/rules/x9", headers=sec["sec-1"]).status_code == 400
    assert http.get("/v1/policy/rules/r99999", headers=sec["sec-1"]).status_code == 404


def test_audit_verify_rechecks_every_rules_signature(world: World) -> None:
    """The drafts, activations and rollbacks above are signed records ``hub audit verify`` re-checks."""
    from hub.audit import verify_chain
    from hub.keys import KeyStore

    with world.store.session() as session:
        found = session.execute(select(AuditRecord.event).where(AuditRecord.event.like("policy.rules_%")))
        events = {e for e, in found}
    assert events == {"policy.rules_drafted", "policy.rules_activated", "policy.rules_rolled_back"}
    report = verify_chain(world.store, KeyStore(world.settings.keys_dir))
    assert report.ok, report.problems
