"""Officer rules on the console's policy page (issue 15): drafting, impact replay, two-officer activation.

Playwright drives Debian's chromium against a real uvicorn server on a world with real recorded
traffic (partners reading through the exchange): a security officer drafts a tightening rule set
in the page and signs it with its own key (WebCrypto), runs the impact replay as a background
job and sees the flips, is refused when it approves its own draft, and two other security
officers approve it until it is in force (the live exchange then denies).  A draft that drops a
rule in force shows the loosening, and its impact is refused on the page.  The last tests post
to the console's routes directly: the server, not the page, holds the two-person rule, and bad
input is a 4xx naming the problem.  Screenshots of the new pages go to the pytest temp dir.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml
from playwright.sync_api import Browser, BrowserContext, Page, expect
from sqlalchemy import select

from hub.console import links
from hub.policy.rules import revisions
from hub.policy.rules.replay import impact_in_store
from hub.policy.rules.stored import active_revision, with_revision
from hub.store.models import AuditRecord
from tests.api.conftest import ASSERTION_TYPE, AsgiClient
from tests.api.exchange_world import SUBSIDY, World, enrol_officer
from tests.console.helpers import csrf_of, log_in
from tests.console.server import serving

PASSPHRASE = "console-rules-pass"
VIEWPORT = {"width": 1440, "height": 900}
ROWS = f"/v1/datasets/{SUBSIDY}/rows"
TIGHTEN = f"""note: 省级暂停补贴数据；三级许可不再提供手机号码
denies:
  - {{id: d-prov, match: {{subject: "partner:zj-province", dataset: {SUBSIDY}}}}}
masks:
  - {{id: m-phone, match: {{clearance: 3}}, columns: {{pii: CN_MOBILE}}, strategy: drop}}
cases:
  - name: clearance-3 partner gets no phone
    expect: {{allow: true, columns: {{recipient_phone: drop}}}}
"""
#: the same rule set without the deny rule in force: a loosening
LOOSEN = """note: 恢复省级补贴数据
masks:
  - {id: m-phone, match: {clearance: 3}, columns: {pii: CN_MOBILE}, strategy: drop}
"""


@pytest.fixture(scope="module")
def served(world: World) -> Iterator[str]:
    if "sec-3" not in world.clients:
        enrol_officer(world, "sec-3", "security", None)
    with serving(lambda base: world.app(public_url=base)) as (base, _app):
        yield base


@pytest.fixture(scope="module")
def shots(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    folder = tmp_path_factory.mktemp("console-rules-screenshots")
    yield folder
    print(f"\nconsole rules screenshots: {folder}")


@pytest.fixture(scope="module")
def keys(world: World, served: str, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("rules-officer-keys")
    return {o: world.desk.write_key(o, folder / f"{o}.key", PASSPHRASE.encode()) for o in ("sec-1", "sec-2", "sec-3")}


def _read(base: str, world: World, partner: str) -> httpx.Response:
    """A partner's read of the subsidy data through the exchange (recorded in the audit log)."""
    client = world.clients[partner]
    token = httpx.post(f"{base}/oauth/token", timeout=30, data={
        "grant_type": "client_credentials", "client_assertion_type": ASSERTION_TYPE,
        "client_assertion": client.assertion(aud=f"{base}/oauth/token")})
    assert token.status_code == 200, token.text
    return httpx.get(f"{base}{ROWS}", params={"purpose": "case-verification", "limit": 5}, timeout=60,
                     headers={"Authorization": f"Bearer {token.json()['access_token']}"})


def _officer(browser: Browser, base: str, world: World, officer: str) -> tuple[BrowserContext, Page]:
    statement = links.sign_login(world.desk.signer(officer), officer, world.desk.audience or "")
    link = httpx.post(f"{base}/console/login-links", json={"statement": statement}, timeout=30).json()["url"]
    context = browser.new_context(viewport=VIEWPORT, locale="zh-CN", timezone_id="Asia/Shanghai")
    page = context.new_page()
    page.goto(link)
    expect(page.locator("#officer")).to_have_text(officer)
    return context, page


def _sign_and_submit(page: Page, form: str, key: Path) -> None:
    scope = page.locator(f"form#{form}")
    scope.locator("input.sign-key").set_input_files(str(key))
    scope.locator("input.sign-passphrase").fill(PASSPHRASE)
    scope.locator("button.sign-button").click()
    expect(scope.locator(".sign-status")).to_have_text("✓")
    scope.locator("button.sign-submit").click()


def _draft_in_page(page: Page, text: str, key: Path, shot: Path) -> str:
    """Validate ``text`` in the drafting form, sign it as a draft; the new revision's id."""
    page.locator("#rules-document").fill(text)
    page.locator("#rules-validate").click()
    expect(page.locator("#rules-checks")).to_be_visible()
    page.screenshot(path=str(shot), full_page=True)
    _sign_and_submit(page, "draft", key)
    expect(page.locator("#rules-status")).to_have_attribute("data-status", "draft")
    found = re.search(r"/console/policy/rules/(r[0-9]+)$", page.url)
    assert found, page.url
    return found.group(1)


def _impact_in_page(page: Page) -> None:
    page.locator("#impact-run").click()
    expect(page.locator("#impact-summary")).to_be_visible(timeout=60_000)


def _group(page: Page, subject: str) -> Any:
    return page.locator(f'#impact-groups tr[data-subject="{subject}"][data-dataset="{SUBSIDY}"]')


def _expected_impact(world: World, revision: str) -> dict[str, Any]:
    with world.store.session() as session:
        row = revisions.get_revision(session, revision)
        return impact_in_store(session, with_revision(dict(row.document), row.id), days=30).to_dict()


def test_officers_draft_replay_and_activate_rules_in_the_console(
        browser: Browser, served: str, world: World, keys: dict[str, Path], shots: Path) -> None:
    base = served
    for partner in ("hz-xihu-jw", "zj-province", "zj-province"):
        assert _read(base, world, partner).status_code == 200  # recorded traffic, before any rule

    author, page = _officer(browser, base, world, "sec-1")
    page.goto(f"{base}/console/policy/rules/new")
    expect(page.locator("#rules-document")).to_contain_text("denies: []")  # pre-filled: no rules in force
    page.locator("#rules-document").fill("masks:\n  - {id: m-x, columns: {pii: CN_MOBILE}, strategy: blur}\n")
    page.locator("#rules-validate").click()  # a bad rule set: the field is named, nothing to sign
    expect(page.locator("#rules-problems")).to_contain_text("blur")
    expect(page.locator("form#draft")).to_have_count(0)
    revision = _draft_in_page(page, TIGHTEN, keys["sec-1"], shots / "rules-check.png")
    expect(page.locator("#rules-valid")).to_be_visible()
    expect(page.locator("#rules-cases")).to_contain_text("clearance-3 partner gets no phone")
    expect(page.locator("#rules-diff")).to_contain_text("d-prov")
    expect(page.locator("#rules-active")).to_have_text("r0")
    expect(page.locator("#hint-author_cannot_approve")).to_be_visible()
    page.screenshot(path=str(shots / "rules-revision.png"), full_page=True)

    _impact_in_page(page)
    expected = _expected_impact(world, revision)
    zj = next(g for g in expected["groups"] if g["subject"] == "partner:zj-province")
    assert zj["allow_to_deny"] == 2 and expected["totals"]["deny_to_allow"] == 0
    expect(_group(page, "partner:zj-province").locator(".allow-to-deny")).to_have_text("2")
    expect(_group(page, "partner:hz-xihu-jw")).to_contain_text("recipient_phone")
    expect(page.locator("#total-allow-to-deny")).to_have_text(str(expected["totals"]["allow_to_deny"]))
    expect(page.locator("#impact-ok")).to_be_visible()
    page.screenshot(path=str(shots / "rules-impact.png"), full_page=True)

    page.goto(f"{base}/console/policy/rules/{revision}")  # the author approving its own draft: refused
    _sign_and_submit(page, "activate_rules", keys["sec-1"])
    expect(page.locator("#error-message")).to_contain_text(f"drafted `{revision}` and cannot approve it")
    for officer in ("sec-2", "sec-3"):
        context, approver = _officer(browser, base, world, officer)
        approver.goto(f"{base}/console/policy/rules/{revision}")
        _sign_and_submit(approver, "activate_rules", keys[officer])
        if officer == "sec-2":
            expect(approver.locator("#signed-by")).to_have_text("sec-2")
            expect(approver.locator("#rules-status")).to_have_attribute("data-status", "draft")
            approver.goto(f"{base}/console/policy")
            expect(approver.locator(f'#rule-revisions tr[data-revision="{revision}"] .approvals')).to_contain_text(
                "1/2 (sec-2)")
        else:
            expect(approver.locator("#rules-status")).to_have_attribute("data-status", "active")
        context.close()
    assert _read(base, world, "zj-province").status_code == 403  # in force at once

    page.goto(f"{base}/console/policy/rules/new")
    expect(page.locator("#rules-document")).to_contain_text("d-prov")  # pre-filled with the rules in force
    loosening = _draft_in_page(page, LOOSEN, keys["sec-1"], shots / "rules-check-loosening.png")
    expect(page.locator("#rules-loosened")).to_contain_text("`d-prov` of the revision in force is dropped")
    _impact_in_page(page)
    expect(page.locator("#impact-refused")).to_contain_text("would be loosened")
    expect(_group(page, "partner:zj-province").locator(".deny-to-allow .loosen-cell")).to_have_text("3")
    page.screenshot(path=str(shots / "rules-impact-refused.png"), full_page=True)
    page.goto(f"{base}/console/policy/rules/{loosening}")
    page.screenshot(path=str(shots / "rules-revision-loosening.png"), full_page=True)
    page.goto(f"{base}/console/policy")
    expect(page.locator("#rules-active")).to_have_text(revision)
    expect(page.locator(f'#rule-revisions tr[data-revision="{loosening}"] .approvals')).to_have_text("0/2")
    page.screenshot(path=str(shots / "policy.png"))
    author.close()
    with world.store.session() as session:
        assert (active := active_revision(session)) is not None and active.id == revision
        events = {e for e, in session.execute(select(AuditRecord.event).where(
            AuditRecord.event.in_(("policy.rules_drafted", "policy.rules_activated", "console.impact"))))}
    assert events == {"policy.rules_drafted", "policy.rules_activated", "console.impact"}
    assert loosening != revision


@pytest.fixture
def sec1(client: AsgiClient, world: World) -> AsgiClient:
    log_in(client, world.desk, "sec-1")
    return client


def _post(client: AsgiClient, path: str, **form: str) -> httpx.Response:
    csrf = csrf_of(client.get("/console/policy/rules/new"))
    return client.post(path, data={"csrf": csrf, **form})


def test_the_server_holds_the_two_person_rule_and_names_bad_input(sec1: AsgiClient, world: World) -> None:
    client = sec1
    assert client.post("/console/policy/rules/check", data={"document": "{}"}).status_code == 403  # no CSRF
    bad = _post(client, "/console/policy/rules/check", document="masks: [{id: m1, strategy: drop}]")
    assert bad.status_code == 400 and "masks.0.columns" in bad.text
    unreadable = _post(client, "/console/policy/rules/check", document="masks: [unclosed")
    assert unreadable.status_code == 400 and "cannot read the rule set" in unreadable.text
    aliased = _post(client, "/console/policy/rules/check", document="a: &x [1]\nb: [*x, *x]")
    assert aliased.status_code == 400 and "aliases" in aliased.text
    nan = _post(client, "/console/policy/rules/check", document="cases: [{name: .nan}]")
    assert nan.status_code == 400 and "no NaN" in nan.text
    listed = _post(client, "/console/policy/rules/check", document="- a list")
    assert listed.status_code == 400 and "must hold an object" in listed.text
    # a draft signed over another document is refused (the digest is the document's)
    statement = world.desk.sign("sec-1", "draft_rules", revisions.DRAFT_TARGET, revisions.draft_terms({"note": "x"}))
    other = _post(client, "/console/policy/rules/draft", document="note: y", statement=statement)
    assert other.status_code == 403 and "digest" in other.text
    doc = {**yaml.safe_load(TIGHTEN), "note": "z"}  # activatable: it loosens nothing
    signed = world.desk.sign("sec-1", "draft_rules", revisions.DRAFT_TARGET, revisions.draft_terms(doc))
    drafted = _post(client, "/console/policy/rules/draft", document=json.dumps(doc), statement=signed)
    assert drafted.status_code == 303
    revision = drafted.headers["location"].rsplit("/", 1)[-1]
    with world.store.session() as session:
        terms = revisions.change_terms(session, revision)
    own = world.desk.sign("sec-1", "activate_rules", f"rules:{revision}", terms)
    refused = _post(client, f"/console/policy/rules/{revision}/approve", statement=own)
    assert refused.status_code == 403 and "cannot approve it" in refused.text
    assert _post(client, f"/console/policy/rules/{revision}/approve", statement="").status_code == 400
    assert _post(client, f"/console/policy/rules/{revision}/impact", days="0").status_code == 400
    assert client.get("/console/policy/rules/r999999").status_code == 404
    assert client.get("/console/policy/rules/x1").status_code == 400
    assert client.get(f"/console/policy/rules/{revision}/impact/0123456789abcdef").status_code == 404
    with world.store.session() as session:
        assert revisions.get_revision(session, revision).status == revisions.DRAFT


def test_a_rollback_in_the_console_takes_two_security_officers(client: AsgiClient, world: World) -> None:
    with world.store.session() as session:
        in_force = active_revision(session)
    if "sec-3" not in world.clients:  # (pytest may order this before the browser test's server)
        enrol_officer(world, "sec-3", "security", None)
    if in_force is None:  # (run alone) put a revision in force first, as the CLI would
        doc = yaml.safe_load(TIGHTEN)
        with world.store.session() as session:
            statement = world.desk.sign("sec-1", "draft_rules", revisions.DRAFT_TARGET, revisions.draft_terms(doc))
            drafted = revisions.draft(session, world.audit.sink, doc, statement).id
        for officer in ("sec-2", "sec-3"):
            with world.store.session() as session:
                terms = revisions.change_terms(session, drafted)
                revisions.activate(session, world.audit.sink, drafted,
                                   world.desk.sign(officer, "activate_rules", f"rules:{drafted}", terms))
    for officer, waits in (("sec-2", True), ("sec-3", False)):
        log_in(client, world.desk, officer)
        page = client.get("/console/policy/rules/r0")
        assert page.status_code == 200 and 'id="rollback_rules"' in page.text
        with world.store.session() as session:
            terms = revisions.change_terms(session, "r0")
        statement = world.desk.sign(officer, "rollback_rules", "rules:r0", terms)
        done = client.post("/console/policy/rules/r0/rollback", data={"csrf": csrf_of(page), "statement": statement})
        assert done.status_code == 303, done.text
        with world.store.session() as session:
            assert (active_revision(session) is not None) is waits
        if waits:
            assert officer in client.get("/console/policy/rules/r0").text.split('id="signed-by">', 1)[1][:40]
