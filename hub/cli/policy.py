"""``hub policy``: test and explain the Rego policies."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from hub.cli._common import not_available

app = typer.Typer(help="Access policies (Rego).", no_args_is_help=True)


@app.command("test")
def test() -> None:
    """Run the table-driven policy cases in policies/tests/."""
    not_available("policy engine")


@app.command("eval")
def eval_(input_file: Annotated[Path, typer.Argument(metavar="INPUT.json")]) -> None:
    """Evaluate one decision input and explain the decision."""
    not_available("policy engine")
