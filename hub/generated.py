"""Generated models: a declared raw table becomes a typed staging model and a published view.

For every raw table a connector declares (``raw_<source>.<table>``: columns with
types, primary key) that no model of the SQLMesh project reads, the hub generates,
in the project and without a file in the source tree:

- ``staging.<source>__<table>`` — every declared column cast to its declared type,
  text trimmed and empty text made NULL, with ``not_null`` and uniqueness audits on
  the primary key (kind ``FULL``: the raw table is already merged by key);
- ``<provider>.<table>`` — the published layer, a view of the staging model with
  the draft's name as its description.

So a new source can be published as is; a connector that wants more ships its own
models (``hub.model_packages``), which may read these.  The built-in sources have
hand-written staging models in ``transforms/models``; none is generated for them.
"""

from __future__ import annotations

from dataclasses import dataclass

from connectors.schema import describe
from connectors.sdk import Resource, Source

GENERATED_KIND = "FULL"


@dataclass(frozen=True)
class RawTable:
    """A raw table as its connector declares it: columns (DuckDB types), key, provider."""

    source: str
    name: str
    provider: str
    columns: tuple[tuple[str, str], ...]
    primary_key: tuple[str, ...] = ()
    title: str = ""  # the draft's Chinese name, when there is one

    @classmethod
    def of(cls, source: Source, res: Resource) -> RawTable:
        return cls(source.name, res.name, source.provider, tuple(describe(res.schema).items()),
                   tuple(res.primary_key), res.draft.name_zh if res.draft else "")

    @property
    def dataset(self) -> str:
        return f"raw_{self.source}.{self.name}"

    @property
    def staging(self) -> str:
        return f"staging.{self.source}__{self.name}"

    @property
    def published(self) -> str:
        return f"{self.provider}.{self.name}"

    def as_dict(self) -> dict[str, object]:
        """Plain data (SQLMesh keeps loader arguments in its config)."""
        return {"source": self.source, "name": self.name, "provider": self.provider,
                "columns": [list(c) for c in self.columns], "primary_key": list(self.primary_key),
                "title": self.title}

    @classmethod
    def from_dict(cls, data: dict[str, object]) -> RawTable:
        return cls(str(data["source"]), str(data["name"]), str(data["provider"]),
                   tuple((str(c[0]), str(c[1])) for c in data["columns"]),  # type: ignore[attr-defined]
                   tuple(str(k) for k in data["primary_key"]), str(data.get("title", "")))  # type: ignore[attr-defined]


def _ident(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _text(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


def _key_audits(key: tuple[str, ...]) -> str:
    if not key:
        return ""
    cols = ", ".join(_ident(k) for k in key)
    unique = (f"unique_values(columns := ({cols}))" if len(key) == 1
              else f"unique_combination_of_columns(columns := ({cols}))")
    grain = cols if len(key) == 1 else f"({cols})"
    return f",\n  grain {grain},\n  audits (not_null(columns := ({cols})), {unique})"


def _typed(column: str, dtype: str) -> str:
    if dtype == "VARCHAR":
        return f"NULLIF(TRIM({_ident(column)}), '')::VARCHAR AS {_ident(column)}"
    return f"{_ident(column)}::{dtype} AS {_ident(column)}"


def staging_sql(table: RawTable) -> str:
    """The generated staging model of ``table`` (SQLMesh SQL with a MODEL block)."""
    description = (f"Generated from the declared schema of {table.dataset}: typed, text trimmed, "
                   "empty text as NULL")
    select = ",\n  ".join(_typed(c, t) for c, t in table.columns)
    return (f"MODEL (\n  name {table.staging},\n  kind {GENERATED_KIND},\n  description {_text(description)}"
            f"{_key_audits(table.primary_key)}\n);\n\nSELECT\n  {select}\nFROM {table.dataset}\n")


def published_sql(table: RawTable) -> str:
    """The generated published view of ``table``."""
    title = f"{table.title} — " if table.title else ""
    description = f"{title}published layer of {table.dataset} (generated from {table.staging})"
    select = ",\n  ".join(_ident(c) for c, _ in table.columns)
    return (f"MODEL (\n  name {table.published},\n  kind VIEW,\n  description {_text(description)}"
            f"{_key_audits(table.primary_key)}\n);\n\nSELECT\n  {select}\nFROM {table.staging}\n")
