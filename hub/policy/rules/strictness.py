"""How strict each masking strategy is, per kind of column: the order mask rules may only climb.

A masking strategy means something only for the columns it fits (``round`` for amounts,
``year_month`` for dates, ``mask_name`` for names…), so strictness is ordered per *kind* of
column, one chain each, from ``clear`` (everything shown) to ``drop`` (the column is not
returned):

| kind | chain (looser → stricter) |
|---|---|
| free_text | clear < redacted_text < null < drop |
| person (PERSON) | clear < mask_name < pseudonym < null < drop |
| identifier (ID, phone, card, passport, plate, landline, e-mail, address, USCC) |
|   | clear < mask_middle < pseudonym < null < drop |
| date (date, timestamp) | clear < year_month < year < null < drop |
| amount | clear < round:2 < round:1 < … < round:-8 < null < drop |
| admin_code | clear < region_prefix:12 < … < region_prefix:1 < null < drop |
| other | clear < pseudonym < null < drop |

Why ``pseudonym`` above ``mask_middle`` / ``mask_name``: a pseudonym (keyed per partner)
keeps only equality — a partner can still join its own extracts — while ``mask_middle``
shows the ends of the number (a resident ID's region and birth date) and ``mask_name``
the surname.  ``null`` keeps the column (and that it exists), ``drop`` not even that.

The runtime combinator (``policies/hub/officer_rules.rego``) takes, per column, the
stricter of the built-in strategy and the rules' strategies on this chain; a rule
strategy outside the column's chain becomes ``null`` (never clearer).  Validation refuses
a mask rule whose strategy does not fit its target or is not stricter than the least the
built-in policy ever returns for that target (its *floor*): such a rule tries to loosen.
"""

from __future__ import annotations

from typing import Any

TOP = ("null", "drop")

CHAINS: dict[str, tuple[str, ...]] = {
    "free_text": ("clear", "redacted_text", *TOP),
    "person": ("clear", "mask_name", "pseudonym", *TOP),
    "identifier": ("clear", "mask_middle", "pseudonym", *TOP),
    "date": ("clear", "year_month", "year", *TOP),
    "amount": ("clear", *(f"round:{n}" for n in range(2, -9, -1)), *TOP),
    "admin_code": ("clear", *(f"region_prefix:{n}" for n in range(12, 0, -1)), *TOP),
    "other": ("clear", "pseudonym", *TOP),
}

#: PII classes (``hub pii scan`` types) → kind; a class not listed is ``other``.
PII_KINDS = {
    "PERSON": "person",
    **dict.fromkeys(("CN_RESIDENT_ID", "CN_MOBILE", "CN_BANK_CARD", "CN_PASSPORT", "CN_LICENSE_PLATE",
                     "CN_LANDLINE", "EMAIL", "ADDRESS", "CN_USCC"), "identifier"),
}
TYPE_KINDS = {"date": "date", "timestamp": "date", "amount": "amount", "admin_code": "admin_code"}

#: The least strict strategy the built-in policy ever returns for a PII class
#: (policies/hub/masking.rego, personal_masks): personal data is never clear.
PII_FLOORS = {
    "CN_RESIDENT_ID": "pseudonym", "EMAIL": "pseudonym", "PERSON": "mask_name", "CN_MOBILE": "mask_middle",
    "CN_BANK_CARD": "mask_middle", "CN_PASSPORT": "mask_middle", "CN_LICENSE_PLATE": "mask_middle",
    "CN_LANDLINE": "mask_middle", "ADDRESS": "mask_middle",
}

RANKS: dict[str, dict[str, int]] = {kind: {s: i for i, s in enumerate(chain)} for kind, chain in CHAINS.items()}


def column_kind(column: dict[str, Any]) -> str:
    """The kind of a decision-input column (``{pii, level, free_text?, type?}``), as the Rego reads it."""
    if column.get("free_text") is True:
        return "free_text"
    pii = column.get("pii")
    if isinstance(pii, str) and pii in PII_KINDS:
        return PII_KINDS[pii]
    hint = column.get("type")
    if isinstance(hint, str) and hint in TYPE_KINDS:
        return TYPE_KINDS[hint]
    return "other"


def rank(kind: str, strategy: str) -> int | None:
    """The place of ``strategy`` on ``kind``'s chain (higher is stricter); None if it does not fit."""
    return RANKS.get(kind, RANKS["other"]).get(strategy)


def tighten(kind: str, base: str, rule: str) -> str:
    """What the runtime combinator gives: the stricter of ``base`` and ``rule`` on ``kind``'s chain."""
    if base == "drop":
        return base
    rule_rank = rank(kind, rule)
    if rule_rank is None:
        rule, rule_rank = "null", rank(kind, "null")
    base_rank = rank(kind, base)
    if base_rank is None:  # a built-in strategy off the chain: only null or drop are surely stricter
        return rule if rule == "drop" else "null"
    return rule if rule_rank is not None and rule_rank > base_rank else base


def direction(kind: str, before: str, after: str) -> str:
    """``same``, ``tighter``, ``looser`` or ``changed`` (off the chain) from ``before`` to ``after``."""
    if before == after:
        return "same"
    a, b = rank(kind, before), rank(kind, after)
    if a is None or b is None:
        return "changed"
    return "tighter" if b > a else "looser"


def target_kind_and_floor(target: dict[str, Any], catalog_column: dict[str, Any] | None) -> tuple[str, str] | None:
    """The kind and built-in floor of a mask target; None when a named column is not known here."""
    if target.get("pii") is not None:
        pii = str(target["pii"])
        return PII_KINDS.get(pii, "other"), PII_FLOORS.get(pii, "clear")
    if target.get("type") is not None:
        return TYPE_KINDS[str(target["type"])], "clear"
    if catalog_column is None:
        return None
    kind = column_kind(catalog_column)
    if catalog_column.get("free_text") is True:
        return kind, "redacted_text"
    return kind, PII_FLOORS.get(str(catalog_column.get("pii")), "clear")


def mask_problem(rule_id: str, target: dict[str, Any], strategy: str,
                 catalog_column: dict[str, Any] | None) -> str | None:
    """Why a mask rule is refused (it does not fit its columns, or it would loosen), or None."""
    described = next(f"{k} `{v}`" for k, v in target.items() if v is not None)
    if strategy == "clear":
        return f"mask rule `{rule_id}`: `clear` would loosen {described}: mask rules only tighten"
    found = target_kind_and_floor(target, catalog_column)
    if found is None:
        return None if any(strategy in chain for chain in CHAINS.values()) else (
            f"mask rule `{rule_id}`: `{strategy}` is not a masking strategy")
    kind, floor = found
    strategy_rank = rank(kind, strategy)
    if strategy_rank is None:
        return (f"mask rule `{rule_id}`: `{strategy}` does not apply to {described} ({kind} columns take "
                f"{', '.join(CHAINS[kind][1:])})")
    floor_rank = rank(kind, floor)
    if floor_rank is not None and strategy_rank <= floor_rank:
        return (f"mask rule `{rule_id}`: `{strategy}` for {described} would loosen or keep the built-in "
                f"`{floor}`: mask rules only tighten (stricter than `{floor}`: "
                f"{', '.join(CHAINS[kind][floor_rank + 1:])})")
    return None
