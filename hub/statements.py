"""Officer statements (签名声明): what an officer signs before an action takes effect.

A statement is a compact JWS (RFC 7515) signed by the officer's own key::

    header  {"alg": "EdDSA" | "ES256", "kid": <RFC 7638 thumbprint>, "typ": "hub-statement+jwt"}
    claims  {"iss": "officer:ID", "aud": <the hub's id>, "iat": <unix seconds>, "jti": <nonce>,
             "action": "approve", "target": "application:app-1a2b3c4d",
             "digest": <hex SHA-256 of the canonical JSON of the terms>, "note": <comment, optional>}

``typ`` sets statements apart from access tokens and client assertions, so none of
them is accepted as another.  ``aud`` binds the statement to the one hub it is meant
for (``hub.hubid``): an officer enrolled at two hubs signs for one, and the other
refuses it.  Statements recorded before ``aud`` existed still parse (``hub audit
verify`` re-reads old history); only accepting a statement requires it.
``digest`` binds the statement to exactly what is approved: the *terms* of the
target, built here in one function per kind of target (``application_terms`` covers
every column of an application, so a term another part of the hub adds later is
covered without a change here).  This module knows the format only: building, signing
with a ``Signer``, parsing and checking one statement against a public key and the
expected audience, action, target and digest.  Which keys are registered, replay and
co-signatures are ``hub.officers``' business.
"""

from __future__ import annotations

import hashlib
import json
import re
import secrets
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any, Protocol

import jwt
from sqlalchemy import inspect as sa_inspect

from hub.audit.canonical import b64url, b64url_decode, canonical_json
from hub.errors import BadRequest, Forbidden
from hub.store.models import Application, Grant

TYP = "hub-statement+jwt"
ALGORITHMS = ("EdDSA", "ES256")
ACTIONS = ("approve", "reject", "revoke", "lockdown", "lift", "bootstrap", "enrol", "remove",
           "review", "login",  # login: an officer asks for a console login link (hub.console.links)
           "ack", "resolve", "suspend", "resume",  # alerts and dataset circuit breakers
           "trust", "distrust",  # register / withdraw another hub as a model publisher (hub.federation)
           "draft_rules", "activate_rules", "rollback_rules")  # officer rules (hub.policy.rules.revisions)
MAX_STATEMENT_BYTES = 16384
MAX_NOTE = 2000
SKEW_S = 300  # a statement signed more than this far from the hub's clock is refused
_NONCE = re.compile(r"[A-Za-z0-9_-]{16,128}")
_KID = re.compile(r"[A-Za-z0-9_-]{16,128}")
_ISS = re.compile(r"officer:[a-z0-9][a-z0-9._-]{0,63}")
_AUD = re.compile(r"hub-[0-9a-f]{32}")  # hub.hubid
# Workflow state of an application, not among the terms an officer approves.
_APPLICATION_STATE = frozenset({"status", "decided_at"})
_GRANT_STATE = frozenset({"revoked_at", "revoked_by"})


class StatementInvalid(BadRequest):
    """The statement is not a well-formed officer statement; the message says what is wrong."""

    title = "invalid officer statement"


class StatementRefused(Forbidden):
    """A well-formed statement that does not authorise this action; the message says why."""

    title = "officer statement refused"


class Signer(Protocol):
    """Something that signs with an officer's private key (``hub.signers``)."""

    @property
    def algorithm(self) -> str: ...  # EdDSA | ES256

    @property
    def kid(self) -> str: ...  # RFC 7638 thumbprint of the public key

    def public_pem(self) -> bytes: ...

    def sign(self, data: bytes) -> bytes:
        """The JWS signature of ``data`` (Ed25519, or ES256 as raw r||s)."""
        ...


@dataclass(frozen=True)
class Parsed:
    """A statement's header and claims, read but not yet verified."""

    token: str
    alg: str
    kid: str
    claims: dict[str, Any]

    @property
    def officer(self) -> str:
        """The signer's local officer id (``iss`` without ``officer:``)."""
        return str(self.claims["iss"]).removeprefix("officer:")

    @property
    def action(self) -> str:
        return str(self.claims["action"])

    @property
    def note(self) -> str:
        return str(self.claims.get("note", ""))

    @property
    def id(self) -> str:
        """The statement's identity for replay: SHA-256 of ``iss`` NUL ``jti``."""
        return statement_id(str(self.claims["iss"]), str(self.claims["jti"]))


def statement_id(iss: str, jti: str) -> str:
    return hashlib.sha256(f"{iss}\0{jti}".encode()).hexdigest()


# --- terms: exactly what is approved -----------------------------------------------


def _json_value(value: Any) -> Any:
    if isinstance(value, datetime):
        return (value if value.tzinfo else value.replace(tzinfo=UTC)).astimezone(UTC).isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, float | Decimal):
        return str(value)  # canonical JSON has no floats
    if isinstance(value, list | tuple):
        return [_json_value(v) for v in value]
    if isinstance(value, dict):
        return {str(k): _json_value(v) for k, v in value.items()}
    return value


def _row_terms(row: Any, skip: Iterable[str]) -> dict[str, Any]:
    """Every mapped column of ``row`` except ``skip``, JSON-ready (new columns included as added)."""
    skipped = set(skip)
    return {attr.key: _json_value(getattr(row, attr.key))
            for attr in sa_inspect(type(row)).column_attrs if attr.key not in skipped}


def application_terms(app: Application) -> dict[str, Any]:
    """Every term of an application (each column but its workflow state): what approvers sign."""
    return _row_terms(app, _APPLICATION_STATE)


def grant_terms(grant: Grant) -> dict[str, Any]:
    """Every term of a grant as it stands (what a revoking officer signs)."""
    return _row_terms(grant, _GRANT_STATE)


def lockdown_terms(partner_id: str) -> dict[str, Any]:
    return {"partner": partner_id}


def lift_terms(partner_id: str, suspension_ids: Iterable[int]) -> dict[str, Any]:
    """The lockdowns in force that a lift ends (a lift signed for older ones does not count)."""
    return {"partner": partner_id, "suspensions": sorted(int(i) for i in suspension_ids)}


def alert_terms(alert_id: str, kind: str, subject: str | None, dataset: str | None, state: str) -> dict[str, Any]:
    """An alert as an officer acknowledges or resolves it (in the state it is in now)."""
    return {"alert": alert_id, "kind": kind, "subject": subject, "dataset": dataset, "state": state}


def suspend_terms(dataset: str) -> dict[str, Any]:
    """Suspending exchange of ``dataset`` for every partner (一键熔断)."""
    return {"dataset": dataset}


def resume_terms(dataset: str, suspension_ids: Iterable[int]) -> dict[str, Any]:
    """The dataset suspensions in force that a resume ends."""
    return {"dataset": dataset, "suspensions": sorted(int(i) for i in suspension_ids)}


def enrolment_terms(officer_id: str, role: str, owner_of: str | None, kid: str, algorithm: str,
                    public_pem: str) -> dict[str, Any]:
    """Who is enrolled, in which role, with which public key."""
    return {"officer": officer_id, "role": role, "owner_of": owner_of, "kid": kid, "algorithm": algorithm,
            "public_key": public_pem}


def removal_terms(officer_id: str, role: str, owner_of: str | None, kids: Iterable[str]) -> dict[str, Any]:
    return {"officer": officer_id, "role": role, "owner_of": owner_of, "keys": sorted(kids)}


def terms_digest(terms: dict[str, Any]) -> str:
    """Hex SHA-256 of the canonical JSON of ``terms`` (docs/audit.md §1)."""
    return hashlib.sha256(canonical_json(terms)).hexdigest()


# --- building and signing -----------------------------------------------------------


def claims_for(officer_id: str, action: str, target: str, terms: dict[str, Any], *, audience: str,
               note: str = "", now: datetime | None = None) -> dict[str, Any]:
    """The claims of a new statement for the hub ``audience`` (a fresh nonce each time)."""
    if action not in ACTIONS:
        raise StatementInvalid(f"action `{action}` is not one of {', '.join(ACTIONS)}")
    if not isinstance(audience, str) or not _AUD.fullmatch(audience):
        raise StatementInvalid(f"audience `{audience}` is not a hub id (`hub-` and 32 hex digits)")
    moment = now or datetime.now(UTC)
    claims: dict[str, Any] = {"iss": f"officer:{officer_id}", "aud": audience, "iat": int(moment.timestamp()),
                              "jti": secrets.token_urlsafe(24), "action": action, "target": target,
                              "digest": terms_digest(terms)}
    if note:
        claims["note"] = note
    return claims


def _segment(value: dict[str, Any]) -> str:
    return b64url(json.dumps(value, separators=(",", ":"), ensure_ascii=False).encode("utf-8"))


def sign_claims(signer: Signer, claims: dict[str, Any]) -> str:
    """The compact JWS of ``claims`` signed by ``signer``.

    Hand-assembled (three base64url segments) because pyjwt signs only with key objects
    it holds, and a PKCS#11 token never lets its private key out; pyjwt verifies.
    """
    header = {"alg": signer.algorithm, "kid": signer.kid, "typ": TYP}
    signing_input = f"{_segment(header)}.{_segment(claims)}"
    return f"{signing_input}.{b64url(signer.sign(signing_input.encode('ascii')))}"


def sign(signer: Signer, officer_id: str, action: str, target: str, terms: dict[str, Any], *,
         audience: str, note: str = "", now: datetime | None = None) -> str:
    """Sign a statement, for the hub ``audience``, that ``officer_id`` does ``action`` on ``target``
    with these ``terms``."""
    return sign_claims(signer, claims_for(officer_id, action, target, terms, audience=audience, note=note,
                                          now=now))


# --- parsing and checking -----------------------------------------------------------


def _part(segment: str, what: str) -> dict[str, Any]:
    try:
        value = json.loads(b64url_decode(segment))
    except (ValueError, UnicodeDecodeError):
        raise StatementInvalid(f"the statement's {what} is not base64url JSON") from None
    if not isinstance(value, dict):
        raise StatementInvalid(f"the statement's {what} is not a JSON object")
    return value


def _check_header(header: dict[str, Any]) -> tuple[str, str]:
    if header.get("typ") != TYP:
        raise StatementInvalid(f"not an officer statement: header `typ` must be `{TYP}` "
                               "(an access token or client assertion is not a statement)")
    alg, kid = header.get("alg"), header.get("kid")
    if alg not in ALGORITHMS:
        raise StatementInvalid(f"statement algorithm `{alg}` is not one of {', '.join(ALGORITHMS)}")
    if not isinstance(kid, str) or not _KID.fullmatch(kid):
        raise StatementInvalid("the statement's header names no valid `kid`")
    if set(header) - {"alg", "kid", "typ"}:
        raise StatementInvalid("the statement's header has members other than alg, kid and typ")
    return str(alg), kid


def _check_claim_types(claims: dict[str, Any]) -> None:
    if not isinstance(claims.get("iss"), str) or not _ISS.fullmatch(claims["iss"]):
        raise StatementInvalid("claim `iss` must be `officer:ID`")
    if not isinstance(claims.get("iat"), int) or isinstance(claims.get("iat"), bool):
        raise StatementInvalid("claim `iat` must be an integer time (seconds since 1970)")
    if "aud" in claims and (not isinstance(claims["aud"], str) or not _AUD.fullmatch(claims["aud"])):
        raise StatementInvalid("claim `aud` must be a hub id (`hub-` and 32 hex digits)")
    if not isinstance(claims.get("jti"), str) or not _NONCE.fullmatch(claims["jti"]):
        raise StatementInvalid("claim `jti` (the nonce) must be 16-128 base64url characters")
    for name in ("action", "target", "digest"):
        if not isinstance(claims.get(name), str) or not claims[name] or len(claims[name]) > 200:
            raise StatementInvalid(f"claim `{name}` must be a non-empty string")
    note = claims.get("note", "")
    if not isinstance(note, str) or len(note) > MAX_NOTE or "\x00" in note:
        raise StatementInvalid(f"claim `note` must be text of at most {MAX_NOTE} characters")


def parse(token: str) -> Parsed:
    """Read a statement's header and claims (not yet verified); ``StatementInvalid`` if malformed."""
    if not isinstance(token, str) or len(token) > MAX_STATEMENT_BYTES:
        raise StatementInvalid(f"a statement is a compact JWS of at most {MAX_STATEMENT_BYTES} characters")
    parts = token.strip().split(".")
    if len(parts) != 3 or not all(parts):
        raise StatementInvalid("a statement is a compact JWS: three base64url parts joined by `.`")
    alg, kid = _check_header(_part(parts[0], "header"))
    claims = _part(parts[1], "claims")
    _check_claim_types(claims)
    return Parsed(token.strip(), alg, kid, claims)


def verify_signature(parsed: Parsed, public_pem: str, algorithm: str) -> None:
    """Raise ``StatementRefused`` unless ``parsed`` is signed by the key ``public_pem``."""
    if parsed.alg != algorithm:
        raise StatementRefused(f"statement algorithm `{parsed.alg}` does not match key `{parsed.kid}` "
                               f"({algorithm})")
    try:
        jwt.PyJWS().decode_complete(parsed.token, key=public_pem, algorithms=[algorithm])
    except (jwt.InvalidTokenError, ValueError, TypeError):
        raise StatementRefused(f"the signature does not verify against the registered key `{parsed.kid}` "
                               f"of officer `{parsed.officer}` (forged or altered statement)") from None


def check_claims(parsed: Parsed, *, audience: str, actions: Iterable[str], target: str, digest: str,
                 now: datetime, skew_s: int = SKEW_S) -> None:
    """Raise ``StatementRefused`` unless the statement is for this hub (``audience``), for one of
    ``actions`` on these terms, now."""
    allowed = tuple(actions)
    claims = parsed.claims
    given = claims.get("aud")
    if given is None:
        raise StatementRefused(f"the statement names no hub (claim `aud`): sign it again for this hub "
                               f"`{audience}`")
    if given != audience:
        raise StatementRefused(f"the statement is for hub `{given}`, not this hub `{audience}` (a statement "
                               "signed for another hub is never accepted here)")
    if claims["action"] not in allowed:
        raise StatementRefused(f"the statement signs action `{claims['action']}`, not {' or '.join(allowed)}")
    if claims["target"] != target:
        raise StatementRefused(f"the statement is for `{claims['target']}`, not `{target}`")
    if claims["digest"] != digest:
        raise StatementRefused(f"the statement signs other terms than `{target}` holds now "
                               f"(digest {claims['digest'][:12]}… ≠ {digest[:12]}…): review it again and sign")
    signed_at = int(claims["iat"])
    if abs(int(now.timestamp()) - signed_at) > skew_s:
        when = datetime.fromtimestamp(signed_at, UTC).isoformat() if abs(signed_at) < 2**40 else str(signed_at)
        raise StatementRefused(f"the statement was signed at {when}, more than {skew_s} s from the hub's "
                               "clock: sign it again now")
