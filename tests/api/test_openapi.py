"""The OpenAPI document is a contract a generator can build on: a generated client authenticates and reads.

``openapi-python-client`` (from PyPI, run through ``uv tool run`` in its own
environment: its pins clash with the hub's) generates a client package from the served
``/openapi.json``; the package compiles, obtains a token with a ``private_key_jwt``
assertion and reads a page of rows over real HTTP from a uvicorn-served hub.
"""

from __future__ import annotations

import compileall
import importlib
import json
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.api.conftest import ASSERTION_TYPE
from tests.api.served import Served

GENERATOR = "openapi-python-client==0.29.1"
SUBSIDY = "finance.subsidy_payment"


@pytest.fixture(scope="module")
def served(world: Any) -> Iterator[Served]:
    with Served(world.app(), world.settings) as server:
        yield server


@pytest.fixture(scope="module")
def spec(served: Served) -> dict[str, Any]:
    response = httpx.get(f"{served.base}/openapi.json", timeout=30)
    assert response.status_code == 200
    return dict(response.json())


def _operations(spec: dict[str, Any]) -> Iterator[tuple[str, str, dict[str, Any]]]:
    for path, item in spec["paths"].items():
        for method, operation in item.items():
            yield path, method, operation


def test_every_error_is_problem_json_and_every_caller_needs_a_scheme(spec: dict[str, Any]):
    schemes = spec["components"]["securitySchemes"]
    assert schemes["bearer"]["scheme"] == "bearer"
    flow = schemes["clientCredentials"]["flows"]["clientCredentials"]
    assert flow["tokenUrl"] == "/oauth/token" and "private_key_jwt" in schemes["clientCredentials"]["description"]
    assert "Problem" in spec["components"]["schemas"]
    for path, method, operation in _operations(spec):
        assert "422" not in operation["responses"], (path, method)
        assert "503" in operation["responses"], (path, method)
        for code, response in operation["responses"].items():
            assert "X-Hub-Request-Id" in response.get("headers", {}), (path, method, code)
            if int(code) >= 400:
                media = response["content"]["application/problem+json"]
                assert media["schema"] == {"$ref": "#/components/schemas/Problem"} and media["example"]["status"]
            if code in ("429", "503"):
                assert "Retry-After" in response["headers"]
        if path.startswith("/v1/"):
            assert operation["security"] == [{"bearer": []}, {"clientCredentials": []}], path
            assert "401" in operation["responses"]


def test_data_endpoints_declare_each_format_and_their_headers(spec: dict[str, Any]):
    for path in (f"/v1/datasets/{{dataset}}/{what}" for what in ("rows", "changes")):
        operation = spec["paths"][path]["get"]
        ok = operation["responses"]["200"]
        assert set(ok["content"]) == {"application/json", "application/x-ndjson", "text/csv",
                                      "application/vnd.apache.parquet", "application/vnd.apache.arrow.stream"}
        assert ok["content"]["application/json"]["example"]["rows"]
        assert {"X-Hub-Receipt", "X-Hub-Request-Id", "X-Hub-Dataset-Version", "Link"} <= set(ok["headers"])
        [fmt] = [p for p in operation["parameters"] if p["name"] == "format"]
        assert fmt["schema"]["enum"] == ["json", "ndjson", "csv", "parquet", "arrow"]
    token = spec["paths"]["/oauth/token"]["post"]["responses"]["200"]["content"]["application/json"]
    assert token["example"]["token_type"] == "Bearer"


@pytest.fixture(scope="module")
def generated(spec: dict[str, Any], tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    """The client package openapi-python-client generates from the served spec, importable."""
    tmp = tmp_path_factory.mktemp("generated")
    (tmp / "spec.json").write_text(json.dumps(spec), encoding="utf-8")
    (tmp / "config.yaml").write_text("package_name_override: hub_generated\nproject_name_override: hub-generated\n")
    uv = shutil.which("uv") or str(Path(sys.executable).with_name("uv"))
    done = subprocess.run([uv, "tool", "run", "--quiet", "--from", GENERATOR, "openapi-python-client", "generate",
                           "--path", str(tmp / "spec.json"), "--config", str(tmp / "config.yaml"), "--meta", "none",
                           "--output-path", str(tmp / "hub_generated")],
                          capture_output=True, text=True, timeout=600, cwd=tmp)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "Unable to" not in done.stdout + done.stderr, done.stdout + done.stderr  # no endpoint skipped
    assert compileall.compile_dir(str(tmp / "hub_generated"), quiet=1)
    sys.path.insert(0, str(tmp))
    try:
        yield importlib.import_module("hub_generated")
    finally:
        sys.path.remove(str(tmp))
        for name in [m for m in sys.modules if m.split(".")[0] == "hub_generated"]:
            del sys.modules[name]


def test_a_generated_client_obtains_a_token_and_reads_a_page(generated: Any, served: Served, world: Any):
    token_api = importlib.import_module("hub_generated.api.oauth.token")
    rows_api = importlib.import_module("hub_generated.api.data.rows")
    models = importlib.import_module("hub_generated.models")
    partner = world.clients["zj-province"]
    with generated.Client(base_url=served.base) as anonymous:
        issued = token_api.sync(client=anonymous, body=models.BodyTokenOauthTokenPost(
            grant_type="client_credentials", client_assertion_type=ASSERTION_TYPE,
            client_assertion=partner.assertion()))
    assert isinstance(issued, models.TokenResponse) and issued.token_type == "Bearer", issued
    with generated.AuthenticatedClient(base_url=served.base, token=issued.access_token) as client:
        page = rows_api.sync_detailed(SUBSIDY, client=client, purpose="case-verification", limit=5,
                                      format_=models.RowsFormat.JSON)
        refused = rows_api.sync_detailed("finance.payroll", client=client, purpose="case-verification")
    assert page.status_code == 200 and len(page.parsed.rows) == 5
    assert page.parsed.next_cursor and page.headers["x-hub-receipt"].count(".") == 2
    assert page.parsed.rows[0].additional_properties["payment_id"]
    assert refused.status_code in (403, 404) and isinstance(refused.parsed, models.Problem)
    assert refused.parsed.detail
