"""Public keys under /.well-known/: the audit JWKS a partner verifies receipts with, cacheable."""

from __future__ import annotations

import json
from pathlib import Path

from hub.audit import verify_receipt
from hub.audit.pubkeys import parse_public_keys
from hub.audit.receipts import decode_receipt
from tests.api.conftest import AsgiClient
from tests.api.exchange_world import SUBSIDY, World

AUDIT_JWKS = "/.well-known/audit-jwks.json"
AUDIT_DOC = (Path(__file__).parents[2] / "docs" / "audit.md").read_text(encoding="utf-8")


def test_the_audit_jwks_is_public_cacheable_and_in_the_spec(http: AsgiClient) -> None:
    response = http.get(AUDIT_JWKS)  # no credentials
    assert response.status_code == 200
    assert response.headers["cache-control"] == "public, max-age=300"
    etag = response.headers["etag"]
    again = http.get(AUDIT_JWKS, headers={"If-None-Match": etag})
    assert again.status_code == 304 and again.content == b"" and again.headers["etag"] == etag
    assert http.get(AUDIT_JWKS, headers={"If-None-Match": '"other"'}).status_code == 200
    for key in response.json()["keys"]:
        assert {key["kty"], key["crv"], key["alg"], key["use"]} == {"OKP", "Ed25519", "EdDSA", "sig"}
        assert key["status"] in ("current", "retired") and key["valid_from"]
    spec = http.get("/openapi.json").json()
    assert AUDIT_JWKS in spec["paths"] and AUDIT_JWKS in spec["info"]["description"]
    rows = spec["paths"]["/v1/datasets/{dataset}/rows"]["get"]["responses"]["200"]["headers"]
    assert AUDIT_JWKS in rows["X-Hub-Receipt"]["description"]
    assert f"GET {AUDIT_JWKS}" in AUDIT_DOC.replace("**`", "").replace("`**", "")


def test_a_rotation_keeps_old_receipts_verifiable_from_the_served_jwks(world: World, http: AsgiClient,
                                                                       auth: dict[str, dict[str, str]]) -> None:
    first = http.get(AUDIT_JWKS)
    delivered = http.get(f"/v1/datasets/{SUBSIDY}/rows", params={"purpose": "case-verification", "limit": 3},
                         headers=auth["hz-xihu-jw"])
    receipt = decode_receipt(delivered.headers["X-Hub-Receipt"])
    world.app().state.ctx.keys.rotate("audit")
    served = http.get(AUDIT_JWKS, headers={"If-None-Match": first.headers["etag"]})
    assert served.status_code == 200  # the set changed: a new ETag, a new body
    keys = served.json()["keys"]
    current = [k for k in keys if k["status"] == "current"]
    retired = {k["kid"]: k for k in keys if k["status"] == "retired"}
    assert len(current) == 1 and current[0]["valid_until"] is None
    assert receipt["kid"] in retired and retired[receipt["kid"]]["valid_until"] == current[0]["valid_from"]
    verify_receipt(receipt, parse_public_keys(json.dumps(served.json())))
    refetched = http.get(f"/v1/receipts/{receipt['request_id']}", headers=auth["hz-xihu-jw"]).json()
    assert refetched["kid"] == current[0]["kid"] and refetched["rows"] == receipt["rows"]
    verify_receipt(refetched, parse_public_keys(served.text))
