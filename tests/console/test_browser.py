"""The console in a real browser: Playwright driving Debian's chromium against a real uvicorn server.

One server and one world for the module; each officer has its own browser context (its own
session) and signs with its own key file, decrypted in the page with its passphrase (WebCrypto).
Screenshots of every page at 1440×900 are saved under the pytest temp dir (printed at the end).
"""

from __future__ import annotations

import io
import json
import zipfile
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from playwright.sync_api import Browser, BrowserContext, Page, expect

from hub import workflow
from hub.audit import decode_receipt
from hub.audit.export import verify_export
from hub.console import links
from hub.console.i18n import SHANGHAI
from tests.api.conftest import ASSERTION_TYPE
from tests.api.exchange_world import SUBSIDY, World
from tests.console.server import serving

PASSPHRASE = b"console-test-pass"
VIEWPORT = {"width": 1440, "height": 900}
COLUMNS = ["payment_id", "program_code", "recipient_name", "recipient_id_number", "recipient_phone", "township_code",
           "amount", "period"]


@pytest.fixture(scope="module")
def served(world: World) -> Iterator[tuple[str, Any]]:
    with serving(lambda base: world.app(public_url=base)) as found:
        yield found


@pytest.fixture(scope="module")
def base(served: tuple[str, Any]) -> str:
    return served[0]


@pytest.fixture(scope="module")
def shots(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    folder = tmp_path_factory.mktemp("console-screenshots")
    yield folder
    print(f"\nconsole screenshots: {folder}")


@pytest.fixture(scope="module")
def key_files(world: World, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """Each officer's own key file, as `hub officer keygen` writes it (encrypted PKCS#8)."""
    folder = tmp_path_factory.mktemp("officer-keys")
    return {o: world.desk.write_key(o, folder / f"{o}.key", PASSPHRASE) for o in ("own-fin", "sec-1", "sec-2")}


def _link(base: str, world: World, officer: str) -> str:
    statement = links.sign_login(world.desk.signer(officer), officer, world.desk.audience or "")
    response = httpx.post(f"{base}/console/login-links", json={"statement": statement}, timeout=30)
    assert response.status_code == 201, response.text
    return str(response.json()["url"])


def _officer(browser: Browser, base: str, world: World, officer: str) -> tuple[BrowserContext, Page]:
    """A browser context logged in as ``officer`` through a one-time link."""
    context = browser.new_context(viewport=VIEWPORT, locale="zh-CN", timezone_id="Asia/Shanghai",
                                  accept_downloads=True)
    page = context.new_page()
    page.goto(_link(base, world, officer))
    expect(page.locator("#officer")).to_have_text(officer)
    return context, page


def _shot(page: Page, shots: Path, name: str) -> None:
    page.screenshot(path=str(shots / f"{name}.png"))


def _sign_and_submit(page: Page, form: str, key: Path, *, action: str | None = None, note: str = "") -> None:
    """Sign the form's statement in the page with the officer's own key file, then submit it."""
    scope = page.locator(f"form#{form}")
    if action:
        scope.locator("select.sign-action").select_option(action)
    if note:
        scope.locator("input.sign-note").fill(note)
    scope.locator("input.sign-key").set_input_files(str(key))
    scope.locator("input.sign-passphrase").fill(PASSPHRASE.decode())
    scope.locator("button.sign-button").click()
    expect(scope.locator(".sign-status")).to_have_text("✓")
    assert scope.locator("textarea.sign-statement").input_value().count(".") == 2
    scope.locator("button.sign-submit").click()


def _partner_get(base: str, world: World, partner: str, path: str, **params: Any) -> httpx.Response:
    client = world.clients[partner]
    token = httpx.post(f"{base}/oauth/token", timeout=30, data={
        "grant_type": "client_credentials", "client_assertion_type": ASSERTION_TYPE,
        "client_assertion": client.assertion(aud=f"{base}/oauth/token")})
    if token.status_code != 200:  # a locked-down partner gets no token at all
        return token
    return httpx.get(f"{base}{path}", params=params, timeout=60,
                     headers={"Authorization": f"Bearer {token.json()['access_token']}"})


def _file_application(world: World, requested_by: str) -> str:
    now = datetime.now(UTC)
    req = workflow.ApplicationRequest(
        partner="hz-xihu-jw", dataset=SUBSIDY, purpose="statistics", columns=COLUMNS,
        clear_columns=("recipient_name",), valid_from=now - timedelta(hours=1), valid_until=now + timedelta(days=20),
        max_rows_per_day=5000, justification="统计核查：低保发放抽样", requested_by=requested_by)
    with world.store.session() as session:
        return workflow.apply(session, world.audit.sink, req).id


def test_login_through_a_one_time_link_which_then_opens_nothing(browser: Browser, base: str, world: World,
                                                                shots: Path) -> None:
    link = _link(base, world, "sec-1")
    context = browser.new_context(viewport=VIEWPORT)
    page = context.new_page()
    page.goto(f"{base}/console/")
    expect(page).to_have_url(f"{base}/console/login?next=/console/")
    _shot(page, shots, "login")
    page.goto(link)
    expect(page).to_have_url(f"{base}/console/")
    expect(page.locator("#officer")).to_have_text("sec-1")
    expect(page.locator("h1")).to_have_text("总览")
    again = browser.new_context(viewport=VIEWPORT).new_page()
    again.goto(link)
    expect(again.locator("#login-refused")).to_contain_text("already used")
    page.locator("#logout").click()
    expect(page).to_have_url(f"{base}/console/login")
    page.goto(f"{base}/console/grants")
    expect(page).to_have_url(f"{base}/console/login?next=/console/grants")
    context.close()


def test_two_officers_approve_and_the_preview_is_what_the_partner_receives(
        browser: Browser, base: str, world: World, key_files: dict[str, Path], shots: Path) -> None:
    app_id = _file_application(world, requested_by="officer:sec-2")
    requester, req_page = _officer(browser, base, world, "sec-2")
    req_page.goto(f"{base}/console/applications/{app_id}")
    expect(req_page.locator("#cannot-decide")).to_contain_text(f"officer `sec-2` requested application `{app_id}`")
    expect(req_page.locator("form#decide")).to_have_count(0)
    requester.close()

    owner, owner_page = _officer(browser, base, world, "own-fin")
    owner_page.goto(f"{base}/console/applications")
    expect(owner_page.locator("#application-queue")).to_contain_text(app_id)
    _shot(owner_page, shots, "applications")
    owner_page.goto(f"{base}/console/applications/{app_id}")
    expect(owner_page.locator("#preview-decision")).to_have_text("允许")
    expect(owner_page.locator("#preview-row-filter")).to_contain_text("330106")
    previewed = json.loads(owner_page.locator("#preview-json").text_content() or "[]")
    preview_sha = owner_page.locator("#preview-sha256").text_content()
    assert previewed and all(str(r["township_code"]).startswith("330106") for r in previewed)
    assert all(r["recipient_name"] and "*" not in r["recipient_name"] for r in previewed)  # clear under the grant
    _shot(owner_page, shots, "application")
    _sign_and_submit(owner_page, "decide", key_files["own-fin"], action="approve", note="核对无误")
    expect(owner_page.locator("#app-status")).to_have_attribute("data-status", "pending")
    expect(owner_page.locator("#decisions")).to_contain_text("own-fin")
    expect(owner_page.locator("#cannot-decide")).to_contain_text("already decided")
    owner.close()

    security, sec_page = _officer(browser, base, world, "sec-1")
    sec_page.goto(f"{base}/console/applications/{app_id}")
    _sign_and_submit(sec_page, "decide", key_files["sec-1"], action="approve")
    expect(sec_page.locator("#app-status")).to_have_attribute("data-status", "approved")
    security.close()

    served = _partner_get(base, world, "hz-xihu-jw", f"/v1/datasets/{SUBSIDY}/rows", purpose="statistics", limit=10)
    assert served.status_code == 200, served.text
    assert served.json()["rows"] == previewed
    receipt = decode_receipt(served.headers["X-Hub-Receipt"])
    assert receipt["response_sha256"] == preview_sha


def _grant_of(world: World, app_partner: str, purpose: str) -> str:
    with world.store.session() as session:
        found = [g.id for g in workflow.list_grants(session) if g.partner_id == app_partner and purpose in g.purposes]
    assert found
    return found[0]


def test_revoke_a_grant(browser: Browser, base: str, world: World, key_files: dict[str, Path], shots: Path) -> None:
    grant_id = _grant_of(world, "zj-province", "case-verification")
    context, page = _officer(browser, base, world, "sec-1")
    page.goto(f"{base}/console/grants")
    expect(page.locator(f"#grant-{grant_id}")).to_be_visible()
    _shot(page, shots, "grants")
    page.locator(f"#grant-{grant_id} a.button").click()
    _sign_and_submit(page, "revoke", key_files["sec-1"], note="案件办结")
    expect(page.locator("#grant-revoked")).to_contain_text("officer:sec-1")
    context.close()
    refused = _partner_get(base, world, "zj-province", f"/v1/datasets/{SUBSIDY}/rows", purpose="case-verification",
                           limit=1, columns="payment_id,recipient_name")
    assert refused.status_code == 403, refused.text


def test_lock_down_and_lift_with_two_officers(browser: Browser, base: str, world: World,
                                              key_files: dict[str, Path], shots: Path) -> None:
    context, page = _officer(browser, base, world, "sec-1")
    page.goto(f"{base}/console/partners/leaky")
    _sign_and_submit(page, "lockdown", key_files["sec-1"], note="数据外泄排查")
    expect(page.locator("#partner-status")).to_have_attribute("data-locked", "yes")
    assert _partner_get(base, world, "leaky", f"/v1/datasets/{SUBSIDY}/rows", purpose="case-verification",
                        limit=1).status_code in (401, 403)
    _sign_and_submit(page, "lift", key_files["sec-1"])
    expect(page.locator("#lift-waiting")).to_contain_text("sec-1")
    expect(page.locator("#partner-status")).to_have_attribute("data-locked", "yes")
    _shot(page, shots, "partner")
    context.close()
    other, other_page = _officer(browser, base, world, "own-fin")
    other_page.goto(f"{base}/console/partners/leaky")
    _sign_and_submit(other_page, "lift", key_files["own-fin"])
    expect(other_page.locator("#partner-status")).to_have_attribute("data-locked", "no")
    other.close()
    assert _partner_get(base, world, "leaky", f"/v1/datasets/{SUBSIDY}/rows", purpose="case-verification",
                        limit=1).status_code == 200


def test_a_partners_deliveries_of_the_day_and_the_evidence_bundle(browser: Browser, base: str, world: World,
                                                                   shots: Path) -> None:
    for _ in range(2):
        assert _partner_get(base, world, "hz-xihu-jw", f"/v1/datasets/{SUBSIDY}/rows", purpose="case-verification",
                            limit=3).status_code == 200
    today = datetime.now(SHANGHAI).date().isoformat()
    context, page = _officer(browser, base, world, "sec-1")
    page.goto(f"{base}/console/audit")
    form = page.locator("form#audit-filter")
    form.locator("input[name=partner]").fill("hz-xihu-jw")
    form.locator("select[name=event]").select_option("data.delivery")
    form.locator("input[name=since]").fill(today)
    form.locator("input[name=until]").fill(today)
    form.locator("button[type=submit]").click()
    rows = page.locator("#audit-records tr.record")
    expect(rows.first).to_be_visible()
    texts = rows.all_inner_texts()
    assert len(texts) >= 2 and all("partner:hz-xihu-jw" in t and "data.delivery" in t for t in texts)
    _shot(page, shots, "audit")
    seqs = [int(s) for s in rows.evaluate_all("rs => rs.map(r => r.dataset.seq)")]
    with page.expect_download() as info:
        page.locator("#export-bundle").click()
    data = Path(info.value.path()).read_bytes()
    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        assert set(zf.namelist()) >= {"audit-export.jsonl", "selected.jsonl", "jwks.json", "audit.md", "README.txt"}
        selected = [json.loads(line) for line in zf.read("selected.jsonl").decode().splitlines()]
        export = zf.read("audit-export.jsonl")
        assert "## 4. Verifying a chain" in zf.read("audit.md").decode()
    assert [r["seq"] for r in selected] == seqs
    path = Path(info.value.path()).with_suffix(".jsonl")
    path.write_bytes(export)
    report = verify_export(path)
    assert report.ok, report.summary()
    exported = {json.loads(line)["record"]["seq"] for line in export.decode().splitlines()
                if json.loads(line)["type"] == "record"}
    assert set(seqs) <= exported
    page.goto(f"{base}/console/audit/records/{seqs[0]}")
    expect(page.locator("#record-hash")).to_have_text(selected[0]["hash"])
    expect(page.locator("#record-prev_hash")).to_have_text(selected[0]["prev_hash"])
    _shot(page, shots, "record")
    context.close()


def test_verify_a_receipt_and_the_chain(browser: Browser, base: str, world: World, shots: Path,
                                        tmp_path: Path) -> None:
    served = _partner_get(base, world, "hz-xihu-jw", f"/v1/datasets/{SUBSIDY}/rows", purpose="case-verification",
                          limit=2)
    receipt = decode_receipt(served.headers["X-Hub-Receipt"])
    good = tmp_path / "receipt.json"
    good.write_text(json.dumps(receipt))
    context, page = _officer(browser, base, world, "sec-1")
    page.goto(f"{base}/console/audit")
    page.locator("form#receipt-form input[name=file]").set_input_files(str(good))
    page.locator("#verify-receipt").click()
    expect(page.locator("#receipt-result")).to_have_attribute("data-ok", "yes")
    _shot(page, shots, "receipt")
    forged = tmp_path / "forged.json"
    forged.write_text(json.dumps({**receipt, "rows": receipt["rows"] + 1}))
    page.goto(f"{base}/console/audit")
    page.locator("form#receipt-form input[name=file]").set_input_files(str(forged))
    page.locator("#verify-receipt").click()
    expect(page.locator("#receipt-result")).to_have_attribute("data-ok", "no")
    page.goto(f"{base}/console/audit")
    page.locator("#verify-chain").click()
    expect(page.locator("#verify-result")).to_have_attribute("data-ok", "yes", timeout=60_000)
    expect(page.locator("#verify-result")).to_contain_text("audit chain OK")
    _shot(page, shots, "verify")
    context.close()


def test_screenshots_of_the_remaining_pages(browser: Browser, base: str, world: World, shots: Path) -> None:
    context, page = _officer(browser, base, world, "sec-1")
    page.goto(f"{base}/console/")
    expect(page.locator("#chart-hourly canvas")).to_have_count(1)
    assert int(page.locator("#deliveries-24h").inner_text()) > 0
    _shot(page, shots, "overview")
    page.goto(f"{base}/console/catalog?provider=finance")
    expect(page.locator("#catalog-entries")).to_contain_text(SUBSIDY)
    _shot(page, shots, "catalog")
    page.goto(f"{base}/console/catalog/{SUBSIDY}")
    expect(page.locator("#lineage canvas")).to_have_count(1)
    expect(page.locator("#columns")).to_contain_text("CN_RESIDENT_ID")
    _shot(page, shots, "entry")
    page.goto(f"{base}/console/policy")
    expect(page.locator("#policy-tests-summary")).to_contain_text("0 失败", timeout=60_000)
    page.locator("form#simulate select[name=subject]").select_option("partner:hz-xihu-jw")
    page.locator("form#simulate select[name=dataset]").select_option(SUBSIDY)
    page.locator("form#simulate input[name=columns]").fill("payment_id, recipient_id_number")
    page.locator("form#simulate button[type=submit]").click()
    expect(page.locator("#simulate-result")).to_contain_text("允许")
    _shot(page, shots, "policy")
    page.goto(f"{base}/console/?lang=en")
    expect(page.locator("h1")).to_have_text("Overview")
    _shot(page, shots, "overview-en")
    context.close()
