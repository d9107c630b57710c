"""Withdrawing a shared model (模型撤回): signed by its publisher, honoured where it was installed.

``revoke`` (``hub model revoke NAME [--version V]``, at the publishing hub) signs a
revocation with the hub identity key — a signed federation document of type
``hub-model-revocation+jws`` whose payload names the model, the version (``*``: every
version), the reason and the time — keeps it in ``model_revocations`` and serves it,
with every other one, at ``/.well-known/hub-model-revocations.json``.

``sync`` (``hub model sync``, at an installing hub) fetches that list from the URL of
every publisher of an installed model, verifies each revocation against the
publisher's registered keys exactly as a package is verified, and ``apply`` marks the
installed model withdrawn: it leaves the SQLMesh project at the next ``hub run``
(``local.project_packages``), ``hub model list`` says so, and the same version is
never installed again.  A revocation that does not verify is reported and ignored.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from hub.events import MODEL_REVOKED, MODEL_WITHDRAWN, AuditEvent, EventSink
from hub.federation import identity, publishers, signed
from hub.federation.errors import FederationError, PackageRefused
from hub.federation.manifest import NAME, VERSION
from hub.settings import Settings
from hub.store.models import InstalledModel, ModelRevocation, TrustedPublisher

TYPE = "hub-model-revocation+jws"
ALL_VERSIONS = "*"
WELL_KNOWN = "/.well-known/hub-model-revocations.json"
MAX_REASON = 2000


@dataclass(frozen=True)
class Revocation:
    """A verified revocation: publisher, model, version (or ``*``), reason, when."""

    publisher: str
    name: str
    version: str
    reason: str
    revoked_at: str
    text: str

    def covers(self, version: str) -> bool:
        return self.version in (ALL_VERSIONS, version)


def revoke(settings: Settings, session: Session, sink: EventSink, name: str, version: str, reason: str) -> str:
    """Sign the revocation of ``name`` ``version`` (``*``: all) as this hub; keep and audit it."""
    if not NAME.fullmatch(name) or not (version == ALL_VERSIONS or VERSION.fullmatch(version)):
        raise FederationError(f"revoke a model NAME and a version MAJOR.MINOR.PATCH (or `*`), not "
                              f"`{name[:40]}` `{version[:20]}`")
    if not reason.strip() or len(reason) > MAX_REASON:
        raise FederationError(f"a revocation needs a reason (--reason, at most {MAX_REASON} characters)")
    taken = session.scalar(select(ModelRevocation).where(ModelRevocation.name == name,
                                                         ModelRevocation.version == version))
    if taken is not None:
        raise FederationError(f"model `{name}` {version} was already revoked at {taken.created_at.isoformat()}")
    me = identity.load(settings)
    moment = datetime.now(UTC)
    text = signed.sign(me.key, me.hub, TYPE, {"type": "model-revocation", "publisher": me.hub, "name": name,
                                              "version": version, "reason": reason.strip(),
                                              "revoked_at": moment.isoformat()})
    session.add(ModelRevocation(name=name, version=version, revocation=text, created_at=moment))
    session.flush()
    sink(session, AuditEvent(MODEL_REVOKED, subject=f"hub:{me.hub}", action="revoke", decision="ok",
                             dataset=f"clues.{name}", reasons=[reason.strip()],
                             details={"model": name, "version": version, "kid": me.key.kid}))
    return text


def issued(session: Session) -> list[str]:
    """Every revocation this hub signed, oldest first (what the well-known URL serves)."""
    rows = session.scalars(select(ModelRevocation).order_by(ModelRevocation.id))
    return [row.revocation for row in rows]


def read(session: Session, text: str, what: str = "the revocation") -> Revocation:
    """A revocation verified against the trusted publishers (as a package is)."""
    envelope = signed.read(text, TYPE, what)
    publisher = publishers.active(session, envelope.issuer)
    signed.verify(envelope, publisher.keys, what)
    doc = envelope.document()
    if doc.get("publisher") != envelope.issuer or not isinstance(doc.get("name"), str) or \
            not isinstance(doc.get("version"), str):
        raise PackageRefused(f"{what} does not name its publisher, model and version")
    return Revocation(envelope.issuer, doc["name"], doc["version"], str(doc.get("reason", "")),
                      str(doc.get("revoked_at", "")), envelope.text)


def apply(session: Session, sink: EventSink, text: str, *, what: str) -> InstalledModel | None:
    """Withdraw the installed model a verified revocation covers; the row, or None if none is affected."""
    revocation = read(session, text, what)
    row = session.get(InstalledModel, revocation.name)
    if row is None or row.publisher != revocation.publisher or row.revoked_at is not None \
            or not revocation.covers(row.version):
        return None
    row.revoked_at, row.revocation = datetime.now(UTC), revocation.text
    sink(session, AuditEvent(MODEL_WITHDRAWN, subject=f"hub:{revocation.publisher}", action="withdraw",
                             decision="ok", dataset=f"clues.{row.name}", reasons=[revocation.reason],
                             details={"model": row.name, "version": row.version, "revocation": revocation.text}))
    return row


Fetch = Callable[[str], dict[str, Any]]  # URL → the JSON document served there


@dataclass
class SyncReport:
    """What one ``sync`` did: models withdrawn, publishers asked, problems met."""

    withdrawn: list[str]
    asked: list[str]
    problems: list[str]


def sync(session: Session, sink: EventSink, fetch: Fetch) -> SyncReport:
    """Fetch the revocations of every publisher of an installed model and honour them."""
    report = SyncReport([], [], [])
    installed = session.scalars(select(InstalledModel).where(InstalledModel.revoked_at.is_(None)))
    for hub in sorted({row.publisher for row in installed}):
        publisher = session.get(TrustedPublisher, hub)
        if publisher is None or not publisher.url:
            report.problems.append(f"publisher `{hub}` has no registered URL: its revocations cannot be fetched")
            continue
        report.asked.append(hub)
        try:
            served = fetch(publisher.url + WELL_KNOWN).get("revocations", [])
        except Exception as exc:  # noqa: BLE001 - a publisher that cannot be reached is reported, not fatal
            report.problems.append(f"publisher `{hub}` at {publisher.url}: {type(exc).__name__}: {exc}")
            continue
        for i, text in enumerate(served if isinstance(served, list) else []):
            try:
                row = apply(session, sink, str(text), what=f"revocation {i + 1} of `{hub}`")
            except FederationError as exc:
                report.problems.append(str(exc))
                continue
            if row is not None:
                report.withdrawn.append(f"{row.name} {row.version}")
    return report
