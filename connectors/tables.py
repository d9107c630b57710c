"""``TableSpec``: a resource declared in configuration rather than in code.

The generic kinds (sql, rest, files) take their resources from a list of table
specs — name, ``{column: type}``, primary key, cursor column, write disposition,
and the draft catalog entry — so a new source table needs configuration, not code.  The built-in profiles are
lists of table specs too.
"""

from __future__ import annotations

import pyarrow as pa
from pydantic import BaseModel, Field

from connectors.draft import Draft
from connectors.schema import arrow_schema
from connectors.sdk import WriteDisposition


class TableSpec(BaseModel):
    """One table or feed of a source, declared in configuration."""

    name: str = Field(pattern=r"^[a-z_][a-z0-9_]*$")
    columns: dict[str, str]
    primary_key: list[str] = Field(default_factory=list)
    cursor: str | None = None
    write_disposition: WriteDisposition = "merge"
    source_table: str | None = None  # name in the source system when it differs
    description: str = ""
    draft: Draft | None = None  # the catalog entry proposed for the published table

    @property
    def schema(self) -> pa.Schema:
        return arrow_schema(self.columns)

    @property
    def origin(self) -> str:
        return self.source_table or self.name
