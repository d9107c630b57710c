"""Officer signers: key files (Ed25519, P-256) and a PKCS#11 token (Debian's softhsm2).

The token is a real softhsm2 token created in a temporary directory (``SOFTHSM2_CONF``)
with an EC P-256 key generated on it through python-pkcs11; the hub signs ES256 with
it and verifies against the registered public key.  ``.ci/run`` installs softhsm2 and
sets ``HUB_REQUIRE_SOFTHSM=1``, so there a missing softhsm2 fails instead of skipping.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner, Result

from hub import statements
from hub.audit import verify_chain
from hub.keys import KeyStore
from hub.settings import load_settings
from hub.signers import Pkcs11Signer, SignerError, load_key_file, parse_pkcs11_uri, write_key_file
from hub.statements import StatementInvalid, StatementRefused
from hub.store.db import open_store
from hub.store.models import Officer
from tests.conftest import SOFTHSM_PIN, SoftHsm

AUD = "hub-" + "0" * 32  # a hub id (these tests check signing, not a hub)

PIN, LABEL = SOFTHSM_PIN, "officer-token"


def hub(*args: str) -> Result:
    from hub.cli import app

    return CliRunner().invoke(app, list(args))


@pytest.mark.parametrize("algorithm", ["EdDSA", "ES256"])
def test_a_key_file_signs_statements_the_hub_verifies(tmp_path: Path, algorithm: str) -> None:
    signer = write_key_file(tmp_path / "k.key", b"passphrase-1", algorithm)
    again = load_key_file(tmp_path / "k.key", b"passphrase-1")
    assert again.kid == signer.kid and again.algorithm == algorithm
    terms = {"partner": "hz-xihu-jw"}
    token = statements.sign(again, "sec-1", "lockdown", "partner:hz-xihu-jw", terms, audience=AUD, note="leak")
    parsed = statements.parse(token)
    assert parsed.alg == algorithm and parsed.note == "leak" and parsed.officer == "sec-1"
    statements.verify_signature(parsed, signer.public_pem().decode(), algorithm)
    other = write_key_file(tmp_path / "o.key", b"passphrase-2", algorithm)
    with pytest.raises(StatementRefused, match="does not verify"):
        statements.verify_signature(parsed, other.public_pem().decode(), algorithm)


def test_key_file_errors_name_the_file(tmp_path: Path) -> None:
    write_key_file(tmp_path / "k.key", b"passphrase-1")
    with pytest.raises(SignerError, match="passphrase-protected"):
        load_key_file(tmp_path / "k.key", None)
    with pytest.raises(SignerError, match="passphrase is wrong"):
        load_key_file(tmp_path / "k.key", b"wrong-passphrase")
    with pytest.raises(SignerError, match="cannot read officer key"):
        load_key_file(tmp_path / "missing.key", None)


@pytest.mark.parametrize(("token", "message"), [
    ("", "compact JWS"), ("a.b", "compact JWS"), ("x" * 20000, "at most"),
    ("e30.e30.sig", "typ"),  # {} header
])
def test_malformed_statements_are_invalid(token: str, message: str) -> None:
    with pytest.raises(StatementInvalid, match=message):
        statements.parse(token)


@pytest.mark.parametrize(("uri", "message"), [
    ("token=x;object=y", "pkcs11:"),
    ("pkcs11:token=x;object=y", "names no module"),
    ("pkcs11:token=x?module-path=/lib.so", "names no key"),
    ("pkcs11:token?module-path=/lib.so", "has no value"),
])
def test_bad_pkcs11_uris_say_what_is_missing(uri: str, message: str) -> None:
    with pytest.raises(SignerError, match=message):
        parse_pkcs11_uri(uri)


def test_a_pkcs11_uri_is_parsed() -> None:
    uri = parse_pkcs11_uri("pkcs11:token=My%20Token;object=sign;id=%01%02?module-path=/x/lib.so&pin-value=1234")
    assert (uri.module, uri.token, uri.object, uri.id, uri.pin) == ("/x/lib.so", "My Token", "sign", b"\x01\x02",
                                                                   "1234")


# --- a real token ----------------------------------------------------------------------


@pytest.fixture(scope="session")
def officer_token(softhsm: SoftHsm) -> str:
    """A softhsm2 token with an EC P-256 key pair `officer-sign`; its pkcs11: URI."""
    import pkcs11
    from pkcs11 import Attribute, KeyType
    from pkcs11.util.ec import encode_named_curve_parameters

    token = pkcs11.lib(softhsm.module).get_token(token_label=softhsm.token(LABEL))
    with token.open(rw=True, user_pin=PIN) as session:
        params = session.create_domain_parameters(
            KeyType.EC, {Attribute.EC_PARAMS: encode_named_curve_parameters("secp256r1")}, local=True)
        params.generate_keypair(store=True, label="officer-sign")
    return f"pkcs11:token={LABEL};object=officer-sign?module-path={softhsm.module}"


def test_a_token_signs_es256_statements_the_hub_verifies(officer_token: str) -> None:
    signer = Pkcs11Signer(parse_pkcs11_uri(officer_token), PIN)
    assert signer.algorithm == "ES256"
    token = statements.sign(signer, "sec-1", "lockdown", "partner:p", {"partner": "p"}, audience=AUD, note="leak")
    statements.verify_signature(statements.parse(token), signer.public_pem().decode(), "ES256")
    with pytest.raises(SignerError, match="cannot be opened"):
        Pkcs11Signer(parse_pkcs11_uri(officer_token), "000000")
    with pytest.raises(SignerError, match="not found"):
        Pkcs11Signer(parse_pkcs11_uri(officer_token.replace("officer-sign", "nothing")), PIN)


def test_an_officer_on_a_token_is_enrolled_and_signs_from_the_cli(officer_token: str, hub_home: Path, tmp_path: Path,
                                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HUB_OFFICER_PIN", PIN)
    monkeypatch.setenv("HUB_OFFICER_PASSPHRASE", "officer passphrase")
    assert hub("officer", "keygen", "--out", str(tmp_path / "own.key")).exit_code == 0
    assert hub("officer", "keygen", "--out", str(tmp_path / "new.key")).exit_code == 0
    token = hub("officer", "bootstrap", "sec-1", "--role", "security", "--pkcs11", officer_token)
    assert token.exit_code == 0, token.output
    assert hub("officer", "bootstrap", "own-fin", "--role", "owner", "--owner-of", "finance",
               "--key", str(tmp_path / "own.key")).exit_code == 0
    add = ["officer", "add", "sec-2", "--role", "security", "--public-key", str(tmp_path / "new.key.pub")]
    assert hub(*add, "--pkcs11", officer_token).exit_code == 0
    assert hub(*add, "--key", str(tmp_path / "own.key")).exit_code == 0
    settings = load_settings(home=hub_home)
    store = open_store(settings.metadata_url)
    try:
        with store.session() as session:
            assert {o.id for o in session.query(Officer)} == {"sec-1", "own-fin", "sec-2"}
        report = verify_chain(store, KeyStore(settings.keys_dir))
    finally:
        store.dispose()
    assert report.ok and report.officer_signatures == 5
