"""One KMS test suite, run on the file backend and on a PKCS#11 token (softhsm2), in both suites.

Master keys wrap data keys bound to a context; a wrong context, an altered blob or an
unknown version is refused; rotation makes a new version that wraps from then on while
every older version still unwraps; data keys survive a new process, re-wrap under
the new master key without changing, and are gone for good once destroyed.
"""

from __future__ import annotations

import os
import stat

import pytest

from hub.kms import DataKeys, Kms, KmsError, Wrapped, data_keys, open_kms
from hub.settings import Settings


def test_a_wrapped_key_unwraps_only_in_its_context(kms: Kms) -> None:
    secret = os.urandom(32)
    wrapped = kms.wrap(secret, "snapshot:finance.payroll@v3")
    assert secret not in wrapped.blob
    assert kms.unwrap(wrapped, "snapshot:finance.payroll@v3") == secret
    with pytest.raises(KmsError, match="does not authenticate"):
        kms.unwrap(wrapped, "snapshot:finance.payroll@v4")
    altered = Wrapped(wrapped.version, wrapped.blob[:-1] + bytes([wrapped.blob[-1] ^ 1]))
    with pytest.raises(KmsError, match="does not authenticate"):
        kms.unwrap(altered, "snapshot:finance.payroll@v3")
    with pytest.raises(KmsError, match="version 99"):
        kms.unwrap(Wrapped(99, wrapped.blob), "snapshot:finance.payroll@v3")
    with pytest.raises(KmsError, match="truncated"):
        kms.unwrap(Wrapped(wrapped.version, b"x"), "snapshot:finance.payroll@v3")


def test_rotation_keeps_old_versions_readable(kms: Kms) -> None:
    first = kms.current()
    old = kms.wrap(b"k" * 16, "ctx")
    second = kms.rotate()
    assert second.version == first.version + 1 and kms.current().version == second.version
    new = kms.wrap(b"k" * 16, "ctx")
    assert (old.version, new.version) == (first.version, second.version)
    assert kms.unwrap(old, "ctx") == kms.unwrap(new, "ctx") == b"k" * 16
    moved = kms.rewrap(old, "ctx")
    assert moved.version == second.version and kms.unwrap(moved, "ctx") == b"k" * 16
    assert [k.version for k in kms.versions()] == [first.version, second.version]
    assert all(k.created_at.tzinfo is not None for k in kms.versions())


def test_another_process_sees_the_same_master_keys(kms: Kms, kms_config: Settings) -> None:
    wrapped = kms.wrap(b"s" * 32, "ctx")
    kms.rotate()
    other = open_kms(kms_config)
    try:
        assert [k.version for k in other.versions()] == [k.version for k in kms.versions()]
        assert other.unwrap(wrapped, "ctx") == b"s" * 32
    finally:
        other.close()


def test_data_keys_rewrap_without_changing_and_die_when_destroyed(kms: Kms, kms_config: Settings) -> None:
    keys = DataKeys(kms_config.keys_dir, kms)
    made = [keys.create(f"snapshot:d@v{i}") for i in range(3)]
    assert len(made[0].key) == kms.suite.key_bytes and made[0].cipher == kms.suite.cipher
    before = {i.id: i.master_version for i in keys.infos()}
    kms.rotate()
    report = keys.rewrap_all()
    assert report.rewrapped == 3 and report.already_current == 0
    fresh = data_keys(kms_config, kms)  # nothing cached: unwraps from the files
    assert [fresh.get(k.id).key for k in made] == [k.key for k in made]
    assert all(i.master_version == report.master_version != before[i.id] and i.rewrapped_at for i in fresh.infos())
    assert keys.rewrap_all().rewrapped == 0
    keys.delete(made[0].id)
    with pytest.raises(KmsError, match="does not exist"):
        data_keys(kms_config, kms).get(made[0].id)


def test_a_data_key_file_moved_to_another_id_does_not_open(kms: Kms, kms_config: Settings) -> None:
    keys = DataKeys(kms_config.keys_dir, kms)
    a, b = keys.create("snapshot:a@v1"), keys.create("snapshot:b@v1")
    path_a, path_b = keys.folder / f"{a.id}.json", keys.folder / f"{b.id}.json"
    path_b.write_text(path_a.read_text().replace(a.id, b.id).replace("snapshot:a@v1", "snapshot:b@v1"))
    with pytest.raises(KmsError):
        data_keys(kms_config, kms).get(b.id)


def test_key_files_are_private(kms: Kms, kms_config: Settings) -> None:
    keys = DataKeys(kms_config.keys_dir, kms)
    keys.create("warehouse")
    for path in kms_config.keys_dir.rglob("*"):
        mode = stat.S_IMODE(path.stat().st_mode)
        assert mode & 0o077 == 0, f"{path} is {oct(mode)}"


def test_a_locked_or_missing_backend_fails_closed(kms_config: Settings) -> None:
    if kms_config.kms == "pkcs11":
        wrong = kms_config.model_copy(update={"pkcs11_pin": type(kms_config.pkcs11_pin)("000000")})
        with pytest.raises(KmsError, match="cannot be opened"):
            open_kms(wrong).current()
    else:
        kms = open_kms(kms_config)
        wrapped = kms.wrap(b"x" * 32, "ctx")
        for path in (kms_config.keys_dir / "master").iterdir():
            path.write_text("{not json")
        with pytest.raises(KmsError, match="corrupt"):
            open_kms(kms_config).unwrap(wrapped, "ctx")


def test_the_pkcs11_master_key_never_leaves_the_token(kms: Kms, kms_config: Settings) -> None:
    if kms_config.kms != "pkcs11":
        assert not (kms_config.keys_dir / "master").exists() or kms.versions()
        return
    import pkcs11
    from pkcs11 import Attribute

    kms.current()
    key = kms._key(kms.current().version)  # type: ignore[attr-defined]
    assert key[Attribute.SENSITIVE] and not key[Attribute.EXTRACTABLE]
    with pytest.raises(pkcs11.PKCS11Error):
        key[Attribute.VALUE]
    assert not (kms_config.keys_dir / "master").exists()
