"""Per-subject history the baselines are taken over: hourly counts and what was seen.

``awareness_hourly`` holds, per subject and UTC hour, the requests it made, the rows
delivered to it, its denials and its sensitive (level ≥ 3) reads; ``awareness_seen``
the client IPs it came from, the datasets it read and the hours (UTC+8) of its
sensitive reads, each with first and last record time and a count.  Both are derived
from the audit log alone, updated in memory as records are observed and written by
``flush`` in the same transaction that moves the detectors' cursor, so they always
describe exactly the records before the cursor.
"""

from __future__ import annotations

import statistics
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import Table, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from hub.store.db import Store
from hub.store.models import AwarenessHourly, AwarenessSeen

METRICS = ("requests", "rows", "denials", "sensitive")
MAD_SCALE = 1.4826  # MAD x this estimates the standard deviation of normal data


def hour_key(at: datetime) -> str:
    """``YYYY-MM-DDTHH`` of ``at`` in UTC."""
    return at.astimezone(UTC).strftime("%Y-%m-%dT%H")


@dataclass
class Seen:
    first_seen: str
    last_seen: str
    count: int


@dataclass(frozen=True)
class Baseline:
    """A robust summary of a subject's active hours: median and MAD-based spread."""

    hours: int  # active hours in the history
    median: float
    sigma: float  # 1.4826 x MAD

    @property
    def high(self) -> float:
        """The top of the usual range: median + 3 sigma."""
        return self.median + 3 * self.sigma


def robust(values: list[float]) -> Baseline:
    """Median and MAD of ``values`` (a few extreme hours move neither)."""
    if not values:
        return Baseline(0, 0.0, 0.0)
    median = statistics.median(values)
    mad = statistics.median(abs(v - median) for v in values)
    return Baseline(len(values), float(median), MAD_SCALE * float(mad))


class History:
    """The hourly counts and seen facets of every subject, cached and written back by ``flush``."""

    def __init__(self, store: Store) -> None:
        self.store = store
        self.reset()

    def reset(self) -> None:
        """Forget everything not yet written (after a lost race for the cursor)."""
        self._hourly: dict[tuple[str, str], list[int]] = {}
        self._seen: dict[tuple[str, str], dict[str, Seen]] = {}
        self._dirty: dict[tuple[str, str, str], tuple[str, int]] = {}  # -> (first ts if new, count delta)
        self._baselines: dict[tuple[str, str, str], Baseline] = {}

    # --- hourly counts ----------------------------------------------------------------

    def count(self, subject: str, at: datetime, **amounts: int) -> None:
        """Add ``requests``, ``rows``, ``denials`` or ``sensitive`` to the hour of ``at``."""
        cell = self._hourly.setdefault((subject, hour_key(at)), [0, 0, 0, 0])
        for name, amount in amounts.items():
            cell[METRICS.index(name)] += amount

    def baseline(self, subject: str, metric: str, at: datetime, days: int) -> Baseline:
        """``metric`` over the subject's active hours in the ``days`` before the hour of ``at``."""
        current = hour_key(at)
        key = (subject, metric, current)
        found = self._baselines.get(key)
        if found is None:
            start = hour_key(at - timedelta(days=days))
            column = getattr(AwarenessHourly, metric)
            with self.store.session() as session:
                rows = session.execute(select(AwarenessHourly.hour, column).where(
                    AwarenessHourly.subject == subject, AwarenessHourly.hour >= start,
                    AwarenessHourly.hour < current)).all()
            values = {hour: float(value) for hour, value in rows}
            index = METRICS.index(metric)
            for (subj, hour), cell in self._hourly.items():  # counted but not yet written
                if subj == subject and start <= hour < current:
                    values[hour] = values.get(hour, 0.0) + cell[index]
            found = self._baselines[key] = robust([v for v in values.values() if v > 0])
        return found

    # --- seen facets --------------------------------------------------------------------

    def seen(self, subject: str, facet: str) -> dict[str, Seen]:
        """Everything of ``facet`` (ip | dataset | hour | since) seen for ``subject``."""
        key = (subject, facet)
        found = self._seen.get(key)
        if found is None:
            with self.store.session() as session:
                rows = session.scalars(select(AwarenessSeen).where(AwarenessSeen.subject == subject,
                                                                   AwarenessSeen.facet == facet))
                found = self._seen[key] = {r.value: Seen(r.first_seen, r.last_seen, int(r.count)) for r in rows}
        return found

    def note(self, subject: str, facet: str, value: str, ts: str) -> Seen | None:
        """Record ``value`` seen at ``ts``; return what was known before (None: first time)."""
        known = self.seen(subject, facet)
        before = known.get(value)
        if before is None:
            known[value] = Seen(ts, ts, 1)
        else:
            before = Seen(before.first_seen, before.last_seen, before.count)
            known[value].last_seen, known[value].count = ts, known[value].count + 1
        first, delta = self._dirty.get((subject, facet, value), (ts, 0))
        self._dirty[(subject, facet, value)] = (first, delta + 1)
        return before

    def since(self, subject: str, ts: str) -> str:
        """When ``subject`` was first observed (noting ``ts`` as that time if never before)."""
        known = self.seen(subject, "since")
        if "" not in known:
            self.note(subject, "since", "", ts)
        return known[""].first_seen

    # --- writing ------------------------------------------------------------------------

    def flush(self, session: Session) -> None:
        """Write the counts and facets observed since the last flush (the caller commits)."""
        dialect = session.get_bind().dialect.name
        if self._hourly:
            rows = [{"subject": s, "hour": h, **dict(zip(METRICS, cell, strict=True))}
                    for (s, h), cell in self._hourly.items()]
            session.execute(_upsert(dialect, AwarenessHourly, ["subject", "hour"],
                                    {m: "add" for m in METRICS}), rows)
        if self._dirty:
            rows = [{"subject": s, "facet": f, "value": v, "first_seen": first,
                     "last_seen": self._seen[(s, f)][v].last_seen, "count": delta}
                    for (s, f, v), (first, delta) in self._dirty.items()]
            session.execute(_upsert(dialect, AwarenessSeen, ["subject", "facet", "value"],
                                    {"last_seen": "set", "count": "add"}), rows)
        self._hourly.clear()
        self._dirty.clear()
        self._baselines.clear()


def _upsert(dialect: str, model: Any, keys: list[str], updates: dict[str, str]) -> Any:
    """INSERT … ON CONFLICT (keys) DO UPDATE: ``add`` sums the counts, ``set`` takes the new value."""
    table: Table = model.__table__
    insert = postgresql.insert(table) if dialect == "postgresql" else sqlite.insert(table)
    values = {name: (table.c[name] + insert.excluded[name]) if how == "add" else insert.excluded[name]
              for name, how in updates.items()}
    return insert.on_conflict_do_update(index_elements=keys, set_=values)
