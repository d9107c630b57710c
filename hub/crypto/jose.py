"""SM2 with SM3 as a JWS algorithm for pyjwt (``"alg": "SM2SM3"``, a private name: see ``hub.crypto.signing``).

``register()`` adds it to pyjwt's global registry once.  Every hub decode names the
algorithms it accepts (pinned per key, never read from the token), so registering it
lets no token choose it: an ``SM2SM3`` token is only verified where the hub's own key
of that kid is an SM2 key.
"""

from __future__ import annotations

import threading
from typing import Any

import jwt
from jwt.algorithms import Algorithm

from hub.crypto.signing import SM2SM3, PrivateKey, PublicKey, public_from_jwk

_done = threading.Lock()
_registered = False


class Sm2Sm3(Algorithm):
    """pyjwt's interface over ``hub.crypto.signing`` SM2 keys (raw ``r || s`` signatures)."""

    def prepare_key(self, key: Any) -> Any:
        if isinstance(key, PrivateKey | PublicKey) and key.alg == SM2SM3:
            return key
        raise jwt.InvalidKeyError("SM2SM3 needs an SM2 key of hub.crypto.signing")

    def sign(self, msg: bytes, key: Any) -> bytes:
        if not isinstance(key, PrivateKey):
            raise jwt.InvalidKeyError("SM2SM3 signs with a private key")
        return key.sign(msg)

    def verify(self, msg: bytes, key: Any, sig: bytes) -> bool:
        public = key.public() if isinstance(key, PrivateKey) else key
        return bool(public.verifies(sig, msg))

    @staticmethod
    def to_jwk(key_obj: Any, as_dict: bool = False) -> Any:
        public = key_obj.public() if isinstance(key_obj, PrivateKey) else key_obj
        jwk = public.jwk("")
        jwk.pop("kid")
        if as_dict:
            return jwk
        import json

        return json.dumps(jwk)

    @staticmethod
    def from_jwk(jwk: Any) -> Any:
        import json

        data = json.loads(jwk) if isinstance(jwk, str) else jwk
        try:
            return public_from_jwk(data)
        except ValueError as exc:
            raise jwt.InvalidKeyError(str(exc)) from None


def register() -> None:
    """Make ``SM2SM3`` known to pyjwt (idempotent)."""
    global _registered
    with _done:
        if not _registered:
            jwt.register_algorithm(SM2SM3, Sm2Sm3())
            _registered = True


register()
