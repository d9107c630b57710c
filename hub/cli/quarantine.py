"""``hub quarantine``: what ingest quarantined — whole files and single rows."""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated, Any

import typer
from rich.markup import escape
from rich.table import Table

from hub.cli._common import console
from hub.kms.fields import QUARANTINE, open_text

app = typer.Typer(help="Files and rows that failed checks at ingest (隔离区).", no_args_is_help=True)


class Kind(StrEnum):
    all = "all"
    files = "files"
    rows = "rows"


@app.command("list")
def list_(
    source: Annotated[str | None, typer.Option(help="only this source, e.g. audit")] = None,
    run: Annotated[str | None, typer.Option(help="only entries first seen by this run id")] = None,
    kind: Annotated[Kind, typer.Option(help="files quarantined whole, single rows, or both")] = Kind.all,
    limit: Annotated[int, typer.Option(min=1, help="at most this many entries of each kind")] = 200,
) -> None:
    """List quarantined files (name, size, SHA-256, reason, what was found) and rows (position, reason)."""
    from connectors import quarantine
    from hub.kms.warehouse import warehouse_key
    from hub.settings import get_settings
    from hub.store import open_store

    settings = get_settings()
    store = open_store(settings.metadata_url)
    key = warehouse_key(settings) if settings.encrypt_at_rest else None
    try:
        files = quarantine.list_files(store, source=source, run_id=run, limit=limit) if kind != Kind.rows else []
        rows = quarantine.list_rows(store, source=source, run_id=run, limit=limit) if kind != Kind.files else []
        totals = (quarantine.count_files(store, source=source), quarantine.count(store, source=source))
    finally:
        store.dispose()
    scope = f" for source {source}" if source else ""
    if kind != Kind.rows:
        console.print(_files_table(files, key))
        console.print(f"{len(files)} shown, {totals[0]} file(s) quarantined whole{scope}")
    if kind != Kind.files:
        console.print(_rows_table(rows, key))
        console.print(f"{len(rows)} shown, {totals[1]} row(s) quarantined{scope}")


def _files_table(files: list[Any], key: str | None) -> Table:
    table = Table(title="files quarantined whole (隔离区: 文件)")
    for column in ("run", "source", "file", "bytes", "sha256", "records", "reason", "found"):
        table.add_column(column, overflow="fold")
    for f in files:
        found = open_text(key, f.detail, QUARANTINE)  # sealed at ingest (hub.kms.fields)
        table.add_row(f.run_id, f.source, escape(f.file_name), str(f.size), f.sha256, str(f.rows),
                      escape(f"{f.reason_code}: {f.reason}"), escape(_short(found, 240)))
    return table


def _rows_table(rows: list[Any], key: str | None) -> Table:
    table = Table(title="quarantined rows (隔离区)")
    for column in ("run", "source", "resource", "position", "reason", "raw"):
        table.add_column(column, overflow="fold")
    for row in rows:
        raw = open_text(key, row.raw, QUARANTINE)  # sealed at ingest (hub.kms.fields)
        table.add_row(row.run_id, row.source, row.resource, escape(row.position),
                      escape(f"{row.reason_code}: {row.reason}"), escape(_short(raw, 120)))
    return table


def _short(text: str, width: int) -> str:
    return text if len(text) <= width else text[: width - 3] + "..."
