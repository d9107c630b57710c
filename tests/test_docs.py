"""Every CLI command and every connector is documented in the README (STYLE.md: public surface)."""

from __future__ import annotations

import re
import tomllib
from importlib.metadata import EntryPoint
from pathlib import Path
from typing import Any

import typer

from connectors.registry import GROUP
from connectors.sdk import ConnectorDef
from hub.cli import app
from hub.settings import Settings

ROOT = Path(__file__).parents[1]
README = (ROOT / "README.md").read_text(encoding="utf-8")


def shipped_connectors() -> dict[str, ConnectorDef]:
    """The connectors this repository ships: its own pyproject's entry points, not what is installed."""
    points = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]["entry-points"][GROUP]
    return {name: EntryPoint(name, value, GROUP).load() for name, value in points.items()}


def _commands(cmd: Any, path: list[str]) -> list[tuple[list[str], Any]]:
    if hasattr(cmd, "list_commands"):  # a group (typer bundles its own click, so no isinstance); the root
        ctx = cmd.context_class(cmd)  # loads a command's module when asked for it (hub.cli.LazyGroup)
        return [c for name in cmd.list_commands(ctx) for c in _commands(cmd.get_command(ctx, name), [*path, name])]
    return [(path, cmd)]


def test_every_command_has_help_and_is_in_the_readme():
    commands = _commands(typer.main.get_command(app), ["hub"])
    assert len(commands) > 25
    for path, cmd in commands:
        assert cmd.help, f"`{' '.join(path)}` has no help text"
        group, leaf = " ".join(path[:-1]), path[-1]
        assert f"`{' '.join(path)}" in README or (group in README and leaf in README), \
            f"`{' '.join(path)}` is not documented in README.md"


def test_every_connector_is_in_the_readme():
    shipped = shipped_connectors()
    assert {"sql", "rest", "files", "finance", "state_assets", "audit", "statistics"} <= set(shipped)
    for name, connector in shipped.items():
        assert isinstance(connector, ConnectorDef), name
        assert f"| `{name}` |" in README, f"connector `{name}` is not documented in README.md"
        assert connector.description


def test_docs_link_nothing_outside_the_repository():
    for doc in [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]:
        text = doc.read_text(encoding="utf-8")
        for target in re.findall(r"\]\(([^)#]+)", text):
            if target.startswith(("http://", "https://", "mailto:")):
                continue
            assert (doc.parent / target).resolve().is_relative_to(ROOT), f"{doc.name} links {target} outside"
            assert (doc.parent / target).exists(), f"{doc.name} links {target}, which does not exist"
        assert "../shared/" not in text, f"{doc.name} points outside the repository"


def test_every_setting_is_in_the_readme():
    for name in Settings.model_fields:
        assert f"| `HUB_{name.upper()}` |" in README, f"setting `HUB_{name.upper()}` is not documented in README.md"
