"""``hub quarantine``: source rows that failed type or key checks at ingest."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.table import Table

from hub.cli._common import console

app = typer.Typer(help="Rows that failed type or key checks at ingest.", no_args_is_help=True)


@app.command("list")
def list_(
    source: Annotated[str | None, typer.Option(help="only this source, e.g. audit")] = None,
    run: Annotated[str | None, typer.Option(help="only rows first seen by this run id")] = None,
    limit: Annotated[int, typer.Option(min=1, help="at most this many rows")] = 200,
) -> None:
    """List quarantined rows with source, position and reason."""
    from connectors import quarantine
    from hub.kms.fields import QUARANTINE, open_text
    from hub.kms.warehouse import warehouse_key
    from hub.settings import get_settings
    from hub.store import open_store

    settings = get_settings()
    store = open_store(settings.metadata_url)
    key = warehouse_key(settings) if settings.encrypt_at_rest else None
    try:
        rows = quarantine.list_rows(store, source=source, run_id=run, limit=limit)
        total = quarantine.count(store, source=source)
    finally:
        store.dispose()
    table = Table(title="quarantined rows (隔离区)")
    for column in ("run", "source", "resource", "position", "reason", "raw"):
        table.add_column(column, overflow="fold")
    for row in rows:
        raw = open_text(key, row.raw, QUARANTINE)  # sealed at ingest (hub.kms.fields)
        raw = raw if len(raw) <= 120 else raw[:117] + "..."
        table.add_row(
            row.run_id, row.source, row.resource, row.position, f"{row.reason_code}: {row.reason}", raw
        )
    console.print(table)
    scope = f" for source {source}" if source else ""
    console.print(f"{len(rows)} shown, {total} quarantined{scope}")
