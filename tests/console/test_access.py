"""Who gets into the console, and what a request without the right proof gets: the login page.

Every console route without a session redirects to the login page; a login link is issued
only to a login statement signed with an enrolled officer's own key, opens one session, once,
within 5 minutes; a form posted without its session's CSRF token is refused; a partner's
credentials open nothing; sessions end after 30 idle minutes or 8 hours.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from sqlalchemy import select

from hub import statements, workflow
from hub.audit import verify_chain
from hub.console import ROUTERS, links
from hub.console.web import ConsoleRoute
from hub.events import CONSOLE_LINK_ISSUED, CONSOLE_LOGIN, CONSOLE_LOGOUT, CONSOLE_PREVIEW
from hub.keys import KeyStore
from hub.signers import KeySigner
from hub.store.models import AuditRecord
from tests.api.conftest import AsgiClient
from tests.api.exchange_world import SUBSIDY, World, bearer
from tests.console.helpers import csrf_of, link_for, log_in

OPEN = {"/console/login", "/console/login/{token}"}
SAMPLE = {"dataset": SUBSIDY, "application_id": "app-00000000", "grant_id": "g-00000000", "partner_id": "hz-xihu-jw",
          "seq": "1", "job_id": "0123456789abcdef", "revision": "r1"}


def _console_routes(app: Any) -> list[tuple[str, str]]:
    """Every console page and form route (the routers ``hub.console.mount`` adds to ``app``)."""
    found = []
    assert app.state.console is not None
    for route in (r for router in ROUTERS for r in router.routes):
        if isinstance(route, ConsoleRoute) and route.path not in OPEN:
            path = re.sub(r"\{(\w+)\}", lambda m: SAMPLE[m.group(1)], route.path)
            found.extend((method, path) for method in sorted(route.methods or ()))
    return found


def _records(world: World, event: str) -> list[AuditRecord]:
    with world.store.session() as session:
        return list(session.scalars(select(AuditRecord).where(AuditRecord.event == event)
                                    .order_by(AuditRecord.seq)))


def test_the_console_has_the_pages_of_the_issue(app: Any) -> None:
    paths = {path for _, path in _console_routes(app)}
    for page in ("/console/", "/console/catalog", "/console/applications", "/console/grants", "/console/audit",
                 "/console/policy"):
        assert page in paths


def test_every_console_route_without_a_session_goes_to_the_login_page(app: Any, client: AsgiClient) -> None:
    routes = _console_routes(app)
    assert len(routes) >= 20
    for method, path in routes:
        response = client.request(method, path, data={"csrf": "x"} if method == "POST" else None)
        assert response.status_code == 303, (method, path, response.status_code)
        assert response.headers["location"] == f"/console/login?next={path}", (method, path)
    partial = client.get("/console/policy/tests", headers={"HX-Request": "true"})
    assert partial.status_code == 401 and partial.headers["HX-Redirect"].startswith("/console/login")


def test_a_partners_credentials_open_nothing(world: World, app: Any, client: AsgiClient) -> None:
    headers = bearer(client, world.clients["hz-xihu-jw"])
    for method, path in _console_routes(app):
        if method == "GET":
            response = client.get(path, headers=headers)
            assert response.status_code == 303 and response.headers["location"].startswith("/console/login"), path
    # the partner's access token as a session cookie opens nothing either
    token = headers["Authorization"].removeprefix("Bearer ")
    assert client.get("/console/", headers={"Cookie": f"hub_console={token}"}).status_code == 303
    # a login statement signed with the partner's key, in an officer's name or its own, gets no link
    partner_key = KeySigner(world.clients["hz-xihu-jw"].key)
    for iss in ("hz-xihu-jw", "sec-1"):
        forged = links.sign_login(partner_key, iss, world.desk.audience or "")
        response = client.post("/console/login-links", json={"statement": forged})
        assert response.status_code == 403, response.text
    as_partner = statements.sign_claims(partner_key, {**statements.claims_for(
        "x", "login", "console", links.login_terms("x"), audience=world.desk.audience or ""),
        "iss": "partner:hz-xihu-jw"})
    assert client.post("/console/login-links", json={"statement": as_partner}).status_code == 400
    # the partner's client assertion is no statement
    assertion = world.clients["hz-xihu-jw"].assertion()
    assert client.post("/console/login-links", json={"statement": assertion}).status_code == 400


def test_a_link_needs_the_officers_own_key(world: World, client: AsgiClient) -> None:
    stranger = KeySigner(Ed25519PrivateKey.generate())
    aud = world.desk.audience or ""
    response = client.post("/console/login-links", json={"statement": links.sign_login(stranger, "sec-1", aud)})
    assert response.status_code == 403
    assert "is not a registered key of officer `sec-1`" in response.json()["detail"]
    statement = links.sign_login(world.desk.signer("sec-1"), "sec-1", aud)
    assert client.post("/console/login-links", json={"statement": statement}).status_code == 201
    replay = client.post("/console/login-links", json={"statement": statement})
    assert replay.status_code == 403 and "replay" in replay.json()["detail"]
    stale = links.sign_login(world.desk.signer("sec-1"), "sec-1", aud, now=datetime.now(UTC) - timedelta(minutes=10))
    assert client.post("/console/login-links", json={"statement": stale}).status_code == 403


def test_a_link_opens_one_session_once(world: World, client: AsgiClient) -> None:
    link = link_for(client, world.desk, "own-fin")
    first = client.get(link)
    assert first.status_code == 303 and first.headers["location"] == "/console/"
    cookie = first.headers["set-cookie"]
    assert "HttpOnly" in cookie and "SameSite=strict" in cookie and "Path=/console" in cookie
    assert client.get("/console/").status_code == 200
    client.http.cookies.clear()
    replay = client.get(link)
    assert replay.status_code == 403 and "already used" in replay.text
    altered = link[:-3] + ("AAA" if not link.endswith("AAA") else "BBB")
    assert client.get(altered).status_code == 403
    denied = _records(world, CONSOLE_LOGIN)
    assert any(r.decision == "deny" and "already used" in r.reasons[0] for r in denied)
    assert any(r.decision == "ok" and r.subject == "officer:own-fin" for r in denied)


def test_an_expired_link_is_refused(world: World, app: Any, client: AsgiClient) -> None:
    link = link_for(client, world.desk, "sec-2")
    state = app.state.console
    issued = datetime.now(UTC)
    state.clock = lambda: issued + timedelta(seconds=links.LINK_TTL_S + 1)
    try:
        response = client.get(link)
    finally:
        state.clock = lambda: datetime.now(UTC)
    assert response.status_code == 403 and "expired" in response.text


def test_a_form_without_its_csrf_token_is_refused(world: World, client: AsgiClient) -> None:
    log_in(client, world.desk, "sec-1")
    page = client.get("/console/audit")
    assert client.post("/console/logout").status_code == 403
    assert client.post("/console/logout", data={"csrf": "forged"}).status_code == 403
    assert client.get("/console/").status_code == 200  # still logged in
    grant = world.grants[f"hz-xihu-jw/{SUBSIDY}"]
    with world.store.session() as session:
        terms = statements.grant_terms(workflow.get_grant(session, grant))
    statement = world.desk.sign("sec-1", "revoke", f"grant:{grant}", terms, note="no csrf")
    refused = client.post(f"/console/grants/{grant}/revoke", data={"statement": statement})
    assert refused.status_code == 403 and "CSRF" in refused.text
    with world.store.session() as session:
        assert workflow.get_grant(session, grant).revoked_at is None
    out = client.post("/console/logout", data={"csrf": csrf_of(page)})
    assert out.status_code == 303 and client.get("/console/").status_code == 303
    assert any(r.subject == "officer:sec-1" and r.reasons == ["session ended: logout"]
               for r in _records(world, CONSOLE_LOGOUT))


@pytest.mark.parametrize(("step", "steps", "reason"), [(timedelta(minutes=31), 1, "idle"),
                                                         (timedelta(minutes=29), 17, "absolute")])
def test_sessions_end_after_30_idle_minutes_or_8_hours(world: World, app: Any, client: AsgiClient,
                                                       step: timedelta, steps: int, reason: str) -> None:
    state = app.state.console
    start = datetime.now(UTC)
    state.clock = lambda: start
    try:
        log_in(client, world.desk, "own-fin")
        for i in range(1, steps + 1):
            state.clock = lambda i=i: start + step * i
            expected = 303 if i == steps else 200
            assert client.get("/console/grants").status_code == expected, (i, reason)
    finally:
        state.clock = lambda: datetime.now(UTC)
    assert any(r.reasons == [f"session ended: {reason}"] for r in _records(world, CONSOLE_LOGOUT))


def test_the_requesters_own_approval_is_refused_with_the_reason(world: World, client: AsgiClient) -> None:
    now = datetime.now(UTC)
    with world.store.session() as session:
        app_id = workflow.apply(session, world.audit.sink, workflow.ApplicationRequest(
            partner="hz-xihu-jw", dataset=SUBSIDY, purpose="statistics", columns=["payment_id"],
            valid_from=now, valid_until=now + timedelta(days=3), max_rows_per_day=10,
            requested_by="officer:sec-2")).id
    log_in(client, world.desk, "sec-2")
    page = client.get(f"/console/applications/{app_id}")
    assert "requested application" in page.text and 'id="decide"' not in page.text
    with world.store.session() as session:
        terms = statements.application_terms(workflow.get_application(session, app_id))
    own = world.desk.sign("sec-2", "approve", f"application:{app_id}", terms)
    refused = client.post(f"/console/applications/{app_id}/decide", data={"statement": own, "csrf": csrf_of(page)})
    assert refused.status_code == 403
    assert f"two-person rule: officer `sec-2` requested application `{app_id}`" in refused.text
    # a statement signed by another officer is refused in sec-2's session (the signer must be the session's officer)
    other = world.desk.sign("sec-1", "approve", f"application:{app_id}", terms)
    assert client.post(f"/console/applications/{app_id}/decide",
                       data={"statement": other, "csrf": csrf_of(page)}).status_code == 403


def test_login_links_are_audited_with_the_signed_statement_and_verify(world: World, client: AsgiClient) -> None:
    log_in(client, world.desk, "sec-1")
    issued = _records(world, CONSOLE_LINK_ISSUED)
    assert issued and issued[-1].subject == "officer:sec-1"
    assert issued[-1].details["signed"][0]["statement"].count(".") == 2
    report = verify_chain(world.store, KeyStore(world.settings.keys_dir))
    assert report.ok, report.summary()


BAD_INPUTS = [
    ("/console/catalog?level=abc", 400), ("/console/catalog?level=9", 400), ("/console/catalog?sharing_type=x", 400),
    ("/console/catalog/no.such", 404), ("/console/catalog/no.such/lineage", 404),
    ("/console/applications?status=weird", 400), ("/console/applications/app-nope", 404),
    ("/console/grants/g-nope", 404), ("/console/partners/nobody", 404),
    ("/console/audit?since=2026-13-45", 400), ("/console/audit?since=2026-02-02&until=2026-01-01", 400),
    ("/console/audit?after_seq=-1", 400), ("/console/audit?after_seq=abc", 400),
    ("/console/audit/records/0", 400), ("/console/audit/records/99999999", 404),
    ("/console/audit/records/abc", 400), ("/console/audit/verify/nope", 404),
    ("/console/catalog?q=%27%3B%20DROP%20TABLE%20datasets%3B--", 200), ("/console/catalog/" + "x" * 5000, 404),
]


def test_bad_input_is_a_page_naming_the_problem_never_a_500(world: World, client: AsgiClient) -> None:
    log_in(client, world.desk, "sec-1")
    for path, status in BAD_INPUTS:
        response = client.get(path)
        assert response.status_code == status, (path, response.status_code, response.text[:300])
        if status >= 400:
            assert 'id="error-message"' in response.text and "Traceback" not in response.text, path
    csrf = csrf_of(client.get("/console/audit"))
    posts = [("/console/policy/simulate", {"subject": "partner:hz-xihu-jw", "dataset": SUBSIDY, "purpose": "Bad"}, 400),
             ("/console/policy/simulate", {"subject": "partner:nobody", "dataset": SUBSIDY, "purpose": "x"}, 400),
             ("/console/policy/simulate", {"subject": "partner:hz-xihu-jw", "dataset": SUBSIDY, "purpose": "x",
                                           "columns": "no_such"}, 400),
             ("/console/audit/receipt", {"receipt": "not a receipt"}, 400),
             ("/console/audit/receipt", {"receipt": ""}, 400),
             ("/console/audit/bundle", {"partner": "x"}, 400),
             ("/console/audit/bundle", {"since": "nope", "until": "2026-01-01"}, 400),
             ("/console/applications/app-nope/decide", {"statement": "x.y.z"}, 404),
             ("/console/grants/g-nope/revoke", {"statement": ""}, 400),
             ("/console/partners/nobody/lockdown", {"statement": "a" * 20}, 404)]
    for path, data, status in posts:
        response = client.post(path, data={**data, "csrf": csrf})
        assert response.status_code == status, (path, data, response.status_code, response.text[:300])
        assert 'id="error-message"' in response.text


def test_the_exposure_preview_is_audited_as_a_preview(world: World, client: AsgiClient) -> None:
    with world.store.session() as session:
        app_id = workflow.list_applications(session, "approved")[0].id
    log_in(client, world.desk, "own-fin")
    page = client.get(f"/console/applications/{app_id}")
    assert page.status_code == 200 and 'id="preview-json"' in page.text
    previews = _records(world, CONSOLE_PREVIEW)
    assert previews and previews[-1].subject == "officer:own-fin"
    assert previews[-1].details["application"] == app_id and previews[-1].response_sha256
    assert previews[-1].response_sha256 in page.text
