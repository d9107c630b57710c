"""``hub sandbox``: the four source systems, generated."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.progress import BarColumn, Progress, TaskProgressColumn, TextColumn, TimeElapsedColumn
from rich.table import Table

from hub.cli._common import console

app = typer.Typer(help="Generate the sandbox source systems.", no_args_is_help=True)


@app.command("seed")
def seed(
    directory: Annotated[Path, typer.Argument(metavar="DIR")],
    seed: Annotated[int, typer.Option(help="random seed")] = 42,
    scale: Annotated[int, typer.Option(min=10, help="number of subsidy recipients")] = 1000,
    force: Annotated[
        bool, typer.Option(help="write into a non-empty directory that is not a sandbox")
    ] = False,
) -> None:
    """Write the four source systems in the layout of shared/sources/README.md."""
    from hub.sandbox import seed as seed_sandbox

    columns = (TextColumn("{task.description}"), BarColumn(), TaskProgressColumn(), TimeElapsedColumn())
    with Progress(*columns, console=console, transient=True) as bar:
        task = bar.add_task("准备 preparing", total=1.0)
        manifest = seed_sandbox(
            directory,
            seed,
            scale,
            lambda stage, done: bar.update(task, description=stage, completed=done),
            force=force,
        )
    table = Table(title=f"sandbox {directory} (seed {seed}, scale {scale}, as_of {manifest.as_of})")
    table.add_column("table / model")
    table.add_column("rows", justify="right")
    for name, count in manifest.tables.items():
        table.add_row(name, f"{count:,}")
    table.add_section()
    for model, count in manifest.clues.items():
        table.add_row(f"clues.{model}", f"{count:,}")
    console.print(table)
    console.print(f"{len(manifest.files)} files: " + ", ".join(manifest.files))
