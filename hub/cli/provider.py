"""``hub provider``: the departments that provide data (提供方), registered, not coded."""

from __future__ import annotations

from typing import Annotated, Any

import typer
from sqlalchemy.orm import Session

from hub.cli._audited import read_only, run_audited
from hub.cli._common import console
from hub.cli._output import Col, JsonOption, emit

app = typer.Typer(help="Providers: the departments whose systems the hub reads.", no_args_is_help=True)


@app.command("add")
def add(
    code: Annotated[str, typer.Argument(metavar="CODE", help="schema of its published tables, e.g. city")],
    name_zh: Annotated[str, typer.Option("--name-zh", help="Chinese name, e.g. 城市管理局")],
    name_en: Annotated[str, typer.Option("--name-en", help="English name")] = "",
    default_level: Annotated[int, typer.Option(help="level of its non-personal columns (1 public, 2 internal)")] = 2,
    by: Annotated[str, typer.Option(help="who registers, kept in the audit log")] = "operator:cli",
) -> None:
    """Register a provider (for sources whose connector declares none)."""
    from hub import providers

    declaration = providers.make(code, name_zh, name_en, default_level)
    run_audited(lambda s, sink: providers.register(s, sink, declaration, by))
    console.print(f"provider [bold]{code}[/bold] registered: {name_zh}")


LIST_COLUMNS = [
    Col("code", wrap=False), Col("name_zh", "名称"), Col("name_en", "name", priority=-2),
    Col("default_level", "level", fmt=str), Col("owners", "owner officers", priority=-1),
    Col("registered_by", "registered by",
        cell=lambda r: r["registered_by"] or f"(declared by {r['declared_by']}; registered at its first use)"),
]


@app.command("list")
def list_(as_json: JsonOption = False) -> None:
    """List registered providers, their owner officers, and declared ones not yet registered."""
    from hub import providers

    def rows(session: Session) -> list[dict[str, Any]]:
        found = [{"code": p.code, "name_zh": p.name_zh, "name_en": p.name_en, "default_level": p.default_level,
                  "owners": providers.owners(session, p.code), "registered_by": p.registered_by,
                  "declared_by": None}
                 for p in providers.all_providers(session)]
        known = {r["code"] for r in found}
        return found + [{"code": code, "name_zh": d.name_zh, "name_en": d.name_en, "default_level": d.default_level,
                         "owners": [], "registered_by": None, "declared_by": f"connector:{connector}"}
                        for code, (connector, d) in sorted(providers.declared().items()) if code not in known]

    emit(read_only(rows), LIST_COLUMNS, as_json=as_json, title="providers (提供方)")
