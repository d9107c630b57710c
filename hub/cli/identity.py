"""``hub partner add`` and ``hub officer add``: registering OAuth2 clients."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from hub.cli._common import not_available

partner_app = typer.Typer(help="Partner systems that exchange data.", no_args_is_help=True)
officer_app = typer.Typer(help="Officers: data owners and security officers.", no_args_is_help=True)


@partner_app.command("add")
def partner_add(
    partner_id: Annotated[str, typer.Argument(metavar="ID", help="partner id, e.g. hz-xihu-jw")],
    clearance: Annotated[int, typer.Option(min=1, max=5, help="授权等级 clearance level 1-5")],
    jurisdiction: Annotated[str, typer.Option(help="administrative code, e.g. 330106")],
    purpose: Annotated[list[str], typer.Option(help="registered purpose (repeatable)")],
    key_out: Annotated[Path | None, typer.Option(help="where to write the Ed25519 private key")] = None,
) -> None:
    """Register a partner system and write its private key."""
    not_available("partner registration")


@officer_app.command("add")
def officer_add(
    officer_id: Annotated[str, typer.Argument(metavar="ID")],
    role: Annotated[str, typer.Option(help="owner | security")],
    owner_of: Annotated[str | None, typer.Option(help="provider the owner speaks for")] = None,
    key_out: Annotated[Path | None, typer.Option(help="where to write the Ed25519 private key")] = None,
) -> None:
    """Register an officer."""
    not_available("officer registration")


def register(app: typer.Typer) -> None:
    app.add_typer(partner_app, name="partner")
    app.add_typer(officer_app, name="officer")
