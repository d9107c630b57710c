"""The token verification cache (issue 13): verified once per token, revocations checked every request.

``AccessVerifier`` is driven with an injected clock (expiry) and an injected monotonic
clock (the staleness bound of the revocation set), so no test waits on the wall clock.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import update

from hub import statements, tokens, workflow
from hub.api.app import token_config
from hub.hubid import hub_id
from hub.identity import load_subject
from hub.keys import KeyStore
from hub.revocations import Revocations, RevocationsUnavailable
from hub.settings import Settings
from hub.signers import KeySigner
from hub.store.db import Store
from hub.store.models import ClientKey, Partner
from hub.tokens import TokenRejected, authenticate_client, issue_access_token
from hub.verifier import AccessVerifier
from tests.api.conftest import AsgiClient, Client, RecordingAuditFake, get_token

STALENESS_S = 2.0


@dataclass
class Clocks:
    wall: float
    mono: float = 100.0


@pytest.fixture
def clocks() -> Clocks:
    return Clocks(wall=datetime.now(UTC).timestamp())


@pytest.fixture
def verifier(store: Store, keys: KeyStore, settings: Settings, clocks: Clocks) -> AccessVerifier:
    revocations = Revocations(store, keys, STALENESS_S, monotonic=lambda: clocks.mono)
    return AccessVerifier(store, keys, token_config(settings), revocations, clock=lambda: clocks.wall)


@pytest.fixture
def counted(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Every full verification (signature and claims) of an access token."""
    seen: list[str] = []
    real = tokens.verify_access_token

    def counting(*args: Any, **kwargs: Any) -> dict[str, Any]:
        seen.append(args[1])
        return real(*args, **kwargs)

    monkeypatch.setattr("hub.verifier.verify_access_token", counting)
    return seen


def issue(store: Store, keys: KeyStore, settings: Settings, who: Client) -> tuple[str, float]:
    """Obtain an access token the way /oauth/token does; the token and its exp."""
    config = token_config(settings)
    with store.session() as session:
        subject, kid = authenticate_client(session, who.assertion(aud=config.token_url), config)
    assert kid == who.kid
    issued = issue_access_token(keys, subject, config, client_kid=kid)
    return issued.token, datetime.now(UTC).timestamp() + issued.expires_in


def test_a_verified_token_is_remembered_until_its_exp_and_not_past_it(
        verifier: AccessVerifier, store: Store, keys: KeyStore, settings: Settings, partner: Client,
        clocks: Clocks, counted: list[str]) -> None:
    token, exp = issue(store, keys, settings, partner)
    for _ in range(3):
        assert verifier.subject(token).id == partner.client_id
    assert (len(counted), verifier.hits) == (1, 2)
    clocks.wall = exp - 1  # still before exp: remembered
    verifier.subject(token)
    assert len(counted) == 1
    clocks.wall = exp + 1  # past exp: verified again from scratch
    verifier.subject(token)
    assert len(counted) == 2


def lock_down(store: Store, audit: RecordingAuditFake, officer: Client, partner_id: str = "hz-xihu-jw") -> None:
    """A lockdown of ``partner_id`` signed by the security officer ``officer`` (through this process)."""
    with store.session() as session:
        statement = statements.sign(KeySigner(officer.key), "sec-1", "lockdown", f"partner:{partner_id}",
                                    statements.lockdown_terms(partner_id), audience=hub_id(session),
                                    note="leaked extract")
        workflow.lockdown(session, audit.sink, partner_id, statement)


def test_a_lockdown_through_this_process_refuses_the_very_next_request(
        verifier: AccessVerifier, store: Store, keys: KeyStore, settings: Settings, partner: Client,
        audit: RecordingAuditFake, officer: Client) -> None:
    token, _ = issue(store, keys, settings, partner)
    verifier.subject(token)
    lock_down(store, audit, officer)
    with pytest.raises(TokenRejected) as refused:
        verifier.subject(token)
    assert refused.value.reason == "suspended"


def _locked_elsewhere(store: Store) -> None:
    with store.session() as session:  # no workflow call: as another API process's change looks here
        session.execute(update(Partner).where(Partner.id == "hz-xihu-jw").values(suspended=True))


def _key_revoked_elsewhere(store: Store, kid: str) -> None:
    with store.session() as session:
        session.execute(update(ClientKey).where(ClientKey.kid == kid).values(revoked_at=datetime.now(UTC)))


@pytest.mark.parametrize(("change", "reason"), [
    (lambda store, partner, keys: _locked_elsewhere(store), "suspended"),
    (lambda store, partner, keys: _key_revoked_elsewhere(store, partner.kid), "client_key_revoked"),
    (lambda store, partner, keys: [p.unlink() for p in (keys.root / "token").glob("*.pem")], "unknown_kid"),
])
def test_a_revocation_elsewhere_refuses_within_the_staleness_bound(
        verifier: AccessVerifier, store: Store, keys: KeyStore, settings: Settings, partner: Client,
        clocks: Clocks, change: Any, reason: str) -> None:
    token, _ = issue(store, keys, settings, partner)
    verifier.subject(token)  # remembered, and the revocation set read at mono = 100
    change(store, partner, keys)
    clocks.mono += STALENESS_S - 0.001
    assert verifier.subject(token).id == partner.client_id  # within the bound: may still pass
    clocks.mono += 0.001
    with pytest.raises(TokenRejected) as refused:  # at the bound: never
        verifier.subject(token)
    assert refused.value.reason == reason


def test_an_unreadable_revocation_state_refuses(store: Store, keys: KeyStore, tmp_path: Path) -> None:
    revocations = Revocations(store, keys, STALENESS_S)
    store.dispose()
    path = Path(store.engine.url.database or "")
    path.unlink()
    path.mkdir()
    with pytest.raises(RevocationsUnavailable) as refused:
        revocations.current()
    assert refused.value.status == 503


def test_the_api_refuses_a_locked_down_partner_on_its_next_request(
        client: AsgiClient, store: Store, partner: Client, audit: RecordingAuditFake, officer: Client) -> None:
    token = get_token(client, partner.assertion()).json()["access_token"]
    headers = {"Authorization": f"Bearer {token}"}
    assert client.get("/test/whoami", headers=headers).status_code == 200
    assert client.get("/test/whoami", headers=headers).status_code == 200  # remembered
    lock_down(store, audit, officer)
    with store.session() as session:
        assert load_subject(session, partner.client_id).suspended  # type: ignore[union-attr]
    assert client.get("/test/whoami", headers=headers).status_code == 401
