"""How the CLI signs as an officer: the options naming the officer's key, and the signer.

Every officer command takes ``--key PATH`` (a key file from ``hub officer keygen``;
``HUB_OFFICER_KEY`` configures it) or ``--pkcs11 URI`` (a key on a PKCS#11 token;
``HUB_OFFICER_PKCS11``).  A key file's passphrase comes from ``--passphrase-file``,
``HUB_OFFICER_PASSPHRASE`` or a prompt; a token's PIN from ``--pin-file``,
``HUB_OFFICER_PIN`` or a prompt.  Without a key the command is refused, naming what
to pass: no officer action is taken on a name alone.
"""

from __future__ import annotations

import os
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated

import typer
from sqlalchemy.orm import Session

from hub import officers
from hub.signers import Pkcs11Signer, SignerError, is_encrypted, load_key_file, parse_pkcs11_uri
from hub.statements import Signer, StatementRefused

KeyOption = Annotated[Path | None, typer.Option(
    "--key", envvar="HUB_OFFICER_KEY", help="the officer's own private key file (`hub officer keygen`)")]
Pkcs11Option = Annotated[str | None, typer.Option(
    "--pkcs11", envvar="HUB_OFFICER_PKCS11",
    help="the officer's key on a PKCS#11 token: pkcs11:token=LABEL;object=KEY?module-path=LIB.so")]
PassphraseFileOption = Annotated[Path | None, typer.Option(
    "--passphrase-file", help="file holding the key file's passphrase (else HUB_OFFICER_PASSPHRASE, else asked)")]
PinFileOption = Annotated[Path | None, typer.Option(
    "--pin-file", help="file holding the token's PIN (else HUB_OFFICER_PIN, else asked)")]
OfficerOption = Annotated[str | None, typer.Option(
    "--officer", help="the signing officer's id (default: the officer the key is registered to)")]

NO_KEY = ("an officer action is signed with the officer's own key: pass --key PATH (a key file made by "
          "`hub officer keygen`), or --pkcs11 URI for a key on a token, or set HUB_OFFICER_KEY")


class NoOfficerKey(SignerError):
    """An officer command was run without the officer's key."""

    title = "officer key required"


@dataclass(frozen=True)
class KeyChoice:
    """The key options of one officer command."""

    key: Path | None = None
    pkcs11: str | None = None
    passphrase_file: Path | None = None
    pin_file: Path | None = None


def read_secret(path: Path | None, env: str, what: str, *, confirm: bool = False) -> bytes:
    """A passphrase or PIN: from ``path``, else the variable ``env``, else a prompt on a terminal."""
    if path is not None:
        try:
            return path.read_bytes().rstrip(b"\r\n")
        except OSError as exc:
            raise SignerError(f"cannot read the {what} file `{path}`: {exc.strerror}") from None
    if os.environ.get(env):
        return os.environ[env].encode()
    if sys.stdin is not None and sys.stdin.isatty():
        return str(typer.prompt(what, hide_input=True, confirmation_prompt=confirm)).encode()
    raise SignerError(f"no {what}: give it in a file, set {env}, or run in a terminal to be asked")


def signer_of(choice: KeyChoice) -> Signer:
    """The officer's signer for ``choice``; ``NoOfficerKey`` when no key was given."""
    if choice.key is not None and choice.pkcs11:
        raise SignerError("--key and --pkcs11 exclude each other: sign with one key")
    if choice.pkcs11:
        uri = parse_pkcs11_uri(choice.pkcs11, os.environ.get("HUB_PKCS11_MODULE"))
        pin = None if uri.pin else read_secret(choice.pin_file, "HUB_OFFICER_PIN", "token PIN").decode()
        return Pkcs11Signer(uri, pin)
    if choice.key is not None:
        passphrase = (read_secret(choice.passphrase_file, "HUB_OFFICER_PASSPHRASE", f"passphrase of {choice.key}")
                      if is_encrypted(choice.key) else None)
        return load_key_file(choice.key, passphrase)
    raise NoOfficerKey(NO_KEY)


def officer_of(session: Session, signer: Signer, claimed: str | None) -> str:
    """The officer that signs: ``--officer`` if given (the hub then checks the key is its),
    else the officer the key is registered to."""
    if claimed:
        return claimed.removeprefix("officer:")
    found = officers.officer_of_key(session, signer.kid)
    if found is None:
        raise StatementRefused(f"key `{signer.kid}` is not registered to any officer; an officer is enrolled "
                               "with its public key first (`hub officer add`, or the one-time bootstrap)")
    return found
