"""The policy decision point (PDP): Rego policies over the catalog and the workflow.

Permission checks are one call: ``decide(subject, action, resource, request)``
returns a ``Decision`` with reasons and obligations; ``ensure_allowed(...)`` raises
``hub.errors.Forbidden``.  The process-wide point (``default_point``) runs the
policies in ``policies/`` on embedded regopy, or on the OPA server at
``HUB_OPA_URL``, over policy data read from the metadata store.
"""

from __future__ import annotations

import threading
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from hub.policy.cache import DecisionCache
from hub.policy.data import StaticData, StoreData, build_policy_data, bump, changed_on_commit
from hub.policy.decision import UNAVAILABLE, Decision, PolicyError, Quota, parse_decision
from hub.policy.engine import Engine, RegopyEngine
from hub.policy.point import PolicyPoint, forbidden
from hub.policy.resource import resource_input
from hub.policy.sources import PolicySet, load_policies, policy_set

if TYPE_CHECKING:
    from hub.policy.opa import OpaEngine

__all__ = [
    "UNAVAILABLE", "Decision", "DecisionCache", "Engine", "OpaEngine", "PolicyError", "PolicyPoint",
    "PolicySet", "Quota", "RegopyEngine", "StaticData", "StoreData", "build_policy_data", "bump",
    "changed_on_commit", "decide", "default_point", "engine_from_settings", "ensure_allowed",
    "load_policies", "parse_decision", "policy_set", "resource_input", "set_default_point",
]


def __getattr__(name: str) -> Any:
    """``OpaEngine`` imported when first asked for: its HTTP client costs ≈ 0.35 s to import,
    and only a hub with ``HUB_OPA_URL`` uses it."""
    if name == "OpaEngine":
        from hub.policy.opa import OpaEngine

        return OpaEngine
    raise AttributeError(f"module 'hub.policy' has no attribute {name!r}")


_default: PolicyPoint | None = None
_default_lock = threading.Lock()


def engine_from_settings(opa_url: str | None, timeout_s: float) -> Engine:
    """OPA when ``HUB_OPA_URL`` is set, embedded regopy otherwise."""
    if opa_url:
        from hub.policy.opa import OpaEngine

        return OpaEngine(opa_url, timeout_s)
    return RegopyEngine()


def default_point() -> PolicyPoint:
    """The process-wide decision point, built from ``hub.settings`` on first use."""
    global _default
    with _default_lock:
        if _default is None:
            from hub.settings import get_settings
            from hub.store.db import open_store

            settings = get_settings()
            engine = engine_from_settings(settings.opa_url, settings.opa_timeout_s)
            _default = PolicyPoint(engine, load_policies(), StoreData(open_store(settings.metadata_url)))
        return _default


def set_default_point(point: PolicyPoint | None) -> None:
    """Install (or with ``None`` forget) the process-wide point, e.g. in tests or the API."""
    global _default
    with _default_lock:
        _default = point


def decide(subject: Mapping[str, Any], action: str, resource: Mapping[str, Any],
           request: Mapping[str, Any], context: Mapping[str, Any] | None = None) -> Decision:
    """Decide one request on the process-wide point (a deny if the point cannot be built)."""
    try:
        point = default_point()
    except Exception as exc:  # noqa: BLE001 - fail closed
        return Decision.unavailable(str(exc))
    return point.decide(subject, action, resource, request, context)


def ensure_allowed(subject: Mapping[str, Any], action: str, resource: Mapping[str, Any],
                   request: Mapping[str, Any], context: Mapping[str, Any] | None = None) -> Decision:
    """``decide``, raising ``Forbidden`` with the reasons unless allowed."""
    decision = decide(subject, action, resource, request, context)
    if not decision.allow:
        raise forbidden(decision, action, resource)
    return decision
