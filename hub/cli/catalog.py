"""``hub catalog``: the resource directory (数据资源目录)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.table import Table
from sqlalchemy.orm import Session

from catalog import listing
from hub.cli._common import console
from hub.cli._signing import KeyOption, OfficerOption, PassphraseFileOption, PinFileOption, Pkcs11Option
from hub.events import EventSink
from hub.settings import get_settings
from hub.store import open_store

app = typer.Typer(help="The resource catalog.", no_args_is_help=True)


@app.command("list")
def list_(
    q: Annotated[str | None, typer.Option(help="search in ids, names, summaries")] = None,
    level: Annotated[int | None, typer.Option(help="only this level (1-5)")] = None,
    provider: Annotated[str | None, typer.Option(help="a provider code (hub provider list)")] = None,
    layer: Annotated[str | None, typer.Option(help="raw | staging | source | resource | clue")] = None,
) -> None:
    """List catalog entries."""
    store = open_store(get_settings().metadata_url)
    with store.session() as s:
        rows = listing.list_entries(s, q=q, level=level, provider=provider, layer=layer)
    table = Table("dataset", "名称", "provider", "layer", "level", "sharing", "jurisdiction", "rows", "version")
    table.columns[0].no_wrap = True
    for r in rows:
        level_text = f"{r['level']} {r['level_name']}"
        table.add_row(r["dataset"], r["name_zh"], r["provider"], r["layer"], level_text,
                      r["sharing_type"], r["region_column"] or "-", str(r["rows"] or 0), r["version"] or "-")
    console.print(table)
    if not rows:
        console.print("[yellow]the catalog is empty: run `hub run` first[/yellow]")


@app.command("show")
def show(dataset: Annotated[str, typer.Argument(metavar="DATASET")]) -> None:
    """Show one catalog entry as JSON."""
    store = open_store(get_settings().metadata_url)
    with store.session() as s:
        doc = listing.show(s, dataset)
    console.print_json(json.dumps(doc, ensure_ascii=False, default=str))


@app.command("export")
def export(
    dcat: Annotated[bool, typer.Option("--dcat", help="DCAT JSON-LD (the only format)")] = True,
    out: Annotated[Path | None, typer.Option(help="write to this file instead of stdout")] = None,
    base_url: Annotated[str, typer.Option(help="public URL of this hub")] = "http://127.0.0.1:8000",
) -> None:
    """Export the catalog for harvesting (DCAT JSON-LD)."""
    store = open_store(get_settings().metadata_url)
    with store.session() as s:
        doc = listing.export_dcat(s, base_url)
    text = json.dumps(doc, ensure_ascii=False, indent=2)
    if out:
        out.write_text(text, encoding="utf-8")
        console.print(f"wrote {len(doc['dcat:dataset'])} datasets to {out}")
    else:
        typer.echo(text)


def _column_class(value: str) -> tuple[str, str | None]:
    column, sep, cls = value.partition("=")
    if not sep or not column or not cls:
        raise typer.BadParameter(f"`{value}`: give COLUMN=CLASS, e.g. applicant_id=CN_RESIDENT_ID or note=none")
    return column, None if cls.lower() == "none" else cls


@app.command("review")
def review(
    dataset: Annotated[str, typer.Argument(metavar="DATASET")],
    level: Annotated[int | None, typer.Option(help="level 1-5 (default: the draft's proposal)")] = None,
    sharing_type: Annotated[str | None, typer.Option(
        help="unconditional | conditional | none (default: the draft's proposal)")] = None,
    region_column: Annotated[str | None, typer.Option(
        help="column with the administrative code, or `none` (default: the draft's)")] = None,
    column: Annotated[list[str] | None, typer.Option(
        help="COLUMN=CLASS over the scanner's class, CLASS a `hub pii scan` type or none (repeatable)")] = None,
    comment: Annotated[str, typer.Option(help="kept with the signed review")] = "",
    officer: OfficerOption = None, key: KeyOption = None, pkcs11: Pkcs11Option = None,
    passphrase_file: PassphraseFileOption = None, pin_file: PinFileOption = None,
) -> None:
    """Review a new dataset's entry, signed with your key: level, sharing type, region, column classes."""
    from catalog.review import ReviewRequest, resolve
    from hub import reviews, statements
    from hub.cli._audited import run_audited
    from hub.cli._signing import KeyChoice, officer_of, signer_of

    request = ReviewRequest(dataset=dataset, level=level, sharing_type=sharing_type, region_column=region_column,
                            column_classes=dict(map(_column_class, column or [])))
    signer = signer_of(KeyChoice(key, pkcs11, passphrase_file, pin_file))

    def work(session: Session, sink: EventSink) -> tuple[dict[str, Any], dict[str, Any]]:
        terms = resolve(session, request).terms()
        statement = statements.sign(signer, officer_of(session, signer, officer), reviews.ACTION,
                                    reviews.target(dataset), terms, note=comment)
        return terms, listing.summary(reviews.review(session, sink, request, statement))

    terms, doc = run_audited(work)
    console.print_json(json.dumps(terms, ensure_ascii=False))
    console.print(f"[bold]{dataset}[/bold] reviewed, signed: level {doc['level']} {doc['level_name']}, sharing "
                  f"{doc['sharing_type']}; exchangeable once published (the next `hub run` publishes it)")
