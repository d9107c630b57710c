"""What a model package (模型包) holds, and its manifest ``model.yaml``.

A package is a directory — authored at ``$HUB_HOME/models/<name>/`` by the hub that
builds the model, installed there by the hubs that share it::

    model.yaml                 # this manifest
    models/<name>.sql          # SQLMesh model(s): clues.<name> (and staging.<name>__* steps)
    tests/test_<name>.yaml     # SQLMesh unit tests: every model needs one

The manifest names the model and its version, describes it in Chinese, lists its
thresholds as SQLMesh variables (used as ``@VAR('name', default)`` in the SQL, so a
package runs with its own defaults and unit tests may set others), and states its
input contract in catalog terms: the published datasets it reads and, of each, the
columns.  Nothing else may be in a package (``safety``).
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, Field, ValidationError, field_validator

from hub.federation.errors import PackageRefused

MANIFEST = "model.yaml"
NAME = re.compile(r"^[a-z][a-z0-9_]{1,40}$")
DATASET = re.compile(r"^[a-z][a-z0-9_]*\.[a-z_][a-z0-9_]*$")
COLUMN = re.compile(r"^[a-z_][a-z0-9_]*$")
VERSION = re.compile(r"^\d{1,4}\.\d{1,4}\.\d{1,4}$")


class Variable(BaseModel):
    """A threshold of the model: its default and what it means (阈值)."""

    model_config = {"extra": "forbid", "frozen": True}

    default: int | float | str
    description_zh: str = ""


class Manifest(BaseModel):
    """``model.yaml``: name, version, Chinese name and description, variables, input contract."""

    model_config = {"extra": "forbid", "frozen": True}

    name: str = Field(pattern=NAME.pattern)  # the model produces clues.<name>
    version: str = Field(pattern=VERSION.pattern)  # MAJOR.MINOR.PATCH
    name_zh: str = Field(min_length=1)  # 模型名称
    description_zh: str = Field(min_length=1)  # 模型说明: what it flags and why
    key: list[str] = Field(min_length=1)  # the clue's key column(s) (grain)
    region_column: str | None = None  # 属地: the column holding the administrative code
    variables: dict[str, Variable] = Field(default_factory=dict)
    inputs: dict[str, list[str]] = Field(min_length=1)  # dataset → columns read (catalog terms)

    @field_validator("inputs")
    @classmethod
    def _inputs(cls, value: dict[str, list[str]]) -> dict[str, list[str]]:
        for dataset, columns in value.items():
            if not DATASET.fullmatch(dataset) or dataset.startswith(("raw_", "staging.", "sqlmesh")):
                raise ValueError(f"input `{dataset}` must be a published dataset `schema.table` "
                                 "(not raw_*, staging.* or SQLMesh internals)")
            if not columns or not all(COLUMN.fullmatch(c) for c in columns):
                raise ValueError(f"input `{dataset}` must list the columns the model reads")
        return value

    @field_validator("variables")
    @classmethod
    def _variables(cls, value: dict[str, Variable]) -> dict[str, Variable]:
        for name in value:
            if not COLUMN.fullmatch(name):
                raise ValueError(f"variable `{name}` must be lower-case letters, digits and _")
        return value

    @property
    def dataset(self) -> str:
        """The dataset the model produces."""
        return f"clues.{self.name}"

    def draft(self) -> dict[str, Any]:
        """The draft catalog entry of ``clues.<name>`` (``hub.model_packages.drafts_of`` reads it)."""
        summary = f"{self.description_zh}（共享模型 {self.name} {self.version}）"
        return {"dataset": self.dataset, "name_zh": f"问题线索：{self.name_zh}", "summary": summary,
                "level": 4, "sharing_type": "conditional", "region_column": self.region_column}


def parse(text: str, where: str) -> Manifest:
    """A manifest from YAML text; ``PackageRefused`` naming the field that is wrong."""
    try:
        data = yaml.safe_load(text) or {}
        return Manifest.model_validate(data)
    except yaml.YAMLError as exc:
        raise PackageRefused(f"{where}: {MANIFEST} is not YAML: {exc}") from None
    except ValidationError as exc:
        problems = "; ".join(f"{'.'.join(map(str, e['loc'])) or MANIFEST}: {e['msg']}" for e in exc.errors())
        raise PackageRefused(f"{where}: {MANIFEST} is invalid: {problems}") from None


def load(directory: Path) -> Manifest:
    """The manifest of the package in ``directory``."""
    path = directory / MANIFEST
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise PackageRefused(f"{directory} holds no readable {MANIFEST}: {exc.strerror}") from None
    return parse(text, str(directory))
