"""What ``hub run`` prints when it ends: stage times, per-resource and per-file counts,
what was quarantined, which sources failed, and the exit status that follows."""

from __future__ import annotations

from typing import Any

from rich.console import Console
from rich.markup import escape
from rich.table import Table

from hub import pipeline

STATUS_TEXT = {
    pipeline.EXIT_OK: "[green]completed[/green]: nothing quarantined",
    pipeline.EXIT_QUARANTINED: "[yellow]completed, with quarantined input[/yellow]",
    pipeline.EXIT_DEGRADED: "[red]completed degraded[/red]: a source failed and kept its last good data, "
                            "or a connector's model package was refused",
}
MAX_LISTED = 20


def print_report(console: Console, result: pipeline.PipelineResult, quarantined: dict[str, list[Any]]) -> None:
    """Print the run's summary; ``quarantined`` holds the entries this run stored (files, rows)."""
    stages = Table("stage", "seconds", "assets", title="hub run")
    for stage in result.stages:
        stages.add_row(stage.name, f"{stage.seconds:.1f}", str(len(stage.assets)))
    stages.add_row("[bold]total", f"[bold]{result.seconds:.1f}", "")
    console.print(stages)
    if result.loads:
        console.print(_loads_table(result.loads))
    _print_quarantine(console, quarantined)
    for failure in result.failures:
        console.print(f"[red]ingest failed:[/red] {escape(failure)}")
    if result.checks_failed:
        console.print("[yellow]asset checks failed:[/yellow] " + ", ".join(result.checks_failed))
    console.print(f"exit status {result.status}: {STATUS_TEXT[result.status]}")


def _loads_table(loads: list[dict[str, Any]]) -> Table:
    table = Table("resource / file", "read", "loaded", "quarantined", "note",
                  title="ingest (read = loaded + quarantined)")
    for load in loads:
        files = f"{load['files_quarantined']} file(s) quarantined whole" if load["files_quarantined"] else ""
        table.add_row(load["resource"], str(load["read"]), str(load["loaded"]), str(load["quarantined"]), files)
        for delivery in load["files"]:
            note = f"file quarantined: {delivery['file_reason']}" if delivery.get("file_reason") else ""
            table.add_row(f"  {escape(delivery['name'])}", str(delivery["read"]), str(delivery["loaded"]),
                          str(delivery["quarantined"]), note)
    return table


def _print_quarantine(console: Console, quarantined: dict[str, list[Any]]) -> None:
    files, rows = quarantined.get("files", []), quarantined.get("rows", [])
    if files:
        table = Table("source", "file", "bytes", "sha256", "reason", title="files quarantined whole (this run)")
        for f in files:
            table.add_row(f.source, escape(f.file_name), str(f.size), f.sha256[:12],
                          escape(f"{f.reason_code}: {f.reason}"))
        console.print(table)
    if rows:
        table = Table("source", "resource", "position", "reason", title="rows quarantined (new this run)")
        for r in rows[:MAX_LISTED]:
            table.add_row(r.source, r.resource, escape(r.position), escape(f"{r.reason_code}: {r.reason}"))
        console.print(table)
        if len(rows) > MAX_LISTED:
            console.print(f"… {len(rows) - MAX_LISTED} more: `hub quarantine list --run RUN_ID`")
