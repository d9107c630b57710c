"""``Provider``: the department (提供方) whose system a connector reads.

A provider is declared where its connector is declared (``@connector(...,
provider=Provider(...))``) or in ``hub.yaml`` for a source of a generic kind, and is
registered in the metadata store the first time the hub meets it (``hub.providers``);
``hub provider add`` registers one by hand.  Its code names the published schema of
its tables (``<provider>.<table>``) and the provider an owner officer speaks for.
"""

from __future__ import annotations

import re

from pydantic import BaseModel, Field, field_validator

CODE = re.compile(r"^[a-z][a-z0-9_]{1,40}$")
# Schemas of the SQLMesh project and the warehouse that a provider code may not take.
RESERVED = frozenset({"staging", "resources", "clues", "hub", "main", "information_schema", "pg_catalog"})


def check_code(code: str) -> str:
    """A provider code: 2-41 of a-z 0-9 _, starting with a letter, not a reserved schema."""
    if not CODE.fullmatch(code) or code.startswith(("raw_", "sqlmesh")) or code in RESERVED:
        raise ValueError(f"provider code `{code}` must be 2-41 of a-z 0-9 _ starting with a letter, "
                         f"and not one of the hub's schemas ({', '.join(sorted(RESERVED))}, raw_*, sqlmesh*)")
    return code


class Provider(BaseModel):
    """A department that provides data: code, Chinese name, default level of its non-personal columns."""

    model_config = {"extra": "forbid", "frozen": True}

    code: str
    name_zh: str = Field(min_length=1)  # 提供方名称
    name_en: str = ""
    default_level: int = Field(default=2, ge=1, le=4)  # 一般-公开 (1) or 一般-内部 (2) for most

    @field_validator("code")
    @classmethod
    def _code(cls, value: str) -> str:
        return check_code(value)
