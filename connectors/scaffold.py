"""Scaffolding of a new connector package (``hub connector new NAME``).

Writes an installable package directory ``NAME/``: a ``pyproject.toml`` declaring
the ``hub.connectors`` entry point, the module with its pydantic config model, its
provider (the department), one declared resource with its draft catalog entry, a
sample source for conformance checks, a README and a test.  ``hub connector check
NAME/`` validates it before it is installed.  docs/connectors.md walks from here
to a partner reading the rows.
"""

from __future__ import annotations

import re
from pathlib import Path

from connectors.errors import ConnectorConfigError
from connectors.provider import check_code

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

[tool.setuptools.package-data]
# SQLMesh models, audits, unit tests and draft entries the connector may ship (docs/connectors.md)
{name} = ["transforms/**/*.sql", "transforms/**/*.yaml", "transforms/**/*.py"]
"""

MODULE = '''"""Connector `{name}`: items (id, name, region_code, amount, updated_at) from a CSV or JSON-lines file.

Replace the reader with your source system; keep the declarations beside it.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Iterator
from pathlib import Path

import pyarrow as pa
from pydantic import BaseModel

from connectors import Draft, Incremental, Provider, Reject, Resource, arrow_schema, connector, incremental, resource
from connectors.conform import column_from_values, conform

ITEMS = arrow_schema(
    {{"id": "bigint", "name": "varchar", "region_code": "varchar", "amount": "decimal(18,2)",
     "updated_at": "timestamp"}}
)
# The department whose system this reads: its code is the schema the tables are published in.
PROVIDER = Provider(code="{provider}", name_zh="{provider_zh}")
# The catalog entry proposed for `{provider}.items`; an officer reviews it before any exchange.
ITEMS_DRAFT = Draft(
    name_zh="{name} 条目",
    summary="（请用中文写明数据内容、来源系统和统计口径）",
    update_cycle="daily",
    level=2,
    sharing_type="conditional",
    region_column="region_code",
    columns={{"id": "编号", "name": "名称", "region_code": "行政区划代码", "amount": "金额（元）",
             "updated_at": "最后更新时间"}},
)


class Config(BaseModel):
    """Where the source is. Secrets (passwords, tokens) belong in SecretStr fields set from hub.yaml."""

    path: Path


def _sample(directory: Path, empty: bool) -> Config:
    directory.mkdir(parents=True, exist_ok=True)
    rows = [] if empty else [
        {{"id": i, "name": f"item {{i}}", "region_code": "330106", "amount": 10.5 * i,
         "updated_at": f"2026-01-0{{i}}T08:00:00"}}
        for i in range(1, 4)
    ]
    path = directory / "items.jsonl"
    path.write_text("".join(json.dumps(r) + "\\n" for r in rows), encoding="utf-8")
    return Config(path=path)


def _rows(path: Path) -> list[dict[str, object]]:
    """The file's rows: a CSV with a header row, or one JSON object a line."""
    if path.suffix.lower() == ".csv":
        with path.open(encoding="utf-8-sig", newline="") as handle:
            return [{{k: (v if v != "" else None) for k, v in row.items()}} for row in csv.DictReader(handle)]
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


# To ship SQLMesh models too, add `transforms=Path(__file__).parent / "transforms"` below.
@connector("{name}", config=Config, sample=_sample, provider=PROVIDER)
def {name}(config: Config) -> list[Resource]:
    """Items of the {name} source."""

    @resource(schema=ITEMS, primary_key="id", cursor=incremental("updated_at"), write_disposition="merge",
              draft=ITEMS_DRAFT)
    def items(state: Incremental) -> Iterator[pa.RecordBatch | Reject]:
        """Items changed since the last run."""
        rows = [r for r in _rows(config.path)
                if state.start is None or str(r.get("updated_at")) >= str(state.start)]
        raw = pa.table({{f.name: column_from_values([r.get(f.name) for r in rows], f.type) for f in ITEMS}})
        result = conform(raw, ITEMS, ["id"])
        for index, code, reason in result.rejected:
            yield Reject(f"row {{index + 1}}", json.dumps(rows[index], ensure_ascii=False), code, reason)
        stamps = [str(r["updated_at"]) for r in rows if r.get("updated_at")]
        if stamps:
            state.advance(max(stamps))
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

Declares the resource `items` (primary key `id`, cursor `updated_at`, merge) of
provider `{provider}`, with a draft catalog entry.  The hub publishes it as
`{provider}.items` once an officer has reviewed that entry.

    hub connector check ./{name}  # conformance checks, before installing
    pip install -e .              # registers entry point `{name}` in group `hub.connectors`
    hub connector list

Configure it in `$HUB_HOME/hub.yaml` (this adds a source; the others stay):

    sources:
      {name}: {{connector: {name}, path: /data/items.jsonl}}

then `hub config show`, `hub run`, `hub catalog review {provider}.items --officer …`,
`hub run` — the Huitong repository's docs/connectors.md has the whole path.
"""


def scaffold(name: str, parent: Path, provider: str | None = None, provider_zh: str | None = None) -> Path:
    """Write the package directory ``parent/name``; refuse bad names and existing directories.

    ``provider`` (default: ``name``) and ``provider_zh`` declare the department.
    """
    if not _NAME.fullmatch(name):
        raise ConnectorConfigError(
            f"connector name `{name}` must be 2-41 lower-case letters, digits or underscores, "
            "starting with a letter"
        )
    code = provider or name
    try:
        check_code(code)
    except ValueError as exc:
        raise ConnectorConfigError(str(exc)) from None
    title = (provider_zh or f"{code} 数据提供部门").replace('"', "'")
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
        text = template.format(name=name, dash=name.replace("_", "-"), provider=code, provider_zh=title)
        path.write_text(text, encoding="utf-8")
    return root
