"""``hub quarantine``: source rows that failed type or key checks at ingest."""

from __future__ import annotations

from typing import Annotated

import typer

from hub.cli._common import console
from hub.cli._output import Col, JsonOption, emit

app = typer.Typer(help="Rows that failed type or key checks at ingest.", no_args_is_help=True)


COLUMNS = [Col("run_id", "run", priority=-2), Col("source"), Col("resource", priority=-1), Col("position"),
           Col("reason", cell=lambda r: f"{r['reason_code']}: {r['reason']}"),
           Col("raw", fmt=lambda v: v if len(v) <= 120 else v[:117] + "...", priority=-1)]


@app.command("list")
def list_(
    source: Annotated[str | None, typer.Option(help="only this source, e.g. audit")] = None,
    run: Annotated[str | None, typer.Option(help="only rows first seen by this run id")] = None,
    limit: Annotated[int, typer.Option(min=1, help="at most this many rows")] = 200,
    as_json: JsonOption = False,
) -> None:
    """List quarantined rows with source, position and reason."""
    from connectors import quarantine
    from hub.settings import get_settings
    from hub.store import open_store

    store = open_store(get_settings().metadata_url)
    try:
        found = quarantine.list_rows(store, source=source, run_id=run, limit=limit)
        total = quarantine.count(store, source=source)
    finally:
        store.dispose()
    rows = [{"run_id": r.run_id, "source": r.source, "resource": r.resource, "position": r.position,
             "reason_code": r.reason_code, "reason": r.reason, "raw": r.raw} for r in found]
    emit(rows, COLUMNS, as_json=as_json, title="quarantined rows (隔离区)")
    if not as_json:
        scope = f" for source {source}" if source else ""
        console.print(f"{len(rows)} shown, {total} quarantined{scope}")
