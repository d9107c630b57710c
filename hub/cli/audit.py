"""``hub audit``: verify, export and read the tamper-evident audit log."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape
from rich.progress import Progress

from hub.audit import (
    AuditLog,
    VerifyReport,
    decode_receipt,
    parse_public_keys,
    tail,
    verify_chain,
    verify_export,
    verify_receipt,
)
from hub.audit.errors import EvidenceError
from hub.audit.export import export
from hub.audit.pubkeys import PublicKeys, key_map
from hub.cli._common import console, err_console
from hub.cli._output import Col, JsonOption, emit
from hub.keys import KeyStore
from hub.settings import get_settings
from hub.store import Store, open_store

app = typer.Typer(help="The tamper-evident audit log.", no_args_is_help=True)

PublicKeyOption = Annotated[
    str | None,
    typer.Option("--public-key", help="JWK, JWKS or PEM (a file or the text); default: this hub's keys"),
]


def _store() -> Store:
    return open_store(get_settings().metadata_url)


def _keystore() -> KeyStore:
    return KeyStore.from_settings(get_settings())


def _public_keys(option: str | None) -> PublicKeys:
    if option is None:
        return key_map(_keystore())
    path = Path(option)
    if not option.lstrip().startswith(("{", "[", "-----")) and path.exists():
        try:
            return parse_public_keys(path.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError) as exc:
            raise EvidenceError(f"cannot read public key file `{path}`: {exc}") from None
    return parse_public_keys(option)


def _report(report: VerifyReport) -> None:
    # an export is untrusted text (its header, the statements' claims quoted in problems): printed,
    # never read as rich markup
    hub = f" (hub {escape(report.hub)})" if report.hub else ""
    if report.ok:
        console.print(f"[green]{escape(report.summary())}[/green]{hub}")
        return
    err_console.print(f"[red]{escape(report.summary())}[/red]{hub}")
    for problem in report.problems[1:10]:
        err_console.print(f"  also {escape(str(problem))}")
    raise typer.Exit(1)


@app.command("verify")
def verify(
    file: Annotated[Path | None, typer.Argument(help="an export to verify instead of the store")] = None,
    public_key: PublicKeyOption = None,
) -> None:
    """Verify the whole chain and its signed checkpoints (exit 1 naming the first bad seq)."""
    if file is not None:
        keys = _public_keys(public_key) if public_key else None
        _report(verify_export(file, keys))
        return
    store = _store()
    try:
        with Progress(console=err_console, transient=True) as bar:
            task = bar.add_task("verifying", total=None)
            report = verify_chain(store, _public_keys(public_key), lambda n: bar.advance(task, n))
    finally:
        store.dispose()
    _report(report)


@app.command("verify-receipt")
def verify_receipt_cmd(
    file: Annotated[Path, typer.Argument(metavar="FILE", help="receipt JSON or X-Hub-Receipt token")],
    public_key: PublicKeyOption = None,
) -> None:
    """Verify a delivery receipt offline."""
    try:
        receipt = decode_receipt(file.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError) as exc:
        raise EvidenceError(f"cannot read receipt `{file}`: {exc}") from None
    verify_receipt(receipt, _public_keys(public_key))
    console.print(f"[green]receipt OK[/green]: request {receipt['request_id']}, seq {receipt['seq']}, "
                  f"{receipt['rows']} rows of {receipt['dataset']} {receipt['version']}, "
                  f"response sha256 {receipt['response_sha256']}, signed by {receipt['kid']}")


@app.command("export")
def export_cmd(
    since: Annotated[str | None, typer.Option(help="ISO time, inclusive (naive = UTC)")] = None,
    until: Annotated[str | None, typer.Option(help="ISO time, exclusive (naive = UTC)")] = None,
    out: Annotated[Path | None, typer.Option("--out", help="file to write; default stdout")] = None,
) -> None:
    """Write records and covering checkpoints as JSON lines (verify with `hub audit verify FILE`)."""
    store = _store()
    try:
        if out is None:
            summary = export(store, _keystore(), typer.get_text_stream("stdout"), since, until)
        else:
            with out.open("w", encoding="utf-8") as fh:
                summary = export(store, _keystore(), fh, since, until)
    finally:
        store.dispose()
    err_console.print(f"exported {summary.records} records (seq {summary.first_seq}..{summary.last_seq}) "
                      f"and {summary.checkpoints} checkpoints")


TAIL_COLUMNS = [Col("seq", fmt=str, wrap=False), Col("ts", fmt=lambda v: str(v)[:19], priority=-1), Col("event"),
                Col("subject"), Col("dataset", priority=-1), Col("decision"),
                Col("rows", fmt=lambda v: "" if v is None else str(v), priority=-2),
                Col("request_id", priority=-3)]


@app.command("tail")
def tail_cmd(
    n: Annotated[int, typer.Option("-n", help="records")] = 20,
    as_json: JsonOption = False,
) -> None:
    """Show the latest audit records (``--json``: the whole records, one JSON list)."""
    store = _store()
    try:
        records = tail(store, n)
    finally:
        store.dispose()
    emit([record.as_dict() for record in records], TAIL_COLUMNS, as_json=as_json, title="audit log (latest)")


@app.command("checkpoint")
def checkpoint_cmd() -> None:
    """Sign a checkpoint at the head of the chain now."""
    settings = get_settings()
    store = open_store(settings.metadata_url)
    with AuditLog.from_settings(store, settings) as log:
        seq = log.checkpoint_now()
    store.dispose()
    console.print(f"checkpoint at seq {seq}" if seq else "head already checkpointed (or log empty)")
