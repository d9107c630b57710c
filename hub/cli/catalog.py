"""``hub catalog``: the resource directory (数据资源目录)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from sqlalchemy.orm import Session

from catalog import listing
from hub.cli._common import console
from hub.cli._output import Col, JsonOption, emit, emit_document, fields, table
from hub.cli._signing import KeyOption, OfficerOption, PassphraseFileOption, PinFileOption, Pkcs11Option
from hub.events import EventSink
from hub.hubid import hub_id
from hub.settings import get_settings
from hub.store import open_store

app = typer.Typer(help="The resource catalog.", no_args_is_help=True)


LIST_COLUMNS = [
    Col("dataset", wrap=False), Col("name_zh", "名称", priority=-1), Col("provider", priority=-2),
    Col("layer", priority=-3), Col("level", cell=lambda r: f"{r['level']} {r['level_name']}"),
    Col("sharing_type", "sharing"),
    Col("region_column", "jurisdiction", priority=-1), Col("rows", fmt=lambda v: str(v or 0), priority=-2),
    Col("version", priority=-2),
]


@app.command("list")
def list_(
    q: Annotated[str | None, typer.Option(help="search in ids, names, summaries")] = None,
    level: Annotated[int | None, typer.Option(help="only this level (1-5)")] = None,
    provider: Annotated[str | None, typer.Option(help="a provider code (hub provider list)")] = None,
    layer: Annotated[str | None, typer.Option(help="raw | staging | source | resource | clue")] = None,
    as_json: JsonOption = False,
) -> None:
    """List catalog entries."""
    store = open_store(get_settings().metadata_url)
    try:
        with store.session() as s:
            rows = listing.list_entries(s, q=q, level=level, provider=provider, layer=layer)
    finally:
        store.dispose()
    emit(rows, LIST_COLUMNS, as_json=as_json, title="catalog (数据资源目录)",
         empty="[yellow]the catalog is empty: run `hub run` first[/yellow]")


COLUMN_COLUMNS = [Col("name", wrap=False), Col("type"), Col("pii"), Col("level", fmt=str),
                  Col("free_text", "free text", priority=-2), Col("description", priority=-1)]
SHOWN_FIELDS = ("name_zh", "name_en", "provider", "owner", "layer", "level", "level_name", "sharing_type",
                "exchangeable", "region_column", "rows", "version", "published_at", "primary_key", "summary",
                "sharing_conditions", "level_inferred", "level_reviewed", "reviewed_by")


def _review_text(review: Any) -> str:
    """The review status in a line: reviewed by whom, or what to do next (``--json`` has every field)."""
    if not isinstance(review, dict):
        return "—"
    more = review.get("by") or review.get("next")
    return f"{review.get('status')}" + (f" ({more})" if more else "")


@app.command("show")
def show(dataset: Annotated[str, typer.Argument(metavar="DATASET")], as_json: JsonOption = False) -> None:
    """Show one catalog entry: fields, columns, versions and lineage."""
    store = open_store(get_settings().metadata_url)
    try:
        with store.session() as s:
            doc = listing.show(s, dataset)
    finally:
        store.dispose()

    def render(out: Console) -> None:
        shown = [(k, doc.get(k)) for k in SHOWN_FIELDS] + [("review", _review_text(doc.get("review")))]
        out.print(fields(shown, title=f"catalog entry {dataset}", width=out.width))
        out.print(table(doc["columns"], COLUMN_COLUMNS, title="columns", width=out.width))
        versions = [Col("version", wrap=False), Col("rows", fmt=str), Col("created_at", "created", priority=-1),
                    Col("retired"), Col("sha256", priority=-2)]
        out.print(table(doc["versions"], versions, title="versions", width=out.width))
        up = sorted({u[0] for u in doc["lineage"]["upstream"]})
        out.print(fields([("upstream", up), ("downstream", doc["lineage"]["downstream"])], title="lineage",
                         width=out.width))

    emit_document(doc, as_json=as_json, render=render)


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
                                    reviews.target(dataset), terms, audience=hub_id(session), note=comment)
        return terms, listing.summary(reviews.review(session, sink, request, statement))

    terms, doc = run_audited(work)
    console.print_json(json.dumps(terms, ensure_ascii=False))
    console.print(f"[bold]{dataset}[/bold] reviewed, signed: level {doc['level']} {doc['level_name']}, sharing "
                  f"{doc['sharing_type']}; exchangeable once published (the next `hub run` publishes it)")
