"""TLS and mutual TLS over a real uvicorn server, with a test CA made by ``cryptography``.

The server presents a certificate of the test CA for 127.0.0.1, speaks TLS 1.2+ only,
and asks partners for client certificates (``HUB_TLS_CLIENT_CA``, optional mode).
Plain HTTP to it fails; a TLS 1.1 client fails; a client certificate of another CA
fails the handshake.  Over TLS a partner whose certificate is registered gets a token
bound to it (``cnf.x5t#S256``); the token endpoint refuses another partner's
certificate, an unregistered one and no certificate at all for that partner; and the
bound token replayed without the certificate, or over another partner's, is refused.
"""

from __future__ import annotations

import datetime as dt
import ipaddress
import os
import re
import signal
import ssl
import subprocess
import sys
import time
import warnings
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import jwt
import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from hub import metrics
from hub.api import create_app
from hub.certificates import register_certificate
from hub.keys import KeyStore
from hub.settings import Settings
from hub.store.db import Store
from hub.tokens import ASSERTION_TYPE
from hub.transport import pem_thumbprint
from tests.api.conftest import BASE_URL, Client, RecordingAuditFake, mount_test_routes
from tests.api.live_server import live_server


@dataclass(frozen=True)
class Pki:
    ca: Path
    server: tuple[Path, Path]
    partner: tuple[Path, Path]
    other: tuple[Path, Path]
    stranger: tuple[Path, Path]  # signed by the CA, registered to nobody
    rogue: tuple[Path, Path]  # another CA's


def _name(cn: str) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, cn)])


def _cert(folder: Path, name: str, issuer: tuple[Any, x509.Name] | None, *, ca: bool = False,
          ip: str | None = None) -> tuple[Path, Path, Any, x509.Name]:
    key = ec.generate_private_key(ec.SECP256R1())
    now = dt.datetime.now(dt.UTC)
    signer_key, issuer_name = issuer if issuer else (key, _name(name))
    builder = (x509.CertificateBuilder().subject_name(_name(name)).issuer_name(issuer_name)
               .public_key(key.public_key()).serial_number(x509.random_serial_number())
               .not_valid_before(now - dt.timedelta(minutes=5)).not_valid_after(now + dt.timedelta(days=2))
               .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True))
    if ip:
        builder = builder.add_extension(x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address(ip))]),
                                        critical=False)
    cert = builder.sign(signer_key, hashes.SHA256())
    crt, pem_key = folder / f"{name}.crt", folder / f"{name}.key"
    crt.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    pem_key.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                          serialization.NoEncryption()))
    return crt, pem_key, key, _name(name)


@pytest.fixture(scope="module")
def pki(tmp_path_factory: pytest.TempPathFactory) -> Pki:
    folder = tmp_path_factory.mktemp("pki")
    ca_crt, _, ca_key, ca_name = _cert(folder, "test-ca", None, ca=True)
    rogue_crt, _, rogue_key, rogue_name = _cert(folder, "rogue-ca", None, ca=True)
    issued = {n: _cert(folder, n, (ca_key, ca_name), ip="127.0.0.1" if n == "server" else None)[:2]
              for n in ("server", "partner", "other", "stranger")}
    rogue = _cert(folder, "rogue-client", (rogue_key, rogue_name))[:2]
    assert rogue_crt.exists()
    return Pki(ca_crt, issued["server"], issued["partner"], issued["other"], issued["stranger"], rogue)


@pytest.fixture
def tls_settings(settings: Settings, pki: Pki) -> Settings:
    return settings.model_copy(update={"tls_cert": pki.server[0], "tls_key": pki.server[1],
                                       "tls_client_ca": pki.ca, "tls_client_auth": "optional"})


@pytest.fixture
def server(tls_settings: Settings, audit: RecordingAuditFake, store: Store, keys: KeyStore) -> Iterator[str]:
    app = mount_test_routes(create_app(tls_settings, audit=audit, public_url=BASE_URL, store=store, keys=keys))
    with live_server(app, tls_settings) as port:
        yield f"https://127.0.0.1:{port}"


def _client(base: str, pki: Pki, cert: tuple[Path, Path] | None = None, **ctx: Any) -> httpx.Client:
    context = ssl.create_default_context(cafile=str(pki.ca))
    with warnings.catch_warnings():  # TLS 1.1 is deprecated: exactly what the test offers the server
        warnings.simplefilter("ignore", DeprecationWarning)
        if ctx.get("maximum_version") == ssl.TLSVersion.TLSv1_1:
            context.set_ciphers("DEFAULT:@SECLEVEL=0")  # so the refusal is the server's, not this client's
            context.minimum_version = ssl.TLSVersion.TLSv1
        for name, value in ctx.items():
            setattr(context, name, value)
    if cert is not None:
        context.load_cert_chain(str(cert[0]), str(cert[1]))
    return httpx.Client(base_url=base, verify=context, timeout=10)


def _token(http: httpx.Client, who: Client) -> httpx.Response:
    return http.post("/oauth/token", data={"grant_type": "client_credentials", "client_assertion_type": ASSERTION_TYPE,
                                           "client_assertion": who.assertion()})


def _bind(store: Store, audit: RecordingAuditFake, who: Client, cert: tuple[Path, Path]) -> str:
    with store.session() as session:
        return register_certificate(session, audit.sink, who.client_id, cert[0].read_bytes()).thumbprint


def test_plain_http_and_old_tls_to_a_tls_server_fail(server: str, pki: Pki) -> None:
    with _client(server, pki) as https:
        assert https.get("/healthz").status_code == 200
    plain = server.replace("https://", "http://")
    with pytest.raises(httpx.HTTPError), httpx.Client(timeout=10) as client:
        client.get(f"{plain}/healthz")
    with pytest.raises(httpx.ConnectError), _client(server, pki, maximum_version=ssl.TLSVersion.TLSv1_1) as old:
        old.get("/healthz")
    with _client(server, pki, maximum_version=ssl.TLSVersion.TLSv1_2) as tls12:
        assert tls12.get("/healthz").status_code == 200


def test_a_client_certificate_of_another_ca_fails_the_handshake(server: str, pki: Pki) -> None:
    with pytest.raises(httpx.HTTPError), _client(server, pki, cert=pki.rogue) as rogue:
        rogue.get("/healthz")


def test_a_token_over_mtls_is_bound_to_the_partners_certificate(server: str, pki: Pki, store: Store,
                                                                 audit: RecordingAuditFake, partner: Client) -> None:
    thumb = _bind(store, audit, partner, pki.partner)
    assert thumb == pem_thumbprint(pki.partner[0].read_bytes())
    with _client(server, pki, cert=pki.partner) as http:
        response = _token(http, partner)
        assert response.status_code == 200, response.text
        token = response.json()["access_token"]
        assert jwt.decode(token, options={"verify_signature": False})["cnf"] == {"x5t#S256": thumb}
        me = http.get("/test/whoami", headers={"Authorization": f"Bearer {token}"})
        assert me.status_code == 200 and me.json()["id"] == partner.client_id


@pytest.mark.parametrize("cert", ["other", "stranger", None], ids=["another-partners", "unregistered", "none"])
def test_the_token_endpoint_refuses_a_wrong_or_missing_certificate(server: str, pki: Pki, store: Store,
                                                                   audit: RecordingAuditFake, partner: Client,
                                                                   other_partner: Client, cert: str | None) -> None:
    _bind(store, audit, partner, pki.partner)
    _bind(store, audit, other_partner, pki.other)
    with _client(server, pki, cert=getattr(pki, cert) if cert else None) as http:
        response = _token(http, partner)
    assert response.status_code == 401 and response.json()["error"] == "invalid_client"
    reason = {"other": "certificate_of_another_client", "stranger": "certificate_not_registered",
              None: "certificate_required"}[cert]
    assert audit.named("token.rejected")[-1].reasons == [reason]


@pytest.mark.parametrize("replay_with", ["none", "other"])
def test_a_bound_token_replayed_without_its_certificate_is_refused(server: str, pki: Pki, store: Store,
                                                                   audit: RecordingAuditFake, partner: Client,
                                                                   other_partner: Client, replay_with: str) -> None:
    _bind(store, audit, partner, pki.partner)
    _bind(store, audit, other_partner, pki.other)
    with _client(server, pki, cert=pki.partner) as http:
        token = _token(http, partner).json()["access_token"]
    with _client(server, pki, cert=pki.other if replay_with == "other" else None) as thief:
        response = thief.get("/test/whoami", headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 401 and response.json()["error"] == "invalid_token"
    assert audit.named("token.rejected")[-1].reasons == ["certificate_mismatch"]
    assert token not in repr(audit.named("token.rejected")[-1].fields())


def test_a_bound_token_remembered_by_the_token_cache_still_needs_its_certificate(
        server: str, pki: Pki, store: Store, audit: RecordingAuditFake, partner: Client) -> None:
    """The token cache (hub.verifier) remembers a verified token; the binding is checked on every request."""
    _bind(store, audit, partner, pki.partner)
    hits = metrics.REGISTRY.get_sample_value("hub_token_cache_total", {"outcome": "hit"}) or 0.0
    with _client(server, pki, cert=pki.partner) as http:
        token = _token(http, partner).json()["access_token"]
        for _ in range(2):  # the second is answered from the cache
            assert http.get("/test/whoami", headers={"Authorization": f"Bearer {token}"}).status_code == 200
    assert (metrics.REGISTRY.get_sample_value("hub_token_cache_total", {"outcome": "hit"}) or 0.0) > hits
    with _client(server, pki, cert=None) as thief:
        response = thief.get("/test/whoami", headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 401 and audit.named("token.rejected")[-1].reasons == ["certificate_mismatch"]
    with _client(server, pki, cert=pki.partner) as http:  # the partner itself still gets in
        assert http.get("/test/whoami", headers={"Authorization": f"Bearer {token}"}).status_code == 200


def test_hub_serve_with_workers_speaks_only_tls(pki: Pki, tmp_path: Path) -> None:
    """`hub serve --workers 2 --tls-cert --tls-key`: every worker serves TLS 1.2+ (hardened in each
    worker process by uvicorn's ssl_context_factory); plain HTTP and TLS 1.1 fail."""
    log = tmp_path / "serve.log"
    env = {**os.environ, "HUB_HOME": str(tmp_path / "hub"), "HUB_PUBLIC_URL": BASE_URL}
    with log.open("wb") as sink:
        proc = subprocess.Popen([str(Path(sys.executable).parent / "hub"), "serve", "--port", "0", "--workers", "2",
                                 "--tls-cert", str(pki.server[0]), "--tls-key", str(pki.server[1])],
                                env=env, stdout=sink, stderr=subprocess.STDOUT, start_new_session=True)
    try:
        found = None
        for _ in range(1200):  # up to 120 s on a busy machine
            found = re.search(rb"Uvicorn running on https://127\.0\.0\.1:(\d+)", log.read_bytes())
            if found or proc.poll() is not None:
                break
            time.sleep(0.1)
        assert found, log.read_text(errors="replace")[-2000:]
        base = f"https://127.0.0.1:{int(found.group(1))}"
        for _ in range(1200):  # the parent binds at once; the socket listens once a worker is up
            try:
                with _client(base, pki) as https:
                    https.get("/healthz")
                break
            except httpx.ConnectError:
                time.sleep(0.1)
        for _ in range(10):  # a new connection each time: whichever worker accepts it answers over TLS
            with _client(base, pki) as https:
                assert https.get("/healthz").status_code == 200
        with pytest.raises(httpx.HTTPError), httpx.Client(timeout=10) as client:
            client.get(base.replace("https://", "http://") + "/healthz")
        with pytest.raises(httpx.ConnectError), _client(base, pki, maximum_version=ssl.TLSVersion.TLSv1_1) as old:
            old.get("/healthz")
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(timeout=30)
