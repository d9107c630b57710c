"""The KMS fixtures: every KMS test runs on the file backend and on a real PKCS#11 token (softhsm2)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from hub.kms import Kms, open_kms
from hub.settings import Settings, load_settings
from tests.conftest import SOFTHSM_PIN, SoftHsm

BACKENDS = ("file", "pkcs11")
SUITES = ("international", "gm")


def kms_settings(home: Path, backend: str, suite: str, softhsm: SoftHsm | None, token: str | None) -> Settings:
    """Settings for ``backend``: the PKCS#11 ones name a fresh softhsm2 token."""
    if backend == "file":
        return load_settings(home=home, crypto_suite=suite)
    assert softhsm is not None and token is not None
    return load_settings(home=home, crypto_suite=suite, kms="pkcs11", pkcs11_module=softhsm.module,
                         pkcs11_token=token, pkcs11_pin=SOFTHSM_PIN)


def _empty_token(softhsm: SoftHsm) -> str:
    """The shared KMS token with the master keys of earlier tests destroyed."""
    import pkcs11
    from pkcs11 import Attribute, ObjectClass

    label = softhsm.token("hub-kms")
    with pkcs11.lib(softhsm.module).get_token(token_label=label).open(rw=True, user_pin=SOFTHSM_PIN) as session:
        for obj in list(session.get_objects({Attribute.CLASS: ObjectClass.SECRET_KEY})):
            obj.destroy()
    return label


@pytest.fixture(params=[(b, s) for b in BACKENDS for s in SUITES], ids=lambda p: f"{p[0]}-{p[1]}")
def kms_config(request: pytest.FixtureRequest, tmp_path: Path) -> Settings:
    backend, suite = request.param
    softhsm = token = None
    if backend == "pkcs11":
        softhsm = request.getfixturevalue("softhsm")
        token = _empty_token(softhsm)
    return kms_settings(tmp_path / "hub", backend, suite, softhsm, token)


@pytest.fixture
def kms(kms_config: Settings) -> Iterator[Kms]:
    found = open_kms(kms_config)
    yield found
    found.close()
