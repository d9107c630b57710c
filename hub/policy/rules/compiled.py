"""Officer rules compiled for the policies (``data.hub.index.officer_rules``), and their clock.

``compile_rules`` turns the rule set of policy data (``data.hub.rules``: the active
revision's document and its id) into the lookups ``policies/hub/officer_rules.rego``
reads: rules with only their given selector fields, windows in nanoseconds of the local
day, purposes with set lookups, the strictness ranks and, when a window keeps to working
days, the working-day table.  A rule set that breaks the schema raises ``PolicyError``:
the decision point then denies everything (fail closed), as for any bad policy data.

The windows are the only officer rules that depend on the time of day, so this module
also says, for the decision cache and for replay, where the next window edge is and
which windows are open at an instant (the Rego decides the same from ``context.time``).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from hub.policy.decision import PolicyError
from hub.policy.rules import calendar, strictness
from hub.policy.rules.schema import RuleSet, RulesInvalid, parse_rules, seconds_of_day

NS = 1_000_000_000
DAY_NS = 86_400 * NS
NO_RULES = "r0"


def revision_of(doc: Any) -> str:
    """The rules revision id named in ``data.hub.rules`` (``r0``: none active)."""
    if isinstance(doc, Mapping) and isinstance(doc.get("revision"), str):
        return str(doc["revision"])
    return NO_RULES


def _match(rule: Any) -> dict[str, Any]:
    return rule.match.model_dump(exclude_none=True)


def _purposes(rules: RuleSet) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for code, p in rules.purposes.items():
        entry: dict[str, Any] = {"name_zh": p.name_zh, "dataset_set": dict.fromkeys(p.datasets, True),
                                 "provider_set": dict.fromkeys(p.providers, True),
                                 "open": not p.datasets and not p.providers}
        if p.max_level is not None:
            entry["max_level"] = p.max_level
        if p.max_validity_days is not None:
            entry["max_validity_days"] = p.max_validity_days
            entry["max_validity_ns"] = p.max_validity_days * DAY_NS
        if p.max_rows_per_day is not None:
            entry["max_rows_per_day"] = p.max_rows_per_day
        out[code] = entry
    return out


def _window(rule: Any) -> dict[str, Any]:
    return {"id": rule.id, "match": _match(rule), "working_days": rule.working_days,
            "from_ns": seconds_of_day(rule.start) * NS, "until_ns": seconds_of_day(rule.until) * NS,
            "label": f"{'working days' if rule.working_days else 'every day'} {rule.start}–{rule.until}"}


def _mask(rule: Any) -> dict[str, Any]:
    target = rule.columns.model_dump(exclude_none=True)
    (key, value), = target.items()
    return {"id": rule.id, "match": _match(rule), f"target_{key}": value, "strategy": rule.strategy}


def compile_ruleset(rules: RuleSet, revision: str) -> dict[str, Any]:
    """The Rego lookups of a parsed rule set."""
    compiled: dict[str, Any] = {
        "revision": revision,
        "denies": [{"id": r.id, "match": _match(r)} for r in rules.denies],
        "windows": [_window(r) for r in rules.windows],
        "row_caps": [{"id": r.id, "match": _match(r), "max_rows": r.max_rows} for r in rules.row_caps],
        "masks": [_mask(r) for r in rules.masks],
        "purposes": _purposes(rules),
        "ranks": strictness.RANKS,
        "pii_kinds": strictness.PII_KINDS,
        "type_kinds": strictness.TYPE_KINDS,
    }
    if any(r.working_days for r in rules.windows):
        first, table = calendar.working_table()
        compiled["calendar"] = {"first": first, "working": list(table)}
    return compiled


def compile_rules(doc: Any) -> dict[str, Any]:
    """``data.hub.rules`` compiled; ``PolicyError`` (deny everything) when it breaks the schema."""
    try:
        rules = parse_rules(doc)
    except RulesInvalid as exc:
        raise PolicyError(f"officer rules {revision_of(doc)} are invalid: {exc}") from None
    return compile_ruleset(rules, revision_of(doc))


# --- the clock of the windows ---------------------------------------------------------


def local_day_and_time(epoch_s: float) -> tuple[int, int]:
    """(day number, nanoseconds since local midnight) of an instant in Asia/Shanghai."""
    local_ns = int(round(epoch_s * NS)) + calendar.SHANGHAI_OFFSET_S * NS
    return local_ns // DAY_NS, local_ns % DAY_NS


def window_open(window: Mapping[str, Any], epoch_s: float) -> bool:
    """Whether ``window`` (compiled) lets a request in at ``epoch_s`` (as the Rego decides it)."""
    day, tod = local_day_and_time(epoch_s)
    if window["working_days"] and not calendar.is_working_day(day):
        return False
    return bool(window["from_ns"] <= tod < window["until_ns"])


def next_window_edge(windows: Sequence[Mapping[str, Any]], epoch_s: float) -> float:
    """The next instant after ``epoch_s`` at which some window opens or closes (inf: no windows).

    A working-day window also changes at local midnight (the next day may not be one).
    """
    if not windows:
        return float("inf")
    day, tod = local_day_and_time(epoch_s)
    edges = {DAY_NS}
    for window in windows:
        edges.update(edge for edge in (window["from_ns"], window["until_ns"]) if edge > tod)
    next_tod = min(edges)
    local_ns = day * DAY_NS + next_tod
    return (local_ns - calendar.SHANGHAI_OFFSET_S * NS) / NS
