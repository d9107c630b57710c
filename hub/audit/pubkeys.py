"""Public audit keys: publishing them as JWKs and reading them back for verification.

The hub signs checkpoints and receipts with its Ed25519 "audit" key
(``hub.keys.KeyStore``).  ``public_keys()`` lists every audit key ever made, so
signatures by rotated-out keys stay verifiable.  Verifiers accept a JWK, a JWKS
(``{"keys": [...]}``), a list of JWKs, or a PEM public key.

Each key is valid until a newer one took over (``valid_until``).  A signature by a key
over something dated at or after that instant is not the hub's — the hub signs with
the newer key by then — but can be the work of whoever holds a retired private key
(a stolen backup, a decommissioned machine).  ``window_problem`` says so;
``PublicKeys.windows`` carries the validity from the key store or from the JWKS
members ``valid_from`` / ``valid_until`` (keys given without them, or as a bare PEM,
have none to check).  Only the end is enforced: a receipt fetched again after a
rotation is signed by the newer key over a delivery dated before that key existed.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from hub.audit.errors import EvidenceError
from hub.crypto.signing import PublicKey, load_public_pem, public_from_jwk
from hub.keys import HubKey, KeyStore

ANY_KID = ""  # key of a PEM given without a key id: tried for every signature


@dataclass(frozen=True)
class Window:
    """When a key signed for the hub: from ``valid_from`` until (not including) ``valid_until``."""

    valid_from: datetime | None
    valid_until: datetime | None  # None: the current key


class PublicKeys(dict[str, PublicKey]):
    """Public keys by key id, with the validity of each where known (``windows``)."""

    def __init__(self, keys: Mapping[str, PublicKey] | None = None,
                 windows: Mapping[str, Window] | None = None) -> None:
        super().__init__(keys or {})
        self.windows: dict[str, Window] = dict(windows or {})


KeyLookup = Mapping[str, PublicKey]  # PublicKeys, or plain key ids → keys (no validity to check)


def window_problem(keys: KeyLookup, kid: str, dated: str | datetime | None, what: str) -> str | None:
    """None if key ``kid`` was still the hub's at ``dated`` (or its validity is unknown), else why not."""
    window = getattr(keys, "windows", {}).get(kid)
    if window is None or window.valid_until is None or dated is None:
        return None
    try:
        moment = dated if isinstance(dated, datetime) else datetime.fromisoformat(str(dated))
    except ValueError:
        return f"{what} is dated `{dated}`, which is no ISO 8601 time: its key's validity cannot be checked"
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    if moment < window.valid_until:
        return None
    return (f"{what} dated {moment.isoformat()} is signed by key `{kid}`, valid from "
            f"{_iso(window.valid_from) or '?'} until {_iso(window.valid_until)}: retired by then, so the signature "
            "is not the hub's (forged with a retired key?)")


def public_keys(keys: KeyStore | None = None) -> list[dict[str, str]]:
    """Every audit public key as an OKP JWK, oldest first (creates the first key if none)."""
    store = keys or _default_keystore()
    store.current("audit")
    return [key.jwk() for key in store.keys("audit")]


def audit_jwks(keys: KeyStore) -> dict[str, list[dict[str, Any]]]:
    """Every audit public key as a JWK Set, oldest first, each with its validity.

    Beside the RFC 8037 members each key says ``status`` (``current`` or ``retired``),
    ``valid_from`` (when the hub started signing with it) and ``valid_until`` (when a
    newer key of its algorithm took over; null for the current key), UTC ISO 8601.  A retired key keeps
    verifying what it signed; a signature by it over something dated after its
    ``valid_until`` is not the hub's.  Creates the first key if there is none.
    """
    signer = keys.current("audit")
    found = keys.keys("audit")
    out = []
    for key, window in zip(found, windows(found), strict=True):
        out.append({**key.jwk(), "status": "current" if key.kid == signer.kid else "retired",
                    "valid_from": _iso(window.valid_from), "valid_until": _iso(window.valid_until)})
    return {"keys": out}


def windows(found: list[HubKey]) -> list[Window]:
    """The validity of each of ``found`` (oldest first): from its creation until the next key of
    the same algorithm was made.  A hub that changes suite and back signs again with its newest
    key of that suite, so a key of the other suite made meanwhile does not retire it."""
    out = []
    for i, key in enumerate(found):
        newer = next((k.created_at for k in found[i + 1:] if k.alg == key.alg), None)
        out.append(Window(key.created_at, newer))
    return out


def _iso(moment: datetime | None) -> str | None:
    return moment.isoformat() if moment is not None else None


def _default_keystore() -> KeyStore:
    from hub.settings import get_settings

    return KeyStore.from_settings(get_settings())


def jwk_public_key(jwk: dict[str, Any]) -> PublicKey:
    """The public key of an OKP/Ed25519 or EC/SM2 JWK; ``EvidenceError`` if it is neither."""
    try:
        return public_from_jwk(jwk)
    except ValueError as exc:
        raise EvidenceError(f"JWK `{jwk.get('kid', '?')}` is not an Ed25519 or SM2 public key: {exc}") from None


def _when(jwk: dict[str, Any], name: str) -> datetime | None:
    value = jwk.get(name)
    if value is None:
        return None
    try:
        moment = datetime.fromisoformat(str(value))
    except ValueError:
        raise EvidenceError(f"JWK `{jwk.get('kid', '?')}`: `{name}` is no ISO 8601 time") from None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def key_map(source: KeyStore | Iterable[dict[str, Any]]) -> PublicKeys:
    """Public keys by key id with their validity, from a key store or from JWKs (validity from
    their ``valid_from`` / ``valid_until`` members, when present)."""
    if isinstance(source, KeyStore):
        found = source.keys("audit")
        return PublicKeys({key.kid: key.verifier for key in found},
                          {key.kid: window for key, window in zip(found, windows(found), strict=True)})
    keys, known = PublicKeys(), {}
    for jwk in source:
        kid = str(jwk.get("kid", ANY_KID))
        keys[kid] = jwk_public_key(jwk)
        if "valid_until" in jwk:
            known[kid] = Window(_when(jwk, "valid_from"), _when(jwk, "valid_until"))
    keys.windows = known
    return keys


def parse_public_keys(text: str) -> PublicKeys:
    """Keys from the text of a JWK, JWKS, list of JWKs or PEM public key."""
    stripped = text.strip()
    if stripped.startswith("-----BEGIN"):
        try:
            return PublicKeys({ANY_KID: load_public_pem(stripped.encode("ascii"))})
        except ValueError as exc:
            raise EvidenceError(f"not an Ed25519 or SM2 PEM public key: {exc}") from None
    try:
        data = json.loads(stripped)
    except json.JSONDecodeError as exc:
        raise EvidenceError(f"public key is neither PEM nor JSON: {exc}") from None
    if isinstance(data, dict) and "keys" in data:
        data = data["keys"]
    jwks = data if isinstance(data, list) else [data]
    if not all(isinstance(j, dict) for j in jwks):
        raise EvidenceError("public key JSON must be a JWK, a JWKS or a list of JWKs")
    return key_map(jwks)


def candidates(keys: KeyLookup, kid: str) -> list[PublicKey]:
    """The keys that may have made a signature labelled ``kid``."""
    named = [keys[kid]] if kid in keys else []
    return named + ([keys[ANY_KID]] if ANY_KID in keys else [])
