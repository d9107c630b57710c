"""The decision cache: decisions keyed by input, policy revision and data revision.

An entry made with the current time (no ``context.time`` from the caller) is kept
only until the next instant at which a grant starts or ends, or the quota day turns,
so time-bound rules stay exact.  Bounded LRU; thread-safe.
"""

from __future__ import annotations

import threading
from collections import OrderedDict

from hub.policy.decision import Decision


class DecisionCache:
    """A bounded LRU of decisions with per-entry expiry (epoch seconds)."""

    def __init__(self, maxsize: int = 20000) -> None:
        self.maxsize = maxsize
        self._entries: OrderedDict[tuple[bytes, str, str], tuple[Decision, float]] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: tuple[bytes, str, str], now: float) -> Decision | None:
        """The cached decision for ``key`` if still valid at ``now``."""
        with self._lock:
            entry = self._entries.get(key)
            if entry is None:
                return None
            if now >= entry[1]:
                del self._entries[key]
                return None
            self._entries.move_to_end(key)
            return entry[0]

    def put(self, key: tuple[bytes, str, str], decision: Decision, expires: float) -> None:
        """Remember ``decision`` until ``expires``."""
        with self._lock:
            self._entries[key] = (decision, expires)
            self._entries.move_to_end(key)
            while len(self._entries) > self.maxsize:
                self._entries.popitem(last=False)

    def clear(self) -> None:
        """Forget everything (a new policy or data revision)."""
        with self._lock:
            self._entries.clear()

    def __len__(self) -> int:
        return len(self._entries)
