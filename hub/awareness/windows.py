"""Sliding windows over record time: counts, sums and distinct values per key.

Each window keeps, per key, the entries of the last ``span_s`` seconds of *record*
time (``Observation.epoch``), oldest first, and drops older ones as newer arrive.
Detectors read how much a key did in the window and which audit ``seq`` values
make it up (the evidence of an alert).
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field


@dataclass
class _Series:
    entries: deque[tuple[float, int, float, str]] = field(default_factory=deque)  # (t, seq, amount, value)
    total: float = 0.0
    values: dict[str, int] = field(default_factory=dict)  # value -> entries holding it


class Window:
    """Per-key entries of the last ``span_s`` seconds: their count, sum and distinct values."""

    def __init__(self, span_s: float, max_keys: int = 100_000) -> None:
        self.span_s = span_s
        self.max_keys = max_keys
        self._series: dict[str, _Series] = {}

    def add(self, key: str, t: float, seq: int, amount: float = 1.0, value: str = "") -> _Series:
        """Add an entry at time ``t`` and drop those older than ``t - span_s``."""
        series = self._series.get(key)
        if series is None:
            if len(self._series) >= self.max_keys:
                self._evict(t)
            series = self._series[key] = _Series()
        series.entries.append((t, seq, amount, value))
        series.total += amount
        series.values[value] = series.values.get(value, 0) + 1
        self._expire(series, t)
        return series

    def _expire(self, series: _Series, now: float) -> None:
        cutoff = now - self.span_s
        while series.entries and series.entries[0][0] < cutoff:
            _, _, amount, value = series.entries.popleft()
            series.total -= amount
            left = series.values[value] - 1
            if left:
                series.values[value] = left
            else:
                del series.values[value]

    def _evict(self, now: float) -> None:
        for key in list(self._series):
            self._expire(self._series[key], now)
            if not self._series[key].entries:
                del self._series[key]

    def count(self, key: str) -> int:
        series = self._series.get(key)
        return len(series.entries) if series else 0

    def total(self, key: str) -> float:
        series = self._series.get(key)
        return series.total if series else 0.0

    def distinct(self, key: str) -> int:
        series = self._series.get(key)
        return len(series.values) if series else 0

    def seqs(self, key: str) -> list[int]:
        """The audit seqs in the window for ``key``, oldest first."""
        series = self._series.get(key)
        return [e[1] for e in series.entries] if series else []
