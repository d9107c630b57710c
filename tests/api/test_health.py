"""Operations endpoints, problem+json for every error, OpenAPI, metrics and logs."""

from __future__ import annotations

import json
import logging

import pytest
from fastapi import FastAPI

from hub.api.jsonlog import JsonFormatter
from hub.settings import load_settings
from tests.api.conftest import ASSERTION_TYPE, AsgiClient, Client, get_token

PROBLEM_KEYS = {"type", "title", "status", "detail"}


def assert_problem(response: object, status: int) -> dict[str, object]:
    assert response.status_code == status, response.text  # type: ignore[attr-defined]
    assert response.headers["content-type"] == "application/problem+json"  # type: ignore[attr-defined]
    body: dict[str, object] = response.json()  # type: ignore[attr-defined]
    assert set(body) >= PROBLEM_KEYS and body["status"] == status
    assert "Traceback" not in response.text  # type: ignore[attr-defined]
    return body


def test_healthz(client: AsgiClient) -> None:
    response = client.get("/healthz")
    assert response.status_code == 200 and response.json() == {"status": "ok"}
    assert len(response.headers["x-hub-request-id"]) == 32


def test_readyz_checks_store_and_keys(client: AsgiClient) -> None:
    response = client.get("/readyz")
    assert response.status_code == 200
    assert response.json() == {"status": "ready",
                               "checks": {"store": True, "keys": True, "policy": True, "audit": True}}


def test_readyz_runs_registered_probes(app: FastAPI, client: AsgiClient) -> None:
    def broken() -> bool:
        raise ConnectionError("policy engine unreachable")

    app.state.readiness.update({"audit": lambda: True, "policy": broken, "opa": lambda: False})
    body = assert_problem(client.get("/readyz"), 503)
    assert body["checks"] == {"store": True, "keys": True, "audit": True, "policy": False, "opa": False}
    assert body["detail"] == "not ready: policy, opa"


def test_readyz_fails_when_the_key_store_is_unreadable(client: AsgiClient, app: FastAPI) -> None:
    token_dir = app.state.ctx.keys.root / "token"
    next(token_dir.glob("*.pem")).write_text("not a key")
    body = assert_problem(client.get("/readyz"), 503)
    assert body["checks"] == {"store": True, "keys": False, "policy": True, "audit": True}
    jwks = assert_problem(client.get("/.well-known/jwks.json"), 503)
    assert str(token_dir) not in str(jwks)  # the path stays in the log


METRICS_TOKEN = "operator-scrape-secret-0123456789"


def with_metrics_token(app: FastAPI) -> dict[str, str]:
    ctx = app.state.ctx
    ctx.settings = load_settings(home=ctx.settings.home, metrics_token=METRICS_TOKEN)
    return {"Authorization": f"Bearer {METRICS_TOKEN}"}


def test_metrics_are_refused_without_a_configured_operator_token(client: AsgiClient, partner: Client) -> None:
    body = assert_problem(client.get("/metrics"), 403)
    assert "HUB_METRICS_TOKEN" in str(body["detail"])
    token = get_token(client, partner.assertion()).json()["access_token"]  # a partner's token is no key
    assert_problem(client.get("/metrics", headers={"Authorization": f"Bearer {token}"}), 403)


@pytest.mark.parametrize("authorization", [None, "Bearer wrong-token-0123456789", f"Basic {METRICS_TOKEN}",
                                           f"Bearer {METRICS_TOKEN}x"])
def test_metrics_need_the_operator_token(app: FastAPI, client: AsgiClient, authorization: str | None) -> None:
    with_metrics_token(app)
    headers = {"Authorization": authorization} if authorization else {}
    response = client.get("/metrics", headers=headers)
    assert_problem(response, 401)
    assert "hub_http_requests_total" not in response.text


def test_metrics_count_requests_and_tokens(app: FastAPI, client: AsgiClient, partner: Client) -> None:
    operator = with_metrics_token(app)
    assert get_token(client, partner.assertion()).status_code == 200
    assert get_token(client, "garbage").status_code == 401
    response = client.get("/metrics", headers=operator)
    assert response.status_code == 200 and response.headers["content-type"].startswith("text/plain")
    text = response.text
    assert 'hub_tokens_issued_total{kind="partner"}' in text
    assert 'hub_tokens_rejected_total{reason="malformed",stage="assertion"}' in text
    assert 'hub_http_requests_total{method="POST",route="/oauth/token",status="401"}' in text
    assert "hub_decisions_total" in text or "# HELP hub_decisions" in text
    assert "hub_audit_append_seconds" in text


def test_openapi_is_3_1_with_security_schemes(client: AsgiClient) -> None:
    schema = client.get("/openapi.json").json()
    assert schema["openapi"].startswith("3.1")
    schemes = schema["components"]["securitySchemes"]
    assert schemes["bearer"]["scheme"] == "bearer"
    assert schemes["clientCredentials"]["flows"]["clientCredentials"]["tokenUrl"] == "/oauth/token"
    token_op = schema["paths"]["/oauth/token"]["post"]
    assert "application/x-www-form-urlencoded" in token_op["requestBody"]["content"]
    whoami = schema["paths"]["/test/whoami"]["get"]
    assert whoami["security"] == [{"bearer": []}, {"clientCredentials": []}]  # a bearer token, however obtained


# --- problem+json for every error ---------------------------------------------------


def test_unknown_path_is_404_problem(client: AsgiClient) -> None:
    body = assert_problem(client.get("/v1/../../etc/passwd"), 404)
    assert body["detail"] == "no resource at this path"


def test_wrong_method_is_405_problem(client: AsgiClient) -> None:
    response = client.get("/oauth/token")
    assert_problem(response, 405)
    assert response.headers["allow"] == "POST"


@pytest.mark.parametrize("form, parameter", [
    ({}, "client_assertion"),
    ({"grant_type": "client_credentials", "client_assertion_type": ASSERTION_TYPE}, "client_assertion"),
    ({"grant_type": "client_credentials", "client_assertion_type": ASSERTION_TYPE, "client_assertion": ""},
     "client_assertion"),
])
def test_missing_form_field_is_400_naming_it(client: AsgiClient, form: dict[str, str],
                                             parameter: str) -> None:
    body = assert_problem(client.post("/oauth/token", data=form), 400)
    assert f"body field `{parameter}`" in str(body["detail"])


@pytest.mark.parametrize("form, phrase", [
    ({"grant_type": "password"}, "grant_type must be client_credentials"),
    ({"client_assertion_type": "urn:other"}, "client_assertion_type must be"),
])
def test_wrong_grant_is_400(client: AsgiClient, form: dict[str, str], phrase: str) -> None:
    data = {"grant_type": "client_credentials", "client_assertion_type": ASSERTION_TYPE,
            "client_assertion": "x.y.z", **form}
    assert phrase in str(assert_problem(client.post("/oauth/token", data=data), 400)["detail"])


def test_json_body_instead_of_form_is_400(client: AsgiClient) -> None:
    assert_problem(client.post("/oauth/token", json={"grant_type": "client_credentials"}), 400)


def test_oversize_body_is_413(client: AsgiClient) -> None:
    assert_problem(client.post("/oauth/token", content=b"a=" + b"x" * (2 << 20),
                               headers={"content-type": "application/x-www-form-urlencoded"}), 413)


def test_unexpected_fault_is_500_without_detail(client: AsgiClient, caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.ERROR, logger="hub.api"):
        body = assert_problem(client.get("/test/boom"), 500)
    assert "330106199001011234" not in json.dumps(body)
    assert any("RuntimeError" in JsonFormatter().format(r) for r in caplog.records)


def test_logs_are_json_lines_without_credentials(client: AsgiClient, partner: Client,
                                                 caplog: pytest.LogCaptureFixture) -> None:
    assertion = partner.assertion()
    with caplog.at_level(logging.INFO, logger="hub"):
        token = get_token(client, assertion).json()["access_token"]
        client.get("/test/whoami?q=330106199001011234", headers={"Authorization": f"Bearer {token}"})
        client.get("/test/whoami", headers={"Authorization": "Bearer garbage.x.y"})
    lines = [JsonFormatter().format(r) for r in caplog.records if r.name.startswith("hub")]
    records = [json.loads(line) for line in lines]
    access = [r for r in records if r["logger"] == "hub.api.access"]
    assert [(r["route"], r["status"]) for r in access] == [
        ("/oauth/token", 200), ("/test/whoami", 200), ("/test/whoami", 401)]
    assert access[1]["subject"] == "partner:hz-xihu-jw"
    assert any(r.get("reason") == "malformed" for r in records)
    joined = "\n".join(lines)
    for secret in (assertion, token, "garbage.x.y", "330106199001011234"):
        assert secret not in joined
