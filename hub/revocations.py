"""Revocations: who and which keys may no longer act, as one in-memory set per process.

``Revocations.current()`` answers from memory on every request — suspended partners
(lockdown, 暂停), inactive officers, revoked client keys, and the hub's token-signing
keys still in the key store — and re-reads the store when its copy is older than
``staleness_s`` (``HUB_STALENESS_S``) or when this process committed a workflow change
(``hub.policy.data.generation``).  So a lockdown made through this process applies to its
very next request, and one made through another process within ``staleness_s``: the
re-read happens on the request that finds the copy stale, before it is answered.  A store
that cannot be read fails closed (``RevocationsUnavailable``, 503).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.exc import SQLAlchemyError

from hub.errors import Unavailable
from hub.keys import KeyStore, KeyStoreError
from hub.policy.data import generation
from hub.store.db import Store
from hub.store.models import ClientKey, Officer, Partner, Suspension


class RevocationsUnavailable(Unavailable):
    """The revocation state could not be read; the request is refused."""

    title = "revocations unavailable"


@dataclass(frozen=True)
class RevocationState:
    """One reading of the store and the key store."""

    suspended: frozenset[str]  # subject ids: partner:ID locked down, officer:ID inactive
    revoked_client_keys: frozenset[str]  # client key kids
    token_kids: frozenset[str]  # the hub's token keys that still verify


def read_state(store: Store, keys: KeyStore) -> RevocationState:
    """Read the revocation state now."""
    with store.session() as session:
        partners = session.scalars(select(Partner.id).where(Partner.suspended.is_(True)))
        locked = session.scalars(select(Suspension.partner_id).where(Suspension.lifted_at.is_(None)))
        officers = session.scalars(select(Officer.id).where(Officer.active.is_(False)))
        suspended = ({f"partner:{p}" for p in partners} | {f"partner:{p}" for p in locked}
                     | {f"officer:{o}" for o in officers})
        revoked = frozenset(session.scalars(select(ClientKey.kid).where(ClientKey.revoked_at.is_not(None))))
    return RevocationState(frozenset(suspended), revoked, frozenset(k.kid for k in keys.keys("token")))


class Revocations:
    """The process's copy of the revocation state, at most ``staleness_s`` old when used."""

    def __init__(self, store: Store, keys: KeyStore, staleness_s: float,
                 monotonic: Callable[[], float] = time.monotonic) -> None:
        self.store, self.keys, self.staleness_s, self.monotonic = store, keys, staleness_s, monotonic
        self._state: RevocationState | None = None
        self._read_at = float("-inf")
        self._generation = -1
        self._lock = threading.Lock()

    def current(self, newer_than: float | None = None) -> RevocationState:
        """The state, re-read first if older than the bound, changed in this process, or read
        before the monotonic instant ``newer_than`` (a key first seen then, say)."""
        state = self._state
        if state is not None and not self._stale(newer_than):
            return state
        with self._lock:
            if self._state is not None and not self._stale(newer_than):
                return self._state  # another thread re-read it meanwhile
            started, gen = self.monotonic(), generation()  # the read below is at least this fresh
            try:
                self._state = read_state(self.store, self.keys)
            except (SQLAlchemyError, KeyStoreError, OSError) as exc:
                raise RevocationsUnavailable(f"revocation state unreadable: {type(exc).__name__}") from None
            self._read_at, self._generation = started, gen
            return self._state

    def fresh(self) -> RevocationState | None:
        """The state when ``current()`` would not read the store (within the bound, unchanged here); else None."""
        state = self._state
        return state if state is not None and not self._stale() else None

    def _stale(self, newer_than: float | None = None) -> bool:
        return (self._generation != generation() or self.monotonic() - self._read_at >= self.staleness_s
                or (newer_than is not None and self._read_at < newer_than))
