"""The ``Decision``: what the policy decision point answers (DESIGN.md §4).

An engine returns a plain JSON object; ``parse_decision`` checks its shape strictly
and turns anything malformed into an error, which the decision point renders as a
deny with reason ``policy engine unavailable`` (fail closed).
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from typing import Any

from hub.errors import HubError

UNAVAILABLE = "policy engine unavailable"

_KEYS = {"allow", "reasons", "grant", "columns", "row_filter", "max_rows", "quota"}


class PolicyError(HubError):
    """The policy engine failed or answered something that is not a decision."""

    status = 503
    title = "policy engine unavailable"
    retryable = True


@dataclass(frozen=True)
class Quota:
    """The daily row budget a decision obliges the enforcement point to charge (issue 13).

    The policy names the grant's ``max_rows_per_day``; whether a page still fits in it is
    decided by the quota ledger (``hub.quota``), atomically for every API process.
    """

    grant: str
    max_rows_per_day: int

    def to_dict(self) -> dict[str, Any]:
        return {"grant": self.grant, "max_rows_per_day": self.max_rows_per_day}


@dataclass(frozen=True)
class Decision:
    """One decision with its reasons and obligations (masks, row filter, row limit)."""

    allow: bool
    reasons: tuple[str, ...]
    grant: str | None = None
    columns: dict[str, str] = field(default_factory=dict)
    row_filter: dict[str, str] | None = None
    max_rows: int | None = None
    quota: Quota | None = None
    policy_revision: str = ""
    data_revision: str = ""
    error: str | None = None

    @property
    def revision(self) -> str:
        """``<policy revision>/<data revision>``, as recorded in the audit log."""
        return f"{self.policy_revision}/{self.data_revision}"

    def to_dict(self) -> dict[str, Any]:
        """The decision object of DESIGN.md §4."""
        return {"allow": self.allow, "reasons": list(self.reasons), "grant": self.grant,
                "columns": dict(self.columns), "row_filter": self.row_filter, "max_rows": self.max_rows,
                "quota": self.quota.to_dict() if self.quota else None}

    def obligations_digest(self) -> str:
        """SHA-256 of the obligations (columns, row filter, row limit, daily budget), for the audit record.

        Computed once per decision (a cached decision serves many requests; its obligations never change).
        """
        found: str | None = self.__dict__.get("_obligations_digest")
        if found is None:
            body: dict[str, Any] = {"columns": self.columns, "row_filter": self.row_filter,
                                    "max_rows": self.max_rows}
            if self.quota is not None:
                body["quota"] = self.quota.to_dict()
            found = hashlib.sha256(json.dumps(body, sort_keys=True, ensure_ascii=False).encode()).hexdigest()
            object.__setattr__(self, "_obligations_digest", found)  # frozen: a memo, not a field
        return found

    @classmethod
    def unavailable(cls, error: str, policy_revision: str = "", data_revision: str = "") -> Decision:
        """The fail-closed deny used for any engine error, timeout or malformed answer."""
        return cls(allow=False, reasons=(UNAVAILABLE,), max_rows=0, policy_revision=policy_revision,
                   data_revision=data_revision, error=error)


def _check(condition: bool, what: str) -> None:
    if not condition:
        raise PolicyError(f"malformed decision: {what}")


def _integer(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _quota(raw: Any, allow: bool, grant: Any) -> Quota | None:
    """The quota obligation: null, or the allowing grant's id and a budget ≥ 0."""
    if raw is None:
        return None
    _check(isinstance(raw, dict) and set(raw) == {"grant", "max_rows_per_day"}, "`quota` is not "
           "null or an object of grant and max_rows_per_day")
    _check(allow and raw["grant"] == grant and isinstance(grant, str),
           "`quota` names another grant than the decision's, or comes with a deny")
    budget = raw["max_rows_per_day"]
    _check(_integer(budget) and budget >= 0, "`quota.max_rows_per_day` is not a whole number ≥ 0")
    return Quota(grant=raw["grant"], max_rows_per_day=budget)


def parse_decision(raw: Any, policy_revision: str, data_revision: str) -> Decision:
    """Validate an engine's raw answer; raise ``PolicyError`` naming what is wrong."""
    _check(isinstance(raw, dict), f"expected an object, got {type(raw).__name__}")
    _check(set(raw) == _KEYS, f"keys {sorted(raw)} are not {sorted(_KEYS)}")
    _check(isinstance(raw["allow"], bool), "`allow` is not a boolean")
    reasons = raw["reasons"]
    _check(isinstance(reasons, list) and bool(reasons) and all(isinstance(r, str) for r in reasons),
           "`reasons` is not a non-empty list of strings")
    _check(raw["grant"] is None or isinstance(raw["grant"], str), "`grant` is not a string or null")
    columns = raw["columns"]
    _check(isinstance(columns, dict) and all(isinstance(v, str) for v in columns.values()),
           "`columns` is not an object of strategy names")
    _check(raw["row_filter"] is None or isinstance(raw["row_filter"], dict), "`row_filter` is not an object")
    max_rows = raw["max_rows"]
    _check(max_rows is None or _integer(max_rows), "`max_rows` is not an integer or null")
    quota = _quota(raw["quota"], raw["allow"], raw["grant"])
    # A grant's rows are charged against its budget: an allow under a grant without one would
    # serve them uncounted (a policy out of step with the hub, say), so it is no decision.
    _check(quota is not None or not (raw["allow"] and raw["grant"] is not None),
           "an allow under a grant carries no `quota` obligation")
    return Decision(allow=raw["allow"], reasons=tuple(reasons), grant=raw["grant"], columns=columns,
                    row_filter=raw["row_filter"], max_rows=max_rows, quota=quota,
                    policy_revision=policy_revision, data_revision=data_revision)
