"""``hub partner add`` and the identity rules behind it (officers: tests/test_officers.py)."""

from __future__ import annotations

import base64
import stat
from datetime import UTC, datetime
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from sqlalchemy import select
from typer.testing import CliRunner, Result

from hub.errors import HubError
from hub.events import discard
from hub.identity import (
    DuplicateClient,
    IdentityError,
    load_subject,
    public_key,
    register_partner,
    split_client_id,
)
from hub.settings import load_settings
from hub.store.db import open_store
from hub.store.models import AuditRecord, ClientKey, Partner, Suspension
from hub.tokens import TokenConfig, TokenRejected, client_assertion, verify_client_assertion

PARTNER_ARGS = ["partner", "add", "hz-xihu-jw", "--clearance", "3", "--jurisdiction", "330106",
                "--purpose", "case-verification", "--purpose", "statistics"]


def hub(*args: str) -> Result:
    from hub.cli import app

    return CliRunner().invoke(app, list(args))


def rows(hub_home: Path, model: type) -> list:  # type: ignore[type-arg]
    store = open_store(load_settings(home=hub_home).metadata_url)
    try:
        with store.session() as session:
            return list(session.scalars(select(model)))
    finally:
        store.dispose()


def test_partner_add_registers_partner_key_and_event(hub_home: Path) -> None:
    result = hub(*PARTNER_ARGS)
    assert result.exit_code == 0, result.output
    key_file = hub_home / "clients" / "partner:hz-xihu-jw.pem"
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    private = serialization.load_pem_private_key(key_file.read_bytes(), password=None)
    assert isinstance(private, Ed25519PrivateKey)
    [partner] = rows(hub_home, Partner)
    assert (partner.clearance, partner.jurisdiction, partner.purposes) == (
        3, "330106", ["case-verification", "statistics"])
    [key] = rows(hub_home, ClientKey)
    pub = private.public_key().public_bytes(serialization.Encoding.PEM,
                                            serialization.PublicFormat.SubjectPublicKeyInfo)
    assert key.public_key_pem == pub.decode() and key.algorithm == "EdDSA"
    for shown in ("partner:hz-xihu-jw", key.kid, "http://127.0.0.1:8000/oauth/token"):
        assert shown in result.output
    [event] = rows(hub_home, AuditRecord)
    assert (event.event, event.subject, event.details["kid"]) == (
        "partner.registered", "partner:hz-xihu-jw", key.kid)


def test_key_out_path_gets_the_key(hub_home: Path, tmp_path: Path) -> None:
    target = tmp_path / "keys" / "xihu.pem"
    assert hub(*PARTNER_ARGS, "--key-out", str(target)).exit_code == 0
    assert stat.S_IMODE(target.stat().st_mode) == 0o600
    assert not (hub_home / "clients").exists()


def test_duplicate_partner_is_a_clear_error(hub_home: Path, capsys: pytest.CaptureFixture[str],
                                            monkeypatch: pytest.MonkeyPatch) -> None:
    assert hub(*PARTNER_ARGS).exit_code == 0
    again = hub(*PARTNER_ARGS, "--key-out", str(hub_home / "other.pem"))
    assert again.exit_code == 1 and isinstance(again.exception, DuplicateClient)
    assert str(again.exception) == "partner `hz-xihu-jw` is already registered"
    assert not (hub_home / "other.pem").exists()
    from hub.cli import _common, app

    monkeypatch.setattr("sys.argv", ["hub", *PARTNER_ARGS])
    assert _common.run_app(app) == 1
    assert "partner `hz-xihu-jw` is already registered" in capsys.readouterr().err
    assert len(rows(hub_home, Partner)) == 1


@pytest.mark.parametrize("args, message", [
    (["--clearance", "6"], "clearance 6 must be between 1 and 5"),
    (["--clearance", "0"], "clearance 0 must be between 1 and 5"),
    (["--jurisdiction", "3301"], "jurisdiction `3301` must be a 6-digit administrative code"),
    (["--jurisdiction", "33010x"], "must be a 6-digit administrative code"),
    (["--purpose", "Case Verification"], "purpose `Case Verification` must be a lower-case slug"),
])
def test_partner_add_validates(hub_home: Path, args: list[str], message: str) -> None:
    base = dict(zip(PARTNER_ARGS[3::2], PARTNER_ARGS[4::2], strict=False))
    base.update(zip(args[::2], args[1::2], strict=True))
    result = hub("partner", "add", "x-1", *[t for kv in base.items() for t in kv])
    assert result.exit_code == 1 and isinstance(result.exception, IdentityError)
    assert message in str(result.exception)
    assert rows(hub_home, Partner) == [] and not (hub_home / "clients").exists()


def test_register_an_existing_es256_public_key(hub_home: Path, tmp_path: Path) -> None:
    key = ec.generate_private_key(ec.SECP256R1())
    pem = tmp_path / "es.pub.pem"
    pem.write_bytes(key.public_key().public_bytes(serialization.Encoding.PEM,
                                                  serialization.PublicFormat.SubjectPublicKeyInfo))
    result = hub(*PARTNER_ARGS, "--public-key", str(pem))
    assert result.exit_code == 0, result.output
    assert "private key" not in result.output and not (hub_home / "clients").exists()
    [stored] = rows(hub_home, ClientKey)
    assert stored.algorithm == "ES256"
    reuse = hub("partner", "add", "other", "--clearance", "2", "--jurisdiction", "330000",
                "--purpose", "statistics", "--public-key", str(pem))
    assert reuse.exit_code == 1 and "already registered" in str(reuse.exception)


@pytest.mark.parametrize("content, message", [
    (b"garbage", "not a PEM"),
    (ec.generate_private_key(ec.SECP384R1()).public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo), "Ed25519 or EC P-256"),
])
def test_bad_public_key_is_refused(hub_home: Path, tmp_path: Path, content: bytes, message: str) -> None:
    path = tmp_path / "k.pem"
    path.write_bytes(content)
    result = hub(*PARTNER_ARGS, "--public-key", str(path))
    assert result.exit_code == 1 and message in str(result.exception)


def test_public_key_and_key_out_exclude_each_other(hub_home: Path, tmp_path: Path) -> None:
    result = hub(*PARTNER_ARGS, "--public-key", str(tmp_path / "a"), "--key-out", str(tmp_path / "b"))
    assert result.exit_code == 1 and "exclude each other" in str(result.exception)


def test_existing_key_file_rolls_the_registration_back(hub_home: Path, tmp_path: Path) -> None:
    taken = tmp_path / "taken.pem"
    taken.write_text("someone else's key")
    result = hub(*PARTNER_ARGS, "--key-out", str(taken))
    assert result.exit_code == 1 and "already exists" in str(result.exception)
    assert taken.read_text() == "someone else's key"
    assert rows(hub_home, Partner) == [] and rows(hub_home, ClientKey) == []


def test_kid_is_the_rfc7638_thumbprint() -> None:
    # RFC 8037 appendix A.3: the thumbprint of the example Ed25519 key.
    x = "11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo"
    raw = base64.urlsafe_b64decode(x + "=")
    pem = Ed25519PublicKey.from_public_bytes(raw).public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
    assert public_key(pem).kid == "kPrK_qmxVWaYVA9wwBF6Iuo3vVzz7TxHCTwXBygrS4k"


@pytest.mark.parametrize("value, expected", [
    ("partner:hz-xihu-jw", ("partner", "hz-xihu-jw")), ("officer:sec-1", ("officer", "sec-1")),
    ("operator:x", None), ("partner:", None), ("partner:A", None), ("partner", None),
    ("partner:../x", None), ("partner:" + "a" * 65, None),
])
def test_split_client_id(value: str, expected: tuple[str, str] | None) -> None:
    assert split_client_id(value) == expected


@pytest.mark.postgres
def test_registration_subject_and_replay_cache_on_postgres(postgres_url: str) -> None:
    store = open_store(postgres_url)
    key = Ed25519PrivateKey.generate()
    pub = key.public_key().public_bytes(serialization.Encoding.PEM,
                                        serialization.PublicFormat.SubjectPublicKeyInfo)
    config = TokenConfig(token_url="http://hub/oauth/token")
    try:
        with store.session() as session:
            register_partner(session, discard, "hz-xihu-jw", clearance=3, jurisdiction="330106",
                             purposes=["case-verification"], public_pem=pub)
        with store.session() as session, pytest.raises(DuplicateClient):
            register_partner(session, discard, "hz-xihu-jw", clearance=3, jurisdiction="330106",
                             purposes=["x"])
        assertion = client_assertion(key, "partner:hz-xihu-jw", config.token_url)
        with store.session() as session:
            assert verify_client_assertion(session, assertion, config).clearance == 3
        with store.session() as session, pytest.raises(TokenRejected) as replay:
            verify_client_assertion(session, assertion, config)
        assert replay.value.reason == "replayed_jti"
        with store.session() as session:
            session.add(Suspension(partner_id="hz-xihu-jw", created_by="officer:sec-1",
                                   created_at=datetime.now(UTC)))
        with store.session() as session:
            subject = load_subject(session, "partner:hz-xihu-jw")
        assert subject is not None and subject.suspended
    finally:
        store.dispose()


def test_identity_errors_are_hub_errors() -> None:
    assert issubclass(IdentityError, HubError) and IdentityError.status == 400
    assert DuplicateClient.status == 409
