"""``hub console login``: a one-time link to the officer console, for a request signed with the
officer's own key.

The command signs a ``login`` statement with ``--key`` / ``--pkcs11`` (as every officer
command does, ``hub.cli._signing``), the hub verifies it against the officer's
registered key, and only then issues the link (``hub.console.links``): signed, valid 5
minutes, one visit.  Without the officer's key there is no link, whoever runs ``hub``.
"""

from __future__ import annotations

from typing import Annotated

import typer

from hub.cli._common import console
from hub.cli._signing import (
    KeyChoice,
    KeyOption,
    OfficerOption,
    PassphraseFileOption,
    PinFileOption,
    Pkcs11Option,
    officer_of,
    signer_of,
)
from hub.cli.workflow import _audited
from hub.console import links
from hub.hubid import hub_id
from hub.settings import get_settings

app = typer.Typer(help="The officer console (监督管理台) served under /console/.", no_args_is_help=True)


@app.command("login")
def login(
    officer: OfficerOption = None, key: KeyOption = None, pkcs11: Pkcs11Option = None,
    passphrase_file: PassphraseFileOption = None, pin_file: PinFileOption = None,
    url: Annotated[str | None, typer.Option(help="the hub's public URL (default HUB_PUBLIC_URL)")] = None,
) -> None:
    """Sign a login request with your own key and print a one-time console link (5 minutes, one visit)."""
    settings = get_settings()
    signer = signer_of(KeyChoice(key, pkcs11, passphrase_file, pin_file))
    with _audited() as (session, sink):
        who = officer_of(session, signer, officer)
        link = links.issue(session, sink, links.sign_login(signer, who, hub_id(session)),
                           secret=links.console_secret(settings.keys_dir), base_url=url or settings.public_url)
    console.print(f"console login link for officer [bold]{link.officer}[/bold] "
                  f"(one visit, until {link.expires_at.astimezone().strftime('%H:%M:%S')}):")
    console.print(link.url, soft_wrap=True, highlight=False)
