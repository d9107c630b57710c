"""A partner system's credentials: its client id and private key, and the assertions it signs.

The hub authenticates clients with ``private_key_jwt`` (RFC 7523): a short JWT signed
by the client's registered key, ``iss = sub = client id``, ``aud`` = the token URL,
``exp`` at most five minutes ahead and a unique ``jti``.  Ed25519 (``EdDSA``) and
P-256 (``ES256``) keys are accepted; ``hub partner add`` writes an Ed25519 PEM.
"""

from __future__ import annotations

import time
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import jwt
from cryptography.hazmat.primitives.asymmetric import ec, ed25519
from cryptography.hazmat.primitives.serialization import load_pem_private_key

from hub.client.errors import ClientError

ASSERTION_TYPE = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"
ASSERTION_LIFETIME_S = 60


def load_key(source: Path | str | bytes, password: bytes | None = None) -> Any:
    """A private key from a PEM file (path) or PEM bytes; Ed25519 or EC P-256."""
    pem = source if isinstance(source, bytes) else _read(Path(source))
    try:
        key = load_pem_private_key(pem, password=password)
    except (ValueError, TypeError) as exc:
        raise ClientError(f"the client key is not a usable PEM private key: {exc}") from None
    algorithm_of(key)
    return key


def _read(path: Path) -> bytes:
    try:
        return path.read_bytes()
    except OSError as exc:
        raise ClientError(f"cannot read the client key `{path}`: {exc.strerror}") from None


def algorithm_of(key: Any) -> str:
    """The JWS algorithm for ``key``: EdDSA for Ed25519, ES256 for EC P-256."""
    if isinstance(key, ed25519.Ed25519PrivateKey):
        return "EdDSA"
    if isinstance(key, ec.EllipticCurvePrivateKey) and key.curve.name == "secp256r1":
        return "ES256"
    raise ClientError(f"client keys must be Ed25519 or EC P-256, not {type(key).__name__}")


@dataclass(frozen=True)
class Credentials:
    """A client id and its private key (``kid``: the registered key id, when the hub knows several)."""

    client_id: str
    key: Any
    kid: str | None = None

    @classmethod
    def from_file(cls, client_id: str, path: Path | str, password: bytes | None = None,
                  kid: str | None = None) -> Credentials:
        return cls(client_id, load_key(path, password), kid)

    def assertion(self, token_url: str, now: float | None = None, lifetime_s: int = ASSERTION_LIFETIME_S) -> str:
        """A fresh client assertion for ``token_url`` (new ``jti`` every time)."""
        issued = int(time.time() if now is None else now)
        claims = {"iss": self.client_id, "sub": self.client_id, "aud": token_url, "iat": issued,
                  "exp": issued + lifetime_s, "jti": uuid.uuid4().hex}
        headers = {"kid": self.kid} if self.kid else None
        return jwt.encode(claims, self.key, algorithm=algorithm_of(self.key), headers=headers)
