"""Top-level data commands: ``demo``, ``run``, ``serve``, ``ui``, ``query``, ``trace``."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from hub.cli._common import not_available


def demo(
    no_serve: Annotated[bool, typer.Option("--no-serve", help="stop after the pipeline")] = False,
    port: Annotated[int, typer.Option(help="port of the exchange API")] = 8000,
) -> None:
    """Seed the sandbox (if absent), run the pipeline, register demo actors, then serve."""
    not_available("demo")


def run(
    sandbox: Annotated[Path | None, typer.Option(help="sandbox directory to ingest")] = None,
) -> None:
    """Materialize everything once: ingest → transform → catalog/classify → publish."""
    not_available("pipeline run (ingest, transform, publish)")


def serve(
    host: Annotated[str, typer.Option(help="interface to bind")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="port to bind")] = 8000,
) -> None:
    """Serve the exchange API."""
    not_available("exchange API")


def ui() -> None:
    """Open the Dagster UI on the hub's asset graph."""
    not_available("Dagster UI")


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
