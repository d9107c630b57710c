"""Policy data for the API's decision point, read from the store at most once per interval.

``PolicyPoint.refresh`` re-reads its data source whenever ``recheck_seconds`` have
passed; under concurrent requests every waiting thread would re-read the store (and,
since row usage changes with every delivery, reload the engine) one after another.
``SharedData`` lets the first caller of an interval read the store and hands every
other caller of that interval the same document, so a burst of requests costs one
read and at most one engine reload.  Quota usage is therefore seen with a lag of at
most ``ttl_s`` plus the point's recheck interval.
"""

from __future__ import annotations

import threading
import time
from datetime import datetime
from typing import Any

from hub.policy.data import DataSource, generation


class SharedData:
    """A ``DataSource`` wrapper that serves one read per ``ttl_s`` to every caller."""

    def __init__(self, source: DataSource, ttl_s: float = 1.0) -> None:
        self.source = source
        self.ttl_s = ttl_s
        self._lock = threading.Lock()
        self._data: dict[str, Any] | None = None
        self._read_at = float("-inf")
        self._generation = -1

    def load(self, now: datetime) -> dict[str, Any]:
        with self._lock:
            fresh = time.monotonic() - self._read_at < self.ttl_s and self._generation == generation()
            if self._data is None or not fresh:
                current = generation()  # a workflow change in this process: read at once
                self._data = self.source.load(now)  # a failed read leaves the old data stale
                self._generation, self._read_at = current, time.monotonic()
            return self._data
