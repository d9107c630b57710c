"""Officer signers: the private half of an officer's key, which only the officer holds.

Two kinds, one interface (``hub.statements.Signer``):

* ``KeySigner`` — a key file: PKCS#8 PEM, passphrase-protected (``write_key_file``
  makes one; Ed25519 by default, or EC P-256 for ES256).
* ``Pkcs11Signer`` — a PKCS#11 token (the USB keys and cards officers carry), through
  python-pkcs11: an EC P-256 key on the token signs ES256; the private key never
  leaves the token.  Tested against Debian's softhsm2.

The hub never stores a private key: it registers the public half (``public_pem``).
"""

from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import unquote

from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature

from hub.errors import BadRequest
from hub.identity import public_key

MIN_PASSPHRASE = 8


class SignerError(BadRequest):
    """The officer's key cannot be used; the message names the key and what to do."""

    title = "officer key unusable"


def _public_pem(key: Any) -> bytes:
    return key.public_key().public_bytes(serialization.Encoding.PEM,
                                         serialization.PublicFormat.SubjectPublicKeyInfo)


class KeySigner:
    """Signs with a private key held in memory (loaded from the officer's key file)."""

    def __init__(self, key: Ed25519PrivateKey | ec.EllipticCurvePrivateKey) -> None:
        if isinstance(key, ec.EllipticCurvePrivateKey) and not isinstance(key.curve, ec.SECP256R1):
            raise SignerError("an EC officer key must be on curve P-256")
        self._key = key
        self._public = public_key(_public_pem(key))

    @property
    def algorithm(self) -> str:
        return self._public.algorithm

    @property
    def kid(self) -> str:
        return self._public.kid

    def public_pem(self) -> bytes:
        return self._public.pem.encode("ascii")

    def sign(self, data: bytes) -> bytes:
        if isinstance(self._key, Ed25519PrivateKey):
            return self._key.sign(data)
        r, s = decode_dss_signature(self._key.sign(data, ec.ECDSA(hashes.SHA256())))
        return r.to_bytes(32, "big") + s.to_bytes(32, "big")


def generate_key(algorithm: str = "EdDSA") -> Ed25519PrivateKey | ec.EllipticCurvePrivateKey:
    if algorithm == "EdDSA":
        return Ed25519PrivateKey.generate()
    if algorithm == "ES256":
        return ec.generate_private_key(ec.SECP256R1())
    raise SignerError(f"key algorithm `{algorithm}` must be EdDSA (Ed25519) or ES256 (P-256)")


def _write_new(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        raise SignerError(f"`{path}` already exists; choose another --out") from None
    with os.fdopen(fd, "wb") as fh:
        fh.write(data)


def public_key_path(path: Path) -> Path:
    """Where ``write_key_file`` puts the public half: ``PATH.pub``."""
    return path.with_name(path.name + ".pub")


def write_key_file(path: Path, passphrase: bytes, algorithm: str = "EdDSA") -> KeySigner:
    """Generate a key pair; write the private key (PKCS#8, encrypted, 0600) and ``PATH.pub``."""
    if len(passphrase) < MIN_PASSPHRASE:
        raise SignerError(f"the passphrase must have at least {MIN_PASSPHRASE} characters")
    key = generate_key(algorithm)
    pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                            serialization.BestAvailableEncryption(passphrase))
    _write_new(path, pem)
    signer = KeySigner(key)
    try:
        _write_new(public_key_path(path), signer.public_pem())
    except SignerError:
        path.unlink(missing_ok=True)
        raise
    return signer


def is_encrypted(path: Path) -> bool:
    """Whether the key file at ``path`` needs a passphrase."""
    try:
        return b"ENCRYPTED" in path.read_bytes()[:64]
    except OSError as exc:
        raise SignerError(f"cannot read officer key `{path}`: {exc.strerror}") from None


def load_key_file(path: Path, passphrase: bytes | None) -> KeySigner:
    """The signer of the key file at ``path``; ``SignerError`` naming the problem otherwise."""
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise SignerError(f"cannot read officer key `{path}`: {exc.strerror}") from None
    try:
        key = serialization.load_pem_private_key(data, password=passphrase)
    except TypeError:
        if passphrase is None:
            raise SignerError(f"officer key `{path}` is passphrase-protected: give its passphrase "
                              "(prompt, --passphrase-file or HUB_OFFICER_PASSPHRASE)") from None
        raise SignerError(f"officer key `{path}` is not passphrase-protected; give no passphrase") from None
    except ValueError:
        what = "the passphrase is wrong or the file" if passphrase else "the file"
        raise SignerError(f"officer key `{path}` cannot be loaded: {what} is not a PKCS#8 private key") from None
    if not isinstance(key, Ed25519PrivateKey | ec.EllipticCurvePrivateKey):
        raise SignerError(f"officer key `{path}` must be Ed25519 or EC P-256")
    return KeySigner(key)


# --- PKCS#11 tokens ------------------------------------------------------------------


@dataclass(frozen=True)
class Pkcs11Uri:
    """The parts of an RFC 7512 ``pkcs11:`` URI the hub uses."""

    module: str
    token: str | None = None
    object: str | None = None
    id: bytes | None = None
    pin: str | None = None


def _pairs(text: str, sep: str) -> dict[str, str]:
    out = {}
    for item in filter(None, text.split(sep)):
        name, eq, value = item.partition("=")
        if not eq:
            raise SignerError(f"PKCS#11 URI attribute `{name}` has no value")
        out[name] = unquote(value)
    return out


def parse_pkcs11_uri(uri: str, module: str | None = None) -> Pkcs11Uri:
    """Parse ``pkcs11:token=…;object=…?module-path=…`` (RFC 7512).

    Hand-parsed: python-pkcs11 takes the token and key attributes but no URI, and no
    well-kept Python library parses RFC 7512 URIs on their own.
    """
    if not uri.startswith("pkcs11:"):
        raise SignerError("a PKCS#11 key is named by a URI like "
                          "pkcs11:token=LABEL;object=KEY?module-path=/usr/lib/softhsm/libsofthsm2.so")
    path, _, query = uri[len("pkcs11:"):].partition("?")
    attrs, params = _pairs(path, ";"), _pairs(query, "&")
    module_path = params.get("module-path") or module
    if not module_path:
        raise SignerError("the PKCS#11 URI names no module: add ?module-path=/path/to/pkcs11.so "
                          "or pass --pkcs11-module")
    if not attrs.get("object") and not attrs.get("id"):
        raise SignerError("the PKCS#11 URI names no key: add object=LABEL or id=%xx…")
    key_id = attrs["id"].encode("latin-1") if "id" in attrs else None
    return Pkcs11Uri(module=module_path, token=attrs.get("token"), object=attrs.get("object"), id=key_id,
                     pin=params.get("pin-value"))


class Pkcs11Signer:
    """Signs ES256 on a PKCS#11 token with an EC P-256 key that never leaves it."""

    def __init__(self, uri: Pkcs11Uri, pin: str | None) -> None:
        self.uri = uri
        self._pin = pin or uri.pin
        if not self._pin:
            raise SignerError("the PKCS#11 token needs its PIN (prompt, --pin-file or HUB_OFFICER_PIN)")
        self._public = public_key(self._read_public_pem())
        if self._public.algorithm != "ES256":
            raise SignerError("the PKCS#11 key must be EC P-256 (ES256)")

    def _session(self) -> Any:
        import pkcs11

        try:
            lib = pkcs11.lib(self.uri.module)
            token = lib.get_token(token_label=self.uri.token) if self.uri.token else \
                next(iter(lib.get_slots(token_present=True))).get_token()
            return token.open(user_pin=self._pin)
        except (pkcs11.PKCS11Error, RuntimeError, StopIteration, OSError) as exc:
            raise SignerError(f"PKCS#11 token `{self.uri.token or 'first present'}` in "
                              f"`{self.uri.module}` cannot be opened: {type(exc).__name__} {exc}") from None

    def _key(self, session: Any, object_class: Any) -> Any:
        import pkcs11

        attrs: dict[str, Any] = {"object_class": object_class}
        if self.uri.object:
            attrs["label"] = self.uri.object
        if self.uri.id:
            attrs["id"] = self.uri.id
        try:
            return session.get_key(**attrs)
        except (pkcs11.NoSuchKey, pkcs11.MultipleObjectsReturned) as exc:
            raise SignerError(f"PKCS#11 key `{self.uri.object or self.uri.id!r}` not found once on the "
                              f"token: {type(exc).__name__}") from None

    def _read_public_pem(self) -> bytes:
        from pkcs11 import ObjectClass
        from pkcs11.util.ec import encode_ec_public_key

        with self._session() as session:
            der = encode_ec_public_key(self._key(session, ObjectClass.PUBLIC_KEY))
        return serialization.load_der_public_key(der).public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)

    @property
    def algorithm(self) -> str:
        return "ES256"

    @property
    def kid(self) -> str:
        return self._public.kid

    def public_pem(self) -> bytes:
        return self._public.pem.encode("ascii")

    def sign(self, data: bytes) -> bytes:
        from pkcs11 import Mechanism, ObjectClass, PKCS11Error

        digest = hashlib.sha256(data).digest()  # CKM_ECDSA over the hash: every token has it
        with self._session() as session:
            try:
                signature = self._key(session, ObjectClass.PRIVATE_KEY).sign(digest, mechanism=Mechanism.ECDSA)
            except PKCS11Error as exc:
                raise SignerError(f"the PKCS#11 token refused to sign: {type(exc).__name__}") from None
        return bytes(signature)  # r||s, 64 bytes: already the JWS form
