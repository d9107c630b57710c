"""Public audit keys: publishing them as JWKs and reading them back for verification.

The hub signs checkpoints and receipts with its Ed25519 "audit" key
(``hub.keys.KeyStore``).  ``public_keys()`` lists every audit key ever made, so
signatures by rotated-out keys stay verifiable.  Verifiers accept a JWK, a JWKS
(``{"keys": [...]}``), a list of JWKs, or a PEM public key.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from datetime import datetime
from typing import Any

from hub.audit.errors import EvidenceError
from hub.crypto.signing import PublicKey, load_public_pem, public_from_jwk
from hub.keys import KeyStore

PublicKeys = dict[str, PublicKey]
ANY_KID = ""  # key of a PEM given without a key id: tried for every signature


def public_keys(keys: KeyStore | None = None) -> list[dict[str, str]]:
    """Every audit public key as an OKP JWK, oldest first (creates the first key if none)."""
    store = keys or _default_keystore()
    store.current("audit")
    return [key.jwk() for key in store.keys("audit")]


def audit_jwks(keys: KeyStore) -> dict[str, list[dict[str, Any]]]:
    """Every audit public key as a JWK Set, oldest first, each with its validity.

    Beside the RFC 8037 members each key says ``status`` (``current`` or ``retired``),
    ``valid_from`` (when the hub started signing with it) and ``valid_until`` (when a
    newer key took over; null for the current key), UTC ISO 8601.  A retired key keeps
    verifying what it signed; a signature by it over something dated after its
    ``valid_until`` is not the hub's.  Creates the first key if there is none.
    """
    keys.current("audit")
    found = keys.keys("audit")
    starts = [key.created_at for key in found]
    out = []
    for i, key in enumerate(found):
        until = starts[i + 1] if i + 1 < len(found) else None
        out.append({**key.jwk(), "status": "current" if until is None else "retired",
                    "valid_from": _iso(starts[i]), "valid_until": _iso(until)})
    return {"keys": out}


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


def key_map(source: KeyStore | Iterable[dict[str, Any]]) -> PublicKeys:
    """Public keys by key id, from a key store or from JWKs."""
    if isinstance(source, KeyStore):
        return {key.kid: key.verifier for key in source.keys("audit")}
    return {str(jwk.get("kid", ANY_KID)): jwk_public_key(jwk) for jwk in source}


def parse_public_keys(text: str) -> PublicKeys:
    """Keys from the text of a JWK, JWKS, list of JWKs or PEM public key."""
    stripped = text.strip()
    if stripped.startswith("-----BEGIN"):
        try:
            return {ANY_KID: load_public_pem(stripped.encode("ascii"))}
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


def candidates(keys: PublicKeys, kid: str) -> list[PublicKey]:
    """The keys that may have made a signature labelled ``kid``."""
    named = [keys[kid]] if kid in keys else []
    return named + ([keys[ANY_KID]] if ANY_KID in keys else [])
