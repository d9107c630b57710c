"""``hub provider``: the departments that provide data (提供方), registered, not coded."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.table import Table
from sqlalchemy.orm import Session

from hub.cli._audited import read_only, run_audited
from hub.cli._common import console

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


@app.command("list")
def list_() -> None:
    """List registered providers, their owner officers, and declared ones not yet registered."""
    from hub import providers

    table = Table("code", "名称", "name", "default level", "owner officers", "registered by")

    def rows(session: Session) -> None:
        known = set()
        for p in providers.all_providers(session):
            known.add(p.code)
            table.add_row(p.code, p.name_zh, p.name_en, str(p.default_level),
                          ", ".join(providers.owners(session, p.code)) or "—", p.registered_by)
        for code, (connector, d) in sorted(providers.declared().items()):
            if code not in known:
                table.add_row(code, d.name_zh, d.name_en, str(d.default_level), "—",
                              f"(declared by connector {connector}; registered at its first run)")

    read_only(rows)
    console.print(table)


