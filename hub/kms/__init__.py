"""Key management (密钥管理): master keys in a KMS, data keys wrapped by them.

``open_kms(settings)`` is the configured backend: the key file under
``$HUB_HOME/keys/master`` (``HUB_KMS=file``, the embedded default) or a PKCS#11
token (``HUB_KMS=pkcs11``).  ``DataKeys`` keeps the per-purpose data keys (the
warehouse key, one key per published dataset version) wrapped by the master key.
Rotation (``hub keys rotate master``) makes a new master version and re-wraps every
data key without touching the data it encrypts.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from hub.kms.base import Kms, KmsError, MasterKey, Wrapped
from hub.kms.datakeys import WAREHOUSE, DataKey, DataKeyInfo, DataKeys, RewrapReport

if TYPE_CHECKING:
    from hub.settings import Settings

__all__ = ["WAREHOUSE", "DataKey", "DataKeyInfo", "DataKeys", "Kms", "KmsError", "MasterKey", "RewrapReport",
           "Wrapped", "data_keys", "open_kms"]


def open_kms(settings: Settings) -> Kms:
    """The configured KMS backend."""
    if settings.kms == "pkcs11":
        from hub.kms.pkcs11kms import Pkcs11Kms

        pin = settings.pkcs11_pin.get_secret_value() if settings.pkcs11_pin else ""
        return Pkcs11Kms(str(settings.pkcs11_module), str(settings.pkcs11_token), pin, settings.suite)
    from hub.kms.filekms import FileKms

    return FileKms(settings.keys_dir, settings.suite)


def data_keys(settings: Settings, kms: Kms | None = None) -> DataKeys:
    """The data keys of ``settings.home`` under ``kms`` (default: ``open_kms(settings)``)."""
    return DataKeys(settings.keys_dir, kms or open_kms(settings))
