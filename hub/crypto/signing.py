"""The hub's signature keys: Ed25519 (``EdDSA``) or SM2 with SM3 (``SM2SM3``), one interface.

``PrivateKey.sign(data)`` returns the raw signature JOSE uses: Ed25519's 64 bytes, or
SM2's ``r || s`` (32 + 32 bytes big-endian, as JWS does for ECDSA).  SM2 signs with
the GB/T 32918 / GB/T 35276 default signer ID ``1234567812345678`` in the Z value;
``openssl pkeyutl -verify -rawin -digest sm3 -pkeyopt distid:1234567812345678``
verifies such a signature (the OpenSSL 3.0 command line defaults to an empty ID).

SM2 comes from ``tongsuopy``: the Python SDK of Tongsuo (铜锁), the OpenAtom
Foundation's OpenSSL fork whose SM2/SM3/SM4 carry the commercial-cryptography
product certification; its API is pyca/cryptography's.  We chose it over ``gmssl``
(pure Python, draws SM2 nonces from ``random``) and ``gmssl-python`` (needs a
system libgmssl that Debian does not ship).

JOSE and SM2: the IANA JWS and JWK registries hold no SM2 algorithm or curve.  RFC
7515 §4.1.1 and RFC 7518 §6.2.1.1 allow private names, so the hub's gm signatures say
``"alg": "SM2SM3"`` and its SM2 JWKs ``{"kty": "EC", "crv": "SM2", "x", "y"}``
(coordinates base64url, 32 bytes each): a verifier must know these names (docs/audit.md).
"""

from __future__ import annotations

import base64
from typing import Any

from cryptography.exceptions import InvalidSignature, UnsupportedAlgorithm
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature
from tongsuopy.crypto import hashes as sm_hashes
from tongsuopy.crypto import serialization as sm_serialization
from tongsuopy.crypto.asymciphers import ec as sm_ec
from tongsuopy.crypto.asymciphers.utils import encode_dss_signature
from tongsuopy.crypto.exceptions import InvalidSignature as SmInvalidSignature

EDDSA = "EdDSA"
SM2SM3 = "SM2SM3"
ALGORITHMS = (EDDSA, SM2SM3)
_SM2_COORD = 32

__all__ = ["ALGORITHMS", "EDDSA", "SM2SM3", "InvalidSignature", "PrivateKey", "PublicKey"]


def _b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _b64url_decode(text: str) -> bytes:
    return base64.urlsafe_b64decode((text + "=" * (-len(text) % 4)).encode("ascii"))


class PublicKey:
    """A verifying key; ``verify`` raises ``cryptography.exceptions.InvalidSignature``."""

    def __init__(self, alg: str, key: Any) -> None:
        self.alg = alg
        self.key = key  # the library's own key object

    def verify(self, signature: bytes, data: bytes) -> None:
        if self.alg == EDDSA:
            self.key.verify(signature, data)
            return
        if len(signature) != 2 * _SM2_COORD:
            raise InvalidSignature()
        r = int.from_bytes(signature[:_SM2_COORD], "big")
        s = int.from_bytes(signature[_SM2_COORD:], "big")
        try:
            self.key.verify(encode_dss_signature(r, s), data, sm_ec.ECDSA(sm_hashes.SM3()))
        except SmInvalidSignature:
            raise InvalidSignature() from None

    def verifies(self, signature: bytes, data: bytes) -> bool:
        try:
            self.verify(signature, data)
            return True
        except InvalidSignature:
            return False

    def raw(self) -> bytes:
        """Ed25519: the 32-byte key; SM2: the uncompressed point ``04 || x || y``."""
        if self.alg == EDDSA:
            return self.key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
        numbers = self.key.public_numbers()
        return b"\x04" + numbers.x.to_bytes(_SM2_COORD, "big") + numbers.y.to_bytes(_SM2_COORD, "big")

    def pem(self) -> bytes:
        """SubjectPublicKeyInfo PEM (SM2: id-ecPublicKey on curve 1.2.156.10197.1.301)."""
        if self.alg == EDDSA:
            return self.key.public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
        return self.key.public_bytes(sm_serialization.Encoding.PEM,
                                     sm_serialization.PublicFormat.SubjectPublicKeyInfo)

    def jwk(self, kid: str) -> dict[str, str]:
        """The public JWK: OKP/Ed25519 (RFC 8037) or EC/SM2 (a private curve name, see the module docstring)."""
        if self.alg == EDDSA:
            return {"kty": "OKP", "crv": "Ed25519", "kid": kid, "alg": EDDSA, "use": "sig", "x": _b64url(self.raw())}
        raw = self.raw()
        return {"kty": "EC", "crv": "SM2", "kid": kid, "alg": SM2SM3, "use": "sig",
                "x": _b64url(raw[1:1 + _SM2_COORD]), "y": _b64url(raw[1 + _SM2_COORD:])}


class PrivateKey:
    """A signing key of the hub."""

    def __init__(self, alg: str, key: Any) -> None:
        self.alg = alg
        self.key = key

    def sign(self, data: bytes) -> bytes:
        """The raw JOSE signature of ``data``."""
        if self.alg == EDDSA:
            return bytes(self.key.sign(data))
        r, s = decode_dss_signature(self.key.sign(data, sm_ec.ECDSA(sm_hashes.SM3())))
        return r.to_bytes(_SM2_COORD, "big") + s.to_bytes(_SM2_COORD, "big")

    def public(self) -> PublicKey:
        return PublicKey(self.alg, self.key.public_key())

    def pem(self) -> bytes:
        """Unencrypted PKCS#8 PEM (the key store keeps it in a 0600 file)."""
        if self.alg == EDDSA:
            return self.key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                          serialization.NoEncryption())
        return self.key.private_bytes(sm_serialization.Encoding.PEM, sm_serialization.PrivateFormat.PKCS8,
                                      sm_serialization.NoEncryption())


def generate_private_key(alg: str) -> PrivateKey:
    """A new signing key for ``alg`` (``EdDSA`` or ``SM2SM3``)."""
    if alg == EDDSA:
        return PrivateKey(EDDSA, Ed25519PrivateKey.generate())
    if alg == SM2SM3:
        return PrivateKey(SM2SM3, sm_ec.generate_private_key(sm_ec.SM2()))
    raise ValueError(f"unknown signature algorithm `{alg}`")


def load_private_pem(data: bytes) -> PrivateKey:
    """A PKCS#8 PEM private key: Ed25519 or SM2; ``ValueError`` for anything else."""
    try:
        key = serialization.load_pem_private_key(data, password=None)
    except (ValueError, TypeError, UnsupportedAlgorithm):  # an SM2 key is unknown to cryptography
        key = None
    if isinstance(key, Ed25519PrivateKey):
        return PrivateKey(EDDSA, key)
    try:
        sm2 = sm_serialization.load_pem_private_key(data, password=None)
    except Exception as exc:  # noqa: BLE001 - tongsuopy raises its own types
        raise ValueError(f"not an Ed25519 or SM2 private key: {exc}") from None
    if not isinstance(sm2, sm_ec.EllipticCurvePrivateKey) or sm2.curve.name.lower() != "sm2":
        raise ValueError("not an Ed25519 or SM2 private key")
    return PrivateKey(SM2SM3, sm2)


def load_public_pem(data: bytes) -> PublicKey:
    """A SubjectPublicKeyInfo PEM: Ed25519 or SM2; ``ValueError`` otherwise."""
    try:
        key = serialization.load_pem_public_key(data)
    except (ValueError, TypeError, UnsupportedAlgorithm):  # an SM2 key is unknown to cryptography
        key = None
    if isinstance(key, Ed25519PublicKey):
        return PublicKey(EDDSA, key)
    try:
        sm2 = sm_serialization.load_pem_public_key(data)
    except Exception as exc:  # noqa: BLE001
        raise ValueError(f"not an Ed25519 or SM2 public key: {exc}") from None
    if not isinstance(sm2, sm_ec.EllipticCurvePublicKey) or sm2.curve.name.lower() != "sm2":
        raise ValueError("not an Ed25519 or SM2 public key")
    return PublicKey(SM2SM3, sm2)


def public_from_jwk(jwk: dict[str, Any]) -> PublicKey:
    """The key of an OKP/Ed25519 or EC/SM2 JWK; ``ValueError`` naming what is wrong."""
    kty, crv = jwk.get("kty"), jwk.get("crv")
    if kty == "OKP" and crv == "Ed25519" and isinstance(jwk.get("x"), str):
        return PublicKey(EDDSA, Ed25519PublicKey.from_public_bytes(_b64url_decode(jwk["x"])))
    if kty == "EC" and crv == "SM2" and isinstance(jwk.get("x"), str) and isinstance(jwk.get("y"), str):
        x, y = _b64url_decode(jwk["x"]), _b64url_decode(jwk["y"])
        if len(x) != _SM2_COORD or len(y) != _SM2_COORD:
            raise ValueError("SM2 JWK coordinates must be 32 bytes each")
        point = b"\x04" + x + y
        return PublicKey(SM2SM3, sm_ec.EllipticCurvePublicKey.from_encoded_point(sm_ec.SM2(), point))
    raise ValueError("not an Ed25519 (OKP) or SM2 (EC) public JWK")
