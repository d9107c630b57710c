"""``hub connector``: list, scaffold and conformance-test connectors."""

from __future__ import annotations

import tempfile
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.table import Table

from hub.cli._common import console, err_console
from hub.cli._output import Col, JsonOption, emit

if TYPE_CHECKING:
    from connectors.conformance import Check

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
    provider: Annotated[str | None, typer.Option(help="provider code: schema of the published tables "
                                                      "(default NAME)")] = None,
    provider_name: Annotated[str | None, typer.Option("--provider-name", help="the provider's Chinese name, "
                                                      "e.g. 城市管理局")] = None,
) -> None:
    """Scaffold an installable connector package."""
    from connectors.scaffold import scaffold

    root = scaffold(name, directory, provider, provider_name)
    # pip needs a path that looks like one: `./name`, not `name` (a package name to download)
    where = str(root) if root.is_absolute() or str(root).startswith("..") else f"./{root}"
    console.print(f"created {where}/ — next: `hub connector check {where}`, then `pip install -e {where}`",
                  soft_wrap=True)


def _declarations(cdef: object) -> None:
    """Print what the connector declares for the layers after ingest (provider, drafts)."""
    from connectors.sdk import ConnectorDef

    assert isinstance(cdef, ConnectorDef)
    provider = (f"{cdef.provider.code} ({cdef.provider.name_zh})" if cdef.provider
                else "none (give `provider:` in hub.yaml)")
    console.print(f"provider: {provider}")
    if cdef.transforms is not None:
        console.print(f"ships SQLMesh models: {cdef.transforms}")


def _models_check(cdef: object, workdir: Path) -> Check:
    """The connector's shipped SQLMesh models validate against the hub's project (as `hub run` does)."""
    from connectors.conformance import Check
    from connectors.sdk import ConnectorDef
    from hub.model_packages import validate
    from hub.project import ModelPackage, Project, default_project

    assert isinstance(cdef, ConnectorDef) and cdef.transforms is not None and cdef.sample is not None
    source = cdef.build(cdef.sample(workdir / "models-sample", False))
    project = Project(default_project().tables + Project.from_sources([source]).tables)
    reason = validate(project, ModelPackage(cdef.name, cdef.transforms.resolve(), (source.provider,)))
    return Check("ships SQLMesh models that validate", reason is None, reason or "loaded with the hub's "
                 "project; every model has a unit test; every unit test passed")


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
        if cdef.transforms is not None:
            checks.append(_models_check(cdef, Path(tmp)))
    _declarations(cdef)
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
