"""Macros shared by the staging models: one normalisation rule per kind of identifier."""

from __future__ import annotations

from sqlglot import exp
from sqlmesh import macro


@macro()
def normalize_id(evaluator, column: exp.Expression) -> exp.Expression:  # type: ignore[no-untyped-def]
    """Resident ID / USCC / card numbers: trimmed, upper-case (x → X), empty → NULL."""
    return exp.Nullif(
        this=exp.Upper(this=exp.Trim(this=column)), expression=exp.Literal.string("")
    )


@macro()
def normalize_text(evaluator, column: exp.Expression) -> exp.Expression:  # type: ignore[no-untyped-def]
    """Codes and short text: trimmed, empty → NULL (case kept)."""
    return exp.Nullif(this=exp.Trim(this=column), expression=exp.Literal.string(""))
