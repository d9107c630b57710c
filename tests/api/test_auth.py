"""Token endpoint, JWKS and the bearer-token check, including the JWT attack suite.

Every attack is a row of a table: how to build the credential and the reason
code the hub must record.  Each must end in a 401 problem+json with a generic
detail, a ``WWW-Authenticate`` challenge, no data, and a ``token.rejected``
audit event that carries the reason but never the token.
"""

from __future__ import annotations

import hashlib
import hmac
import socket
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import httpx
import jwt
import pytest
import uvicorn
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from sqlalchemy import select, update
from typer.testing import CliRunner

from hub.api import create_app
from hub.crypto.signing import EDDSA, SM2SM3, PrivateKey, generate_private_key, public_from_jwk
from hub.events import TOKEN_ISSUED, TOKEN_REJECTED
from hub.identity import public_key
from hub.keys import HubKey, KeyStore
from hub.settings import Settings
from hub.store.db import Store
from hub.store.models import AuditRecord, ClientKey, Officer, Partner, Suspension
from hub.tokens import client_assertion
from tests.api.conftest import (
    AsgiClient,
    Client,
    RecordingAuditFake,
    assertion_claims,
    get_token,
    mount_test_routes,
    raw_jwt,
    register,
    sign,
)

ASSERTION_DETAIL = "client authentication failed"
ACCESS_DETAIL = "the access token is missing or not valid"


@dataclass
class Env:
    client: AsgiClient
    audit: RecordingAuditFake
    store: Store
    keys: KeyStore
    partner: Client
    other: Client
    es_partner: Client
    officer: Client


@pytest.fixture
def env(client: AsgiClient, audit: RecordingAuditFake, store: Store, keys: KeyStore, partner: Client,
        other_partner: Client, officer: Client) -> Env:
    es_key = ec.generate_private_key(ec.SECP256R1())
    es_partner = register(store, audit, "partner", "es-platform", key=es_key, clearance=2,
                          jurisdiction="330100", purposes=["statistics"])
    return Env(client, audit, store, keys, partner, other_partner, es_partner, officer)


def now() -> int:
    return int(time.time())


def access_token(env: Env, subject: Client | None = None) -> str:
    response = get_token(env.client, (subject or env.partner).assertion())
    assert response.status_code == 200, response.text
    token: str = response.json()["access_token"]
    return token


def whoami(env: Env, token: str | None = None, headers: dict[str, str] | None = None) -> httpx.Response:
    return env.client.get("/test/whoami",
                          headers=headers if headers is not None else {"Authorization": f"Bearer {token}"})


def suspend(env: Env, partner_id: str = "hz-xihu-jw") -> None:
    with env.store.session() as session:
        session.add(Suspension(partner_id=partner_id, reason="test", created_by="officer:sec-1",
                               created_at=datetime.now(UTC)))


def assert_rejected(response: httpx.Response, audit: RecordingAuditFake, reason: str, stage: str,
                    secret: str | None) -> None:
    """401 problem+json, generic detail, challenge, no data, audited without the credential."""
    assert response.status_code == 401, response.text
    assert response.headers["content-type"] == "application/problem+json"
    body = response.json()
    assert set(body) == {"type", "title", "status", "detail", "error"}
    assert body["status"] == 401
    assert body["detail"] == (ASSERTION_DETAIL if stage == "assertion" else ACCESS_DETAIL)
    assert body["error"] == ("invalid_client" if stage == "assertion" else "invalid_token")
    assert reason not in response.text
    assert response.headers["www-authenticate"].startswith("Bearer")
    assert "access_token" not in body and "id" not in body
    event = audit.named(TOKEN_REJECTED)[-1]
    assert event.reasons == [reason]
    assert event.details == {"stage": stage, "reason": reason}
    assert event.decision == "deny" and event.request_id == response.headers["x-hub-request-id"]
    if secret:
        assert secret not in repr(event.fields())


# --- happy paths ----------------------------------------------------------------


def test_token_flow_and_jwks_verification(env: Env) -> None:
    response = get_token(env.client, env.partner.assertion())
    assert response.status_code == 200
    body = response.json()
    assert body["token_type"] == "Bearer" and body["expires_in"] == 600
    assert response.headers["cache-control"] == "no-store"
    jwks = jwt.PyJWKSet.from_dict(env.client.get("/.well-known/jwks.json").json())
    header = jwt.get_unverified_header(body["access_token"])
    claims = jwt.decode(body["access_token"], jwks[header["kid"]].key, algorithms=["EdDSA"],
                        audience="hub-api", issuer="hub")
    assert claims["sub"] == "partner:hz-xihu-jw" and claims["kind"] == "partner"
    assert claims["exp"] - claims["iat"] == 600 and header["alg"] == "EdDSA"
    me = whoami(env, body["access_token"])
    assert me.status_code == 200
    assert me.json() == {"id": "partner:hz-xihu-jw", "kind": "partner", "clearance": 3,
                         "jurisdiction": "330106", "purposes": ["case-verification"],
                         "role": None, "owner_of": None}
    issued = env.audit.named(TOKEN_ISSUED)
    assert [e.subject for e in issued] == ["partner:hz-xihu-jw"]
    assert body["access_token"] not in repr(issued[0].fields())


@pytest.mark.parametrize("suite", ["gm"])
def test_gm_tokens_are_sm2_signed_and_verify_with_the_jwks(env: Env, suite: str) -> None:
    token = access_token(env)
    header = jwt.get_unverified_header(token)
    jwks = {k["kid"]: k for k in env.client.get("/.well-known/jwks.json").json()["keys"]}
    jwk = jwks[header["kid"]]
    assert header["alg"] == jwk["alg"] == SM2SM3 and (jwk["kty"], jwk["crv"]) == ("EC", "SM2")
    claims = jwt.decode(token, public_from_jwk(jwk), algorithms=[SM2SM3], audience="hub-api", issuer="hub")
    assert claims["sub"] == "partner:hz-xihu-jw"
    assert whoami(env, token).status_code == 200
    forged = token[:-4] + ("AAAA" if not token.endswith("AAAA") else "BBBB")
    assert_rejected(whoami(env, forged), env.audit, "bad_signature", "access", forged)


def test_officer_and_es256_clients_get_tokens(env: Env) -> None:
    me = whoami(env, access_token(env, env.officer)).json()
    assert (me["id"], me["kind"], me["role"]) == ("officer:sec-1", "officer", "security")
    es_assertion = sign(env.es_partner.key, assertion_claims(env.es_partner.client_id),
                        kid=env.es_partner.kid, alg="ES256")
    response = get_token(env.client, es_assertion)
    assert response.status_code == 200
    assert whoami(env, response.json()["access_token"]).json()["id"] == "partner:es-platform"


def test_assertion_without_kid_uses_the_clients_keys(env: Env) -> None:
    unnamed = sign(env.partner.key, assertion_claims(env.partner.client_id))
    assert get_token(env.client, unnamed).status_code == 200


def test_client_with_two_keys_may_sign_with_either(env: Env) -> None:
    newer = Ed25519PrivateKey.generate()
    pub = public_key(newer.public_key().public_bytes(serialization.Encoding.PEM,
                                                     serialization.PublicFormat.SubjectPublicKeyInfo))
    with env.store.session() as session:
        session.add(ClientKey(kid=pub.kid, client_id=PARTNER, algorithm=pub.algorithm,
                              public_key_pem=pub.pem, created_at=datetime.now(UTC)))
    for key in (env.partner.key, newer):
        assert get_token(env.client, sign(key, assertion_claims(PARTNER))).status_code == 200
    assert get_token(env.client, sign(newer, assertion_claims(PARTNER), kid=pub.kid)).status_code == 200
    with env.store.session() as session:
        session.execute(update(ClientKey).where(ClientKey.kid == pub.kid).values(
            revoked_at=datetime.now(UTC)))
    assert_rejected(get_token(env.client, sign(newer, assertion_claims(PARTNER))), env.audit,
                    "bad_signature", "assertion", None)


@pytest.mark.parametrize("claims", [
    {"skew": 20},  # client clock 20 s ahead: iat in the future, within leeway
    {"skew": -100, "lifetime": 90},  # expired 10 s ago, within leeway
    {"nbf": "now+20"},
], ids=["iat-ahead", "exp-behind", "nbf-ahead"])
def test_clock_skew_within_leeway_is_accepted(env: Env, claims: dict[str, Any]) -> None:
    claims = {k: (now() + 20 if v == "now+20" else v) for k, v in claims.items()}
    assert get_token(env.client, env.partner.assertion(**claims)).status_code == 200
    key = env.keys.current("token")
    for extra in ({"iat": now() + 20, "nbf": now() + 20}, {"iat": now() - 300, "exp": now() - 10}):
        token = sign(key.private, hub_claims(**extra), kid=key.kid)
        assert whoami(env, token).status_code == 200


@pytest.mark.parametrize("suite", ["international", "gm"])
def test_signing_key_rotation_keeps_old_tokens_valid(env: Env, suite: str) -> None:
    old_token = access_token(env)
    old_kid = jwt.get_unverified_header(old_token)["kid"]
    # KeyStore orders keys by kid = second + random suffix, so a rotation within the same
    # second may sort before the old key; rotate until the signer really changed.
    while env.keys.rotate("token") and env.keys.current("token").kid == old_kid:
        pass
    new_kid = env.keys.current("token").kid
    new_token = access_token(env)
    assert jwt.get_unverified_header(new_token)["kid"] == new_kid != old_kid
    kids = {k["kid"] for k in env.client.get("/.well-known/jwks.json").json()["keys"]}
    assert {old_kid, new_kid} <= kids
    assert whoami(env, old_token).status_code == 200
    assert whoami(env, new_token).status_code == 200


def test_token_of_a_removed_signing_key_is_rejected(env: Env) -> None:
    old_token = access_token(env)
    old_kid = jwt.get_unverified_header(old_token)["kid"]
    env.keys.rotate("token")
    (env.keys.root / "token" / f"{old_kid}.pem").unlink()
    assert_rejected(whoami(env, old_token), env.audit, "unknown_kid", "access", old_token)


# --- the assertion attack suite -----------------------------------------------


def _hs256(header: dict[str, Any], claims: dict[str, Any], secret: bytes) -> str:
    unsigned = raw_jwt(header, claims).rsplit(".", 1)[0]
    signature = hmac.new(secret, unsigned.encode(), hashlib.sha256).digest()
    return raw_jwt(header, claims, signature)


def _partner_pem(env: Env) -> bytes:
    return env.partner.key.public_key().public_bytes(serialization.Encoding.PEM,
                                                     serialization.PublicFormat.SubjectPublicKeyInfo)


def _replayed(env: Env) -> str:
    assertion = env.partner.assertion()
    assert get_token(env.client, assertion).status_code == 200
    return assertion


def _suspended(env: Env) -> str:
    suspend(env)
    return env.partner.assertion()


def _flagged_suspended(env: Env) -> str:
    with env.store.session() as session:
        session.execute(update(Partner).where(Partner.id == "hz-xihu-jw").values(suspended=True))
    return env.partner.assertion()


def _inactive_officer(env: Env) -> str:
    with env.store.session() as session:
        session.execute(update(Officer).where(Officer.id == "sec-1").values(active=False))
    return env.officer.assertion()


def _tampered(env: Env) -> str:
    head, _, sig = env.partner.assertion().split(".")
    forged = assertion_claims("partner:hz-xihu-jw", lifetime=3000)
    return ".".join([head, raw_jwt({}, forged).split(".")[1], sig])


def _embedded_jwk(env: Env) -> str:
    attacker = Ed25519PrivateKey.generate()
    jwk = jwt.algorithms.OKPAlgorithm.to_jwk(attacker.public_key(), as_dict=True)
    return sign(attacker, assertion_claims(env.partner.client_id), kid=env.partner.kid,
                headers={"jwk": jwk})


def _claimed_ed25519_for_es_key(env: Env) -> str:
    return sign(Ed25519PrivateKey.generate(), assertion_claims(env.es_partner.client_id),
                kid=env.es_partner.kid)


def _es256_against_ed25519_key(env: Env) -> str:
    return sign(ec.generate_private_key(ec.SECP256R1()), assertion_claims(env.partner.client_id),
                kid=env.partner.kid, alg="ES256")


PARTNER = "partner:hz-xihu-jw"
ASSERTION_ATTACKS: dict[str, tuple[Callable[[Env], str], str]] = {
    "replayed-jti": (_replayed, "replayed_jti"),
    "lifetime-over-5-min": (lambda e: e.partner.assertion(lifetime=301), "lifetime_too_long"),
    "wrong-aud": (lambda e: e.partner.assertion(aud="http://testserver/other"), "bad_audience"),
    "aud-of-api": (lambda e: e.partner.assertion(aud="hub-api"), "bad_audience"),
    "iss-not-sub": (lambda e: e.partner.assertion(sub="partner:zj-province"), "sub_not_iss"),
    "iss-other-client": (lambda e: e.partner.assertion(iss="partner:zj-province", sub="partner:zj-province"),
                         "unknown_kid"),
    "unknown-client": (lambda e: sign(e.partner.key, assertion_claims("partner:nobody"), kid=e.partner.kid),
                       "unknown_client"),
    "malformed-client-id": (lambda e: e.partner.assertion(iss="x" * 500, sub="x" * 500), "unknown_client"),
    "key-of-another-client": (lambda e: sign(e.other.key, assertion_claims(PARTNER), kid=e.other.kid),
                              "unknown_kid"),
    "key-of-another-client-no-kid": (lambda e: sign(e.other.key, assertion_claims(PARTNER)),
                                     "bad_signature"),
    "hs256-public-key-secret": (lambda e: _hs256({"alg": "HS256", "kid": e.partner.kid},
                                                 assertion_claims(PARTNER), _partner_pem(e)),
                                "alg_not_allowed"),
    "alg-none": (lambda e: raw_jwt({"alg": "none", "kid": e.partner.kid}, assertion_claims(PARTNER)),
                 "alg_not_allowed"),
    "alg-None-case": (lambda e: raw_jwt({"alg": "None"}, assertion_claims(PARTNER)), "alg_not_allowed"),
    "rs256-header": (lambda e: raw_jwt({"alg": "RS256", "kid": e.partner.kid}, assertion_claims(PARTNER),
                                       b"x" * 256), "alg_not_allowed"),
    "es256-vs-ed25519-key": (_es256_against_ed25519_key, "alg_key_mismatch"),
    "eddsa-vs-es256-key": (_claimed_ed25519_for_es_key, "alg_key_mismatch"),
    "expired": (lambda e: e.partner.assertion(skew=-400, lifetime=300), "expired"),
    "nbf-beyond-leeway": (lambda e: e.partner.assertion(nbf=now() + 120), "not_yet_valid"),
    "iat-beyond-leeway": (lambda e: e.partner.assertion(skew=120), "not_yet_valid"),
    "missing-exp": (lambda e: e.partner.assertion(exp=None), "missing_claim"),
    "missing-jti": (lambda e: e.partner.assertion(jti=None), "missing_claim"),
    "short-jti": (lambda e: e.partner.assertion(jti="1"), "bad_jti"),
    "tampered-payload": (_tampered, "bad_signature"),
    "embedded-jwk-header": (_embedded_jwk, "bad_signature"),
    "suspended-partner": (_suspended, "suspended"),
    "partner-flagged-suspended": (_flagged_suspended, "suspended"),
    "inactive-officer": (_inactive_officer, "suspended"),
    "garbage": (lambda e: "not a jwt", "malformed"),
    "two-segments": (lambda e: ".".join(e.partner.assertion().split(".")[:2]), "malformed"),
    "bad-base64": (lambda e: "e30.!!!.abc", "malformed"),
    "non-json-header": (lambda e: "bm90IGpzb24." + e.partner.assertion().split(".", 1)[1], "malformed"),
    "json-array-header": (lambda e: "WzFd." + e.partner.assertion().split(".", 1)[1], "malformed"),
    "non-json-payload": (lambda e: e.partner.assertion().split(".")[0] + ".bm90IGpzb24.abc", "malformed"),
    "huge": (lambda e: e.partner.assertion(pad="x" * 9000), "oversize"),
}


@pytest.mark.parametrize("case", list(ASSERTION_ATTACKS))
@pytest.mark.parametrize("suite", ["international", "gm"])
def test_assertion_attack_is_rejected(env: Env, case: str, suite: str) -> None:
    make, reason = ASSERTION_ATTACKS[case]
    assertion = make(env)
    issued_before = len(env.audit.named(TOKEN_ISSUED))
    response = get_token(env.client, assertion)
    assert_rejected(response, env.audit, reason, "assertion", assertion if len(assertion) > 20 else None)
    assert len(env.audit.named(TOKEN_ISSUED)) == issued_before


# --- the access-token attack suite --------------------------------------------


def hub_claims(**overrides: Any) -> dict[str, Any]:
    claims: dict[str, Any] = {"iss": "hub", "sub": PARTNER, "aud": "hub-api", "iat": now(),
                              "exp": now() + 600, "jti": "j" * 32, "kind": "partner"}
    claims.update(overrides)
    return {k: v for k, v in claims.items() if v is not None}


def _hub_signed(env: Env, **overrides: Any) -> str:
    key = env.keys.current("token")
    return _as_hub(key, hub_claims(**overrides), kid=key.kid)


def _hub_hs256(env: Env, pem: bool) -> str:
    key = env.keys.current("token")
    secret = key.verifier.pem() if pem else key.public_raw()  # the hub's public key, PEM or raw
    return _hs256({"alg": "HS256", "kid": key.kid, "typ": "JWT"}, hub_claims(), secret)


def _suspended_token(env: Env) -> str:
    token = access_token(env)
    suspend(env)
    return token


def _partner_self_signed(env: Env) -> str:
    return sign(env.partner.key, hub_claims(), kid=env.partner.kid)


def _other_key_real_kid(env: Env) -> str:
    """A key of the hub's own algorithm (Ed25519, or SM2 under gm) that is not the hub's, with its kid."""
    return _as_hub(generate_private_key(env.keys.alg), hub_claims(), kid=env.keys.current("token").kid)


def _as_hub(key: Any, claims: dict[str, Any], *, kid: str | None = None) -> str:
    """Sign the way the hub does: EdDSA with an Ed25519 key, SM2SM3 with an SM2 key (``hub.crypto``)."""
    signer = key.signer if isinstance(key, HubKey) else key
    if isinstance(signer, PrivateKey) and signer.alg == SM2SM3:
        return sign(signer, claims, kid=kid, alg=SM2SM3)
    return sign(signer.key if isinstance(signer, PrivateKey) else signer, claims, kid=kid)


def _bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


ACCESS_ATTACKS: dict[str, tuple[Callable[[Env], dict[str, str]], str]] = {
    "missing": (lambda e: {}, "no_token"),
    "basic-scheme": (lambda e: {"Authorization": "Basic dXNlcjpwYXNz"}, "no_token"),
    "alg-none": (lambda e: _bearer(raw_jwt({"alg": "none", "kid": e.keys.current("token").kid},
                                           hub_claims())), "alg_not_allowed"),
    "hs256-raw-public-key": (lambda e: _bearer(_hub_hs256(e, pem=False)), "alg_not_allowed"),
    "hs256-pem-public-key": (lambda e: _bearer(_hub_hs256(e, pem=True)), "alg_not_allowed"),
    "es256-header": (lambda e: _bearer(sign(ec.generate_private_key(ec.SECP256R1()), hub_claims(),
                                            kid=e.keys.current("token").kid, alg="ES256")),
                     "alg_not_allowed"),
    "rs256-header": (lambda e: _bearer(raw_jwt({"alg": "RS256", "kid": e.keys.current("token").kid},
                                               hub_claims(), b"s" * 256)), "alg_not_allowed"),
    "wrong-aud": (lambda e: _bearer(_hub_signed(e, aud="someone-else")), "bad_audience"),
    "wrong-iss": (lambda e: _bearer(_hub_signed(e, iss="evil")), "bad_issuer"),
    "expired": (lambda e: _bearer(_hub_signed(e, iat=now() - 900, exp=now() - 300)), "expired"),
    "nbf-beyond-leeway": (lambda e: _bearer(_hub_signed(e, nbf=now() + 120)), "not_yet_valid"),
    "iat-beyond-leeway": (lambda e: _bearer(_hub_signed(e, iat=now() + 120)), "not_yet_valid"),
    "missing-exp": (lambda e: _bearer(_hub_signed(e, exp=None)), "missing_claim"),
    "missing-kind": (lambda e: _bearer(_hub_signed(e, kind=None)), "missing_claim"),
    "kind-mismatch": (lambda e: _bearer(_hub_signed(e, kind="officer")), "unknown_client"),
    "unknown-subject": (lambda e: _bearer(_hub_signed(e, sub="partner:nobody")), "unknown_client"),
    "unknown-kid": (lambda e: _bearer(_as_hub(e.keys.current("token"), hub_claims(),
                                              kid="token-19990101T000000-abcdef")), "unknown_kid"),
    "no-kid": (lambda e: _bearer(_as_hub(e.keys.current("token"), hub_claims())), "unknown_kid"),
    "path-traversal-kid": (lambda e: _bearer(_as_hub(e.keys.current("token"), hub_claims(),
                                                     kid="../token/x")), "unknown_kid"),
    "other-suite-alg-real-kid": (lambda e: _bearer(_other_suite(e)), "alg_not_allowed"),
    "other-key-real-kid": (lambda e: _bearer(_other_key_real_kid(e)), "bad_signature"),
    "partner-self-signed": (lambda e: _bearer(_partner_self_signed(e)), "unknown_kid"),
    "assertion-as-token": (lambda e: _bearer(e.partner.assertion()), "unknown_kid"),
    "suspended-partner": (lambda e: _bearer(_suspended_token(e)), "suspended"),
    "garbage": (lambda e: _bearer("garbage"), "malformed"),
    "two-segments": (lambda e: _bearer(".".join(access_token(e).split(".")[:2])), "malformed"),
    "bad-base64": (lambda e: _bearer("e30.***.abc"), "malformed"),
    "non-json-header": (lambda e: _bearer("bm90IGpzb24." + access_token(e).split(".", 1)[1]), "malformed"),
    "huge": (lambda e: _bearer(_hub_signed(e, pad="x" * 9000)), "oversize"),
}


def _other_suite(env: Env) -> str:
    """A token signed in the other suite's algorithm with a key of that type, naming the hub's kid."""
    alg = SM2SM3 if env.keys.alg == EDDSA else EDDSA
    return _as_hub(generate_private_key(alg), hub_claims(), kid=env.keys.current("token").kid)


@pytest.mark.parametrize("suite", ["international", "gm"])
@pytest.mark.parametrize("case", list(ACCESS_ATTACKS))
def test_access_token_attack_is_rejected(env: Env, case: str, suite: str) -> None:
    """Every attack is refused under either suite (the gm suite signs access tokens with SM2SM3)."""
    assert jwt.get_unverified_header(access_token(env))["alg"] == {"international": EDDSA, "gm": SM2SM3}[suite]
    make, reason = ACCESS_ATTACKS[case]
    headers = make(env)
    response = whoami(env, headers=headers)
    token = headers.get("Authorization", "").removeprefix("Bearer ")
    assert_rejected(response, env.audit, reason, "access", token if len(token) > 20 else None)


# --- failing closed -------------------------------------------------------------


def test_no_token_is_issued_when_the_audit_log_is_down(env: Env) -> None:
    env.audit.failing = True
    response = get_token(env.client, env.partner.assertion())
    assert response.status_code == 503
    assert response.headers["content-type"] == "application/problem+json"
    assert "access_token" not in response.json()
    assert "fake audit" not in response.text  # the cause stays in the log


def test_rejection_stands_when_the_audit_log_is_down(env: Env) -> None:
    env.audit.failing = True
    assert whoami(env, "garbage").status_code == 401


def test_replay_cache_purges_expired_entries(env: Env) -> None:
    from hub.store.models import TokenJti

    with env.store.session() as session:
        session.add(TokenJti(jti="stale", client_id=PARTNER, expires_at=datetime(2020, 1, 1, tzinfo=UTC)))
    assert get_token(env.client, env.partner.assertion()).status_code == 200
    with env.store.session() as session:
        remaining = session.scalars(select(TokenJti.jti)).all()
    assert len(remaining) == 1 and remaining[0] != "stale"


# --- one run through a real server ------------------------------------------------


def _serve(app: Any, sock: socket.socket) -> tuple[uvicorn.Server, threading.Thread]:
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning", access_log=False, ws="none",
                                           lifespan="on"))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    for _ in range(500):
        if server.started or not thread.is_alive():
            break
        time.sleep(0.01)
    assert server.started, "uvicorn did not start"
    return server, thread


def test_token_flow_over_a_real_uvicorn_server(settings: Settings, store: Store, keys: KeyStore,
                                               audit: RecordingAuditFake, tmp_path: Any) -> None:
    from hub.cli import app as cli_app

    key_path = tmp_path / "xihu.pem"
    result = CliRunner().invoke(cli_app, ["partner", "add", "hz-xihu-jw", "--clearance", "3",
                                          "--jurisdiction", "330106", "--purpose", "case-verification",
                                          "--key-out", str(key_path)])
    assert result.exit_code == 0, result.output
    assert PARTNER in result.output and "/oauth/token" in result.output
    private = serialization.load_pem_private_key(key_path.read_bytes(), password=None)
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        base = f"http://127.0.0.1:{sock.getsockname()[1]}"
        app = mount_test_routes(create_app(settings, audit=audit, public_url=base, store=store, keys=keys))
        server, thread = _serve(app, sock)
        try:
            _exchange_over_http(base, private)
        finally:
            server.should_exit = True
            thread.join(timeout=10)
    with store.session() as session:
        events = session.scalars(select(AuditRecord.event).where(AuditRecord.subject == PARTNER)).all()
    assert "partner.registered" in events  # the CLI wrote its event to the real audit log
    assert [e.event for e in audit.events] == [TOKEN_ISSUED, TOKEN_REJECTED]


def _exchange_over_http(base: str, private: Any) -> None:
    with httpx.Client(base_url=base) as http:
        assertion = client_assertion(private, PARTNER, f"{base}/oauth/token")
        token = http.post("/oauth/token", data={
            "grant_type": "client_credentials", "client_assertion": assertion,
            "client_assertion_type": "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"})
        assert token.status_code == 200, token.text
        me = http.get("/test/whoami", headers=_bearer(token.json()["access_token"]))
        assert me.status_code == 200 and me.json()["id"] == PARTNER
        refused = http.get("/test/whoami", headers=_bearer("x.y"))
        assert refused.status_code == 401 and refused.headers["www-authenticate"].startswith("Bearer")
