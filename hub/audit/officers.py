"""Officer signatures along the audit chain: every officer action verified again.

Fed the records in seq order (by ``verify.ChainWalker``), ``OfficerSignatures``
learns the officers' public keys from the chain itself — an ``officer.registered``
record carries the enrolled key in ``details.terms``, an ``officer.removed`` record
revokes keys — and checks every record that carries signed statements
(``details.signed``): each JWS verifies against the key registered for its officer
at that point of the chain, its action fits the event, its target is the record's
``details.target``, its digest is that of the record's ``details.terms``, and the
record's subject is one of the signers; a statement naming a hub (``aud``) names this one
(statements signed before ``aud`` existed name none and are checked as they were accepted).
A grant's approvals must name approval statements verified earlier in the chain, all
signing the same terms of the grant's own application, by two officers with two keys.
Once the chain holds a signed statement, an officer action without one is a problem;
records before it come from a hub that did not sign yet and are only counted.  Keys
registered before the chain carried them are looked up in the store (``client_keys``)
with their validity at the time, and only those an unsigned ``officer.registered``
record of that time names by ``kid``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from hub import statements
from hub.audit.canonical import canonical_json, sha256_hex

# Which signed actions may stand behind each kind of record.
EVENT_ACTIONS: dict[str, frozenset[str]] = {
    "application.decided": frozenset({"approve", "reject"}),
    "grant.revoked": frozenset({"revoke"}),
    "partner.lockdown": frozenset({"lockdown"}),
    "partner.lockdown_lifted": frozenset({"lift"}),
    "officer.registered": frozenset({"bootstrap", "enrol"}),
    "officer.removed": frozenset({"remove"}),
    "officer.signed": frozenset({"lift", "enrol", "remove", "trust", "resume", "activate_rules",
                                 "rollback_rules"}),
    "policy.rules_drafted": frozenset({"draft_rules"}),
    "policy.rules_activated": frozenset({"activate_rules"}),
    "policy.rules_rolled_back": frozenset({"rollback_rules"}),
    "console.link_issued": frozenset({"login"}),  # a console login link, issued to a signed request
    "catalog.reviewed": frozenset({"review"}),
    "federation.publisher_trusted": frozenset({"trust"}),  # two officers register a model publisher
    "federation.publisher_distrusted": frozenset({"distrust"}),
    "alert.acknowledged": frozenset({"ack"}),  # hub.awareness.alerts
    "alert.resolved": frozenset({"resolve"}),
    "dataset.suspended": frozenset({"suspend"}),  # hub.circuit: one security officer
    "dataset.resumed": frozenset({"resume"}),  # hub.circuit: two officers
}
UNSIGNED_ACTIONS = frozenset({"expire"})  # the hub's own bookkeeping, no officer involved
# Acts the hub takes by itself on an alert (hub.awareness.playbooks), with no officer: they only
# ever restrict (a lockdown, a dataset suspension), and each names the alert that caused it.
SYSTEM_SUBJECT = "system:awareness"
SYSTEM_EVENTS = frozenset({"partner.lockdown", "dataset.suspended"})


@dataclass
class OfficerKey:
    """A public key as registered for an officer."""

    officer: str  # officer:ID
    pem: str
    algorithm: str
    revoked: bool = False
    created: datetime | None = None  # (store keys) when it was registered


StoreKeys = Callable[[str, str], OfficerKey | None]  # (kid, record ts) → key valid then


class OfficerSignatures:
    """Checks the officer statements of records fed in seq order; see the module docstring."""

    def __init__(self, store_keys: StoreKeys | None = None, *, excerpt: bool = False,
                 audience: str | None = None, one_audience: bool = False) -> None:
        self.store_keys = store_keys
        self.audience = audience  # this hub's id: a statement naming another hub was replayed here
        # with no hub named (an export whose header names none): the first statement's hub is the
        # one every later statement must name — a file of one hub's records names one hub
        self.one_audience = one_audience
        self.excerpt = excerpt  # an excerpt may lack the enrolments and approvals before it
        self.keys: dict[str, OfficerKey] = {}
        self.approvals: dict[str, tuple[str, str, str, str]] = {}  # statement id -> (target, digest, iss, kid)
        self.legacy_kids: dict[str, str] = {}  # kid -> officer:ID, from registrations before the hub signed
        self.signed_era = False
        self.era_ts: datetime | None = None  # ts of the first signed record
        self.verified = 0
        self.unsigned_before = 0  # officer actions recorded before the hub signed them
        self.unverifiable = 0  # (excerpts) signatures by keys registered before the excerpt

    def check(self, record: dict[str, Any]) -> list[str]:
        """The problems of one record (empty when its signatures, if any, hold)."""
        raw = record.get("details")
        details: dict[str, Any] = raw if isinstance(raw, dict) else {}
        signed = details.get("signed")
        if signed is None:
            return self._unsigned(record, details)
        if not self.signed_era:
            self.signed_era, self.era_ts = True, _instant(str(record.get("ts")))
        if not isinstance(signed, list) or not signed:
            return ["officer signature: `details.signed` is not a list of statements"]
        terms = details.get("terms")
        digest = sha256_hex(canonical_json(terms)) if isinstance(terms, dict) else None
        problems: list[str] = []
        signers: list[str] = []
        for item in signed:
            iss, problem = self._check_one(record, details, item, digest)
            if problem:
                problems.append(problem)
            elif iss:
                signers.append(iss)
        if not problems and signers and record.get("subject") not in signers:
            problems.append(f"officer signature: record subject `{record.get('subject')}` signed none of its "
                            "statements")
        if not problems:
            self._learn(record, details)
        return problems

    def _unsigned(self, record: dict[str, Any], details: dict[str, Any]) -> list[str]:
        event = record.get("event")
        if event == "grant.created":
            return self._check_grant(details)
        if event not in EVENT_ACTIONS or record.get("action") in UNSIGNED_ACTIONS:
            return []
        if record.get("subject") == SYSTEM_SUBJECT and event in SYSTEM_EVENTS:
            if isinstance(details.get("alert"), str) and details["alert"]:
                return []
            return [f"`{event}` by `{SYSTEM_SUBJECT}` names no alert (the hub restricts by itself only on one)"]
        if self.signed_era:
            return [f"officer signature missing: `{event}` by `{record.get('subject')}` carries no signed "
                    "statement"]
        self.unsigned_before += 1
        if event == "officer.registered" and isinstance(details.get("kid"), str):
            self.legacy_kids[details["kid"]] = str(record.get("subject"))
        return []

    def _check_grant(self, details: dict[str, Any]) -> list[str]:
        problems = []
        named = []
        for approval in details.get("approvals") or []:
            ref = approval.get("statement") if isinstance(approval, dict) else None
            who = approval.get("officer") if isinstance(approval, dict) else approval
            if ref is None:
                if self.signed_era:
                    problems.append(f"officer signature missing: grant approval by `{who}` names no statement")
            elif ref in self.approvals:
                named.append(self.approvals[ref])
            elif not self.excerpt:
                problems.append(f"officer signature: grant approval by `{who}` names statement {str(ref)[:12]}…, "
                                "which no verified approval record carries")
        return problems or self._same_terms_two_officers(details, named)

    @staticmethod
    def _same_terms_two_officers(details: dict[str, Any], named: list[tuple[str, str, str, str]]) -> list[str]:
        """The approvals a grant names sign one set of terms of its own application, by two
        officers with two keys (their roles are checked against the store by ``hub.audit.standing``)."""
        if not named:
            return []
        application = f"application:{details.get('application')}"
        if {target for target, _d, _i, _k in named} != {application} or len({d for _t, d, _i, _k in named}) != 1:
            return [f"officer signature: grant approvals sign other terms than those of `{application}` "
                    "(approvals of another application or of earlier terms)"]
        if len({iss for _t, _d, iss, _k in named}) < 2 or len({kid for _t, _d, _i, kid in named}) < 2:
            return ["officer signature: grant approvals are not two officers with two keys"]
        return []

    def _key_for(self, record: dict[str, Any], parsed: statements.Parsed,
                 details: dict[str, Any]) -> OfficerKey | None:
        if parsed.action == "bootstrap":  # self-signed: the key being enrolled
            terms = details.get("terms") or {}
            if terms.get("kid") == parsed.kid and f"officer:{terms.get('officer')}" == parsed.claims["iss"]:
                return OfficerKey(str(parsed.claims["iss"]), str(terms.get("public_key")),
                                  str(terms.get("algorithm")))
            return None
        key = self.keys.get(parsed.kid)
        if key is None and self.store_keys is not None:
            key = self.store_keys(parsed.kid, str(record.get("ts")))
            # only keys registered before the hub began to sign (later ones are in the chain), and
            # only those an unsigned registration of that time names: a key row written into the
            # store with a back-dated `created_at` is not one
            if key is not None and (key.created is None or (self.era_ts and key.created >= self.era_ts)
                                    or self.legacy_kids.get(parsed.kid) != key.officer
                                    or _thumbprint(key.pem) != parsed.kid):
                return None
        return key

    def _check_one(self, record: dict[str, Any], details: dict[str, Any], item: Any,
                   digest: str | None) -> tuple[str | None, str | None]:
        """(the signer, None) when the statement holds; (None, what is wrong) otherwise."""
        if not isinstance(item, dict) or not isinstance(item.get("statement"), str):
            return None, "officer signature: a signed entry holds no statement"
        try:
            parsed = statements.parse(item["statement"])
        except statements.StatementInvalid as exc:
            return None, f"officer signature: malformed statement ({exc})"
        iss, claims = str(parsed.claims["iss"]), parsed.claims
        allowed = EVENT_ACTIONS.get(str(record.get("event")), frozenset())
        if claims["action"] not in allowed:
            return None, (f"officer signature of `{iss}`: action `{claims['action']}` does not fit "
                          f"`{record.get('event')}`")
        if claims["target"] != details.get("target") or claims["digest"] != digest:
            return None, (f"officer signature of `{iss}`: the statement signs other target or terms than the "
                          "record holds (terms altered)")
        if item.get("kid") != parsed.kid:
            return None, (f"officer signature of `{iss}`: the record names key `{item.get('kid')}`, "
                          f"the statement `{parsed.kid}`")
        if self.audience is None and self.one_audience and isinstance(claims.get("aud"), str):
            self.audience = str(claims["aud"])
        if self.audience is not None and claims.get("aud", self.audience) != self.audience:  # no aud: signed before
            return None, (f"officer signature of `{iss}`: the statement is for hub `{claims['aud']}`, not this hub "
                          f"`{self.audience}` (another hub's statement, replayed into this chain)")
        key = self._key_for(record, parsed, details)
        if key is None:
            if self.excerpt:
                self.unverifiable += 1
                return iss, None
            return None, f"officer signature of `{iss}`: key `{parsed.kid}` was never registered to it in the chain"
        if key.officer != iss:
            return None, f"officer signature of `{iss}`: key `{parsed.kid}` is registered to `{key.officer}`"
        if key.revoked:
            return None, f"officer signature of `{iss}`: key `{parsed.kid}` was revoked before this record"
        try:
            statements.verify_signature(parsed, key.pem, key.algorithm)
        except statements.StatementRefused:
            return None, (f"officer signature of `{iss}` does not verify against its registered key "
                          f"`{parsed.kid}` (statement altered or forged)")
        self.verified += 1
        if claims["action"] == "approve":
            self.approvals[parsed.id] = (str(claims["target"]), str(claims["digest"]), iss, parsed.kid)
        return iss, None

    def _learn(self, record: dict[str, Any], details: dict[str, Any]) -> None:
        event, terms = record.get("event"), details.get("terms") or {}
        if event == "officer.registered" and isinstance(terms.get("kid"), str):
            self.keys[terms["kid"]] = OfficerKey(f"officer:{terms.get('officer')}", str(terms.get("public_key")),
                                                 str(terms.get("algorithm")))
        elif event == "officer.removed":
            for kid in details.get("revoked_keys") or []:
                if kid in self.keys:
                    self.keys[kid].revoked = True


def _thumbprint(pem: str) -> str | None:
    """The RFC 7638 thumbprint (kid) of a PEM public key, or None if it is not one."""
    from hub.identity import IdentityError, public_key

    try:
        return public_key(pem.encode()).kid
    except IdentityError:
        return None


def _instant(text: str) -> datetime | None:
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def store_key_lookup(store: Any) -> StoreKeys:
    """Keys from the store's ``client_keys``, valid at a record's time (for keys registered
    before the chain carried them)."""
    from hub.store.models import ClientKey

    def lookup(kid: str, ts: str) -> OfficerKey | None:
        with store.session() as session:
            key = session.get(ClientKey, kid)
            if key is None or not key.client_id.startswith("officer:"):
                return None
            at = _instant(ts)
            revoked = key.revoked_at is not None and (at is None or key.revoked_at <= at)
            return OfficerKey(key.client_id, key.public_key_pem, key.algorithm, revoked, key.created_at)

    return lookup
