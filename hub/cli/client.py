"""``hub client``: the partner side of the exchange API, for engineers of any language and scripts.

``hub client token`` prints an access token; ``hub client rows DATASET --purpose P``
reads every page (NDJSON to stdout, or any format into ``--out FILE`` with a progress
bar, resumable: run the same command again after an interruption and it carries on
from the last cursor); ``hub client verify-receipt`` checks receipts against the
hub's published audit keys.  The connection comes from ``--url``, ``--client-id`` and
``--key`` or ``HUB_CLIENT_URL``, ``HUB_CLIENT_ID``, ``HUB_CLIENT_KEY``.  Everything
goes through ``hub.client`` and HTTP only — nothing here reads the hub's own state.
"""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path
from typing import Annotated

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from hub.cli._common import console, err_console
from hub.cli._output import JsonOption, dumps
from hub.client import FORMATS, ClientError, Download, HubClient, ReceiptError
from hub.client.receipts import ReceiptVerifier

app = typer.Typer(help="A partner system's client of the exchange API (tokens, rows, receipts).",
                  no_args_is_help=True)

Url = Annotated[str, typer.Option("--url", envvar="HUB_CLIENT_URL", help="the hub's public URL")]
ClientId = Annotated[str, typer.Option("--client-id", envvar="HUB_CLIENT_ID", help="e.g. partner:hz-xihu-jw")]
KeyFile = Annotated[Path, typer.Option("--key", envvar="HUB_CLIENT_KEY", help="the client's private key (PEM)")]
DEFAULT_URL = "http://127.0.0.1:8000"
_JWS = re.compile(r"[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+")


class ClientFailed(ClientError):
    """Shown as one line by the CLI (a ``hub.client`` error re-raised as a hub error)."""


def _client(url: str, client_id: str, key: Path) -> HubClient:
    return HubClient.from_key_file(url, client_id, key)


def _fail(exc: ClientError) -> typer.Exit:
    err_console.print(f"[red]error:[/red] {exc}", markup=True, highlight=False, soft_wrap=True)
    return typer.Exit(1)


@app.command("token")
def token(url: Url = DEFAULT_URL, client_id: ClientId = ..., key: KeyFile = ...,  # type: ignore[assignment]
          as_json: JsonOption = False) -> None:
    """Print an access token (``--json``: with its type and lifetime)."""
    try:
        with _client(url, client_id, key) as hub:
            access = hub.tokens.fetch()
    except ClientError as exc:
        raise _fail(exc) from None
    if as_json:
        typer.echo(dumps({"access_token": access.value, "token_type": "Bearer", "expires_in": access.expires_in}))
    else:
        typer.echo(access.value)


def _bar(total: int | None) -> Progress:
    """A progress bar on stderr (only when it is a terminal: scripts read a clean stream)."""
    columns = [TextColumn("[bold]{task.description}"), BarColumn(), MofNCompleteColumn(),
               TextColumn("rows, {task.fields[pages]} pages"), TimeElapsedColumn()]
    return Progress(*columns, console=err_console, transient=False, disable=not err_console.is_terminal)


def _total(hub: HubClient, dataset: str, filtered: bool) -> int | None:
    if filtered:
        return None
    try:
        rows = hub.entry(dataset).get("rows")
    except ClientError:
        return None
    return int(rows) if isinstance(rows, int) else None


@app.command("rows")
def rows(
    dataset: Annotated[str, typer.Argument(metavar="DATASET")],
    purpose: Annotated[str, typer.Option(help="registered purpose of the request")],
    url: Url = DEFAULT_URL, client_id: ClientId = ..., key: KeyFile = ...,  # type: ignore[assignment]
    fmt: Annotated[str, typer.Option("--format", help=" | ".join(FORMATS))] = "ndjson",
    out: Annotated[Path | None, typer.Option(help="write every page into this file (resumable)")] = None,
    columns: Annotated[str | None, typer.Option(help="comma-separated column names")] = None,
    filters: Annotated[list[str] | None, typer.Option("--filter", help="column:op:value (repeatable)")] = None,
    order_by: Annotated[str | None, typer.Option(help="column or -column")] = None,
    since: Annotated[str | None, typer.Option(help="only rows added or changed since this version")] = None,
    page_size: Annotated[int, typer.Option(min=1, max=100_000, help="rows per page")] = 10_000,
) -> None:
    """Read every row of DATASET, page after page (receipts verified); ``--out`` downloads resumably."""
    query = {"columns": columns.split(",") if columns else None, "filters": list(filters or []),
             "order_by": order_by, "since": since}
    try:
        with _client(url, client_id, key) as hub:
            if out is None:
                _to_stdout(hub, dataset, purpose, fmt, page_size, query)
                return
            _to_file(hub, dataset, purpose, fmt, out, page_size, query)
    except ClientError as exc:
        raise _fail(exc) from None


def _to_stdout(hub: HubClient, dataset: str, purpose: str, fmt: str, page_size: int, query: dict) -> None:
    if fmt == "ndjson":
        for row in hub.rows(dataset, purpose, limit=page_size, **query):
            sys.stdout.write(json.dumps(row, ensure_ascii=False) + "\n")
        return
    if fmt not in ("csv", "json"):
        raise ClientFailed(f"format {fmt} is binary: give --out FILE")
    for index, page in enumerate(hub.pages(dataset, purpose, format=fmt, limit=page_size, **query)):
        if fmt == "csv":
            body = page.body if index == 0 else page.body.split(b"\n", 1)[-1]
            sys.stdout.buffer.write(body)
        else:
            for row in page.rows():
                sys.stdout.write(json.dumps(row, ensure_ascii=False) + "\n")
    sys.stdout.flush()


def _to_file(hub: HubClient, dataset: str, purpose: str, fmt: str, out: Path, page_size: int, query: dict) -> None:
    download = Download(hub, dataset, purpose, out, format=fmt, page_size=page_size, **query)
    total = _total(hub, dataset, bool(query["filters"] or query["since"]))
    with _bar(total) as bar:
        task = bar.add_task(dataset, total=total, pages=0)
        result = download.run(lambda done, pages: bar.update(task, completed=done, pages=pages))
    resumed = f" (resumed after {result.resumed_pages} pages)" if result.resumed_pages else ""
    err_console.print(f"{result.rows:,} rows of {dataset} {result.version or ''} in {result.pages} pages → "
                      f"{result.path}{resumed}; receipts (verified) in {result.path}.receipts", highlight=False)


@app.command("verify-receipt")
def verify_receipt(
    receipt: Annotated[str, typer.Argument(metavar="RECEIPT", help="the X-Hub-Receipt JWS, or a file of them "
                                                                   "(one per line, e.g. FILE.receipts)")],
    body: Annotated[Path | None, typer.Option(help="the body the receipt was delivered with")] = None,
    url: Url = DEFAULT_URL,
    jwks: Annotated[Path | None, typer.Option(help="a saved copy of /.well-known/audit-jwks.json "
                                                   "instead of fetching it")] = None,
    as_json: JsonOption = False,
) -> None:
    """Verify receipts against the hub's published audit keys (and, with --body, the bytes received)."""
    texts = [receipt] if _JWS.fullmatch(receipt.strip()) else _receipts_file(Path(receipt))
    if body is not None and len(texts) != 1:
        raise _fail(ClientFailed("--body goes with exactly one receipt"))
    verifier = ReceiptVerifier(lambda: _jwks(url, jwks))
    checked = []
    for text in texts:
        try:
            found = verifier.verify(text, body.read_bytes() if body else None)
        except ClientError as exc:
            raise _fail(exc if isinstance(exc, ReceiptError) else ReceiptError(str(exc))) from None
        checked.append(found)
    if as_json:
        typer.echo(dumps([{k: v for k, v in vars(r).items() if k != "jws"} for r in checked]))
        return
    for r in checked:
        console.print(f"[green]receipt OK[/green]: request {r.request_id}, seq {r.seq}, {r.rows} rows of "
                      f"{r.dataset} {r.version}, sha256 {r.response_sha256}, signed by audit key {r.kid}",
                      highlight=False, soft_wrap=True)


def _receipts_file(path: Path) -> list[str]:
    try:
        return path.read_text(encoding="ascii").split()
    except (OSError, UnicodeDecodeError) as exc:
        raise _fail(ClientFailed(f"RECEIPT is neither a receipt (compact JWS) nor a readable file: {exc}")) from None


def _jwks(url: str, saved: Path | None) -> dict:
    if saved is not None:
        return dict(json.loads(saved.read_text(encoding="utf-8")))
    import httpx

    try:
        response = httpx.get(url.rstrip("/") + "/.well-known/audit-jwks.json", timeout=30)
        response.raise_for_status()
    except httpx.HTTPError as exc:
        raise ClientFailed(f"cannot fetch the hub's audit keys from {url}: {exc}") from None
    return dict(response.json())
