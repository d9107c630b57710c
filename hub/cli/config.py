"""``hub config show``: the effective sources and where each one's configuration came from."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.table import Table

from hub.cli._common import console
from hub.settings import get_settings

app = typer.Typer(help="The hub's effective configuration.", no_args_is_help=True)


@app.command("show")
def show(
    sandbox: Annotated[Path | None, typer.Option(help="sandbox directory (default: $HUB_HOME/sandbox)")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="print JSON instead of a table")] = False,
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
    if as_json:
        typer.echo(json.dumps({"home": str(settings.home), "sources": rows}, ensure_ascii=False, indent=2))
        return
    table = Table("source", "connector", "provider", "from", "tables", "settings",
                  title=f"sources of {settings.home} (hub.yaml: {settings.home / 'hub.yaml'})")
    for r in rows:
        shown = {k: v for k, v in r["settings"].items() if k not in ("tables", "feeds")}
        table.add_row(r["source"], r["connector"], r["provider"] or "—", r["origin"], ", ".join(r["tables"]),
                      json.dumps(shown, ensure_ascii=False, default=str))
    console.print(table)
