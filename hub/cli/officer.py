"""``hub officer …``: officers' keys, the one-time bootstrap, enrolment and removal.

An officer makes its own key pair (``keygen``: a passphrase-protected PKCS#8 file)
or uses a key on a PKCS#11 token; the hub only ever gets the public half.  The first
two officers enrol themselves with ``bootstrap`` (each signs with the key it
enrols), which then closes for good.  After that ``add`` and ``remove`` each need
two existing officers: each runs the same command with its own key; the first
signature waits, the second completes it.  See docs/officers.md.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated, TypeVar

import typer
from rich.console import Console
from sqlalchemy.orm import Session

from hub import officers, statements
from hub.cli._common import console
from hub.cli._output import Col, JsonOption, emit_document, table
from hub.cli._signing import (
    KeyChoice,
    KeyOption,
    OfficerOption,
    PassphraseFileOption,
    PinFileOption,
    Pkcs11Option,
    officer_of,
    read_secret,
    signer_of,
)
from hub.events import EventSink
from hub.hubid import hub_id
from hub.identity import IdentityError, active_keys, check_officer, public_key
from hub.settings import get_settings
from hub.signers import public_key_path, write_key_file
from hub.store.db import open_store
from hub.store.models import Officer

officer_app = typer.Typer(help="Officers: data owners and security officers, with their own keys.",
                          no_args_is_help=True)
T = TypeVar("T")
Role = Annotated[str, typer.Option(help="owner | security")]
OwnerOf = Annotated[str | None, typer.Option(
    help="provider an owner officer speaks for: finance | state_assets | audit | statistics")]


@contextmanager
def _audited() -> Iterator[tuple[Session, EventSink]]:
    from hub.audit.log import AuditLog

    settings = get_settings()
    store = open_store(settings.metadata_url)
    try:
        with AuditLog.from_settings(store, settings) as audit, store.session() as session:
            yield session, audit.sink
    finally:
        store.dispose()


def _run(work: Callable[[Session, EventSink], T]) -> T:
    with _audited() as (session, sink):
        return work(session, sink)


@officer_app.command("keygen")
def keygen(
    out: Annotated[Path, typer.Option("--out", help="where to write the private key (PKCS#8, encrypted, 0600)")],
    algorithm: Annotated[str, typer.Option(help="EdDSA (Ed25519) or ES256 (P-256)")] = "EdDSA",
    passphrase_file: PassphraseFileOption = None,
) -> None:
    """Make your key pair: a passphrase-protected private key and PATH.pub (the public half)."""
    passphrase = read_secret(passphrase_file, "HUB_OFFICER_PASSPHRASE", "passphrase for the new key", confirm=True)
    signer = write_key_file(out, passphrase, algorithm)
    console.print(f"private key  {out}  (mode 0600, passphrase-protected: only you hold it)")
    console.print(f"public key   {public_key_path(out)}  (give this to the officers who enrol you)")
    console.print(f"key id       {signer.kid}")


@officer_app.command("public-key")
def public_key_cmd(
    key: KeyOption = None, pkcs11: Pkcs11Option = None, passphrase_file: PassphraseFileOption = None,
    pin_file: PinFileOption = None,
) -> None:
    """Print the public half (PEM) and key id of your key file or token key."""
    signer = signer_of(KeyChoice(key, pkcs11, passphrase_file, pin_file))
    typer.echo(signer.public_pem().decode("ascii"), nl=False)
    console.print(f"key id {signer.kid} ({signer.algorithm})")


@officer_app.command("bootstrap")
def bootstrap(
    officer_id: Annotated[str, typer.Argument(metavar="ID")], role: Role, owner_of: OwnerOf = None,
    key: KeyOption = None, pkcs11: Pkcs11Option = None, passphrase_file: PassphraseFileOption = None,
    pin_file: PinFileOption = None,
) -> None:
    """Enrol one of the first two officers with its own key (one-time; closes after the second)."""
    check_officer(officer_id, role, owner_of)
    signer = signer_of(KeyChoice(key, pkcs11, passphrase_file, pin_file))
    pem = signer.public_pem()
    terms = statements.enrolment_terms(officer_id, role, owner_of, signer.kid, signer.algorithm, pem.decode())

    def work(session: Session, sink: EventSink) -> bool:
        statement = statements.sign(signer, officer_id, "bootstrap", f"officer:{officer_id}", terms,
                                    audience=hub_id(session))
        officers.bootstrap(session, sink, officer_id, role=role, owner_of=owner_of, public_pem=pem,
                           statement=statement)
        return officers.bootstrap_open(session)

    still_open = _run(work)
    console.print(f"officer [bold]{officer_id}[/bold] enrolled by the bootstrap with key {signer.kid}")
    console.print("the bootstrap stays open for one more officer" if still_open
                  else "the bootstrap is now closed: further officers need two officers' signatures")


def _read_public(path: Path) -> bytes:
    try:
        return path.read_bytes()
    except OSError as exc:
        raise IdentityError(f"cannot read public key `{path}`: {exc.strerror}") from None


@officer_app.command("add")
def add(
    officer_id: Annotated[str, typer.Argument(metavar="ID")], role: Role,
    public_key_file: Annotated[Path, typer.Option("--public-key", help="the new officer's public key (PEM)")],
    owner_of: OwnerOf = None, officer: OfficerOption = None, key: KeyOption = None, pkcs11: Pkcs11Option = None,
    passphrase_file: PassphraseFileOption = None, pin_file: PinFileOption = None,
) -> None:
    """Sign the enrolment of an officer with its public key; enrolled once a second officer signs too."""
    check_officer(officer_id, role, owner_of)
    pem = _read_public(public_key_file)
    new_key = public_key(pem)
    signer = signer_of(KeyChoice(key, pkcs11, passphrase_file, pin_file))
    terms = statements.enrolment_terms(officer_id, role, owner_of, new_key.kid, new_key.algorithm, new_key.pem)

    def work(session: Session, sink: EventSink) -> Officer | None:
        me = officer_of(session, signer, officer)
        statement = statements.sign(signer, me, "enrol", f"officer:{officer_id}", terms, audience=hub_id(session))
        return officers.enrol(session, sink, officer_id, role=role, owner_of=owner_of, public_pem=pem,
                              statement=statement)

    if _run(work) is None:
        console.print(f"enrolment of [bold]{officer_id}[/bold] (key {new_key.kid}): signed; a second officer "
                      "must sign the same enrolment")
    else:
        console.print(f"officer [bold]{officer_id}[/bold] enrolled (two officers signed), key {new_key.kid}")


@officer_app.command("remove")
def remove(
    officer_id: Annotated[str, typer.Argument(metavar="ID")], officer: OfficerOption = None,
    key: KeyOption = None, pkcs11: Pkcs11Option = None, passphrase_file: PassphraseFileOption = None,
    pin_file: PinFileOption = None,
) -> None:
    """Sign the removal of an officer (its keys are revoked); removed once a second officer signs too."""
    signer = signer_of(KeyChoice(key, pkcs11, passphrase_file, pin_file))

    def work(session: Session, sink: EventSink) -> Officer | None:
        me = officer_of(session, signer, officer)
        target = session.get(Officer, officer_id)
        kids = [k.kid for k in active_keys(session, f"officer:{officer_id}")]
        terms = statements.removal_terms(officer_id, target.role if target else "", target.owner_of if target
                                         else None, kids)
        statement = statements.sign(signer, me, "remove", f"officer:{officer_id}", terms, audience=hub_id(session))
        return officers.remove(session, sink, officer_id, statement)

    if _run(work) is None:
        console.print(f"removal of [bold]{officer_id}[/bold]: signed; a second officer must sign it too")
    else:
        console.print(f"officer [bold]{officer_id}[/bold] removed (two officers signed); its keys are revoked")


OFFICER_COLUMNS = [Col("id", wrap=False), Col("role"), Col("owner_of", "owner of"), Col("active"),
                   Col("keys", cell=lambda r: ", ".join(k["kid"][:16] + ("…(revoked)" if k["revoked_at"] else "…")
                                                        for k in r["keys"]), priority=-1),
                   Col("enrolled_at", "enrolled", fmt=lambda v: str(v)[:19], priority=-2)]
WAITING_COLUMNS = [Col("action"), Col("target"), Col("signed_by", "signed by"),
                   Col("at", fmt=lambda v: str(v)[:19], priority=-1)]


@officer_app.command("list")
def list_cmd(as_json: JsonOption = False) -> None:
    """Officers, their keys, and signatures waiting for a second officer."""
    def rows(session: Session, _sink: EventSink) -> dict[str, list[dict[str, object]]]:
        return {
            "officers": [{"id": o.id, "role": o.role, "owner_of": o.owner_of, "active": bool(o.active),
                          "keys": [{"kid": k.kid, "revoked_at": k.revoked_at} for k in keys],
                          "enrolled_at": o.created_at} for o, keys in officers.list_officers(session)],
            "waiting": [{"action": s.action, "target": s.target, "signed_by": s.officer_id, "at": s.accepted_at}
                        for s in officers.pending_statements(session)],
        }

    doc = _run(rows)

    def render(out: Console) -> None:
        out.print(table(doc["officers"], OFFICER_COLUMNS, title="officers", width=out.width))
        if doc["waiting"]:
            out.print(table(doc["waiting"], WAITING_COLUMNS, title="waiting for a second officer",
                            width=out.width))

    emit_document(doc, as_json=as_json, render=render)
