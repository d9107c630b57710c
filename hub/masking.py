"""Masking strategies as DuckDB column expressions (DESIGN.md §4).

The policy decision names a strategy per column; this module turns each into a
SQL expression that DuckDB evaluates while it scans the snapshot, so masking
costs one vectorised expression per column, never a Python loop per row (the way
Ranger rewrites SQL).  Identifiers reach here only after validation against the
catalog; they are quoted again here.  Keys are bound parameters, never inlined.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from hub.errors import HubError

# Compound surnames (复姓) keep both characters in mask_name: 欧阳* not 欧*.
COMPOUND_SURNAMES = (
    "欧阳", "司马", "诸葛", "上官", "慕容", "东方", "皇甫", "尉迟", "公孙", "长孙", "宇文",
    "司徒", "司空", "夏侯", "令狐", "独孤", "端木", "南宫", "西门", "轩辕", "呼延", "澹台",
)

_STRATEGY = re.compile(r"^(clear|drop|null|mask_middle|mask_name|pseudonym|year|year_month|"
                       r"redacted_text)$|^(region_prefix|round):(-?\d{1,2})$")


class MaskingError(HubError):
    """A strategy name the engine does not know (a policy bug: fail closed)."""

    status = 503
    title = "policy obligation not executable"


def quote_ident(name: str) -> str:
    """Quote a catalog-validated identifier for DuckDB."""
    return '"' + name.replace('"', '""') + '"'


@dataclass
class Projection:
    """SELECT list items with their bound parameters, in order."""

    items: list[str] = field(default_factory=list)
    params: list[object] = field(default_factory=list)


@dataclass(frozen=True)
class MaskContext:
    """What a strategy may need beyond the column: its PII class and pseudonym key pads."""

    pii_class: str | None = None
    data_type: str = "VARCHAR"
    hmac_inner_pad: bytes = b""
    hmac_outer_pad: bytes = b""
    redacted_twin: str | None = None


def parse_strategy(strategy: str) -> tuple[str, int | None]:
    """Split ``round:2`` into ``("round", 2)``; raise ``MaskingError`` if unknown."""
    m = _STRATEGY.match(strategy)
    if not m:
        raise MaskingError(f"unknown masking strategy `{strategy}`", strategy=strategy)
    if m.group(1):
        return m.group(1), None
    return m.group(2), int(m.group(3))


def _mask_middle(col: str, pii_class: str | None) -> str:
    text = f"CAST({col} AS VARCHAR)"
    n = f"length({text})"
    keep = {
        "CN_RESIDENT_ID": (6, 4),  # 110105********002X
        "CN_MOBILE": (3, 4),  # 138****5678
        "CN_BANK_CARD": (0, 4),  # ************1234
        "CN_LANDLINE": (4, 2),  # 0571******21
        "ADDRESS": (6, 0),  # 浙江省杭州市********** (province and city only)
    }.get(pii_class or "")
    if keep is None:  # generic: keep a quarter on each side
        head, tail = f"CAST(floor({n} / 4) AS BIGINT)", f"CAST(floor({n} / 4) AS BIGINT)"
    else:
        head, tail = str(keep[0]), str(keep[1])
    return (f"CASE WHEN {col} IS NULL THEN NULL WHEN {n} <= {head} + {tail} "
            f"THEN repeat('*', {n}) ELSE left({text}, {head}) || "
            f"repeat('*', {n} - {head} - {tail}) || right({text}, {tail}) END")


def _mask_name(col: str) -> str:
    surnames = ", ".join(f"'{s}'" for s in COMPOUND_SURNAMES)
    text = f"trim(CAST({col} AS VARCHAR))"
    return (f"CASE WHEN {col} IS NULL THEN NULL WHEN length({text}) > 2 AND left({text}, 2) "
            f"IN ({surnames}) THEN left({text}, 2) || '*' ELSE left({text}, 1) || '*' END")


def normalised(col: str) -> str:
    """The SQL of the value a pseudonym is computed from: trimmed, upper-case text."""
    return f"upper(trim(CAST({col} AS VARCHAR)))"


def pseudonym_sql(value: str) -> str:
    """SQL of the pseudonym of normalised text ``value``; binds (outer pad, inner pad).

    HMAC-SHA256 (RFC 2104) written in SQL so DuckDB evaluates it vectorised:
    H((K ^ opad) || H((K ^ ipad) || m)) with the pads precomputed per partner.
    """
    return f"'ps_' || left(sha256(?::BLOB || unhex(sha256(?::BLOB || encode({value})))), 32)"


def expression(column: str, strategy: str, ctx: MaskContext, out: Projection) -> None:
    """Append the masked expression for ``column`` (aliased to its name) to ``out``."""
    kind, arg = parse_strategy(strategy)
    col = quote_ident(column)
    alias = f" AS {col}"
    if kind == "drop":
        return
    if kind == "clear":
        out.items.append(col)
    elif kind == "null":
        out.items.append(f"CAST(NULL AS {ctx.data_type}){alias}")
    elif kind == "mask_middle":
        out.items.append(_mask_middle(col, ctx.pii_class) + alias)
    elif kind == "mask_name":
        out.items.append(_mask_name(col) + alias)
    elif kind == "pseudonym":
        if not ctx.hmac_inner_pad or not ctx.hmac_outer_pad:
            raise MaskingError(f"no pseudonym key for column `{column}`", column=column)
        out.items.append(f"CASE WHEN {col} IS NULL THEN NULL ELSE {pseudonym_sql(normalised(col))} END{alias}")
        out.params.extend([ctx.hmac_outer_pad, ctx.hmac_inner_pad])
    elif kind == "year":
        out.items.append(f"left(CAST({col} AS VARCHAR), 4){alias}")
    elif kind == "year_month":
        out.items.append(f"left(CAST({col} AS VARCHAR), 7){alias}")
    elif kind == "region_prefix":
        out.items.append(f"left(CAST({col} AS VARCHAR), {int(arg or 0)}){alias}")
    elif kind == "round":
        out.items.append(f"round({col}, {int(arg or 0)}){alias}")
    elif kind == "redacted_text":
        if not ctx.redacted_twin:
            raise MaskingError(f"column `{column}` has no redacted twin", column=column)
        out.items.append(f"{quote_ident(ctx.redacted_twin)}{alias}")
