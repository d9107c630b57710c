"""``hub catalog``: the resource directory (数据资源目录)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from catalog import listing
from hub.cli._common import console
from hub.settings import get_settings
from hub.store import open_store

app = typer.Typer(help="The resource catalog.", no_args_is_help=True)


@app.command("list")
def list_(
    q: Annotated[str | None, typer.Option(help="search in ids, names, summaries")] = None,
    level: Annotated[int | None, typer.Option(help="only this level (1-5)")] = None,
    provider: Annotated[str | None, typer.Option(help="finance|state_assets|audit|statistics")] = None,
    layer: Annotated[str | None, typer.Option(help="raw | staging | source | resource | clue")] = None,
) -> None:
    """List catalog entries."""
    store = open_store(get_settings().metadata_url)
    with store.session() as s:
        rows = listing.list_entries(s, q=q, level=level, provider=provider, layer=layer)
    table = Table("dataset", "名称", "provider", "layer", "level", "sharing", "jurisdiction", "rows", "version")
    table.columns[0].no_wrap = True
    for r in rows:
        level_text = f"{r['level']} {r['level_name']}"
        table.add_row(r["dataset"], r["name_zh"], r["provider"], r["layer"], level_text,
                      r["sharing_type"], r["region_column"] or "-", str(r["rows"] or 0), r["version"] or "-")
    console.print(table)
    if not rows:
        console.print("[yellow]the catalog is empty: run `hub run` first[/yellow]")


@app.command("show")
def show(dataset: Annotated[str, typer.Argument(metavar="DATASET")]) -> None:
    """Show one catalog entry as JSON."""
    store = open_store(get_settings().metadata_url)
    with store.session() as s:
        doc = listing.show(s, dataset)
    console.print_json(json.dumps(doc, ensure_ascii=False, default=str))


@app.command("export")
def export(
    dcat: Annotated[bool, typer.Option("--dcat", help="DCAT JSON-LD (the only format)")] = True,
    out: Annotated[Path | None, typer.Option(help="write to this file instead of stdout")] = None,
    base_url: Annotated[str, typer.Option(help="public URL of this hub")] = "http://127.0.0.1:8000",
) -> None:
    """Export the catalog for harvesting (DCAT JSON-LD)."""
    store = open_store(get_settings().metadata_url)
    with store.session() as s:
        doc = listing.export_dcat(s, base_url)
    text = json.dumps(doc, ensure_ascii=False, indent=2)
    if out:
        out.write_text(text, encoding="utf-8")
        console.print(f"wrote {len(doc['dcat:dataset'])} datasets to {out}")
    else:
        typer.echo(text)
