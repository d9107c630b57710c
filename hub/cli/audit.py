"""``hub audit``: verify, export and read the tamper-evident audit log."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from hub.cli._common import not_available

app = typer.Typer(help="The tamper-evident audit log.", no_args_is_help=True)


@app.command("verify")
def verify(
    file: Annotated[Path | None, typer.Argument(help="an export to verify instead of the store")] = None,
) -> None:
    """Verify the whole chain and its signed checkpoints."""
    not_available("audit log")


@app.command("verify-receipt")
def verify_receipt(file: Annotated[Path, typer.Argument(metavar="FILE")]) -> None:
    """Verify a delivery receipt offline."""
    not_available("audit log")


@app.command("export")
def export(
    since: Annotated[str | None, typer.Option(help="ISO time")] = None,
    until: Annotated[str | None, typer.Option(help="ISO time")] = None,
) -> None:
    """Write records and covering checkpoints as JSON lines."""
    not_available("audit log")


@app.command("tail")
def tail(n: Annotated[int, typer.Option("-n", help="records")] = 20) -> None:
    """Show the latest audit records."""
    not_available("audit log")
