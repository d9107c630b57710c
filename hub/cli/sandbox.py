"""``hub sandbox``: the four source systems, generated."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from hub.cli._common import not_available

app = typer.Typer(help="Generate the sandbox source systems.", no_args_is_help=True)


@app.command("seed")
def seed(
    directory: Annotated[Path, typer.Argument(metavar="DIR")],
    seed: Annotated[int, typer.Option(help="random seed")] = 42,
    scale: Annotated[int, typer.Option(min=10, help="number of subsidy recipients")] = 1000,
) -> None:
    """Write the four source systems in the layout of shared/sources/README.md."""
    not_available("sandbox generator")
