"""Levels (分级, GB/T 43697-2024) and sharing types (共享类型), DESIGN.md §3.

A column's level follows from its PII class; a dataset takes the highest level
of its columns (就高从严) and at least its layer's floor (clues are 重要, level 4).
Reviewed values may tighten, never loosen: ``effective_level`` and
``effective_sharing`` enforce that.
"""

from __future__ import annotations

LEVEL_NAMES = {1: "一般-公开", 2: "一般-内部", 3: "一般-敏感", 4: "重要", 5: "核心"}
SHARING_TYPES = ("unconditional", "conditional", "none")  # 无条件 / 有条件 / 不予共享
SHARING_NAMES = {"unconditional": "无条件共享", "conditional": "有条件共享", "none": "不予共享"}

# Personal information is 一般-敏感 (3); anything else defaults by provider below.
PII_LEVELS = {
    "CN_RESIDENT_ID": 3, "PERSON": 3, "CN_MOBILE": 3, "CN_BANK_CARD": 3, "CN_PASSPORT": 3,
    "CN_LICENSE_PLATE": 3, "EMAIL": 3, "CN_LANDLINE": 3, "ADDRESS": 3, "CN_USCC": 1,
}
# Floor per layer: clues (问题线索) are 重要 whatever their columns hold.
LAYER_FLOOR = {"clue": 4}
# Level of non-personal columns unless the provider registered another default
# (``hub.providers``: statistics publish at 1); the hub's own layers use this one.
DEFAULT_FLOOR = 2


def column_level(pii_class: str | None, floor: int = DEFAULT_FLOOR) -> int:
    """The level a column's content implies, at least the provider's default ``floor``."""
    return max(floor, PII_LEVELS.get(pii_class or "", 0))


def dataset_level(column_levels: list[int], layer: str, floor: int = DEFAULT_FLOOR) -> int:
    """就高从严: the highest column level, at least the layer's floor and the provider's default."""
    return max([LAYER_FLOOR.get(layer, 0), floor, *column_levels])


def default_sharing(level: int) -> str:
    """Default sharing type of a level (DESIGN.md §3 table)."""
    if level >= 5:
        return "none"
    return "conditional" if level >= 3 else "unconditional"


def effective_level(inferred: int, reviewed: int | None) -> int:
    """A reviewed level can only raise the inferred one."""
    return max(inferred, reviewed or 0)


def effective_sharing(inferred: str, reviewed: str | None) -> str:
    """A reviewed sharing type can only tighten the inferred one."""
    if reviewed is None:
        return inferred
    return max(inferred, reviewed, key=SHARING_TYPES.index)
