"""``hub quarantine``: what ingest quarantined — whole files and single rows."""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated, Any

import typer
from rich.console import Console

from hub.cli._output import Col, JsonOption, emit_document, table
from hub.kms.fields import QUARANTINE, open_text

app = typer.Typer(help="Files and rows that failed checks at ingest (隔离区).", no_args_is_help=True)


class Kind(StrEnum):
    all = "all"
    files = "files"
    rows = "rows"


FILE_COLUMNS = [Col("run_id", "run", priority=-3), Col("source"), Col("file_name", "file"),
                Col("size", "bytes", fmt=str, priority=-2), Col("sha256", priority=-4),
                Col("records", fmt=str, priority=-2),
                Col("reason", cell=lambda r: f"{r['reason_code']}: {r['reason']}"),
                Col("detail", "found", fmt=lambda v: _short(v or "", 240), priority=-1)]
ROW_COLUMNS = [Col("run_id", "run", priority=-2), Col("source"), Col("resource", priority=-1), Col("position"),
               Col("reason", cell=lambda r: f"{r['reason_code']}: {r['reason']}"),
               Col("raw", fmt=lambda v: _short(v, 120), priority=-1)]


@app.command("list")
def list_(
    source: Annotated[str | None, typer.Option(help="only this source, e.g. audit")] = None,
    run: Annotated[str | None, typer.Option(help="only entries first seen by this run id")] = None,
    kind: Annotated[Kind, typer.Option(help="files quarantined whole, single rows, or both")] = Kind.all,
    limit: Annotated[int, typer.Option(min=1, help="at most this many entries of each kind")] = 200,
    as_json: JsonOption = False,
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
        totals = {"files": quarantine.count_files(store, source=source), "rows": quarantine.count(store, source=source)}
    finally:
        store.dispose()
    # detail and raw are sealed at ingest (hub.kms.fields): opened here for the officer only
    doc: dict[str, Any] = {
        "files": [{"run_id": f.run_id, "source": f.source, "file_name": f.file_name, "size": f.size,
                   "sha256": f.sha256, "records": f.rows, "reason_code": f.reason_code, "reason": f.reason,
                   "detail": open_text(key, f.detail, QUARANTINE)} for f in files],
        "rows": [{"run_id": r.run_id, "source": r.source, "resource": r.resource, "position": r.position,
                  "reason_code": r.reason_code, "reason": r.reason,
                  "raw": open_text(key, r.raw, QUARANTINE)} for r in rows],
        "totals": totals,
    }
    scope = f" for source {source}" if source else ""

    def render(out: Console) -> None:
        if kind != Kind.rows:
            out.print(table(doc["files"], FILE_COLUMNS, title="files quarantined whole (隔离区: 文件)",
                            width=out.width))
            out.print(f"{len(files)} shown, {totals['files']} file(s) quarantined whole{scope}", markup=False)
        if kind != Kind.files:
            out.print(table(doc["rows"], ROW_COLUMNS, title="quarantined rows (隔离区)", width=out.width))
            out.print(f"{len(rows)} shown, {totals['rows']} row(s) quarantined{scope}", markup=False)

    emit_document(doc, as_json=as_json, render=render)


def _short(text: str, width: int) -> str:
    return text if len(text) <= width else text[: width - 3] + "..."
