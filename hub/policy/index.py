"""The policy data index (``data.hub.index``): lookups worked out once per data revision.

rego-cpp (regopy) spends microseconds on every step of a decision, several on each
built-in call (``in``, ``<``, ``sprintf``, ``time.parse_rfc3339_ns``...), and a lookup
in an object costs more the more keys it holds.  ``prepare`` therefore works out once,
when the data is loaded, what the policies would otherwise recompute in every decision
from the policy data alone: the grants a subject holds on a dataset (lowest id first),
each with its purposes and columns as lookups, its window in nanoseconds and its daily budget;
partners' purposes as lookups; and the registry records under every form of
subject id an input may use.  The document keeps ``data.hub`` as it was and adds
``index``; the decision point loads every engine (regopy, OPA) with it.

Only lookups and arithmetic are prepared here; every rule (the two-person rule, the
time window, masking) is decided in the Rego; the daily budget is an obligation the
quota ledger enforces (``hub.quota``).  Each derivation gives what
the Rego it replaces gave, for data of the shape
``build_policy_data`` writes.  Grants and partners whose fields have other types are
refused with ``PolicyError`` (the decision point then denies), not guessed at; a grant
time not in the store's form is left for the policies to parse.
"""

from __future__ import annotations

import calendar
import re
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from hub.policy.decision import PolicyError
from hub.policy.rules.compiled import compile_rules

#: Integer levels (and clearances) the comparison table covers; others are compared in Rego.
LEVELS = range(6)

_RFC3339 = re.compile(r"(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,9}))?([+-])(\d{2}):(\d{2})")


def prepare(data: Mapping[str, Any]) -> dict[str, Any]:
    """``data`` with its ``index`` added; ``data`` itself is not changed."""
    sections = {key: data.get(key) or {} for key in ("partners", "officers", "grants", "suspensions")}
    for key, section in sections.items():
        if not isinstance(section, dict):
            raise PolicyError(f"policy data: `{key}` must be an object")
    partners = {pid: _partner(pid, partner) for pid, partner in sections["partners"].items()}
    return {**data, "index": {
        "grants": _grant_index(sections["grants"]),
        "partners": _by_subject_id("partner", partners),
        "officers": _by_subject_id("officer", sections["officers"]),
        "suspensions": _by_subject_id("partner", sections["suspensions"]),
        # level_above[clearance][level]: whether level > clearance, for the usual integers.
        "level_above": [[level > clearance for level in LEVELS] for clearance in LEVELS],
        # the officer rules of data.hub.rules, compiled (hub/policy/rules/compiled.py)
        "officer_rules": compile_rules(data.get("rules")),
    }}


def _by_subject_id(kind: str, records: Mapping[str, Any]) -> dict[str, Any]:
    """Records keyed by every input id naming them: ``kind:ID`` and the bare ``ID``.

    The policies strip one ``kind:`` prefix from ``input.subject.id``; a bare id that
    itself starts with ``kind:`` is therefore only reachable with the prefix.
    """
    prefix = f"{kind}:"
    keyed = {f"{prefix}{key}": record for key, record in records.items()}
    keyed.update({key: record for key, record in records.items() if not key.startswith(prefix)})
    return keyed


def _partner(pid: str, partner: Any) -> Any:
    """A partner record with its purposes as a lookup."""
    if not isinstance(partner, dict):
        return partner
    purposes = partner.get("purposes", [])
    if not _strings(purposes):
        raise PolicyError(f"policy data: partner `{pid}` purposes must be a list of strings")
    return {**partner, "purpose_set": dict.fromkeys(purposes, True)}


# --- grants ---------------------------------------------------------------------------


def _grant_index(grants: Mapping[str, Any]) -> dict[str, Any]:
    """``{kind: {subject id: {dataset: [grant, ...]}}}``, each list ordered by grant id."""
    index: dict[str, dict[str, dict[str, list[dict[str, Any]]]]] = {}
    for gid in sorted(grants):
        grant = _grant(gid, grants[gid])
        kind, _, bare = _holder(grant["grant"]["partner"]).partition(":")
        for key in _by_subject_id(kind, {bare: None}):
            index.setdefault(kind, {}).setdefault(key, {}).setdefault(grant["grant"]["dataset"], []).append(grant)
    return index


def _holder(partner: str) -> str:
    """A grant's holder: ``partner:<id>`` unless the grant names a kind itself."""
    return partner if ":" in partner else f"partner:{partner}"


def _grant(gid: str, grant: Any) -> dict[str, Any]:
    """A grant's entry: its id (key), the grant itself and what its checks look up.

    Kept small (a lookup on regopy costs more the more keys the object has): lookups for
    purposes, columns and clear columns, the window in nanoseconds, the daily maximum of
    rows (named in the decision's ``quota`` obligation; the quota ledger enforces it).
    """
    _check_grant(gid, grant)
    return {
        "id": gid, "grant": grant,
        "purpose_set": dict.fromkeys(grant["purposes"], True),
        "column_set": dict.fromkeys(grant["columns"], True),
        "clear_set": dict.fromkeys(grant["clear_columns"], True),
        **_window(grant),
        "max_rows": grant["max_rows_per_day"],
    }


def _window(grant: Mapping[str, Any]) -> dict[str, int]:
    """``from_ns`` and ``until_ns``, each only where ``rfc3339_ns`` is sure of it."""
    window = {"from_ns": rfc3339_ns(grant.get("valid_from")), "until_ns": rfc3339_ns(grant.get("valid_until"))}
    return {key: ns for key, ns in window.items() if ns is not None}


def _check_grant(gid: str, grant: Any) -> None:
    """Refuse a grant the index cannot derive from exactly."""
    problem = None
    if not isinstance(grant, dict):
        problem = "is not an object"
    elif not (isinstance(grant.get("partner"), str) and isinstance(grant.get("dataset"), str)):
        problem = "partner and dataset must be strings"
    elif not all(_strings(grant.get(key)) for key in ("purposes", "columns", "clear_columns")):
        problem = "purposes, columns and clear_columns must be lists of strings"
    elif not _integer(grant.get("max_rows_per_day")):
        problem = "max_rows_per_day must be an integer"
    if problem:
        raise PolicyError(f"policy data: grant `{gid}` {problem}")


def _strings(value: Any) -> bool:
    return isinstance(value, list) and all(isinstance(item, str) for item in value)


def _integer(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def rfc3339_ns(text: Any) -> int | None:
    """``time.parse_rfc3339_ns`` of a time with a numeric offset, as the store writes them.

    ``None`` for anything else (``Z``, out of the int64 range, not a time), which the
    policies then parse themselves: the engines disagree on such times (rego-cpp 1.5
    cannot parse a ``Z`` suffix), and a decision must not depend on which one decides.
    """
    match = _RFC3339.fullmatch(text) if isinstance(text, str) else None
    if match is None:
        return None
    year, month, day, hour, minute, second, fraction, sign, off_hours, off_minutes = match.groups()
    try:
        datetime(int(year), int(month), int(day), int(hour), int(minute), int(second))
    except ValueError:  # a field out of range
        return None
    if int(off_hours) > 23 or int(off_minutes) > 59:
        return None
    offset = (int(off_hours) * 60 + int(off_minutes)) * 60 * (-1 if sign == "-" else 1)
    seconds = calendar.timegm((int(year), int(month), int(day), int(hour), int(minute), int(second), 0, 0, 0))
    ns = (seconds - offset) * 1_000_000_000 + int((fraction or "").ljust(9, "0"))
    return ns if -(2**63) <= ns < 2**63 else None
