"""``hub catalog``: the resource directory (数据资源目录)."""

from __future__ import annotations

from typing import Annotated

import typer

from hub.cli._common import not_available

app = typer.Typer(help="The resource catalog.", no_args_is_help=True)


@app.command("list")
def list_() -> None:
    """List catalog entries."""
    not_available("resource catalog")


@app.command("show")
def show(dataset: Annotated[str, typer.Argument(metavar="DATASET")]) -> None:
    """Show one catalog entry."""
    not_available("resource catalog")


@app.command("export")
def export(dcat: Annotated[bool, typer.Option("--dcat", help="DCAT JSON-LD")] = True) -> None:
    """Export the catalog for harvesting."""
    not_available("catalog export")
