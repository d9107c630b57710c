"""``hub connector``: list, scaffold and conformance-test connectors."""

from __future__ import annotations

import tempfile
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from hub.cli._common import console, err_console
from hub.cli._output import Col, JsonOption, emit

app = typer.Typer(help="Source connectors.", no_args_is_help=True)


@contextmanager
def _plugin_warnings() -> Iterator[None]:
    """Show plugin load failures as one warning line each, never a traceback."""
    from connectors.registry import PluginWarning

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", PluginWarning)
        yield
    for warning in caught:
        if issubclass(warning.category, PluginWarning):
            err_console.print(f"[yellow]warning:[/yellow] {warning.message}")


def _resources(cdef: object) -> str:
    from connectors.errors import ConnectorError
    from connectors.sdk import ConnectorDef

    assert isinstance(cdef, ConnectorDef)
    try:
        source = cdef.build({})
    except ConnectorError:
        if cdef.sample is None:
            return "(declared in configuration)"
        with tempfile.TemporaryDirectory() as tmp:
            source = cdef.build(cdef.sample(Path(tmp), True))
    lines = [
        f"{r.name} key={','.join(r.primary_key) or '-'} cursor={r.cursor.describe() if r.cursor else '-'} "
        f"{r.write_disposition}"
        for r in source.resources
    ]
    return "\n".join(lines) or "(declared in configuration)"


@app.command("list")
def list_(as_json: JsonOption = False) -> None:
    """List installed connectors and their resources."""
    from connectors.registry import discover

    with _plugin_warnings():
        found = discover()
    rows = [{"name": name, "description": cdef.description, "resources": _resources(cdef).splitlines()}
            for name, cdef in found.items()]
    emit(rows, [Col("name", wrap=False), Col("description", priority=-1),
                Col("resources", fmt=lambda v: "\n".join(v))],
         as_json=as_json, title="connectors (entry point group hub.connectors)")


@app.command("new")
def new(
    name: Annotated[
        str, typer.Argument(metavar="NAME", help="package and entry-point name, e.g. demo_source")
    ],
    directory: Annotated[Path, typer.Option("--dir", help="where to create NAME/")] = Path("."),
) -> None:
    """Scaffold an installable connector package."""
    from connectors.scaffold import scaffold

    root = scaffold(name, directory)
    console.print(f"created {root}/ — next: `hub connector check {root}`, then `pip install -e {root}`")


@app.command("check")
def check(
    name: Annotated[str, typer.Argument(metavar="NAME", help="entry-point name or package directory")],
) -> None:
    """Conformance-test a connector."""
    from connectors.conformance import check_connector, resolve

    with _plugin_warnings():
        cdef = resolve(name)
    with tempfile.TemporaryDirectory() as tmp:
        checks = check_connector(cdef, Path(tmp))
    table = Table(title=f"conformance of connector `{cdef.name}`")
    for column in ("", "check", "detail"):
        table.add_column(column)
    for c in checks:
        table.add_row("[green]ok[/green]" if c.passed else "[red]FAIL[/red]", c.name, c.detail)
    console.print(table)
    failed = sum(not c.passed for c in checks)
    if failed:
        err_console.print(f"[red]{failed} of {len(checks)} checks failed[/red]")
        raise typer.Exit(1)
    console.print(f"all {len(checks)} checks passed")
