"""The policy decision point (PDP): ``decide`` and ``ensure_allowed``.

A ``PolicyPoint`` joins a Rego engine (embedded regopy, or an OPA server), the
policy sources and a policy-data source.  It (re)loads the engine whenever the
policies or the data change, and turns every failure into a deny with reason
``policy engine unavailable``: nothing is ever allowed by accident.

Decisions are cached (``hub.policy.cache``) by input, policy revision and the
subject's scope revision (``hub.policy.scope``).  A decision made at the current time
(the caller gives no ``context.time``) is kept until the next edge of one of the
subject's grant windows or the local (UTC+8) day change, whichever comes first, and
never used at or after it.  A workflow change in this process (``data.bump``) reloads
the data before the very next decision; another process's change is seen once the data
is older than ``recheck_seconds`` (the bounded staleness, ``HUB_STALENESS_S``).
"""

from __future__ import annotations

import pickle
import threading
import time
from bisect import bisect_right
from collections.abc import Callable, Mapping, Sequence
from datetime import datetime, timedelta
from typing import Any

from hub import inline
from hub.errors import Forbidden
from hub.policy import data as policy_data
from hub.policy.cache import DecisionCache
from hub.policy.decision import Decision, parse_decision
from hub.policy.engine import Engine
from hub.policy.index import prepare
from hub.policy.rules.compiled import next_window_edge
from hub.policy.scope import Scopes
from hub.policy.sources import PolicySet

DATA_ACTIONS = ("read", "changes")


def malformed_input(action: str, resource: Mapping[str, Any], request: Mapping[str, Any]) -> str | None:
    """Why a data request cannot be decided on (fail closed), or None when its shape is sound."""
    if action not in DATA_ACTIONS:
        return None
    # Each column's metadata must be an object too: the policies look columns up by name
    # and read their members, and would take a null or a string as no metadata at all.
    columns_map = resource.get("columns") if isinstance(resource, Mapping) else None
    if not isinstance(columns_map, Mapping) or not all(
            type(c) is dict or isinstance(c, Mapping) for c in columns_map.values()):
        return "resource.columns must be an object of column name → {pii, level}"
    columns = request.get("columns") if isinstance(request, Mapping) else None
    if columns is not None and not isinstance(columns, list):
        return "request.columns must be a list of column names"
    return None


def next_local_midnight(now: float) -> float:
    """The next day change in UTC+8 after ``now`` (epoch seconds)."""
    local = datetime.fromtimestamp(now, policy_data.CST)
    return (local + timedelta(days=1)).replace(hour=0, minute=0, second=0, microsecond=0).timestamp()


class PolicyPoint:
    """Decisions from one engine over one policy set and one data source."""

    def __init__(self, engine: Engine, policies: PolicySet, source: policy_data.DataSource, *,
                 recheck_seconds: float = 1.0, cache: DecisionCache | None = None,
                 clock: Callable[[], float] = time.time,
                 monotonic: Callable[[], float] = time.monotonic) -> None:
        self.engine = engine
        self.policies = policies
        self.source = source
        self.recheck_seconds = recheck_seconds
        self.cache = cache if cache is not None else DecisionCache()
        self.clock = clock  # epoch seconds: the "now" of decisions without a context.time
        self.monotonic = monotonic  # the staleness of the loaded data is measured on this
        self.data_revision = ""
        self.scopes = Scopes({})
        self._windows: list[dict[str, Any]] = []  # compiled officer access windows
        self._loaded_policy = ""
        self._generation = -1
        self._checked_at = float("-inf")
        self._lock = threading.Lock()

    # --- loading ------------------------------------------------------------------------

    def set_policies(self, policies: PolicySet) -> None:
        """Switch to another policy revision (compiled on the next decision)."""
        self.policies = policies

    def refresh(self, force: bool = False) -> None:
        """Reload the engine if the policies, this process's data generation, or the store changed."""
        force = force or getattr(self.engine, "stale", False)
        if not (force or self._stale(self.monotonic())):
            return
        inline.check("policy data reload")
        with self._lock:
            started = self.monotonic()  # the data read below is at least this fresh
            if not (force or self._stale(started)):  # another thread refreshed while this one waited
                return
            generation = policy_data.generation()
            data = self.source.load(datetime.fromtimestamp(self.clock(), policy_data.CST))
            revision = policy_data.data_revision(data)
            if force or revision != self.data_revision or self._loaded_policy != self.policies.revision:
                if self._loaded_policy != self.policies.revision:
                    self.cache.clear()  # keys carry the policy revision; free the space at once
                self._loaded_policy = ""  # a failed load leaves the point unusable (fail closed)
                # Every engine gets the document with its index (hub/policy/index.py): the
                # one place the policies' prepared lookups are made, for regopy and OPA alike.
                prepared = prepare(data)
                self.engine.load(self.policies, prepared)
                # No cache.clear() for new data: entries are keyed by scope revision, and only
                # the subjects whose records changed get a new one (hub/policy/scope.py).
                self.scopes = Scopes(prepared)
                # officer access windows open and close every day: a decision made inside
                # one must not outlive its edge (hub/policy/rules/compiled.py)
                self._windows = prepared["index"]["officer_rules"]["windows"]
                self.data_revision, self._loaded_policy = revision, self.policies.revision
            self._generation, self._checked_at = generation, started

    def _stale(self, now: float) -> bool:
        return (self._loaded_policy != self.policies.revision
                or self._generation != policy_data.generation()
                or now - self._checked_at >= self.recheck_seconds)

    # --- deciding -----------------------------------------------------------------------

    def decide(self, subject: Mapping[str, Any], action: str, resource: Mapping[str, Any],
               request: Mapping[str, Any], context: Mapping[str, Any] | None = None, *,
               now: float | None = None) -> Decision:
        """Decide one request; any failure is a deny naming ``policy engine unavailable``.

        ``now`` (epoch seconds) is the time of a decision whose ``context`` has no ``time``;
        by default the point's clock.
        """
        problem = malformed_input(action, resource, request)
        if problem:  # the policies would read a missing column map as "no columns": deny instead
            return Decision(allow=False, reasons=(f"rule input: {problem}",), max_rows=0,
                            policy_revision=self.policies.revision, data_revision=self.data_revision)
        try:
            self.refresh()
            return self._decide(subject, action, resource, request, dict(context or {}),
                                self.clock() if now is None else now)
        except Exception as exc:  # noqa: BLE001 - fail closed on anything
            return Decision.unavailable(str(exc), self.policies.revision, self.data_revision)

    def _decide(self, subject: Mapping[str, Any], action: str, resource: Mapping[str, Any],
                request: Mapping[str, Any], context: dict[str, Any], now: float) -> Decision:
        implicit = "time" not in context
        scope, edges = self.scopes.of(subject if isinstance(subject, Mapping) else {})
        # pickle is the fastest exact serialisation of the input; equal inputs built in a
        # different key order only miss the cache, they never share an entry.  An implicit
        # time is not part of the key: the entry's validity bound stands for it.
        body = pickle.dumps((subject, action, resource, request, context), protocol=5)
        key = (body, self._loaded_policy, scope)
        cached = self.cache.get(key, now)
        if cached is not None:
            return cached
        inline.check("policy evaluation")
        if implicit:
            context["time"] = datetime.fromtimestamp(now, policy_data.CST).isoformat()
        doc = {"subject": subject, "action": action, "resource": resource, "request": request,
               "context": context}
        decision = parse_decision(self.engine.evaluate(doc), key[1], scope)
        self.cache.put(key, decision, valid_until(now, edges, self._windows) if implicit else float("inf"))
        return decision

    def ensure_allowed(self, subject: Mapping[str, Any], action: str, resource: Mapping[str, Any],
                       request: Mapping[str, Any], context: Mapping[str, Any] | None = None) -> Decision:
        """``decide``, raising ``Forbidden`` (with the reasons) unless allowed."""
        decision = self.decide(subject, action, resource, request, context)
        if not decision.allow:
            raise forbidden(decision, action, resource)
        return decision


def forbidden(decision: Decision, action: str, resource: Any) -> Forbidden:
    """The ``Forbidden`` error for a deny, carrying its reasons."""
    dataset = resource.get("dataset") if isinstance(resource, Mapping) else None
    return Forbidden("; ".join(decision.reasons), reasons=list(decision.reasons), dataset=dataset,
                     action=action)


def valid_until(now: float, edges: tuple[float, ...], windows: Sequence[Mapping[str, Any]] = ()) -> float:
    """The validity bound of a decision made at ``now``: the next grant edge, officer
    access window edge (``windows``: compiled officer rules) or day change."""
    index = bisect_right(edges, now)
    next_edge = edges[index] if index < len(edges) else float("inf")
    return min(next_edge, next_local_midnight(now), next_window_edge(windows, now))
