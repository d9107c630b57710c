"""The key store: newest key signs, old keys stay, and the files stay the source of truth.

``KeyStore`` keeps parsed keys in memory between calls; these tests check that a
rotation or a damaged file made by *another* process (here: another ``KeyStore`` or a
plain file write) is seen on the very next call, never hidden by that cache.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest

from hub.keys import KeyStore, KeyStoreError, load_secret


def test_rotation_by_another_store_is_seen_at_once(tmp_path: Path) -> None:
    ours, theirs = KeyStore(tmp_path), KeyStore(tmp_path)
    first = ours.current("audit")
    assert ours.current("audit").kid == first.kid  # served again (from memory)
    second = theirs.rotate("audit")
    assert ours.current("audit").kid == second.kid
    assert [k.kid for k in ours.keys("audit")] == [first.kid, second.kid]
    assert ours.find("audit", first.kid) is not None


def test_removed_key_disappears(tmp_path: Path) -> None:
    store = KeyStore(tmp_path)
    first = store.current("token")
    second = store.rotate("token")
    (tmp_path / "token" / f"{second.kid}.pem").unlink()
    assert store.current("token").kid == first.kid
    assert store.find("token", second.kid) is None


def test_corrupted_key_file_fails_closed_even_after_caching(tmp_path: Path) -> None:
    store = KeyStore(tmp_path)
    key = store.current("audit")
    path = tmp_path / "audit" / f"{key.kid}.pem"
    path.write_bytes(b"-----BEGIN PRIVATE KEY-----\nnot a key\n-----END PRIVATE KEY-----\n")
    os.utime(path, ns=(1, 1))  # even with an mtime older than before: size changed
    with pytest.raises(KeyStoreError, match="unreadable"):
        store.current("audit")


def test_keys_are_private_files(tmp_path: Path) -> None:
    key = KeyStore(tmp_path).current("audit")
    mode = (tmp_path / "audit" / f"{key.kid}.pem").stat().st_mode & 0o777
    assert mode == 0o600


def test_a_secret_being_created_is_never_read_half_written(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # another process asks for the secret while this one is creating it (between its
    # random bytes and its file): each must end with the same whole 32 bytes
    real_urandom, theirs, started = os.urandom, [], []

    def urandom(n: int) -> bytes:
        if n == 32 and not started:
            started.append(True)
            theirs.append(load_secret(tmp_path, "pseudonym"))
        return real_urandom(n)

    monkeypatch.setattr(os, "urandom", urandom)
    mine = load_secret(tmp_path, "pseudonym")
    assert len(mine) == 32 and mine == theirs[0]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["pseudonym.secret"]  # no temporary file left


def test_a_key_being_written_is_not_listed(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    store, reader = KeyStore(tmp_path), KeyStore(tmp_path)
    real_fdopen, listed = os.fdopen, []

    def fdopen(fd: int, *args: Any, **kw: Any) -> Any:
        listed.append(reader.keys("token"))  # another process lists the keys meanwhile
        return real_fdopen(fd, *args, **kw)

    monkeypatch.setattr(os, "fdopen", fdopen)
    key = store.rotate("token")
    monkeypatch.undo()
    assert listed == [[]] and [k.kid for k in reader.keys("token")] == [key.kid]
