"""Test helper: officers who hold their own keys and sign what they do.

``Desk`` keeps one private key per officer (as each officer holds its own), enrols
officers the way the hub does — the first two through the one-time bootstrap, every
other one with two officers' signatures — and signs the statements the workflow
verifies.  Nothing here bypasses verification: every call goes through
``hub.officers`` / ``hub.workflow`` with a real signature.  Statements are signed for
one hub (claim ``aud``): the hub whose store the desk first enrolled officers in, or
``audience`` when given.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from sqlalchemy.orm import Session

from hub import officers, statements, workflow
from hub.events import EventSink
from hub.hubid import hub_id
from hub.signers import KeySigner
from hub.store.models import Application, Grant, Officer, Suspension


class Desk:
    """Officers' keys and the statements they sign."""

    def __init__(self, audience: str | None = None) -> None:
        self.signers: dict[str, KeySigner] = {}
        self.private: dict[str, Any] = {}  # the raw private keys (for client assertions)
        self.audience = audience  # the hub these officers sign for (its id, hub.hubid)

    def of_hub(self, session: Session) -> str:
        """The audience of this desk's statements: the hub of ``session`` unless already set."""
        if self.audience is None:
            self.audience = hub_id(session)
        return self.audience

    def signer(self, officer: str, key: Any = None) -> KeySigner:
        """``officer``'s signer (a new Ed25519 key unless ``key`` is given the first time)."""
        if officer not in self.signers:
            self.private[officer] = key or Ed25519PrivateKey.generate()
            self.signers[officer] = KeySigner(self.private[officer])
        return self.signers[officer]

    def sign(self, officer: str, action: str, target: str, terms: dict[str, Any], *, note: str = "",
             now: datetime | None = None, key: KeySigner | None = None, audience: str | None = None) -> str:
        """``officer`` signs for this desk's hub (or ``audience``), with its own key unless ``key`` is given."""
        aud = audience or self.audience
        assert aud is not None, "the desk signs for no hub yet: enrol an officer first or give `audience`"
        return statements.sign(key or self.signer(officer), officer, action, target, terms, audience=aud,
                               note=note, now=now)

    def write_key(self, officer: str, path: Path, passphrase: bytes) -> Path:
        """Write ``officer``'s private key as the officer keeps it: encrypted PKCS#8, mode 0600."""
        pem = self.private[officer].private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                                  serialization.BestAvailableEncryption(passphrase))
        path.write_bytes(pem)
        path.chmod(0o600)
        return path

    # --- enrolment -------------------------------------------------------------------

    def bootstrap(self, session: Session, sink: EventSink, officer: str, role: str, owner_of: str | None,
                  now: datetime | None = None) -> Officer:
        self.of_hub(session)
        key = self.signer(officer)
        pem = key.public_pem().decode()
        terms = statements.enrolment_terms(officer, role, owner_of, key.kid, key.algorithm, pem)
        statement = self.sign(officer, "bootstrap", f"officer:{officer}", terms, now=now)
        return officers.bootstrap(session, sink, officer, role=role, owner_of=owner_of,
                                  public_pem=key.public_pem(), statement=statement, now=now)

    def enrol(self, session: Session, sink: EventSink, officer: str, role: str, owner_of: str | None,
              by: str, now: datetime | None = None) -> Officer | None:
        """``by`` signs the enrolment of ``officer`` (enrolled once a second officer signed)."""
        self.of_hub(session)
        key = self.signer(officer)
        terms = statements.enrolment_terms(officer, role, owner_of, key.kid, key.algorithm,
                                           key.public_pem().decode())
        statement = self.sign(by, "enrol", f"officer:{officer}", terms, now=now)
        return officers.enrol(session, sink, officer, role=role, owner_of=owner_of,
                              public_pem=key.public_pem(), statement=statement, now=now)

    def enrol_all(self, session: Session, sink: EventSink, roster: dict[str, tuple[str, str | None]],
                  now: datetime | None = None) -> None:
        """Bootstrap the first two of ``roster`` (id → (role, owner_of)); the first two enrol the rest."""
        ids = list(roster)
        for officer in ids[:2]:
            self.bootstrap(session, sink, officer, *roster[officer], now=now)
        for officer in ids[2:]:
            for by in ids[:2]:
                self.enrol(session, sink, officer, *roster[officer], by=by, now=now)

    # --- the workflow, signed ---------------------------------------------------------

    def decide(self, session: Session, sink: EventSink, application_id: str, officer: str,
               decision: str = "approve", note: str = "", *, now: datetime | None = None) -> Application:
        app = session.get(Application, application_id)
        assert app is not None, application_id
        statement = self.sign(officer, decision, f"application:{app.id}", statements.application_terms(app),
                              note=note, now=now)
        return workflow.decide(session, sink, app.id, statement, now=now)

    def approve(self, session: Session, sink: EventSink, application_id: str, *deciders: str,
                now: datetime | None = None) -> Application:
        app = None
        for officer in deciders:
            app = self.decide(session, sink, application_id, officer, now=now)
        assert app is not None
        return app

    def revoke(self, session: Session, sink: EventSink, grant_id: str, officer: str, note: str = "", *,
               now: datetime | None = None) -> Grant:
        grant = workflow.get_grant(session, grant_id)
        statement = self.sign(officer, "revoke", f"grant:{grant.id}", statements.grant_terms(grant), note=note,
                              now=now)
        return workflow.revoke(session, sink, grant.id, statement, now=now)

    def lockdown(self, session: Session, sink: EventSink, partner: str, officer: str, reason: str, *,
                 now: datetime | None = None) -> Suspension:
        statement = self.sign(officer, "lockdown", f"partner:{partner}", statements.lockdown_terms(partner),
                              note=reason, now=now)
        return workflow.lockdown(session, sink, partner, statement, now=now)

    def lift(self, session: Session, sink: EventSink, partner: str, officer: str, *,
             now: datetime | None = None) -> list[Suspension] | None:
        standing = [s.id for s in workflow.open_lockdowns(session, partner)]
        statement = self.sign(officer, "lift", f"partner:{partner}", statements.lift_terms(partner, standing),
                              now=now)
        return workflow.lift(session, sink, partner, statement, now=now)

