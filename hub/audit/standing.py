"""What the chain says the store must hold: grants, officers, partners, their keys, lockdowns.

The policy decides from the metadata store (``hub.policy.data``), so whoever can
write that database changes what partners receive without any officer: widen a
grant's clear columns, flip its ``all_regions``, reinstate a revoked grant, add a
grant, an officer or a key, move a partner's jurisdiction, lift a lockdown.  The hub
cannot stop a database writer; ``hub audit verify`` must tell.  ``Standing`` learns,
from the records fed in seq order, the state that the signed officer acts and the
audited registrations left; ``problems(session, verified)`` then names every row of
the store that no record accounts for:

* a grant must have its ``grant.created`` record with the same approvals; its signed
  approvals (verified statements, ``verified``) must all sign one set of application
  terms, by two officers with two keys, an owner of the dataset's provider and a
  security officer; and the grant's terms must be those terms.  A grant revoked in
  the chain must be revoked in the store;
* an officer must have been registered in the chain, in its role, and not removed
  since if active; every unrevoked key of an officer or a partner must be one the
  chain registered to it (its ``kid`` the thumbprint of its public key), and not one
  the chain revoked;
* a partner must have been registered with its clearance, jurisdiction and purposes;
* a lockdown the chain holds and no signed lift ended must be in force in the store;
* so must a dataset suspension (一键熔断, ``dataset.suspended``) that no ``dataset.resumed``
  record (two officers' signatures) ended.

Records written before the hub signed officer acts (an upgraded hub) lack terms:
such grants are checked for their record and approvals only.
"""

from __future__ import annotations

from contextlib import suppress
from dataclasses import dataclass, field
from typing import Any, TypeVar

from sqlalchemy import select
from sqlalchemy.orm import Session

from hub import statements
from hub.audit.canonical import canonical_json
from hub.identity import IdentityError, public_key
from hub.store.models import ClientKey, Dataset, DatasetSuspension, Grant, Officer, Partner, Suspension

# Grant columns and the application term each must equal (``purposes`` is ``[purpose]``).
_GRANT_FROM_TERMS = {"application_id": "id", "partner_id": "partner_id", "dataset_id": "dataset_id",
                     "columns": "columns", "clear_columns": "clear_columns", "valid_from": "valid_from",
                     "valid_until": "valid_until", "max_rows_per_day": "max_rows_per_day",
                     "requested_by": "requested_by"}


@dataclass
class _Approval:
    target: str
    digest: str
    officer: str  # local id
    kid: str


@dataclass
class _Client:
    role: str | None = None
    owner_of: str | None = None
    clearance: Any = None
    jurisdiction: Any = None
    purposes: Any = None
    kids: set[str] = field(default_factory=set)
    active: bool = True


@dataclass
class Standing:
    """State learnt from the chain; see the module docstring."""

    grants: dict[str, dict[str, Any]] = field(default_factory=dict)  # id -> grant.created details
    revoked: set[str] = field(default_factory=set)
    approvals: dict[str, _Approval] = field(default_factory=dict)  # statement id -> what it signs
    terms: dict[str, dict[str, Any]] = field(default_factory=dict)  # digest -> application terms
    officers: dict[str, _Client] = field(default_factory=dict)
    partners: dict[str, _Client] = field(default_factory=dict)
    revoked_kids: set[str] = field(default_factory=set)
    lockdowns: dict[int, str] = field(default_factory=dict)  # suspension id -> partner, not lifted
    dataset_suspensions: dict[int, str] = field(default_factory=dict)  # suspension id -> dataset, not resumed

    def feed(self, record: dict[str, Any]) -> None:
        """Learn from one record (in seq order)."""
        raw = record.get("details")
        details: dict[str, Any] = raw if isinstance(raw, dict) else {}
        learn = _LEARN.get(str(record.get("event")))
        if learn is not None:
            # a malformed record is the signature checks' business; it teaches nothing here
            with suppress(KeyError, TypeError, ValueError, AttributeError, statements.StatementInvalid):
                learn(self, record, details)

    # --- learning ------------------------------------------------------------------

    def _grant_created(self, record: dict[str, Any], details: dict[str, Any]) -> None:
        self.grants[str(record["grant"])] = details

    def _grant_revoked(self, record: dict[str, Any], details: dict[str, Any]) -> None:
        self.revoked.add(str(record["grant"]))

    def _decided(self, record: dict[str, Any], details: dict[str, Any]) -> None:
        for item in details.get("signed") or []:
            parsed = statements.parse(item["statement"])
            if parsed.action == "approve" and isinstance(details.get("terms"), dict):
                self.approvals[parsed.id] = _Approval(str(parsed.claims["target"]), str(parsed.claims["digest"]),
                                                      parsed.officer, parsed.kid)
                self.terms[str(parsed.claims["digest"])] = details["terms"]

    def _officer_registered(self, record: dict[str, Any], details: dict[str, Any]) -> None:
        signed_terms = details.get("terms")
        terms: dict[str, Any] = signed_terms if isinstance(signed_terms, dict) else details  # else: unsigned era
        officer = str(terms.get("officer") or str(record["subject"]).removeprefix("officer:"))
        self.officers[officer] = _Client(role=terms.get("role"), owner_of=terms.get("owner_of"),
                                         kids={str(terms["kid"])})

    def _officer_removed(self, record: dict[str, Any], details: dict[str, Any]) -> None:
        found = self.officers.get(str(details["officer"]))
        if found is not None:
            found.active = False
        self.revoked_kids.update(str(k) for k in details.get("revoked_keys") or [])

    def _partner_registered(self, record: dict[str, Any], details: dict[str, Any]) -> None:
        self.partners[str(record["subject"]).removeprefix("partner:")] = _Client(
            clearance=details.get("clearance"), jurisdiction=details.get("jurisdiction"),
            purposes=details.get("purposes"), kids={str(details["kid"])})

    def _partner_key_added(self, record: dict[str, Any], details: dict[str, Any]) -> None:
        found = self.partners.get(str(record["subject"]).removeprefix("partner:"))
        if found is not None and details.get("kid"):
            found.kids.add(str(details["kid"]))

    def _partner_key_revoked(self, record: dict[str, Any], details: dict[str, Any]) -> None:
        self.revoked_kids.update(str(k) for k in details.get("revoked_keys") or [])

    def _lockdown(self, record: dict[str, Any], details: dict[str, Any]) -> None:
        if "suspension" in details:  # records of a hub that did not name the lockdown are skipped
            self.lockdowns[int(details["suspension"])] = str(details["partner"])

    def _lifted(self, record: dict[str, Any], details: dict[str, Any]) -> None:
        for suspension in (details.get("terms") or {}).get("suspensions") or []:
            self.lockdowns.pop(int(suspension), None)

    def _dataset_suspended(self, record: dict[str, Any], details: dict[str, Any]) -> None:
        self.dataset_suspensions[int(details["suspension"])] = str(record["dataset"])

    def _dataset_resumed(self, record: dict[str, Any], details: dict[str, Any]) -> None:
        for suspension in details.get("suspensions") or []:
            self.dataset_suspensions.pop(int(suspension), None)

    # --- comparing ---------------------------------------------------------------------

    def problems(self, session: Session, verified: set[str]) -> list[str]:
        """What in the store no record accounts for (``verified``: approval statements whose
        signatures verified along the chain)."""
        found: list[str] = []
        for grant in session.scalars(select(Grant).order_by(Grant.id)):
            found += self._grant_problems(session, grant, verified)
        found += self._officer_problems(session)
        found += self._partner_problems(session)
        found += self._key_problems(session)
        found += self._lockdown_problems(session)
        found += self._dataset_suspension_problems(session)
        return found

    def _grant_problems(self, session: Session, grant: Grant, verified: set[str]) -> list[str]:
        name = f"grant `{grant.id}`"
        record = self.grants.get(grant.id)
        if record is None:
            return [f"{name} is in the store, but no `grant.created` record made it"]
        found = []
        if grant.revoked_at is None and grant.id in self.revoked:
            found.append(f"{name} was revoked (`grant.revoked`) but is in force in the store")
        if canonical_json(list(grant.approvals or [])) != canonical_json(list(record.get("approvals") or [])):
            found.append(f"{name}: its approvals differ from those its `grant.created` record lists")
        if record.get("application") != grant.application_id:
            found.append(f"{name}: application `{grant.application_id}` in the store, "
                         f"`{record.get('application')}` in its record")
        refs = [a.get("statement") for a in record.get("approvals") or [] if isinstance(a, dict)]
        if not any(refs):
            return found  # approved before the hub signed officer acts: no terms to compare
        return found + self._signed_terms_problems(session, name, grant, [str(r) for r in refs], verified)

    def _signed_terms_problems(self, session: Session, name: str, grant: Grant, refs: list[str],
                               verified: set[str]) -> list[str]:
        signed = [self.approvals[r] for r in refs if r in verified and r in self.approvals]
        if len(signed) != len(refs):
            return [f"{name}: an approval it names is no verified approval statement"]
        digests = {a.digest for a in signed}
        targets = {a.target for a in signed}
        if len(digests) != 1 or targets != {f"application:{grant.application_id}"}:
            return [f"{name}: its approvals do not all sign the same terms of application "
                    f"`{grant.application_id}`"]
        found = self._two_person_problems(session, name, grant, signed)
        terms = self.terms[digests.pop()]
        actual = statements.grant_terms(grant)
        expected = {column: terms.get(term) for column, term in _GRANT_FROM_TERMS.items()}
        expected["purposes"] = [terms.get("purpose")]
        expected["all_regions"] = bool(terms.get("all_regions", False))
        expected["lookup_columns"] = list(terms.get("lookup_columns") or [])  # terms before issue 13: none
        actual["lookup_columns"] = list(actual.get("lookup_columns") or [])
        for column, value in expected.items():
            if canonical_json(actual.get(column)) != canonical_json(value):
                found.append(f"{name}: `{column}` is {actual.get(column)!r} in the store, but the officers "
                             f"approved {value!r}")
        return found

    def _two_person_problems(self, session: Session, name: str, grant: Grant,
                             signed: list[_Approval]) -> list[str]:
        dataset = session.get(Dataset, grant.dataset_id)
        provider = dataset.provider if dataset is not None else None

        def role(a: _Approval) -> tuple[Any, Any]:
            officer = self.officers.get(a.officer)
            return (officer.role, officer.owner_of) if officer else (None, None)

        owners = [a for a in signed if role(a) == ("owner", provider)]
        security = [a for a in signed if role(a)[0] == "security"]
        if not any(o.officer != s.officer and o.kid != s.kid for o in owners for s in security):
            return [f"{name}: its approvals are not an owner officer of `{provider}` and a security officer, "
                    "two officers with two keys"]
        return []

    def _officer_problems(self, session: Session) -> list[str]:
        found = []
        for officer in session.scalars(select(Officer).order_by(Officer.id)):
            name, chain = f"officer `{officer.id}`", self.officers.get(officer.id)
            if chain is None:
                found.append(f"{name} is in the store, but no `officer.registered` record enrolled it")
                continue
            if (officer.role, officer.owner_of) != (chain.role, chain.owner_of):
                found.append(f"{name} is {officer.role} of {officer.owner_of} in the store, but was enrolled "
                             f"as {chain.role} of {chain.owner_of}")
            if officer.active and not chain.active:
                found.append(f"{name} was removed (`officer.removed`) but is active in the store")
        return found

    def _partner_problems(self, session: Session) -> list[str]:
        found = []
        for partner in session.scalars(select(Partner).order_by(Partner.id)):
            name, chain = f"partner `{partner.id}`", self.partners.get(partner.id)
            if chain is None:
                found.append(f"{name} is in the store, but no `partner.registered` record registered it")
                continue
            stored = {"clearance": partner.clearance, "jurisdiction": partner.jurisdiction,
                      "purposes": list(partner.purposes or [])}
            registered = {"clearance": chain.clearance, "jurisdiction": chain.jurisdiction,
                          "purposes": chain.purposes}
            for what, value in stored.items():
                if canonical_json(value) != canonical_json(registered[what]):
                    found.append(f"{name}: `{what}` is {value!r} in the store, but it was registered with "
                                 f"{registered[what]!r}")
        return found

    def _key_problems(self, session: Session) -> list[str]:
        found = []
        for key in session.scalars(select(ClientKey).where(ClientKey.revoked_at.is_(None)).order_by(ClientKey.kid)):
            kind, _, local = key.client_id.partition(":")
            chain = (self.officers if kind == "officer" else self.partners).get(local)
            name = f"key `{key.kid}` of `{key.client_id}`"
            if chain is None or key.kid not in chain.kids:
                found.append(f"{name} was never registered to it in the chain")
            elif key.kid in self.revoked_kids:
                found.append(f"{name} was revoked (`officer.removed`) but is valid in the store")
            elif _thumbprint(key.public_key_pem) != key.kid:
                found.append(f"{name}: its public key is not the key registered under that kid")
        return found

    def _lockdown_problems(self, session: Session) -> list[str]:
        return [f"lockdown {sid} of partner `{partner}` was never lifted by two officers (no "
                "`partner.lockdown_lifted` record), but is not in force in the store"
                for sid, partner in _not_in_force(session, Suspension, "partner_id", self.lockdowns)]

    def _dataset_suspension_problems(self, session: Session) -> list[str]:
        return [f"suspension {sid} of dataset `{dataset}` was never resumed by two officers "
                "(no `dataset.resumed` record), but is not in force in the store"
                for sid, dataset in _not_in_force(session, DatasetSuspension, "dataset_id", self.dataset_suspensions)]


_Held = TypeVar("_Held", Suspension, DatasetSuspension)  # a partner lockdown or a dataset suspension


def _not_in_force(session: Session, model: type[_Held], owner: str,
                  expected: dict[int, str]) -> list[tuple[int, str]]:
    """The (id, owner) pairs the chain says are in force that the store has lifted, deleted or moved."""
    missing = []
    for suspension_id, who in sorted(expected.items()):
        row = session.get(model, suspension_id)
        if row is None or row.lifted_at is not None or getattr(row, owner) != who:
            missing.append((suspension_id, who))
    return missing


def _thumbprint(pem: str) -> str | None:
    try:
        return public_key(pem.encode()).kid
    except IdentityError:
        return None


_LEARN = {
    "grant.created": Standing._grant_created,
    "grant.revoked": Standing._grant_revoked,
    "application.decided": Standing._decided,
    "officer.registered": Standing._officer_registered,
    "officer.removed": Standing._officer_removed,
    "partner.registered": Standing._partner_registered,
    "partner.key_added": Standing._partner_key_added,  # a partner's new key (hub partner add-key)
    "partner.key_revoked": Standing._partner_key_revoked,  # forced key rotation (hub.awareness.playbooks)
    "partner.lockdown": Standing._lockdown,
    "partner.lockdown_lifted": Standing._lifted,
    "dataset.suspended": Standing._dataset_suspended,  # hub.circuit
    "dataset.resumed": Standing._dataset_resumed,
}
