"""A world for the exchange tests: a copied pipeline HUB_HOME with partners, officers, grants.

``build_world(src, dst)`` copies a HUB_HOME produced by a real ``hub run`` and
registers, through ``hub.identity`` and ``hub.workflow`` with the REAL audit log:
a county partner (clearance 3, 330106), a province partner (clearance 2, 330000),
a partner that gets locked down, an owner officer and two security officers (each
holding its own key in ``World.desk``, enrolled as the hub enrols officers), and
grants on ``finance.subsidy_payment`` approved by two officers' signed statements.
"""

from __future__ import annotations

import shutil
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from fastapi import FastAPI

from hub import workflow
from hub.api import create_app
from hub.audit import AuditLog
from hub.identity import register_partner
from hub.keys import KeyStore
from hub.settings import Settings, load_settings
from hub.store.db import Store, open_store
from tests.api.conftest import BASE_URL, AsgiClient, Client, get_token, public_pem
from tests.officer_desk import Desk

SUBSIDY = "finance.subsidy_payment"
SUBSIDY_CLEAR = ["payment_id", "township_code", "amount", "program_code", "period"]


@dataclass
class World:
    home: Path
    settings: Settings
    store: Store
    audit: AuditLog
    clients: dict[str, Client] = field(default_factory=dict)
    grants: dict[str, str] = field(default_factory=dict)
    desk: Desk = field(default_factory=Desk)  # the officers' own keys

    def app(self, **kw: Any) -> FastAPI:
        kw.setdefault("public_url", BASE_URL)
        return create_app(
            self.settings,
            audit=self.audit.append,
            store=self.store,
            keys=KeyStore(self.settings.keys_dir),
            **kw,
        )

    def close(self) -> None:
        self.audit.close()
        self.store.dispose()


def _register(world: World, kind: str, local: str, **kw: Any) -> Client:
    key = Ed25519PrivateKey.generate()
    with world.store.session() as session:
        reg = register_partner(session, world.audit.sink, local, public_pem=public_pem(key), **kw)
    client = Client(reg.client_id, reg.kid, key)
    world.clients[local] = client
    return client


OFFICERS: dict[str, tuple[str, str | None]] = {
    "own-fin": ("owner", "finance"), "sec-1": ("security", None), "sec-2": ("security", None)}


def enrol_officer(world: World, officer: str, role: str, owner_of: str | None) -> Client:
    """Enrol one more officer, signed by the first two; it holds its own key."""
    with world.store.session() as session:
        for by in list(OFFICERS)[:2]:
            world.desk.enrol(session, world.audit.sink, officer, role, owner_of, by=by)
    signer = world.desk.signer(officer)
    client = world.clients[officer] = Client(f"officer:{officer}", signer.kid, world.desk.private[officer])
    return client


def _enrol_officers(world: World) -> None:
    """The first two by the bootstrap, sec-2 with their two signatures; each holds its key."""
    with world.store.session() as session:
        world.desk.enrol_all(session, world.audit.sink, OFFICERS)
    for officer in OFFICERS:
        signer = world.desk.signer(officer)
        world.clients[officer] = Client(f"officer:{officer}", signer.kid, world.desk.private[officer])


def grant(
    world: World,
    partner: str,
    dataset: str,
    purpose: str,
    columns: list[str],
    clear: list[str],
    owner: str = "own-fin",
    max_rows: int = 1_000_000,
    lookup: tuple[str, ...] = (),
) -> str:
    """Apply as ``partner`` and approve by an owner and a security officer; return the grant id."""
    now = datetime.now(UTC)
    req = workflow.ApplicationRequest(
        partner=partner,
        dataset=dataset,
        purpose=purpose,
        columns=columns,
        clear_columns=tuple(clear),
        valid_from=now - timedelta(days=1),
        valid_until=now + timedelta(days=30),
        max_rows_per_day=max_rows,
        lookup_columns=lookup,
    )
    with world.store.session() as session:
        app_id = workflow.apply(session, world.audit.sink, req).id
    for officer in (owner, "sec-1"):
        with world.store.session() as session:
            world.desk.decide(session, world.audit.sink, app_id, officer)
    with world.store.session() as session:
        found = [g.id for g in workflow.list_grants(session) if g.application_id == app_id]
    world.grants[f"{partner}/{dataset}"] = found[0]
    return found[0]


def subsidy_columns(world: World) -> list[str]:
    with world.store.session() as session:
        from catalog.listing import columns

        return [c.name for c in columns(session, SUBSIDY)]


def build_world(src: Path, dst: Path, max_rows: int = 1_000_000) -> World:
    """Copy ``src`` to ``dst`` and register the actors and grants (see the module docstring)."""
    shutil.copytree(src, dst)
    settings = load_settings(home=dst)
    store = open_store(settings.metadata_url)
    world = World(dst, settings, store, AuditLog.from_settings(store, settings))
    _register(
        world,
        "partner",
        "hz-xihu-jw",
        clearance=3,
        jurisdiction="330106",
        purposes=["case-verification", "statistics"],
    )
    _register(
        world,
        "partner",
        "zj-province",
        clearance=2,
        jurisdiction="330000",
        purposes=["case-verification", "statistics"],
    )
    _register(
        world,
        "partner",
        "leaky",
        clearance=3,
        jurisdiction="330106",
        purposes=["case-verification", "statistics"],
    )
    _enrol_officers(world)
    cols = subsidy_columns(world)
    grant(world, "hz-xihu-jw", SUBSIDY, "case-verification", cols, SUBSIDY_CLEAR, max_rows=max_rows)
    grant(world, "zj-province", SUBSIDY, "case-verification", cols, SUBSIDY_CLEAR, max_rows=max_rows)
    grant(world, "leaky", SUBSIDY, "case-verification", cols, SUBSIDY_CLEAR, max_rows=max_rows)
    return world


def bearer(client: AsgiClient, who: Client) -> dict[str, str]:
    """An ``Authorization`` header with a fresh access token for ``who``."""
    response = get_token(client, who.assertion())
    assert response.status_code == 200, response.text
    return {"Authorization": f"Bearer {response.json()['access_token']}"}
