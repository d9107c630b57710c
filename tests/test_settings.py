"""Settings: defaults, HUB_* overrides, and bad values failing with the variable's name."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from hub.errors import SettingsError
from hub.settings import Settings, load_settings

HUB_VARS = [f"HUB_{name.upper()}" for name in Settings.model_fields]


@pytest.fixture(autouse=True)
def clean_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """No HUB_* variable from the caller's shell, and a scratch working directory."""
    for name in HUB_VARS:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.chdir(tmp_path)


def test_defaults(tmp_path: Path) -> None:
    settings = load_settings()
    assert settings.home == Path(".hub")
    assert settings.database_url is None
    assert settings.metadata_url == f"sqlite:///{tmp_path.resolve() / '.hub' / 'hub.sqlite'}"
    assert settings.opa_url is None
    assert settings.audit_checkpoint_every == 1000
    assert settings.warehouse_path == Path(".hub/warehouse.duckdb")
    assert (settings.published_dir, settings.keys_dir, settings.sandbox_dir) == (
        Path(".hub/published"), Path(".hub/keys"), Path(".hub/sandbox"))


def test_env_overrides(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    pg = "postgresql+psycopg://hub@db.internal:5432/hub"
    monkeypatch.setenv("HUB_HOME", str(tmp_path / "state"))
    monkeypatch.setenv("HUB_DATABASE_URL", pg)
    monkeypatch.setenv("HUB_OPA_URL", "http://opa:8181/")
    monkeypatch.setenv("HUB_AUDIT_CHECKPOINT_EVERY", "50")
    monkeypatch.setenv("HUB_OPA_TIMEOUT_S", "0.5")
    settings = load_settings()
    assert settings.home == tmp_path / "state"
    assert settings.metadata_url == pg
    assert settings.opa_url == "http://opa:8181"
    assert settings.audit_checkpoint_every == 50
    assert settings.opa_timeout_s == 0.5
    assert settings.warehouse_path == tmp_path / "state" / "warehouse.duckdb"


def test_exposure_settings(monkeypatch: pytest.MonkeyPatch) -> None:
    defaults = load_settings()
    assert (defaults.metrics_token, defaults.metrics_address, defaults.trusted_proxy_list) == (None, None, [])
    assert (defaults.max_header_bytes, defaults.max_body_bytes) == (16384, 1 << 20)
    monkeypatch.setenv("HUB_TRUSTED_PROXIES", " 10.0.0.0/8 , 127.0.0.1,,::1 ")
    monkeypatch.setenv("HUB_METRICS_TOKEN", "x" * 24)
    monkeypatch.setenv("HUB_METRICS_ADDRESS", "[::1]:9464")
    settings = load_settings()
    assert settings.trusted_proxy_list == ["10.0.0.0/8", "127.0.0.1", "::1"]
    assert settings.metrics_token is not None and settings.metrics_token.get_secret_value() == "x" * 24
    assert "x" * 24 not in repr(settings)  # a secret stays out of logs and tracebacks
    assert settings.metrics_address == "[::1]:9464"


def test_home_moves_the_default_metadata_store(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("HUB_HOME", str(tmp_path / "elsewhere"))
    assert load_settings().metadata_url == f"sqlite:///{tmp_path / 'elsewhere' / 'hub.sqlite'}"


def test_empty_urls_mean_unset(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HUB_DATABASE_URL", "")
    monkeypatch.setenv("HUB_OPA_URL", "")
    settings = load_settings()
    assert (settings.database_url, settings.opa_url) == (None, None)


@pytest.mark.parametrize(
    ("var", "value"),
    [
        ("HUB_DATABASE_URL", "mysql://hub@db/hub"),
        ("HUB_DATABASE_URL", "garbage"),
        ("HUB_OPA_URL", "ftp://x"),
        ("HUB_OPA_URL", "opa:8181"),
        ("HUB_AUDIT_CHECKPOINT_EVERY", "0"),
        ("HUB_AUDIT_CHECKPOINT_EVERY", "many"),
        ("HUB_OPA_TIMEOUT_S", "-1"),
        ("HUB_PUBLISHED_RETENTION", "0"),
        ("HUB_TRUSTED_PROXIES", "10.0.0.0/8, proxy.internal"),
        ("HUB_METRICS_TOKEN", "short"),
        ("HUB_METRICS_ADDRESS", "9464"),
        ("HUB_METRICS_ADDRESS", "127.0.0.1:99999"),
        ("HUB_MAX_HEADER_BYTES", "100"),
        ("HUB_MAX_BODY_BYTES", "-1"),
    ],
)
def test_bad_values_name_the_variable(monkeypatch: pytest.MonkeyPatch, var: str, value: str) -> None:
    monkeypatch.setenv(var, value)
    with pytest.raises(SettingsError) as caught:
        load_settings()
    message = str(caught.value)
    assert var in message
    assert "\n" not in message


def test_cli_bad_setting_is_one_line_naming_it(monkeypatch: pytest.MonkeyPatch, tmp_path: Path,
                                               capsys: pytest.CaptureFixture[str]) -> None:
    """``hub db current`` with HUB_OPA_URL=ftp://x: exit 1, one line naming it, no traceback.

    Runs the console script's own runner (``_common.run_app``) with ``db`` mounted as in
    hub/cli/__init__.py, in-process: importing the whole CLI again in a subprocess costs
    seconds.
    """
    import typer

    from hub.cli import _common
    from hub.cli.db import app as db_app

    root = typer.Typer(name="hub")
    root.add_typer(db_app, name="db")
    monkeypatch.setenv("HUB_HOME", str(tmp_path / "hub"))
    monkeypatch.setenv("HUB_OPA_URL", "ftp://x")
    monkeypatch.setattr(sys, "argv", ["hub", "db", "current"])
    assert _common.run_app(root) == 1
    out, err = capsys.readouterr()
    assert "HUB_OPA_URL" in err
    assert "Traceback" not in out + err
    assert len(err.strip().splitlines()) == 1
    assert not (tmp_path / "hub").exists()  # failed before touching the store


def test_require_tls_refuses_a_store_or_opa_without_verified_tls(tmp_path: Path) -> None:
    with pytest.raises(SettingsError, match="sslmode=verify-full"):
        load_settings(home=tmp_path, require_tls=True, database_url="postgresql+psycopg://hub@db/hub")
    with pytest.raises(SettingsError, match="https"):
        load_settings(home=tmp_path, require_tls=True, opa_url="http://opa:8181")
    ok = load_settings(home=tmp_path, require_tls=True, opa_url="https://opa:8181",
                       database_url="postgresql+psycopg://hub@db/hub?sslmode=verify-full&sslrootcert=/etc/ca.pem")
    assert ok.require_tls
    with pytest.raises(SettingsError, match="HUB_TLS_CERT and HUB_TLS_KEY"):
        load_settings(home=tmp_path, tls_cert=tmp_path / "c.pem")
    with pytest.raises(SettingsError, match="pkcs11"):
        load_settings(home=tmp_path, kms="pkcs11")
    with pytest.raises(SettingsError, match="crypto_suite|CRYPTO_SUITE"):
        load_settings(home=tmp_path, crypto_suite="rot13")
