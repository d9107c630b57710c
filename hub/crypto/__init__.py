"""The hub's cryptographic suite (密码套件): which hash, signature and cipher it uses.

``HUB_CRYPTO_SUITE`` selects ``international`` (the default: SHA-256, Ed25519,
AES-256-GCM) or ``gm`` (国密: SM3, SM2 signatures with SM3, SM4-GCM).  Every
primitive comes from a maintained implementation: ``cryptography`` (SHA-256,
Ed25519, AES-GCM, SM3, SM4) and ``tongsuopy`` (SM2, the Python SDK of the Tongsuo
铜锁 library); this package only chooses and plumbs, it implements no cipher.
"""

from hub.crypto.signing import (
    ALGORITHMS,
    EDDSA,
    SM2SM3,
    InvalidSignature,
    PrivateKey,
    PublicKey,
    generate_private_key,
    load_private_pem,
    load_public_pem,
    public_from_jwk,
)
from hub.crypto.suite import SUITES, Aead, Suite, hash_hex, suite_named

__all__ = [
    "ALGORITHMS", "EDDSA", "SM2SM3", "SUITES", "Aead", "InvalidSignature", "PrivateKey", "PublicKey",
    "Suite", "generate_private_key", "hash_hex", "load_private_pem", "load_public_pem", "public_from_jwk",
    "suite_named",
]
