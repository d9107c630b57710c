"""``hub quarantine``: source rows that failed type or key checks at ingest."""

from __future__ import annotations

import typer

from hub.cli._common import not_available

app = typer.Typer(help="Rows that failed type or key checks at ingest.", no_args_is_help=True)


@app.command("list")
def list_() -> None:
    """List quarantined rows with source, position and reason."""
    not_available("quarantine")
