"""Tokens: client assertions in (RFC 7523 ``private_key_jwt``), access tokens out.

``authenticate_client`` (and ``verify_client_assertion``) checks a client's signed
assertion against the public keys registered for it (``hub.identity``), consumes its
``jti`` in the replay cache (``token_jtis``) and names the client key that signed it.
``issue_access_token`` signs a short-lived EdDSA JWT with the hub's current ``token``
key (``hub.keys``), naming the key in ``kid`` and the client key in ``ckid`` (so
revoking that client key revokes the access tokens it obtained, ``hub.verifier``);
``verify_access_token`` accepts a token signed by any key still in the key store,
so a rotation never cuts off tokens already issued.  Every failure raises
``TokenRejected`` with a generic message for the client and a ``reason`` code for
the audit log and metrics; algorithms are pinned per key, never read from input.
"""

from __future__ import annotations

import hashlib
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import jwt
from sqlalchemy import delete
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from hub.crypto import jose  # noqa: F401 - registers SM2SM3 with pyjwt (the gm suite's tokens)
from hub.crypto.signing import EDDSA
from hub.errors import Unauthorized
from hub.identity import Subject, active_keys, load_subject, split_client_id
from hub.keys import HubKey, KeyStore
from hub.store.models import TokenJti

ASSERTION_TYPE = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"
CLIENT_ALGORITHMS = ("EdDSA", "ES256")
ACCESS_ALGORITHMS = ("EdDSA", "SM2SM3")  # what the hub's token keys sign with (international / gm)
MAX_TOKEN_BYTES = 8192
_PYJWT_REASONS: tuple[tuple[type[Exception], str], ...] = (
    (jwt.ExpiredSignatureError, "expired"),
    (jwt.ImmatureSignatureError, "not_yet_valid"),
    (jwt.InvalidAudienceError, "bad_audience"),
    (jwt.InvalidIssuerError, "bad_issuer"),
    (jwt.MissingRequiredClaimError, "missing_claim"),
    (jwt.InvalidSignatureError, "bad_signature"),
    (jwt.DecodeError, "malformed"),
)


class TokenRejected(Unauthorized):
    """A credential was refused; ``reason`` is for the audit log, never for the client."""

    def __init__(self, reason: str, *, stage: str, subject: str | None = None) -> None:
        message = ("client authentication failed" if stage == "assertion"
                   else "the access token is missing or not valid")
        super().__init__(message, reason=reason, stage=stage)
        self.reason = reason
        self.stage = stage  # assertion | access
        self.subject = subject  # set only once a signature proved who it is


@dataclass(frozen=True)
class TokenConfig:
    """Token rules: who we are, who tokens are for, and how long they live."""

    token_url: str  # the audience client assertions must name
    issuer: str = "hub"
    audience: str = "hub-api"
    ttl_s: int = 600
    leeway_s: int = 30
    max_assertion_lifetime_s: int = 300


@dataclass(frozen=True)
class IssuedToken:
    token: str
    kid: str
    jti: str
    expires_in: int


def _reason(exc: jwt.InvalidTokenError) -> str:
    return next((code for kind, code in _PYJWT_REASONS if isinstance(exc, kind)), "invalid")


def _header(token: str, stage: str) -> dict[str, Any]:
    if len(token) > MAX_TOKEN_BYTES:
        raise TokenRejected("oversize", stage=stage)
    try:
        header = jwt.get_unverified_header(token)
    except jwt.InvalidTokenError:
        raise TokenRejected("malformed", stage=stage) from None
    if not isinstance(header, dict):
        raise TokenRejected("malformed", stage=stage)
    return header


def _unverified_claims(token: str, stage: str) -> dict[str, Any]:
    try:
        claims = jwt.decode(token, options={"verify_signature": False})
    except jwt.InvalidTokenError:
        raise TokenRejected("malformed", stage=stage) from None
    return claims


def _decode(token: str, key: Any, alg: str, stage: str, **checks: Any) -> dict[str, Any]:
    try:
        return jwt.decode(token, key, algorithms=[alg], **checks)
    except jwt.InvalidTokenError as exc:
        raise TokenRejected(_reason(exc), stage=stage) from None
    except (ValueError, TypeError):
        raise TokenRejected("malformed", stage=stage) from None


# --- client assertions ----------------------------------------------------------


def _assertion_keys(session: Session, header: dict[str, Any], cid: str) -> tuple[list[tuple[str, str]], str]:
    """The registered (kid, PEM) pairs (newest last) and the algorithm the assertion's header points at."""
    alg, kid = header.get("alg"), header.get("kid")
    if alg not in CLIENT_ALGORITHMS:
        raise TokenRejected("alg_not_allowed", stage="assertion")
    keys = active_keys(session, cid)
    if not keys:
        raise TokenRejected("unknown_client", stage="assertion")
    if kid is not None:
        keys = [k for k in keys if k.kid == kid]
        if not keys:
            raise TokenRejected("unknown_kid", stage="assertion")
    matching = [k for k in keys if k.algorithm == alg]
    if not matching:
        raise TokenRejected("alg_key_mismatch", stage="assertion")
    return [(k.kid, k.public_key_pem) for k in matching], alg


def _decode_assertion(assertion: str, keys: list[tuple[str, str]], alg: str,
                      **checks: Any) -> tuple[dict[str, Any], str]:
    """Decode with the first key whose signature matches (a client may hold several keys); its kid."""
    for kid, pem in keys[:-1]:
        try:
            return _decode(assertion, pem, alg, "assertion", **checks), kid
        except TokenRejected as exc:
            if exc.reason != "bad_signature":
                raise
    return _decode(assertion, keys[-1][1], alg, "assertion", **checks), keys[-1][0]


def _check_assertion_claims(claims: dict[str, Any], cid: str, config: TokenConfig) -> str:
    if claims.get("sub") != cid:
        raise TokenRejected("sub_not_iss", stage="assertion")
    exp, iat, jti = claims.get("exp"), claims.get("iat"), claims.get("jti")
    if not isinstance(iat, int | float) or not isinstance(exp, int | float):
        raise TokenRejected("missing_claim", stage="assertion")
    if exp - iat > config.max_assertion_lifetime_s:
        raise TokenRejected("lifetime_too_long", stage="assertion")
    if not isinstance(jti, str) or not 8 <= len(jti) <= 256:
        raise TokenRejected("bad_jti", stage="assertion")
    return jti


def _consume_jti(session: Session, cid: str, jti: str, exp: float, config: TokenConfig) -> None:
    """Record ``jti`` until its assertion expires; a second use is a replay."""
    now = datetime.now(UTC)
    session.execute(delete(TokenJti).where(TokenJti.expires_at < now))
    key = hashlib.sha256(f"{cid}\0{jti}".encode()).hexdigest()
    if session.get(TokenJti, key) is not None:
        raise TokenRejected("replayed_jti", stage="assertion", subject=cid)
    until = datetime.fromtimestamp(exp, UTC) + timedelta(seconds=config.leeway_s)
    session.add(TokenJti(jti=key, client_id=cid, expires_at=until))
    try:
        session.flush()  # a concurrent use of the same jti loses here
    except IntegrityError:
        raise TokenRejected("replayed_jti", stage="assertion", subject=cid) from None


def verify_client_assertion(session: Session, assertion: str, config: TokenConfig) -> Subject:
    """Verify a client assertion and consume its ``jti``; return the authenticated client."""
    return authenticate_client(session, assertion, config)[0]


def authenticate_client(session: Session, assertion: str, config: TokenConfig) -> tuple[Subject, str]:
    """Verify a client assertion and consume its ``jti``; the client and the kid of the key that signed."""
    header = _header(assertion, "assertion")
    cid = _unverified_claims(assertion, "assertion").get("iss")
    if not isinstance(cid, str) or split_client_id(cid) is None:
        raise TokenRejected("unknown_client", stage="assertion")
    keys, alg = _assertion_keys(session, header, cid)
    claims, kid = _decode_assertion(assertion, keys, alg, audience=config.token_url, issuer=cid,
                                    leeway=config.leeway_s,
                                    options={"require": ["iss", "sub", "aud", "exp", "iat", "jti"]})
    jti = _check_assertion_claims(claims, cid, config)
    subject = load_subject(session, cid)
    if subject is None:
        raise TokenRejected("unknown_client", stage="assertion")
    if subject.suspended:
        raise TokenRejected("suspended", stage="assertion", subject=cid)
    _consume_jti(session, cid, jti, float(claims["exp"]), config)
    return subject, kid


def client_assertion(private_key: Any, cid: str, token_url: str, *, kid: str | None = None,
                     lifetime_s: int = 60, algorithm: str = "EdDSA") -> str:
    """Build a client assertion (what a partner system sends to ``/oauth/token``)."""
    now = int(datetime.now(UTC).timestamp())
    claims = {"iss": cid, "sub": cid, "aud": token_url, "iat": now, "exp": now + lifetime_s,
              "jti": uuid.uuid4().hex}
    return jwt.encode(claims, private_key, algorithm=algorithm, headers={"kid": kid} if kid else None)


# --- access tokens --------------------------------------------------------------


def _signing_key(key: HubKey) -> Any:
    """What pyjwt signs with: the library key for EdDSA, the hub.crypto key for SM2SM3."""
    return key.private if key.alg == EDDSA else key.signer


def _verifying_key(key: HubKey) -> Any:
    return key.public if key.alg == EDDSA else key.verifier


def issue_access_token(keys: KeyStore, subject: Subject, config: TokenConfig, *,
                       client_kid: str | None = None, cnf: dict[str, str] | None = None) -> IssuedToken:
    """Sign a short-lived access token for ``subject`` with the current token key (EdDSA, or SM2SM3 under gm).

    ``client_kid`` names the client key that authenticated (claim ``ckid``): revoking it
    revokes the token too.  ``cnf``: the confirmation claim of a certificate-bound token
    (RFC 8705, ``{"x5t#S256": …}``).
    """
    key = keys.current("token")
    now = int(datetime.now(UTC).timestamp())
    jti = uuid.uuid4().hex
    claims: dict[str, Any] = {"iss": config.issuer, "sub": subject.id, "aud": config.audience, "iat": now,
                              "nbf": now, "exp": now + config.ttl_s, "jti": jti, "kind": subject.kind}
    if client_kid is not None:
        claims["ckid"] = client_kid
    if cnf:
        claims["cnf"] = cnf
    token = jwt.encode(claims, _signing_key(key), algorithm=key.alg, headers={"kid": key.kid})
    return IssuedToken(token=token, kid=key.kid, jti=jti, expires_in=config.ttl_s)


def _token_key(keys: KeyStore, kid: object) -> HubKey | None:
    if not isinstance(kid, str) or len(kid) > 128:
        return None
    return keys.find("token", kid)  # the key store keeps parsed keys while the files are unchanged


def verify_access_token(keys: KeyStore, token: str, config: TokenConfig) -> dict[str, Any]:
    """Verify an access token's signature and claims; return its claims."""
    header = _header(token, "access")
    if header.get("alg") not in ACCESS_ALGORITHMS:
        raise TokenRejected("alg_not_allowed", stage="access")
    key = _token_key(keys, header.get("kid"))
    if key is None:
        raise TokenRejected("unknown_kid", stage="access")
    if header.get("alg") != key.alg:  # the key pins the algorithm, never the token
        raise TokenRejected("alg_not_allowed", stage="access")
    claims = _decode(token, _verifying_key(key), key.alg, "access", audience=config.audience,
                     issuer=config.issuer, leeway=config.leeway_s,
                     options={"require": ["iss", "sub", "aud", "exp", "iat", "jti"]})
    if not isinstance(claims.get("sub"), str) or claims.get("kind") not in ("partner", "officer"):
        raise TokenRejected("missing_claim", stage="access")
    return claims


def subject_for(session: Session, claims: dict[str, Any]) -> Subject:
    """The current subject behind verified access-token ``claims``; refuses suspended ones."""
    subject = load_subject(session, claims["sub"])
    if subject is None or subject.kind != claims["kind"]:
        raise TokenRejected("unknown_client", stage="access")
    if subject.suspended:
        raise TokenRejected("suspended", stage="access", subject=subject.id)
    return subject
