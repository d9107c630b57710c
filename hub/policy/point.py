"""The policy decision point (PDP): ``decide`` and ``ensure_allowed``.

A ``PolicyPoint`` joins a Rego engine (embedded regopy, or an OPA server), the
policy sources and a policy-data source.  It (re)loads the engine whenever the
policies or the data change, caches decisions by (input, policy revision, data
revision), and turns every failure into a deny with reason ``policy engine
unavailable``: nothing is ever allowed by accident.
"""

from __future__ import annotations

import bisect
import pickle
import threading
import time
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from typing import Any

from hub.errors import Forbidden
from hub.policy import data as policy_data
from hub.policy.cache import DecisionCache
from hub.policy.decision import Decision, parse_decision
from hub.policy.engine import Engine
from hub.policy.index import prepare
from hub.policy.rules.compiled import compile_rules, next_window_edge
from hub.policy.sources import PolicySet

DATA_ACTIONS = ("read", "changes")


def malformed_input(action: str, resource: Mapping[str, Any], request: Mapping[str, Any],
                    context: Mapping[str, Any] | None = None) -> str | None:
    """Why a data request cannot be decided on (fail closed), or None when its shape is sound."""
    if action not in DATA_ACTIONS:
        return None
    used = (context or {}).get("rows_used_today", {})
    if not isinstance(used, Mapping) or not all(
            type(n) is int and n >= 0 for n in used.values()):  # noqa: E721 - bool is not a count
        return "context.rows_used_today must be an object of grant id → rows (a whole number ≥ 0)"
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


class PolicyPoint:
    """Decisions from one engine over one policy set and one data source."""

    def __init__(self, engine: Engine, policies: PolicySet, source: policy_data.DataSource, *,
                 recheck_seconds: float = 1.0, cache: DecisionCache | None = None) -> None:
        self.engine = engine
        self.policies = policies
        self.source = source
        self.recheck_seconds = recheck_seconds
        self.cache = cache if cache is not None else DecisionCache()
        self.data_revision = ""
        self._loaded_policy = ""
        self._generation = -1
        self._checked_at = float("-inf")
        self._boundaries: list[float] = []
        self._windows: list[dict[str, Any]] = []
        self._lock = threading.Lock()

    # --- loading ------------------------------------------------------------------------

    def set_policies(self, policies: PolicySet) -> None:
        """Switch to another policy revision (compiled on the next decision)."""
        self.policies = policies

    def refresh(self, force: bool = False) -> None:
        """Reload the engine if the policies, this process's data generation, or the store changed."""
        force = force or getattr(self.engine, "stale", False)
        if not (force or self._stale(time.monotonic())):
            return
        with self._lock:
            now = time.monotonic()
            if not (force or self._stale(now)):  # another thread refreshed while this one waited
                return
            generation = policy_data.generation()
            data = self.source.load(datetime.now(UTC))
            revision = policy_data.data_revision(data)
            if force or revision != self.data_revision or self._loaded_policy != self.policies.revision:
                self._loaded_policy = ""  # a failed load leaves the point unusable (fail closed)
                # Every engine gets the document with its index (hub/policy/index.py): the
                # one place the policies' prepared lookups are made, for regopy and OPA alike.
                self.engine.load(self.policies, prepare(data))
                self.cache.clear()
                self._boundaries = _boundaries(data)
                # officer access windows open and close every day: a decision made
                # inside one must not outlive its edge (hub/policy/rules/compiled.py)
                self._windows = compile_rules(data.get("rules"))["windows"]
                self.data_revision, self._loaded_policy = revision, self.policies.revision
            self._generation, self._checked_at = generation, now

    def _stale(self, now: float) -> bool:
        return (self._loaded_policy != self.policies.revision
                or self._generation != policy_data.generation()
                or now - self._checked_at >= self.recheck_seconds)

    # --- deciding -----------------------------------------------------------------------

    def decide(self, subject: Mapping[str, Any], action: str, resource: Mapping[str, Any],
               request: Mapping[str, Any], context: Mapping[str, Any] | None = None) -> Decision:
        """Decide one request; any failure is a deny naming ``policy engine unavailable``."""
        problem = malformed_input(action, resource, request, context)
        if problem:  # the policies would read a missing column map as "no columns": deny instead
            return Decision(allow=False, reasons=(f"rule input: {problem}",), max_rows=0,
                            policy_revision=self.policies.revision, data_revision=self.data_revision)
        try:
            self.refresh()
            return self._decide(subject, action, resource, request, dict(context or {}))
        except Exception as exc:  # noqa: BLE001 - fail closed on anything
            return Decision.unavailable(str(exc), self.policies.revision, self.data_revision)

    def _decide(self, subject: Mapping[str, Any], action: str, resource: Mapping[str, Any],
                request: Mapping[str, Any], context: dict[str, Any]) -> Decision:
        now = time.time()
        implicit = "time" not in context
        # pickle is the fastest exact serialisation of the input; equal inputs built in a
        # different key order only miss the cache, they never share an entry.
        body = pickle.dumps((subject, action, resource, request, context), protocol=5)
        key = (body, self._loaded_policy, self.data_revision)
        cached = self.cache.get(key, now)
        if cached is not None:
            return cached
        if implicit:
            context["time"] = datetime.fromtimestamp(now, policy_data.CST).isoformat()
        doc = {"subject": subject, "action": action, "resource": resource, "request": request,
               "context": context}
        decision = parse_decision(self.engine.evaluate(doc), key[1], key[2])
        self.cache.put(key, decision, self._expiry(now) if implicit else float("inf"))
        return decision

    def _expiry(self, now: float) -> float:
        index = bisect.bisect_right(self._boundaries, now)
        next_boundary = self._boundaries[index] if index < len(self._boundaries) else float("inf")
        local = datetime.fromtimestamp(now, policy_data.CST)
        midnight = (local + timedelta(days=1)).replace(hour=0, minute=0, second=0, microsecond=0)
        return min(next_boundary, midnight.timestamp(), next_window_edge(self._windows, now))

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


def _boundaries(data: Mapping[str, Any]) -> list[float]:
    """Sorted instants (epoch seconds) at which some grant starts or ends."""
    instants: set[float] = set()
    for grant in (data.get("grants") or {}).values():
        for key in ("valid_from", "valid_until"):
            try:
                instants.add(datetime.fromisoformat(grant[key]).timestamp())
            except (KeyError, TypeError, ValueError):
                continue
    return sorted(instants)
