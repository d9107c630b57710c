"""``Draft``: the catalog entry a connector proposes for a table it yields (草稿).

The draft carries the Chinese core metadata of a resource-catalog entry (资源名称,
摘要, 信息项, 更新周期) and a proposed level, sharing type and region column.  It
becomes the dataset's entry when the pipeline first catalogs the table; the PII
scanner classifies its columns; nothing of it is exchangeable until an officer has
reviewed it (``hub catalog review``), which fixes the level, sharing type, region
column and column classes.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field

SharingType = Literal["unconditional", "conditional", "none"]


class Draft(BaseModel):
    """A proposed catalog entry for one table (reviewed by an officer before any exchange)."""

    model_config = {"extra": "forbid", "frozen": True}

    name_zh: str = Field(min_length=1)  # 资源名称
    name_en: str = ""
    summary: str = ""  # 摘要
    update_cycle: str = "daily"  # 更新周期
    level: int | None = Field(default=None, ge=1, le=5)  # proposed 分级 (GB/T 43697)
    sharing_type: SharingType | None = None  # proposed 共享类型
    region_column: str | None = None  # the column holding the administrative code (属地)
    columns: dict[str, str] = Field(default_factory=dict)  # column → 信息项名称
