"""Fixtures of the federation tests: a hub's store with officers, a publishing hub's identity, a package.

``Publisher`` is another hub's identity made in a HUB_HOME of its own (its key never
leaves it), and signs documents exactly as ``hub.federation`` does; ``SAMPLE`` is the
shared model the two-hub test publishes (``models/disposal_discount``).
"""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from hub.events import discard
from hub.federation import identity, local, packages, publishers, signed
from hub.settings import Settings, load_settings
from hub.store import Store, open_store
from tests.officer_desk import Desk

SAMPLE = Path(__file__).parent / "models" / "disposal_discount"


@dataclass
class Publisher:
    """Another hub: its settings (own HUB_HOME) and identity."""

    settings: Settings
    me: identity.HubIdentity

    def document(self) -> dict[str, Any]:
        return identity.document(self.settings)

    def package(self, files: dict[str, str] | None = None, **overrides: Any) -> str:
        """A package of ``files`` (default: the sample) signed by this hub."""
        files = dict(files if files is not None else local.files_of(SAMPLE))
        doc = {"format": packages.FORMAT, "publisher": self.me.hub, "published_at": "2026-12-07T10:00:00+00:00",
               "name": "disposal_discount", "version": "1.0.0", "files": files, **overrides}
        return signed.sign(self.me.key, self.me.hub, packages.TYPE, doc)


def make_publisher(root: Path, name: str) -> Publisher:
    settings = load_settings(home=root / name)
    return Publisher(settings, identity.init(settings, name, f"{name} 汇通节点"))


@pytest.fixture
def store(hub_home: Path) -> Store:
    return open_store(f"sqlite:///{hub_home / 'hub.sqlite'}")


@pytest.fixture
def settings(hub_home: Path) -> Settings:
    return load_settings(home=hub_home)


@pytest.fixture
def desk(store: Store) -> Desk:
    desk = Desk()
    with store.session() as session:
        desk.enrol_all(session, discard, {"own-fin": ("owner", "finance"), "sec-1": ("security", None),
                                          "sec-2": ("security", None)})
    return desk


@pytest.fixture
def province(tmp_path: Path) -> Publisher:
    return make_publisher(tmp_path, "zj_province")


def trust(store: Store, desk: Desk, publisher: Publisher, url: str | None = None,
          officers: tuple[str, ...] = ("own-fin", "sec-1")) -> object:
    """``officers`` sign the registration of ``publisher``; the last result (the row once registered)."""
    doc = publisher.document()
    terms = publishers.terms(doc, url)
    result = None
    for officer in officers:
        with store.session() as session:
            statement = desk.sign(officer, "trust", publishers.target(doc["hub"]), terms)
            result = publishers.trust(session, discard, doc, url, statement)
    return result


def copy_sample(target: Path) -> Path:
    shutil.copytree(SAMPLE, target)
    return target
