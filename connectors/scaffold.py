"""Scaffolding of a new connector package (``hub connector new NAME``).

Writes an installable package directory ``NAME/``: a ``pyproject.toml`` declaring
the ``hub.connectors`` entry point, the module with its pydantic config model and
one declared resource, a sample source for conformance checks, a README and a
test.  ``hub connector check NAME/`` validates it before it is installed.
"""

from __future__ import annotations

import re
from pathlib import Path

from connectors.errors import ConnectorConfigError

_NAME = re.compile(r"^[a-z][a-z0-9_]{1,40}$")

PYPROJECT = """[build-system]
requires = ["setuptools>=68"]
build-backend = "setuptools.build_meta"

[project]
name = "hub-connector-{dash}"
version = "0.1.0"
description = "Huitong connector: {name}"
requires-python = ">=3.11"
dependencies = ["huitong"]

[project.entry-points."hub.connectors"]
{name} = "{name}.connector:{name}"

[tool.setuptools]
packages = ["{name}"]
"""

MODULE = '''"""Connector `{name}`: items (id, name, amount, updated_at) from a JSON-lines file.

Replace the reader with your source system; keep the declarations beside it.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pyarrow as pa
from pydantic import BaseModel

from connectors import Incremental, Reject, Resource, arrow_schema, connector, incremental, resource
from connectors.conform import column_from_values, conform

ITEMS = arrow_schema(
    {{"id": "bigint", "name": "varchar", "amount": "decimal(18,2)", "updated_at": "timestamp"}}
)


class Config(BaseModel):
    """Where the source is. Secrets (passwords, tokens) belong in SecretStr fields set from hub.yaml."""

    path: Path


def _sample(directory: Path, empty: bool) -> Config:
    directory.mkdir(parents=True, exist_ok=True)
    rows = [] if empty else [
        {{"id": i, "name": f"item {{i}}", "amount": 10.5 * i, "updated_at": f"2026-01-0{{i}}T08:00:00"}}
        for i in range(1, 4)
    ]
    path = directory / "items.jsonl"
    path.write_text("".join(json.dumps(r) + "\\n" for r in rows), encoding="utf-8")
    return Config(path=path)


@connector("{name}", config=Config, sample=_sample)
def {name}(config: Config) -> list[Resource]:
    """Items of the {name} source."""

    @resource(schema=ITEMS, primary_key="id", cursor=incremental("updated_at"), write_disposition="merge")
    def items(state: Incremental) -> Iterator[pa.RecordBatch | Reject]:
        """Items changed since the last run."""
        lines = config.path.read_text(encoding="utf-8").splitlines()
        rows = [json.loads(line) for line in lines if line.strip()]
        rows = [r for r in rows if state.start is None or str(r.get("updated_at")) >= state.start]
        raw = pa.table({{f.name: column_from_values([r.get(f.name) for r in rows], f.type) for f in ITEMS}})
        result = conform(raw, ITEMS, ["id"])
        for index, code, reason in result.rejected:
            yield Reject(f"line {{index + 1}}", json.dumps(rows[index]), code, reason)
        if result.batch.num_rows:
            state.advance(max(str(r["updated_at"]) for r in rows))
        yield result.batch

    return [items]
'''

TEST = '''"""Conformance of the {name} connector (the same checks as `hub connector check`)."""

from pathlib import Path

from connectors.conformance import check_connector
from {name}.connector import {name}


def test_{name}_conforms(tmp_path: Path) -> None:
    failed = [c for c in check_connector({name}, tmp_path) if not c.passed]
    assert not failed, failed
'''

README = """# {name} — a Huitong connector

Declares the resource `items` (primary key `id`, cursor `updated_at`, merge).

    pip install -e .            # registers entry point `{name}` in group `hub.connectors`
    hub connector check {name}  # conformance checks (or: hub connector check ./{name})
    hub connector list

Configure it in `$HUB_HOME/hub.yaml`:

    sources:
      {name}: {{connector: {name}, path: /data/items.jsonl}}
"""


def scaffold(name: str, parent: Path) -> Path:
    """Write the package directory ``parent/name``; refuse bad names and existing directories."""
    if not _NAME.fullmatch(name):
        raise ConnectorConfigError(
            f"connector name `{name}` must be 2-41 lower-case letters, digits or underscores, "
            "starting with a letter"
        )
    root = parent / name
    if root.exists():
        raise ConnectorConfigError(f"{root} already exists")
    files = {
        "pyproject.toml": PYPROJECT,
        "README.md": README,
        f"{name}/__init__.py": '"""The {name} connector package."""\n',
        f"{name}/connector.py": MODULE,
        f"tests/test_{name}.py": TEST,
    }
    for relative, template in files.items():
        path = root / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(template.format(name=name, dash=name.replace("_", "-")), encoding="utf-8")
    return root
