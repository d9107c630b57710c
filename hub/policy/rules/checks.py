"""Static checks of an officer rule set: the schema, then the tighten-only bounds.

``rule_problems`` lists everything wrong with a rule set before any decision is made
with it: schema errors (``schema``), mask rules that do not fit their columns or would
loosen the built-in masks (``strictness``), and names the catalog does not know
(datasets, columns, providers) when a catalog is at hand.  ``static_loosenings``
compares a candidate with the revision in force: a change set may add rules and tighten
them, never drop or widen one (that is a rollback, signed by two officers).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from hub.policy.rules.schema import RuleSet, RulesInvalid, parse_rules, seconds_of_day
from hub.policy.rules.strictness import mask_problem, rank, target_kind_and_floor

#: dataset id → its decision-input columns (``{name: {pii, level, ...}}``), or None if unknown.
ColumnsOf = Callable[[str], Mapping[str, Any] | None]


def rule_problems(doc: Any, columns_of: ColumnsOf | None = None,
                  providers: set[str] | None = None) -> list[str]:
    """Every problem of the rule set ``doc`` (empty when it may be activated as far as rules go)."""
    try:
        rules = parse_rules(doc)
    except RulesInvalid as exc:
        return list(exc.problems)
    problems = [p for rule in rules.masks if (p := _mask_problem(rule, columns_of))]
    if columns_of is not None:
        problems += _unknown_datasets(rules, columns_of)
    if providers is not None:
        problems += _unknown_providers(rules, providers)
    return problems


def _mask_problem(rule: Any, columns_of: ColumnsOf | None) -> str | None:
    target = rule.columns.model_dump()
    column = None
    if rule.columns.column is not None and columns_of is not None:
        columns = columns_of(str(rule.match.dataset))
        if columns is None:
            return f"mask rule `{rule.id}`: dataset `{rule.match.dataset}` is not in the catalog"
        if rule.columns.column not in columns:
            return f"mask rule `{rule.id}`: dataset `{rule.match.dataset}` has no column `{rule.columns.column}`"
        column = dict(columns[rule.columns.column])
    return mask_problem(rule.id, target, rule.strategy, column)


def _all_rules(rules: RuleSet) -> list[Any]:
    return [*rules.masks, *rules.windows, *rules.row_caps, *rules.denies]


def _unknown_datasets(rules: RuleSet, columns_of: ColumnsOf) -> list[str]:
    problems = [f"rule `{r.id}`: dataset `{r.match.dataset}` is not in the catalog"
                for r in _all_rules(rules) if r.match.dataset and columns_of(r.match.dataset) is None
                and not (r in rules.masks and r.columns.column is not None)]
    for code, purpose in rules.purposes.items():
        problems += [f"purpose `{code}`: dataset `{d}` is not in the catalog"
                     for d in purpose.datasets if columns_of(d) is None]
    return problems


def _unknown_providers(rules: RuleSet, providers: set[str]) -> list[str]:
    problems = [f"rule `{r.id}`: provider `{r.match.provider}` is not registered"
                for r in _all_rules(rules) if r.match.provider and r.match.provider not in providers]
    for code, purpose in rules.purposes.items():
        problems += [f"purpose `{code}`: provider `{p}` is not registered" for p in purpose.providers
                     if p not in providers]
    return problems


# --- the candidate against the revision in force ---------------------------------------------


def static_loosenings(active: Any, candidate: Any) -> list[str]:
    """What the candidate drops or widens of the active rule set (empty: it only adds or tightens).

    A rule kept under its id must stay at least as strict: same selector, and a lower
    cap, a narrower window, a stricter mask on the same columns; a purpose keeps its
    bounds or narrows them.  Anything else would loosen, and only a rollback may.
    """
    before, after = parse_rules(active), parse_rules(candidate)
    found: list[str] = []
    now = {r.id: r for r in _all_rules(after)}
    for rule in _all_rules(before):
        new = now.get(rule.id)
        if new is None:
            found.append(f"rule `{rule.id}` of the revision in force is dropped (to remove a rule, roll back)")
        elif type(new) is not type(rule) or new.match != rule.match:
            found.append(f"rule `{rule.id}` changes kind or selector (`match`): only a rollback may widen it")
        elif (why := _widened(rule, new)) is not None:
            found.append(f"rule `{rule.id}` {why}")
    for code, purpose in before.purposes.items():
        new_purpose = after.purposes.get(code)
        if new_purpose is None:
            found.append(f"purpose `{code}` of the revision in force is dropped from the registry")
        elif (why := _purpose_widened(purpose, new_purpose)) is not None:
            found.append(f"purpose `{code}` {why}")
    return found


def _widened(old: Any, new: Any) -> str | None:
    kind = type(old).__name__
    if kind == "RowCapRule" and new.max_rows > old.max_rows:
        return f"raises its cap from {old.max_rows} to {new.max_rows} rows"
    if kind == "WindowRule" and (seconds_of_day(new.start) < seconds_of_day(old.start)
                                 or seconds_of_day(new.until) > seconds_of_day(old.until)
                                 or (old.working_days and not new.working_days)):
        return "widens its window"
    if kind == "MaskRule":
        if new.columns != old.columns:
            return "masks other columns"
        found = target_kind_and_floor(old.columns.model_dump(), None)
        kind_name = found[0] if found else "other"
        a, b = rank(kind_name, old.strategy), rank(kind_name, new.strategy)
        if a is None or b is None or b < a:
            return f"changes `{old.strategy}` to `{new.strategy}`, which is not stricter"
    return None


def _purpose_widened(old: Any, new: Any) -> str | None:
    def looser(a: int | None, b: int | None) -> bool:
        return a is not None and (b is None or b > a)

    if (old.datasets or old.providers) and (not set(new.datasets) <= set(old.datasets)
                                             or not set(new.providers) <= set(old.providers)
                                             or not (new.datasets or new.providers)):
        return "covers more datasets or providers"
    for name in ("max_level", "max_validity_days", "max_rows_per_day"):
        if looser(getattr(old, name), getattr(new, name)):
            return f"raises {name} from {getattr(old, name)} to {getattr(new, name)}"
    return None
