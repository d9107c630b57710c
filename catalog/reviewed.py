"""Reviewed metadata: what data owners wrote in ``catalog/entries/<dataset>.yaml``.

Owners give names, summaries, conditions, owners, region columns and may raise a
level or tighten a sharing type.  Reviewed values win over inferred ones except
that a level is never lowered and a sharing type never loosened
(``catalog.levels``).  A malformed file is an error naming the file and field.
"""

from __future__ import annotations

from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Literal

import yaml
from pydantic import BaseModel, Field, ValidationError

from catalog.errors import CatalogError

ENTRIES_DIR = Path(str(resources.files("catalog") / "entries"))  # package data, wheel or checkout


class ReviewedEntry(BaseModel):
    """One owner-reviewed catalog entry."""

    model_config = {"extra": "forbid"}

    dataset: str = Field(pattern=r"^[a-z_]+\.[a-z_0-9]+$")
    resource_code: str | None = None
    name_zh: str = ""
    name_en: str = ""
    provider: str | None = None
    owner: str | None = None
    summary: str = ""
    update_cycle: str = "daily"
    open_attribute: str = "不予开放"
    primary_key: list[str] = Field(default_factory=list)
    region_column: str | None = None
    level: int | None = Field(default=None, ge=1, le=5)
    sharing_type: Literal["unconditional", "conditional", "none"] | None = None
    sharing_conditions: str = ""
    reviewed_by: str | None = None
    related: list[str] = Field(default_factory=list)
    columns: dict[str, str] = Field(default_factory=dict)


def _load(path: Path) -> ReviewedEntry:
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        entry = ReviewedEntry.model_validate(raw)
    except (OSError, yaml.YAMLError) as exc:
        raise CatalogError(f"reviewed entry `{path.name}` unreadable: {exc}") from None
    except ValidationError as exc:
        problems = "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors())
        raise CatalogError(f"reviewed entry `{path.name}` invalid: {problems}") from None
    if path.stem != entry.dataset:
        raise CatalogError(f"reviewed entry `{path.name}` names dataset `{entry.dataset}`")
    return entry


@lru_cache(maxsize=4)
def load_all(directory: Path = ENTRIES_DIR) -> dict[str, ReviewedEntry]:
    """Every reviewed entry in ``directory`` by dataset id."""
    return {e.dataset: e for e in (_load(p) for p in sorted(directory.glob("*.yaml")))}
