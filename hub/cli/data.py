"""Top-level data commands: ``demo``, ``run``, ``serve``, ``ui``, ``query``, ``trace``."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Annotated

import typer
from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn
from rich.table import Table

from hub.cli._common import console, not_available
from hub.settings import get_settings


def _run_with_progress(sandbox: Path | None):  # type: ignore[no-untyped-def]
    from hub.pipeline import run_pipeline

    settings = get_settings()
    columns = (SpinnerColumn(), TextColumn("[bold]{task.fields[stage]:<9}"), TextColumn("{task.description}"),
               TimeElapsedColumn())
    with Progress(*columns, console=console, transient=True) as bar:
        task = bar.add_task("starting", stage="run")
        result = run_pipeline(settings, sandbox,
                              reporter=lambda stage, msg: bar.update(task, description=msg, stage=stage))
    table = Table("stage", "seconds", "assets", title="hub run")
    for stage in result.stages:
        table.add_row(stage.name, f"{stage.seconds:.1f}", str(len(stage.assets)))
    table.add_row("[bold]total", f"[bold]{result.seconds:.1f}", "")
    console.print(table)
    if result.checks_failed:
        console.print("[yellow]asset checks failed:[/yellow] " + ", ".join(result.checks_failed))
    return result


def demo(
    no_serve: Annotated[bool, typer.Option("--no-serve", help="stop after the pipeline")] = False,
    port: Annotated[int, typer.Option(help="port of the exchange API")] = 8000,
) -> None:
    """Seed the sandbox (if absent), run the pipeline, register demo actors, then serve."""
    from hub.demo import run_demo

    run_demo(serve=not no_serve, port=port)


def run(
    sandbox: Annotated[Path | None, typer.Option(help="sandbox directory to ingest")] = None,
) -> None:
    """Materialize everything once: ingest → transform → catalog/classify → publish."""
    _run_with_progress(sandbox)


def serve(
    host: Annotated[str, typer.Option(help="interface to bind")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="port to bind")] = 8000,
) -> None:
    """Serve the exchange API."""
    not_available("exchange API")


def ui(port: Annotated[int, typer.Option(help="port of the Dagster UI")] = 3000) -> None:
    """Open the Dagster UI (dagster dev) on the hub's asset graph."""
    settings = get_settings()
    env = {**os.environ, "HUB_HOME": str(settings.home.resolve()),
           "DAGSTER_HOME": str((settings.home / "dagster").resolve())}
    Path(env["DAGSTER_HOME"]).mkdir(parents=True, exist_ok=True)
    console.print(f"Dagster UI on http://127.0.0.1:{port} (Ctrl-C to stop)")
    raise typer.Exit(subprocess.call([sys.executable, "-m", "dagster", "dev", "-m", "hub.orchestration",
                                      "-h", "127.0.0.1", "-p", str(port)], env=env))


def query(
    dataset: Annotated[str, typer.Argument(help="published dataset, e.g. clues.duplicate_subsidy")],
    format: Annotated[str, typer.Option("--format", help="csv | json | parquet")] = "csv",
    limit: Annotated[int | None, typer.Option(help="maximum rows")] = None,
) -> None:
    """Operator read of a published dataset (audited)."""
    not_available("operator query of published datasets")


def trace(file: Annotated[Path, typer.Argument(help="a leaked CSV or Parquet extract")]) -> None:
    """Name the partner whose pseudonyms a leaked extract contains."""
    not_available("pseudonym tracing")


def register(app: typer.Typer) -> None:
    for fn in (demo, run, serve, ui, query, trace):
        app.command(fn.__name__)(fn)
