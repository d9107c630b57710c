"""``hub pii scan``: Chinese PII detection over stdin lines."""

from __future__ import annotations

import typer

from hub.cli._common import not_available

app = typer.Typer(help="Personal-information detection.", no_args_is_help=True)


@app.command("scan")
def scan() -> None:
    """UTF-8 lines on stdin → one JSON line each with the entities found."""
    not_available("PII scanning")
