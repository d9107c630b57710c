"""``hub connector``: list, scaffold and conformance-test connectors."""

from __future__ import annotations

from typing import Annotated

import typer

from hub.cli._common import not_available

app = typer.Typer(help="Source connectors.", no_args_is_help=True)


@app.command("list")
def list_() -> None:
    """List installed connectors and their resources."""
    not_available("connector registry")


@app.command("new")
def new(name: Annotated[str, typer.Argument(metavar="NAME")]) -> None:
    """Scaffold an installable connector package."""
    not_available("connector scaffolding")


@app.command("check")
def check(name: Annotated[str, typer.Argument(metavar="NAME")]) -> None:
    """Conformance-test a connector."""
    not_available("connector conformance checks")
