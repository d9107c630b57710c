"""Layers point one way (STYLE.md): the core never imports the API or the CLI on top of it."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).parents[1]
CORE = ["hub/exchange", "hub/quota", "hub/policy", "hub/audit", "hub/store", "hub/orchestration", "catalog",
        "connectors"]
UPPER = ("hub.api", "hub.cli", "hub.console")


def _imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module)
            found.update(f"{node.module}.{alias.name}" for alias in node.names)
    return found


def test_core_packages_do_not_import_the_api_or_the_cli():
    offenders = [
        f"{path.relative_to(ROOT)} imports {name}"
        for folder in CORE
        for path in sorted((ROOT / folder).rglob("*.py"))
        for name in sorted(_imports(path))
        if name.startswith(UPPER)
    ]
    assert offenders == []
