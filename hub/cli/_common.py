"""Helpers shared by the CLI command modules: error rendering, consoles."""

from __future__ import annotations

import os

import click
import typer
from rich.console import Console
from rich.markup import escape
from sqlalchemy.exc import OperationalError

from hub.errors import HubError, NotAvailableYet

# typer bundles its own copy of click; catch both its exceptions and click's.
try:
    from typer._click import exceptions as _tclick  # type: ignore[import-not-found]

    CLICK_ERRORS: tuple[type[Exception], ...] = (click.ClickException, _tclick.ClickException)
    EXITS: tuple[type[Exception], ...] = (click.exceptions.Exit, typer.Exit)
    ABORTS: tuple[type[BaseException], ...] = (click.exceptions.Abort, typer.Abort)
except ImportError:  # typer releases that use click itself
    CLICK_ERRORS, EXITS, ABORTS = (click.ClickException,), (click.exceptions.Exit,), (click.exceptions.Abort,)

console = Console()
err_console = Console(stderr=True)


def _busy(exc: OperationalError) -> str | None:
    from hub.settings import get_settings
    from hub.store.db import busy_message

    return busy_message(exc, get_settings().metadata_url)


def not_available(capability: str) -> None:
    """Refuse a command whose capability a later milestone delivers (exit 2)."""
    raise NotAvailableYet(capability)


def run_app(app: typer.Typer) -> int:
    """Run the typer app; render ``HubError`` as one line instead of a traceback."""
    try:
        result = app(standalone_mode=False)
    except NotAvailableYet as exc:
        err_console.print(f"[yellow]{exc}[/yellow]")
        return 2
    except HubError as exc:
        err_console.print("[red]error:[/red]", escape(str(exc)), soft_wrap=True)
        return 1
    except EXITS as exc:
        return int(getattr(exc, "exit_code", 1))
    except ABORTS:
        err_console.print("aborted")
        return 130
    except CLICK_ERRORS as exc:
        exc.show()  # type: ignore[attr-defined]
        return int(getattr(exc, "exit_code", 2))
    except KeyboardInterrupt:
        err_console.print("interrupted")
        return 130
    except Exception as exc:  # noqa: BLE001 - last resort: one line, traceback only on request
        busy = _busy(exc) if isinstance(exc, OperationalError) else None
        if busy is not None:  # SQLite's busy timeout ran out: say which lock it waited for
            err_console.print("[red]error:[/red]", escape(busy), soft_wrap=True)
            return 1
        if os.environ.get("HUB_DEBUG"):
            raise
        err_console.print(f"[red]internal error:[/red] {type(exc).__name__}: {exc}")
        err_console.print("(set HUB_DEBUG=1 for the traceback)")
        return 1
    # typer returns a raised ``Exit``'s code instead of raising it when not standalone
    return result if isinstance(result, int) else 0
