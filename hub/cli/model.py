"""``hub model``: supervision models shared between hubs (模型共建共享).

* ``publish NAME`` — the model authored here as ``$HUB_HOME/models/NAME/`` is checked
  as an installing hub will check it (static checks, input contract against this hub's
  catalog, unit tests) and signed with this hub's identity key into ``NAME-VERSION.hubmodel``;
* ``install FILE`` — a package from a trusted publisher joins this hub after its
  signature, input contract and unit tests passed; the next ``hub run`` builds
  ``clues.NAME`` here (a refusal says which check failed and is audited);
* ``revoke NAME`` — this hub, as publisher, signs a revocation that installing hubs
  honour at their next ``hub model sync``;
* ``sync`` — fetch the revocations of the publishers of the installed models;
* ``list`` — the models here: authored or installed (from whom, which version), and
  whether each joins the next run.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.table import Table
from sqlalchemy.orm import Session

from hub.cli._common import console
from hub.events import EventSink
from hub.settings import get_settings

app = typer.Typer(help="Supervision models shared between hubs: publish, install, revoke, sync, list.",
                  no_args_is_help=True)


@app.command("publish")
def publish(name: Annotated[str, typer.Argument(metavar="NAME", help="a model authored in $HUB_HOME/models/NAME")],
            out: Annotated[Path | None, typer.Option(help="the package file (default NAME-VERSION.hubmodel)")] = None
            ) -> None:
    """Check the model authored here and sign it as a package with this hub's identity key."""
    from hub.cli._audited import run_audited
    from hub.events import MODEL_PUBLISHED, AuditEvent
    from hub.federation import identity, packages

    settings = get_settings()

    def work(session: Session, sink: EventSink) -> tuple[Any, str]:
        manifest, text = packages.build(settings, session, name)
        me = identity.load(settings)
        sink(session, AuditEvent(MODEL_PUBLISHED, subject=f"hub:{me.hub}", action="publish", decision="ok",
                                 dataset=manifest.dataset,
                                 details={"model": manifest.name, "version": manifest.version, "kid": me.key.kid,
                                          "package_sha256": hashlib.sha256(text.encode()).hexdigest()}))
        return manifest, text

    manifest, text = run_audited(work)
    path = out or Path(packages.file_name(manifest))
    path.write_text(text + "\n", encoding="ascii")
    console.print(f"model [bold]{manifest.name}[/bold] {manifest.version} checked and signed: {path}")


@app.command("install")
def install(file: Annotated[Path, typer.Argument(metavar="FILE", help="a .hubmodel package")]) -> None:
    """Install a model package from a trusted publisher (signature, contract, unit tests first)."""
    from hub.cli._audited import run_audited
    from hub.federation import install as installer
    from hub.federation.errors import FederationError
    from hub.federation.errors import PackageRefused as Refused

    settings = get_settings()
    try:
        text = file.read_text(encoding="ascii")
    except (OSError, UnicodeDecodeError) as exc:
        raise Refused(f"cannot read the package `{file}`: {exc}") from None
    what = f"package `{file.name}`"
    try:
        row = run_audited(lambda session, sink: installer.install(settings, session, sink, text, what=what))
    except FederationError as exc:
        refusal = exc

        def record(session: Session, sink: EventSink) -> None:
            installer.record_refusal(session, sink, text, refusal, what=what)

        run_audited(record)
        raise
    console.print(f"model [bold]{row.name}[/bold] {row.version} from [bold]{row.publisher}[/bold] installed: the "
                  f"next `hub run` builds clues.{row.name} here (it stays local unless reviewed and granted)")


@app.command("revoke")
def revoke(name: Annotated[str, typer.Argument(metavar="NAME")],
           reason: Annotated[str, typer.Option(help="why it is withdrawn (signed with it)")],
           version: Annotated[str, typer.Option(help="the version withdrawn (`*`: every version)")] = "*") -> None:
    """Sign the revocation of a model this hub published; installing hubs honour it at their next sync."""
    from hub.cli._audited import run_audited
    from hub.federation import revocations

    settings = get_settings()
    run_audited(lambda session, sink: revocations.revoke(settings, session, sink, name, version, reason))
    console.print(f"model [bold]{name}[/bold] {version} revoked, signed; served at {revocations.WELL_KNOWN}")


@app.command("sync")
def sync() -> None:
    """Fetch and honour the revocations of the publishers of the installed models."""
    import httpx

    from hub.cli._audited import run_audited
    from hub.federation import revocations

    def fetch(url: str) -> dict[str, Any]:
        response = httpx.get(url, timeout=30)
        response.raise_for_status()
        return dict(response.json())

    report = run_audited(lambda session, sink: revocations.sync(session, sink, fetch))
    console.print(f"asked {', '.join(report.asked) or 'no publisher'}; withdrawn: "
                  f"{', '.join(report.withdrawn) or 'nothing'}")
    for problem in report.problems:
        console.print(f"[yellow]problem:[/yellow] {problem}")


def _rows(session: Session) -> list[dict[str, Any]]:
    from hub.federation import local
    from hub.federation.errors import FederationError

    found = []
    for model in local.discover(get_settings(), session):
        row, state, version = model.installed, "joins the next run", ""
        try:
            version = local.check(model).version
        except FederationError as exc:
            state = f"refused: {exc}"
        if row is not None and row.revoked_at is not None:
            state = f"withdrawn by its publisher at {row.revoked_at.isoformat()[:19]}"
        found.append({"name": model.name, "version": row.version if row else version, "origin": model.origin,
                      "publisher": row.publisher if row else None, "state": state,
                      "installed_at": row.installed_at.isoformat() if row else None})
    return found


@app.command("list")
def list_models(as_json: Annotated[bool, typer.Option("--json", help="JSON instead of a table")] = False) -> None:
    """The models of this hub: authored here or installed, and whether each joins the next run."""
    from hub.cli._audited import read_only

    found = read_only(_rows)
    if as_json:
        console.print_json(json.dumps(found, ensure_ascii=False))
        return
    table = Table("model", "version", "origin", "state", title="model packages")
    for m in found:
        table.add_row(m["name"], m["version"], m["origin"], m["state"])
    console.print(table)
