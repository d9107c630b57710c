"""The ``hub`` command line (typer + rich).

Each command group lives in its own module and is named here (``COMMANDS``); a
module is imported only when one of its commands runs (``LazyGroup``).  Errors the hub
raises on purpose (``HubError``) print one line naming the problem and exit
non-zero; capabilities a later milestone delivers exit 2 with
``not available yet: <capability>``.
"""

from __future__ import annotations

import difflib
import importlib
import sys
from typing import Any

import typer
import typer.main
from typer.core import TyperGroup

# Every command of the root, by name: (module, attribute).  An attribute is a typer app (a
# group such as `hub audit …`) or a function (a command such as `hub run`).  Modules are
# imported only when their command runs: importing every group (FastAPI, the console,
# Alembic, the OPA client, …) cost ≈ 3.5 s before each command, most of what an officer
# waited for a `hub grant list`.
COMMANDS: dict[str, tuple[str, str]] = {
    **{name: ("hub.cli.data", name) for name in ("demo", "run", "serve", "ui", "query", "trace")},
    "partner": ("hub.cli.identity", "partner_app"),
    "officer": ("hub.cli.officer", "officer_app"),
    "lockdown": ("hub.cli.workflow", "lockdown"),
    "lift-lockdown": ("hub.cli.workflow", "lift_lockdown"),
    "application": ("hub.cli.workflow", "application_app"),
    "grant": ("hub.cli.workflow", "grant_app"),
    "alerts": ("hub.cli.awareness", "alerts_app"),
    "risk": ("hub.cli.awareness", "risk_app"),
    "security": ("hub.cli.awareness", "security_app"),
    **{name: (f"hub.cli.{name}", "app") for name in (
        "sandbox", "pii", "policy", "audit", "connector", "catalog", "client", "console", "config", "provider",
        "db", "quarantine", "keys", "federation", "model", "quota")},
}


def load_command(name: str) -> Any:  # a command of typer's own click copy
    """The click command behind ``hub NAME`` (its module imported now)."""
    module, attribute = COMMANDS[name]
    found = getattr(importlib.import_module(module), attribute)
    if isinstance(found, typer.Typer):
        command: Any = typer.main.get_group(found)  # always a group, as `add_typer` made it: `hub console login`
    else:
        single = typer.Typer(add_completion=False, pretty_exceptions_enable=False)
        single.command(name)(found)
        command = typer.main.get_command(single)
    command.name = name
    return command


class LazyGroup(TyperGroup):
    """The root group: lists every command, imports a command's module when it is asked for."""

    def list_commands(self, ctx: Any) -> list[str]:
        return sorted(set(super().list_commands(ctx)) | set(COMMANDS))

    def resolve_command(self, ctx: Any, args: list[str]) -> Any:
        """typer's own, with "Did you mean …?" taken from every command (typer looks only at those
        already loaded)."""
        try:
            return super().resolve_command(ctx, args)
        except Exception as exc:  # typer's copy of click's UsageError: no shared class to name
            error: Any = exc
            message = getattr(error, "message", None)
            if args and isinstance(message, str) and "Did you mean" not in message:
                matches = difflib.get_close_matches(args[0], self.list_commands(ctx))
                if matches:
                    error.message = f"{message.rstrip('.')}. Did you mean {', '.join(repr(m) for m in matches)}?"
            raise

    def get_command(self, ctx: Any, cmd_name: str) -> Any:
        found = super().get_command(ctx, cmd_name)
        if found is None and cmd_name in COMMANDS:
            found = load_command(cmd_name)
            self.add_command(found, cmd_name)
        return found


app = typer.Typer(
    name="hub",
    help="Huitong (汇通): supervision-data integration and secure exchange hub.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    cls=LazyGroup,
)


@app.callback()
def _root() -> None:
    """(typer makes a group only of an app with a callback or commands: the commands come from ``COMMANDS``)"""


def main() -> None:
    """Entry point of the ``hub`` console script (files it creates are private: ``hub.home``)."""
    from hub.cli import _common
    from hub.home import private_files, secure_configured_home

    private_files()
    secure_configured_home()
    sys.exit(_common.run_app(app))
