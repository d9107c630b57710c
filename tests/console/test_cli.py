"""``hub console login``: a link only for a request signed with the officer's own key."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from typer.testing import CliRunner, Result

from tests.api.conftest import BASE_URL, AsgiClient
from tests.api.exchange_world import World

PASSPHRASE = "console cli passphrase"


def hub(*args: str) -> Result:
    from hub.cli import app

    return CliRunner().invoke(app, list(args))


@pytest.fixture
def in_world(world: World, monkeypatch: pytest.MonkeyPatch) -> World:
    from hub.settings import get_settings

    monkeypatch.setenv("HUB_HOME", str(world.home))
    monkeypatch.setenv("HUB_OFFICER_PASSPHRASE", PASSPHRASE)
    monkeypatch.delenv("HUB_OFFICER_KEY", raising=False)
    monkeypatch.delenv("HUB_DATABASE_URL", raising=False)
    get_settings.cache_clear()
    yield world
    get_settings.cache_clear()


def test_the_cli_prints_a_link_for_the_officers_signed_request(in_world: World, client: AsgiClient,
                                                              tmp_path: Path) -> None:
    key = in_world.desk.write_key("sec-2", tmp_path / "sec-2.key", PASSPHRASE.encode())
    result = hub("console", "login", "--key", str(key), "--url", BASE_URL)
    assert result.exit_code == 0, result.output
    url = re.search(r"(http://testserver/console/login/\S+)", result.output)
    assert url and "sec-2" in result.output
    opened = client.get(url.group(1).removeprefix(BASE_URL))
    assert opened.status_code == 303 and client.get("/console/").status_code == 200
    assert 'data-officer="sec-2"' in client.get("/console/").text


def test_without_the_officers_key_there_is_no_link(in_world: World, tmp_path: Path) -> None:
    result = hub("console", "login", "--officer", "sec-1", "--url", BASE_URL)
    assert result.exit_code != 0
    assert "signed with the officer's own key" in " ".join(str(result.exception or result.output).split())
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    stranger = tmp_path / "stranger.key"
    stranger.write_bytes(Ed25519PrivateKey.generate().private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
        serialization.BestAvailableEncryption(PASSPHRASE.encode())))
    refused = hub("console", "login", "--officer", "sec-1", "--key", str(stranger), "--url", BASE_URL)
    assert refused.exit_code != 0 and "/console/login/" not in refused.output
    assert "is not a registered key of officer `sec-1`" in str(refused.exception)
