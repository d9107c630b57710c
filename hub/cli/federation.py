"""``hub federation``: this hub's identity, the hubs it trusts as model publishers, applying upstream.

* ``init NAME`` gives the hub its federation name and identity key; ``identity`` prints
  the public identity document (also served at ``/.well-known/hub-identity.json``) that
  another hub's officers register;
* ``trust HUB --identity FILE|URL`` is one officer's signature on registering another hub
  as a model publisher — the second officer's signature registers it; ``distrust``
  withdraws it (a security officer alone); ``publishers`` lists them;
* ``apply SOURCE DATASET`` files this hub's application at a remote hub it pulls from
  (a ``huitong`` source of ``hub.yaml``), as the partner it is registered as there.

Everything is in ``hub.federation`` and ``connectors.kinds.huitong``; docs/federation.md
is the walk-through.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.table import Table
from sqlalchemy.orm import Session

from hub.cli._common import console
from hub.cli._signing import (
    KeyChoice,
    KeyOption,
    OfficerOption,
    PassphraseFileOption,
    PinFileOption,
    Pkcs11Option,
)
from hub.events import EventSink
from hub.hubid import hub_id
from hub.settings import get_settings

app = typer.Typer(help="This hub among other hubs: identity, trusted model publishers, applying upstream.",
                  no_args_is_help=True)


@app.command("init")
def init(name: Annotated[str, typer.Argument(metavar="NAME", help="the hub's federation name, e.g. county_330106")],
         name_zh: Annotated[str, typer.Option(help="the hub's Chinese name, e.g. 西湖区汇通节点")] = "") -> None:
    """Give this hub its federation name (once) and identity key; print its identity document."""
    from hub.federation import identity

    settings = get_settings()
    identity.init(settings, name, name_zh)
    console.print_json(json.dumps(identity.document(settings), ensure_ascii=False))


@app.command("identity")
def show_identity(out: Annotated[Path | None, typer.Option(help="also write the document to this file")] = None
                  ) -> None:
    """Print this hub's public identity document (name, keys, fingerprint) for other hubs' officers."""
    from hub.federation import identity

    text = json.dumps(identity.document(get_settings()), ensure_ascii=False, indent=1)
    if out is not None:
        out.write_text(text + "\n", encoding="utf-8")
    console.print_json(text)


def _identity_text(source: str) -> str:
    if source.startswith(("http://", "https://")):
        import httpx

        response = httpx.get(source, timeout=30)
        response.raise_for_status()
        return response.text
    try:
        return Path(source).read_text(encoding="utf-8")
    except OSError as exc:
        from hub.federation.errors import FederationError

        raise FederationError(f"cannot read the identity document `{source}`: {exc.strerror}") from None


@app.command("trust")
def trust(
    hub: Annotated[str, typer.Argument(metavar="HUB", help="the publisher's federation name")],
    identity_doc: Annotated[str, typer.Option("--identity", help="its identity document: a file, or its URL "
                                                                 "…/.well-known/hub-identity.json")],
    url: Annotated[str | None, typer.Option(help="its API base URL (where its revocations are served)")] = None,
    comment: Annotated[str, typer.Option(help="kept with the signed statement")] = "",
    officer: OfficerOption = None, key: KeyOption = None, pkcs11: Pkcs11Option = None,
    passphrase_file: PassphraseFileOption = None, pin_file: PinFileOption = None,
) -> None:
    """Sign the registration of another hub as a trusted model publisher (registered at the second officer)."""
    from hub import statements
    from hub.cli._audited import run_audited
    from hub.cli._signing import officer_of, signer_of
    from hub.federation import publishers
    from hub.federation.errors import FederationError

    doc = publishers.read_identity(_identity_text(identity_doc))
    if doc["hub"] != hub:
        raise FederationError(f"the identity document is of hub `{doc['hub']}`, not `{hub}`")
    terms = publishers.terms(doc, url)
    signer = signer_of(KeyChoice(key, pkcs11, passphrase_file, pin_file))

    def work(session: Session, sink: EventSink) -> Any:
        statement = statements.sign(signer, officer_of(session, signer, officer), "trust",
                                    publishers.target(hub), terms, audience=hub_id(session), note=comment)
        return publishers.trust(session, sink, doc, url, statement)

    console.print_json(json.dumps(terms, ensure_ascii=False))
    done = run_audited(work)
    if done is None:
        console.print(f"signed; publisher [bold]{hub}[/bold] is registered once a second officer signs the same "
                      f"terms (fingerprint {terms['fingerprint'][:16]}…)")
    else:
        console.print(f"publisher [bold]{hub}[/bold] registered by two officers: its model packages and "
                      "revocations are accepted here")


@app.command("distrust")
def distrust(
    hub: Annotated[str, typer.Argument(metavar="HUB")],
    reason: Annotated[str, typer.Option(help="why (kept with the signed statement)")],
    officer: OfficerOption = None, key: KeyOption = None, pkcs11: Pkcs11Option = None,
    passphrase_file: PassphraseFileOption = None, pin_file: PinFileOption = None,
) -> None:
    """Withdraw the trust in a model publisher at once (a security officer, signed)."""
    from hub import statements
    from hub.cli._audited import run_audited
    from hub.cli._signing import officer_of, signer_of
    from hub.federation import publishers

    signer = signer_of(KeyChoice(key, pkcs11, passphrase_file, pin_file))

    def work(session: Session, sink: EventSink) -> None:
        statement = statements.sign(signer, officer_of(session, signer, officer), "distrust",
                                    publishers.target(hub), publishers.distrust_terms(hub),
                                    audience=hub_id(session), note=reason)
        publishers.distrust(session, sink, hub, statement)

    run_audited(work)
    console.print(f"publisher [bold]{hub}[/bold] is no longer trusted: its packages and revocations are refused")


@app.command("publishers")
def list_publishers(as_json: Annotated[bool, typer.Option("--json", help="JSON instead of a table")] = False
                    ) -> None:
    """The hubs trusted as model publishers (withdrawn ones included)."""
    from hub.cli._audited import read_only
    from hub.federation import identity, publishers

    def rows(session: Session) -> list[dict[str, Any]]:
        return [{"hub": p.hub, "name_zh": p.name_zh, "url": p.url, "keys": [k["kid"] for k in p.keys],
                 "fingerprint": identity.fingerprint(p.hub, p.keys), "registered_at": p.registered_at.isoformat(),
                 "withdrawn_at": p.revoked_at.isoformat() if p.revoked_at else None}
                for p in publishers.list_all(session)]

    found = read_only(rows)
    if as_json:
        console.print_json(json.dumps(found, ensure_ascii=False))
        return
    table = Table("hub", "name", "url", "fingerprint", "registered", "state", title="trusted model publishers")
    for p in found:
        table.add_row(p["hub"], p["name_zh"], p["url"] or "—", p["fingerprint"][:16] + "…", p["registered_at"][:19],
                      f"withdrawn {p['withdrawn_at'][:19]}" if p["withdrawn_at"] else "trusted")
    console.print(table)


@app.command("apply")
def apply(
    source: Annotated[str, typer.Argument(metavar="SOURCE", help="a huitong source of hub.yaml (remote_<hub>)")],
    dataset: Annotated[str, typer.Argument(metavar="DATASET", help="a dataset that source lists")],
    days: Annotated[int, typer.Option(help="validity asked for, in days")] = 365,
    max_rows_per_day: Annotated[int, typer.Option(help="daily quota asked for")] = 1_000_000,
    clear_column: Annotated[list[str] | None, typer.Option(help="a column asked for in clear (repeatable)")] = None,
    all_regions: Annotated[bool, typer.Option(help="ask for every region (no jurisdiction filter)")] = False,
    justification: Annotated[str, typer.Option(help="why this hub needs it")] = "",
) -> None:
    """Apply at a remote hub for a dataset this hub pulls from it (two of its officers approve there)."""
    from connectors.kinds.huitong import HuitongConfig
    from connectors.kinds.huitong import apply as file_application
    from connectors.sources import read_hub_yaml
    from hub.federation.errors import FederationError

    settings = get_settings()
    raw = read_hub_yaml(settings.home).get(source)
    if raw is None or raw.get("connector") != "huitong":
        raise FederationError(f"hub.yaml has no huitong source `{source}`")
    config = HuitongConfig.model_validate({k: v for k, v in raw.items() if k not in ("connector", "enabled",
                                                                                     "provider")} | {"source": source})
    answer = file_application(config, dataset, days=days, max_rows_per_day=max_rows_per_day,
                              clear_columns=clear_column, all_regions=all_regions, justification=justification)
    console.print_json(json.dumps(answer, ensure_ascii=False))
    console.print(f"application [bold]{answer.get('id')}[/bold] filed at `{config.hub}`: status "
                  f"{answer.get('status')}; two of its officers approve it there")
