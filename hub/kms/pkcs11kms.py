"""The PKCS#11 KMS: master keys generated inside a token (HSM, 密码机) that never leave it.

Each version is a secret-key object labelled ``hub-master-<NNNNNN>@<created ISO>``,
generated on the token as sensitive and non-extractable, usable only to encrypt
and decrypt.  Wrapping is ``CKM_AES_GCM`` computed by the token (96-bit nonce,
128-bit tag, the context as AAD): the data key goes in, only ciphertext comes out.

Under the ``gm`` suite the token would have to offer SM4: PKCS#11 (v2.40 and 3.x)
defines no SM4 mechanism, cipher machines expose it as a vendor mechanism, and
SoftHSM (what the tests run against) has none.  So this backend wraps with the
token's AES-256-GCM in both suites; the data keys it wraps, and every byte they
encrypt, use the suite's cipher (SM4-GCM under ``gm``).  ``hub keys status`` shows
the master key's cipher as ``AES-256-GCM (PKCS#11)`` so nobody mistakes it.
"""

from __future__ import annotations

import threading
from datetime import UTC, datetime
from typing import Any

from hub.crypto.suite import Suite
from hub.kms.base import Kms, KmsError, MasterKey

LABEL = "hub-master-"
CIPHER = "AES-256-GCM"


class Pkcs11Kms(Kms):
    """Master keys on a PKCS#11 token (python-pkcs11)."""

    backend = "pkcs11"

    def __init__(self, module: str, token_label: str, pin: str, suite: Suite) -> None:
        super().__init__(suite)
        self.module, self.token_label, self._pin = module, token_label, pin
        self._lock = threading.RLock()
        self._session: Any = None
        self._keys: dict[int, tuple[MasterKey, Any]] = {}

    def _open_session(self) -> Any:
        import pkcs11

        if self._session is not None:
            return self._session
        try:
            token = pkcs11.lib(self.module).get_token(token_label=self.token_label)
            try:
                self._session = token.open(rw=True, user_pin=self._pin)
            except pkcs11.UserAlreadyLoggedIn:  # PKCS#11 logins are per process: another session did
                self._session = token.open(rw=True)
        except (pkcs11.PKCS11Error, RuntimeError, OSError) as exc:
            raise KmsError(f"PKCS#11 token `{self.token_label}` ({self.module}) cannot be opened: "
                           f"{type(exc).__name__} {exc}") from None
        return self._session

    def _scan(self) -> dict[int, tuple[MasterKey, Any]]:
        import pkcs11
        from pkcs11 import Attribute, ObjectClass

        with self._lock:
            session = self._open_session()
            found: dict[int, tuple[MasterKey, Any]] = {}
            try:
                for obj in session.get_objects({Attribute.CLASS: ObjectClass.SECRET_KEY}):
                    parsed = _parse_label(str(obj.label))
                    if parsed is not None:
                        version, created = parsed
                        found[version] = (MasterKey(version, created, CIPHER, self.backend), obj)
            except pkcs11.PKCS11Error as exc:
                raise KmsError(f"PKCS#11 token `{self.token_label}`: listing keys failed: "
                               f"{type(exc).__name__}") from None
            self._keys = found
            return found

    def versions(self) -> list[MasterKey]:
        return [info for _, (info, _) in sorted(self._scan().items())]

    def _wraps_for_suite(self, key: MasterKey) -> bool:
        return True  # the token's AES-GCM wraps for both suites (see the module docstring)

    def rotate(self) -> MasterKey:
        import pkcs11
        from pkcs11 import Attribute, KeyType

        with self._lock:
            version = max(self._scan(), default=0) + 1
            created = datetime.now(UTC).replace(microsecond=0)
            label = f"{LABEL}{version:06d}@{created.isoformat()}"
            template = {Attribute.SENSITIVE: True, Attribute.EXTRACTABLE: False, Attribute.ENCRYPT: True,
                        Attribute.DECRYPT: True, Attribute.WRAP: False, Attribute.UNWRAP: False,
                        Attribute.TOKEN: True, Attribute.PRIVATE: True}
            try:
                key = self._open_session().generate_key(KeyType.AES, 256, label=label, store=True,
                                                        template=template)
            except pkcs11.PKCS11Error as exc:
                raise KmsError(f"PKCS#11 token `{self.token_label}`: generating a master key failed: "
                               f"{type(exc).__name__}") from None
            info = MasterKey(version, created, CIPHER, self.backend)
            self._keys[version] = (info, key)
            return info

    def _key(self, version: int) -> Any:
        found = self._keys.get(version) or self._scan().get(version)
        if found is None:
            raise KmsError(f"master key version {version} is not on PKCS#11 token `{self.token_label}`")
        return found[1]

    def _seal(self, version: int, nonce: bytes, data: bytes, aad: bytes) -> bytes:
        import pkcs11
        from pkcs11 import Mechanism
        from pkcs11.mechanisms import GCMParams

        with self._lock:
            try:
                return bytes(self._key(version).encrypt(data, mechanism=Mechanism.AES_GCM,
                                                        mechanism_param=GCMParams(nonce, aad, 128)))
            except pkcs11.PKCS11Error as exc:
                raise KmsError(f"PKCS#11 wrap with master key v{version} failed: {type(exc).__name__}") from None

    def _open(self, version: int, nonce: bytes, sealed: bytes, aad: bytes) -> bytes:
        import pkcs11
        from pkcs11 import Mechanism
        from pkcs11.mechanisms import GCMParams

        with self._lock:
            try:
                return bytes(self._key(version).decrypt(sealed, mechanism=Mechanism.AES_GCM,
                                                        mechanism_param=GCMParams(nonce, aad, 128)))
            except pkcs11.PKCS11Error as exc:
                raise KmsError(f"a key wrapped by master key v{version} does not authenticate on the "
                               f"PKCS#11 token ({type(exc).__name__})") from None

    def close(self) -> None:
        with self._lock:
            if self._session is not None:
                try:
                    self._session.close()
                finally:
                    self._session = None
                    self._keys = {}


def _parse_label(label: str) -> tuple[int, datetime] | None:
    if not label.startswith(LABEL) or "@" not in label:
        return None
    number, _, stamp = label[len(LABEL):].partition("@")
    try:
        return int(number), datetime.fromisoformat(stamp)
    except ValueError:
        return None
