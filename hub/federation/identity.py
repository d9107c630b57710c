"""The hub's federation identity (节点身份): its name and its Ed25519 identity key.

Another hub knows this one by a name (``county_330106``, ``zj_province``: 2-41 of
``a-z 0-9 _``, as a provider code, since pulled datasets are published under it) and
by the public half of its identity key, which signs the model packages and
revocations this hub publishes.  The name lives in ``$HUB_HOME/federation/identity.json``
(set once by ``hub federation init``: peers registered it, so it never changes); the
key in the hub's key store (``hub.keys``, purpose ``identity``, current and retired
keys kept).  ``document`` is what the hub publishes at
``/.well-known/hub-identity.json`` and ``hub federation identity`` prints: name, keys
and a fingerprint that officers of the other hub compare over another channel before
they sign its registration (``hub.federation.publishers``).
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from connectors.provider import check_code
from hub.audit.canonical import canonical_json, sha256_hex
from hub.federation.errors import FederationError, IdentityMissing
from hub.keys import HubKey, KeyStore
from hub.settings import Settings

PURPOSE = "identity"
DOCUMENT_TYPE = "hub-identity"


@dataclass(frozen=True)
class HubIdentity:
    """This hub's name, Chinese name and current identity key."""

    hub: str
    name_zh: str
    key: HubKey


def _path(settings: Settings) -> Path:
    return settings.home / "federation" / "identity.json"


def check_name(name: str) -> str:
    """A hub name: a valid provider code (its pulled datasets are published under it)."""
    try:
        return check_code(name)
    except ValueError as exc:
        raise FederationError(f"hub name: {exc}") from None


def init(settings: Settings, hub: str, name_zh: str = "") -> HubIdentity:
    """Give this hub its federation name (once) and make its identity key if there is none."""
    check_name(hub)
    path = _path(settings)
    if path.exists():
        current = _read(path)
        if current["hub"] != hub:
            raise FederationError(f"this hub is already `{current['hub']}` to its peers; a federation name never "
                                  "changes (peers registered it)")
        return load(settings)
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    tmp = path.with_name(f".identity-{os.getpid()}.json")
    tmp.write_text(json.dumps({"hub": hub, "name_zh": name_zh, "created_at": datetime.now(UTC).isoformat()},
                              ensure_ascii=False), encoding="utf-8")
    tmp.replace(path)
    return load(settings)


def _read(path: Path) -> dict[str, Any]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise FederationError(f"{path} is unreadable: {exc}") from None
    if not isinstance(data, dict) or not isinstance(data.get("hub"), str):
        raise FederationError(f"{path} names no hub")
    return data


def load(settings: Settings) -> HubIdentity:
    """This hub's identity; ``IdentityMissing`` before ``hub federation init``."""
    path = _path(settings)
    if not path.exists():
        raise IdentityMissing("this hub has no federation identity yet: give it one with "
                              "`hub federation init NAME --name-zh 名称`")
    data = _read(path)
    key = KeyStore(settings.keys_dir).current(PURPOSE)
    return HubIdentity(str(data["hub"]), str(data.get("name_zh", "")), key)


def public_keys(settings: Settings) -> list[dict[str, Any]]:
    """Every identity key (current last) as a public OKP JWK with its status."""
    keys = KeyStore(settings.keys_dir).keys(PURPOSE)
    return [{**k.jwk(), "status": "current" if i == len(keys) - 1 else "retired"} for i, k in enumerate(keys)]


def fingerprint(hub: str, keys: list[dict[str, Any]]) -> str:
    """SHA-256 over the name and the public keys (``kid``, ``x``): what two officers compare."""
    core = {"hub": hub, "keys": sorted(({"kid": k["kid"], "x": k["x"]} for k in keys), key=lambda k: k["kid"])}
    return sha256_hex(canonical_json(core))


def document(settings: Settings) -> dict[str, Any]:
    """The public identity document (served at ``/.well-known/hub-identity.json``)."""
    me = load(settings)
    keys = public_keys(settings)
    return {"type": DOCUMENT_TYPE, "hub": me.hub, "name_zh": me.name_zh, "keys": keys,
            "fingerprint": fingerprint(me.hub, keys)}
