"""The decision cache: decisions keyed by input, policy revision and the subject's scope revision.

A key is ``(input without an implicit time, policy revision, scope revision)`` (see
``hub.policy.scope``): a change of one subject's grants, record or lockdown gives that
subject a new scope revision, so its old entries are never found again, while every
other subject's entries stay.  Each entry carries a validity bound (epoch seconds: the
next edge of one of the subject's grant windows, or the local day change) and is never
returned at or after it.  Bounded LRU; thread-safe; counts hits and misses.
"""

from __future__ import annotations

import threading
from collections import OrderedDict

from hub import metrics
from hub.policy.decision import Decision

Key = tuple[bytes, str, str]


class DecisionCache:
    """A bounded LRU of decisions with per-entry validity bounds (epoch seconds)."""

    def __init__(self, maxsize: int = 20000) -> None:
        self.maxsize = maxsize
        self.hits = 0
        self.misses = 0
        self._entries: OrderedDict[Key, tuple[Decision, float]] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: Key, now: float) -> Decision | None:
        """The cached decision for ``key`` if ``now`` is before its validity bound."""
        with self._lock:
            entry = self._entries.get(key)
            if entry is not None and now >= entry[1]:
                del self._entries[key]
                entry = None
            if entry is None:
                self.misses += 1
                metrics.DECISION_CACHE.labels("miss").inc()
                return None
            self._entries.move_to_end(key)
            self.hits += 1
        metrics.DECISION_CACHE.labels("hit").inc()
        return entry[0]

    def put(self, key: Key, decision: Decision, valid_until: float) -> None:
        """Remember ``decision`` until ``valid_until`` (exclusive)."""
        with self._lock:
            self._entries[key] = (decision, valid_until)
            self._entries.move_to_end(key)
            while len(self._entries) > self.maxsize:
                self._entries.popitem(last=False)

    def clear(self) -> None:
        """Forget everything (a new policy revision)."""
        with self._lock:
            self._entries.clear()

    def scope_count(self, scope_revision: str) -> int:
        """How many entries were made under ``scope_revision`` (for tests and diagnostics)."""
        with self._lock:
            return sum(1 for key in self._entries if key[2] == scope_revision)

    def __len__(self) -> int:
        return len(self._entries)
