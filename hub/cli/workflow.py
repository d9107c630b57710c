"""Application → approval → grant workflow from the command line, and lockdown."""

from __future__ import annotations

from typing import Annotated

import typer

from hub.cli._common import not_available

application_app = typer.Typer(help="Applications for grants.", no_args_is_help=True)
grant_app = typer.Typer(help="Grants in force.", no_args_is_help=True)


@application_app.command("list")
def application_list() -> None:
    """List applications and their approvals."""
    not_available("application workflow")


@application_app.command("approve")
def application_approve(
    application_id: Annotated[str, typer.Argument(metavar="ID")],
    officer: Annotated[str, typer.Option(help="approving officer id")],
    comment: Annotated[str, typer.Option(help="comment kept with the approval")] = "",
) -> None:
    """Approve an application (two-person rule)."""
    not_available("application workflow")


@application_app.command("reject")
def application_reject(
    application_id: Annotated[str, typer.Argument(metavar="ID")],
    officer: Annotated[str, typer.Option(help="rejecting officer id")],
    comment: Annotated[str, typer.Option(help="reason")] = "",
) -> None:
    """Reject an application."""
    not_available("application workflow")


@grant_app.command("list")
def grant_list() -> None:
    """List grants."""
    not_available("grants")


@grant_app.command("revoke")
def grant_revoke(grant_id: Annotated[str, typer.Argument(metavar="ID")]) -> None:
    """Revoke a grant at once."""
    not_available("grants")


def lockdown(partner: Annotated[str, typer.Argument(metavar="PARTNER")]) -> None:
    """Suspend a partner: every later decision denies."""
    not_available("lockdown")


def register(app: typer.Typer) -> None:
    app.command("lockdown")(lockdown)
