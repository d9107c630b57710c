"""Top-level data commands: ``demo``, ``run``, ``serve``, ``ui``, ``query``, ``trace``."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape
from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn
from rich.table import Table

from hub.cli._common import console
from hub.settings import get_settings


def _run_with_progress(sandbox: Path | None):  # type: ignore[no-untyped-def]
    from hub.cli.runreport import print_report
    from hub.pipeline import run_pipeline

    settings = get_settings()
    columns = (SpinnerColumn(), TextColumn("[bold]{task.fields[stage]:<9}"), TextColumn("{task.description}"),
               TimeElapsedColumn())
    with Progress(*columns, console=console, transient=True) as bar:
        task = bar.add_task("starting", stage="run")
        result = run_pipeline(settings, sandbox,
                              reporter=lambda stage, msg: bar.update(task, description=msg, stage=stage))
    print_report(console, result, _quarantined_by(settings, result))
    for refusal in result.refused:
        console.print(f"[red]refused:[/red] {escape(refusal)} — nothing of it was published", soft_wrap=True)
    return result


def _quarantined_by(settings, result) -> dict[str, list[object]]:  # type: ignore[no-untyped-def]
    """The quarantine entries the run's ingest stage stored (files; the first rows)."""
    from connectors import quarantine
    from hub.cli.runreport import MAX_LISTED
    from hub.store import open_store

    ingest = [s.run_id for s in result.stages if s.name == "ingest" and s.run_id]
    if not ingest:
        return {}
    store = open_store(settings.metadata_url)
    try:
        return {"files": list(quarantine.list_files(store, run_id=ingest[0])),
                "rows": list(quarantine.list_rows(store, run_id=ingest[0], limit=MAX_LISTED + 1))}
    finally:
        store.dispose()


def demo(
    no_serve: Annotated[bool, typer.Option("--no-serve", help="stop after the pipeline")] = False,
    port: Annotated[int, typer.Option(help="port of the exchange API")] = 8000,
    scale: Annotated[int | None, typer.Option(min=50, help="sandbox size when seeding one (default 2000)")] = None,
) -> None:
    """Seed the sandbox (if absent), run the pipeline, register demo actors, then serve."""
    from hub.demo import run_demo

    run_demo(serve=not no_serve, port=port, scale=scale)


def run(
    sandbox: Annotated[Path | None, typer.Option(help="sandbox directory to ingest")] = None,
) -> None:
    """Materialize everything once: ingest → transform → catalog/classify → publish.

    A damaged file or row is quarantined and the run goes on; a source that fails keeps its
    last good data and the others are still transformed and published.  The summary prints,
    per resource and per file, rows read = loaded + quarantined, and what was quarantined.

    Exit status: 0 = completed, nothing quarantined; 3 = completed, with quarantined input
    (see `hub quarantine list`); 4 = completed degraded: a source failed to ingest and kept
    its last good data, or a connector's model package was refused (nothing of it published),
    every other source was transformed and published; 1 = failed (a
    transform or publish stage failed, or the run could not start: nothing new published).
    """
    result = _run_with_progress(sandbox)
    if result.status:
        raise typer.Exit(result.status)


def serve(
    host: Annotated[str, typer.Option(help="interface to bind")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="port to bind (0: any free port, logged at start)")] = 8000,
    workers: Annotated[int, typer.Option(help="worker processes sharing the store, the quota ledger and "
                                              "the audit chain")] = 1,
    tls_cert: Annotated[Path | None, typer.Option(help="PEM certificate chain: serve HTTPS (TLS 1.2+)")] = None,
    tls_key: Annotated[Path | None, typer.Option(help="PEM private key of --tls-cert")] = None,
    tls_client_ca: Annotated[Path | None, typer.Option(
        help="CA bundle of partner client certificates (mutual TLS; see `hub partner cert`)")] = None,
    tls_client_auth: Annotated[str | None, typer.Option(help="optional | required client certificates")] = None,
    fd: Annotated[int | None, typer.Option(help="serve on this already bound, inherited socket instead of "
                                                "binding one (one process; its address is HUB_PUBLIC_URL's)")] = None,
) -> None:
    """Serve the exchange API (in N worker processes with --workers N; plain HTTP unless
    --tls-cert/--tls-key or HUB_TLS_CERT/HUB_TLS_KEY)."""
    from hub.server import serve as run_server

    flags = {"HUB_TLS_CERT": tls_cert, "HUB_TLS_KEY": tls_key, "HUB_TLS_CLIENT_CA": tls_client_ca,
             "HUB_TLS_CLIENT_AUTH": tls_client_auth}
    # the flags become the settings of this process and of every worker it starts (they inherit it)
    os.environ.update({name: str(value) for name, value in flags.items() if value is not None})
    get_settings.cache_clear()
    run_server(host, port, workers, fd=fd)


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
    from hub.exchange.operator import operator_read

    settings = get_settings()
    body = operator_read(settings, dataset, format, limit)
    sys.stdout.buffer.write(body)
    sys.stdout.buffer.flush()


def trace(file: Annotated[Path, typer.Argument(help="a leaked CSV or Parquet extract")]) -> None:
    """Name the partner whose pseudonyms a leaked extract contains."""
    from hub.store.db import open_store
    from hub.trace import trace as run_trace

    settings = get_settings()
    store = open_store(settings.metadata_url)
    try:
        result = run_trace(settings, store, file)
    finally:
        store.dispose()
    _print_trace(file, result)


def _print_trace(file: Path, result) -> None:  # type: ignore[no-untyped-def]
    best = result.best
    if best is None:
        console.print(f"{file}: {result.pseudonyms} pseudonym(s) found; no partner's key produces them")
        raise typer.Exit(1)
    table = Table("subject", "dataset", "column", "matches", title=f"pseudonyms in {file}")
    for m in sorted(result.matches, key=lambda m: -m.hits):
        table.add_row(m.subject, m.dataset, m.column, str(m.hits))
    console.print(table)
    console.print(f"[bold]leaked by {best.subject}[/bold] ({best.hits} of {result.pseudonyms} pseudonyms)")
    deliveries = Table("seq", "ts", "request_id", "rows", "response_sha256", title="matching deliveries")
    for r in result.deliveries:
        deliveries.add_row(str(r.seq), r.ts, r.request_id or "", str(r.rows), r.response_sha256 or "")
    console.print(deliveries)


def register(app: typer.Typer) -> None:
    for fn in (demo, run, serve, ui, query, trace):
        app.command(fn.__name__)(fn)
