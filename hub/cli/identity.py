"""``hub partner add``: registering partner systems as OAuth2 clients.

The command stores the partner and its public key (``hub.identity``) with an
audit event in one transaction, and writes a generated Ed25519 private key
(PEM, mode 0600) to ``--key-out`` or ``$HUB_HOME/clients/<client id>.pem``.
``--public-key`` registers a key the partner made itself (Ed25519 or P-256).
Officers are enrolled differently, with their own keys: ``hub.cli.officer``.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Annotated

import typer
from sqlalchemy.orm import Session

from hub.cli._common import console
from hub.events import EventSink
from hub.identity import IdentityError, Registration, register_partner, write_private_key
from hub.settings import Settings, get_settings
from hub.store.db import open_store

partner_app = typer.Typer(help="Partner systems that exchange data.", no_args_is_help=True)

KeyOut = Annotated[Path | None, typer.Option(help="where to write the Ed25519 private key (PEM, 0600)")]
PublicKeyIn = Annotated[Path | None, typer.Option(
    help="register this public key (PEM, Ed25519 or P-256) instead of generating a key pair")]


def _read_public_key(path: Path | None, key_out: Path | None) -> bytes | None:
    if path is None:
        return None
    if key_out is not None:
        raise IdentityError("--key-out and --public-key exclude each other: with your own key "
                            "the hub writes no private key")
    try:
        return path.read_bytes()
    except OSError as exc:
        raise IdentityError(f"cannot read public key `{path}`: {exc.strerror}") from None


def _key_path(settings: Settings, client_id: str, key_out: Path | None) -> Path:
    return key_out or settings.home / "clients" / f"{client_id}.pem"


def _register(settings: Settings, work: Callable[[Session, EventSink], Registration],
              key_path: Path | None) -> Registration:
    """Run a registration with the real audit sink; write the private key before commit."""
    from hub.audit.log import AuditLog

    store = open_store(settings.metadata_url)
    written = False
    try:
        with AuditLog.from_settings(store, settings) as audit, store.session() as session:
            registration = work(session, audit.sink)
            if registration.private_pem is not None and key_path is not None:
                write_private_key(key_path, registration.private_pem)
                written = True
    except BaseException:
        if written and key_path is not None:  # the commit failed: no orphan private key
            key_path.unlink(missing_ok=True)
        raise
    finally:
        store.dispose()
    return registration


def _token_url(settings: Settings) -> str:
    from hub.api.app import token_config

    return token_config(settings).token_url


def _report(settings: Settings, registration: Registration, key_path: Path | None) -> None:
    console.print(f"registered [bold]{registration.client_id}[/bold]")
    console.print(f"  client id    {registration.client_id}")
    console.print(f"  key id       {registration.kid}")
    if registration.private_pem is not None and key_path is not None:
        console.print(f"  private key  {key_path}  (mode 0600; keep it secret)")
    console.print(f"  token URL    {_token_url(settings)}")


@partner_app.command("add")
def partner_add(
    partner_id: Annotated[str, typer.Argument(metavar="ID", help="partner id, e.g. hz-xihu-jw")],
    clearance: Annotated[int, typer.Option(help="授权等级 clearance level 1-5")],
    jurisdiction: Annotated[str, typer.Option(help="6-digit administrative code, e.g. 330106")],
    purpose: Annotated[list[str], typer.Option(help="registered purpose (repeatable)")],
    key_out: KeyOut = None,
    public_key: PublicKeyIn = None,
    name: Annotated[str, typer.Option(help="display name of the partner system")] = "",
) -> None:
    """Register a partner system and write its private key."""
    settings = get_settings()
    public_pem = _read_public_key(public_key, key_out)
    key_path = None if public_pem else _key_path(settings, f"partner:{partner_id}", key_out)
    registration = _register(settings, lambda s, sink: register_partner(
        s, sink, partner_id, clearance=clearance, jurisdiction=jurisdiction, purposes=purpose,
        name=name, public_pem=public_pem), key_path)
    _report(settings, registration, key_path)


@partner_app.command("cert")
def partner_cert(
    partner_id: Annotated[str, typer.Argument(metavar="ID", help="a registered partner id")],
    cert: Annotated[Path, typer.Option("--cert", help="the partner's TLS client certificate (PEM)")],
) -> None:
    """Bind a TLS client certificate to a partner: its tokens then work only over that certificate (mTLS)."""
    from hub.audit.log import AuditLog
    from hub.certificates import register_certificate

    settings = get_settings()
    try:
        pem = cert.read_bytes()
    except OSError as exc:
        raise IdentityError(f"cannot read certificate `{cert}`: {exc.strerror}") from None
    store = open_store(settings.metadata_url)
    try:
        with AuditLog.from_settings(store, settings) as audit, store.session() as session:
            done = register_certificate(session, audit.sink, f"partner:{partner_id}", pem)
    finally:
        store.dispose()
    console.print(f"partner:{partner_id} bound to certificate {done.subject} (x5t#S256 {done.thumbprint}, "
                  f"valid until {done.not_after:%Y-%m-%d})")


def register(app: typer.Typer) -> None:
    from hub.cli.officer import officer_app

    app.add_typer(partner_app, name="partner")
    app.add_typer(officer_app, name="officer")
