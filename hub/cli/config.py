"""``hub config show``: the effective sources and where each one's configuration came from."""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console

from hub.cli._output import Col, JsonOption, emit_document, table
from hub.settings import get_settings

app = typer.Typer(help="The hub's effective configuration.", no_args_is_help=True)


@app.command("show")
def show(
    sandbox: Annotated[Path | None, typer.Option(help="sandbox directory (default: $HUB_HOME/sandbox)")] = None,
    as_json: JsonOption = False,
) -> None:
    """Print the effective sources (sandbox defaults + hub.yaml), secrets masked."""
    from connectors.sdk import SandboxEnv
    from connectors.sources import effective_sources

    settings = get_settings()
    env = SandboxEnv((sandbox or settings.sandbox_dir).resolve(), "(served by hub run)")
    sources = effective_sources(settings.home, env)
    rows: list[dict[str, Any]] = [{"source": c.name, "connector": c.connector, "origin": c.origin,
             "provider": c.source.provider if c.source else None,
             "tables": [r.name for r in c.source.resources] if c.source else [],
             "settings": c.settings} for c in sources]
    document = {"home": str(settings.home), "sources": rows}

    def render(out: Console) -> None:
        title = f"sources of {settings.home} (hub.yaml: {settings.home / 'hub.yaml'})"
        out.print(table(rows, SOURCE_COLUMNS, title=title, width=out.width))

    emit_document(document, as_json=as_json, render=render)


def _settings_cell(row: Mapping[str, Any]) -> str:
    shown = {k: v for k, v in row["settings"].items() if k not in ("tables", "feeds")}
    return json.dumps(shown, ensure_ascii=False, default=str)


SOURCE_COLUMNS = [
    Col("source", wrap=False), Col("connector"), Col("provider"), Col("origin", "from", priority=-1),
    Col("tables", priority=-2), Col("settings", cell=_settings_cell, priority=-3),
]
