"""Every CLI command and every connector is documented in the README (STYLE.md: public surface)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import typer

from connectors.registry import discover
from hub.cli import app
from hub.settings import Settings

README = (Path(__file__).parents[1] / "README.md").read_text(encoding="utf-8")


def _commands(cmd: Any, path: list[str]) -> list[tuple[list[str], Any]]:
    if hasattr(cmd, "commands"):  # a group (typer bundles its own click, so no isinstance)
        return [c for name, sub in cmd.commands.items() for c in _commands(sub, [*path, name])]
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
    for name, connector in discover().items():
        assert f"| `{name}` |" in README, f"connector `{name}` is not documented in README.md"
        assert connector.description


def test_every_setting_is_in_the_readme():
    for name in Settings.model_fields:
        assert f"| `HUB_{name.upper()}` |" in README, f"setting `HUB_{name.upper()}` is not documented in README.md"
