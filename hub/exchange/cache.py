"""A size-bounded LRU cache whose values are built once per key, however many ask at once.

The exchange keeps two kinds of large derived values in memory: published snapshots
as Arrow tables (``hub.exchange.tables``) and masked views with their JSON renditions
and sort orders (``hub.exchange.views``).  Both are expensive to build (seconds for a
million rows), cheap to keep, and pure functions of their key, so both live in a
``BuiltCache``: values are kept up to a budget (rows, bytes — the caller's ``size``),
least recently used dropped first; a value larger than the whole budget is handed to
its caller but not kept.  Concurrent callers of a missing key wait for the one build
(single flight); a failed build raises in every waiting caller and is not kept.
Dropping a value only unlists it: requests that hold it keep using it (Arrow buffers
are reference-counted), so eviction never pulls data from under a running request.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable
from concurrent.futures import Future
from dataclasses import dataclass
from typing import Generic, TypeVar

from hub import inline

K = TypeVar("K", bound=Hashable)
V = TypeVar("V")


@dataclass
class CacheStats:
    """Counters since start: lookups served from memory, builds, values dropped."""

    hits: int = 0
    misses: int = 0
    builds: int = 0
    evictions: int = 0
    oversized: int = 0  # built but larger than the whole budget: not kept


class BuiltCache(Generic[K, V]):
    """LRU of built values under ``budget`` (in the unit of ``size``); one build per key at a time."""

    def __init__(self, budget: int, size: Callable[[V], int]) -> None:
        self.budget = budget
        self._size = size
        self._values: OrderedDict[K, tuple[V, int]] = OrderedDict()
        self._building: dict[K, Future[V]] = {}
        self._lock = threading.Lock()
        self.stats = CacheStats()

    def peek(self, key: K) -> V | None:
        """The kept value of ``key`` (marked as recently used), or None; never builds."""
        with self._lock:
            found = self._values.get(key)
            if found is None:
                return None
            self._values.move_to_end(key)
            self.stats.hits += 1
            return found[0]

    def get(self, key: K, build: Callable[[], V]) -> V:
        """The value of ``key``, built by ``build()`` if it is not kept (once, for every caller)."""
        with self._lock:
            found = self._values.get(key)
            if found is not None:
                self._values.move_to_end(key)
                self.stats.hits += 1
                return found[0]
            inline.check("a view or rendition to build")
            self.stats.misses += 1
            waiting = self._building.get(key)
            if waiting is None:
                mine: Future[V] = Future()
                self._building[key] = mine
        if waiting is not None:
            return waiting.result()
        try:
            value = build()
        except BaseException as exc:
            with self._lock:
                del self._building[key]
            mine.set_exception(exc)
            raise
        self._keep(key, value)
        mine.set_result(value)
        return value

    def _keep(self, key: K, value: V) -> None:
        size = self._size(value)
        with self._lock:
            del self._building[key]
            self.stats.builds += 1
            if size > self.budget:
                self.stats.oversized += 1
                return
            self._values[key] = (value, size)
            used = sum(s for _, s in self._values.values())
            while used > self.budget:
                _, (_, dropped) = self._values.popitem(last=False)
                used -= dropped
                self.stats.evictions += 1

    def discard(self, key: K) -> None:
        """Forget ``key`` (its holders keep their reference)."""
        with self._lock:
            self._values.pop(key, None)

    def kept(self) -> list[K]:
        """Kept keys, least recently used first."""
        with self._lock:
            return list(self._values)

    def used(self) -> int:
        """The total size of the kept values."""
        with self._lock:
            return sum(s for _, s in self._values.values())
