"""The access-token verifier: a verified token is remembered until it expires; revocations never are.

Verifying an EdDSA access token (signature, claims) and loading its subject from the
store cost more than the rest of a cached request.  ``AccessVerifier.subject(token)``
does both once per token and remembers the result under the token's SHA-256 until the
token's ``exp`` (never past it: an expired token goes the full way again, where the
leeway and the refusal live).  On every request, remembered or not, it checks the
in-memory revocation set (``hub.revocations``): a suspended (locked-down) partner, an
inactive officer, a revoked client key (the token's ``ckid``) or a token key removed
from the key store refuses the token — at once when the change was made through this
process, within ``HUB_STALENESS_S`` when made through another.
"""

from __future__ import annotations

import hashlib
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass

import jwt

from hub import metrics
from hub.certificates import check_binding
from hub.identity import Subject
from hub.keys import KeyStore
from hub.revocations import Revocations
from hub.store.db import Store
from hub.tokens import TokenConfig, TokenRejected, subject_for, verify_access_token


@dataclass(frozen=True)
class Verified:
    """What a verified access token established."""

    subject: Subject
    expires: float  # the token's exp (epoch seconds)
    kid: str  # the hub token key that signed it
    client_kid: str | None  # the client key that obtained it (claim ckid)
    verified_at: float  # monotonic
    cnf: object = None  # the confirmation claim of a certificate-bound token (RFC 8705), checked per request


class AccessVerifier:
    """Verifies access tokens for one API process (see the module docstring)."""

    def __init__(self, store: Store, keys: KeyStore, config: TokenConfig, revocations: Revocations, *,
                 clock: Callable[[], float] = time.time, maxsize: int = 50_000) -> None:
        self.store, self.keys, self.config, self.revocations = store, keys, config, revocations
        self.clock = clock
        self.maxsize = maxsize
        self.hits = 0
        self._entries: OrderedDict[bytes, Verified] = OrderedDict()
        self._lock = threading.Lock()

    def subject(self, token: str, thumbprint: str | None = None) -> Subject:
        """The subject of a valid, unrevoked access token; ``TokenRejected`` otherwise.

        ``thumbprint``: the ``x5t#S256`` of the connection's client certificate (None: none).
        A certificate-bound token (claim ``cnf``, RFC 8705) is refused on every request,
        remembered or not, unless it arrives over that very certificate.
        """
        digest = hashlib.sha256(token.encode("utf-8", "surrogatepass")).digest()
        found = self._remembered(digest)
        if found is None:
            found = self._verify(token)
            self._remember(digest, found)
        self._check(found)
        check_binding({"cnf": found.cnf, "sub": found.subject.id}, thumbprint)
        return found.subject

    def ready(self, token: str) -> bool:
        """True when ``subject(token)`` reads neither store nor keys: the token is remembered and
        unexpired, and the revocation state is fresh and knows its key (the API's event loop
        then checks it in place, without a worker-thread hop; the checks are ``subject``'s own)."""
        digest = hashlib.sha256(token.encode("utf-8", "surrogatepass")).digest()
        with self._lock:
            found = self._entries.get(digest)
        if found is None or self.clock() >= found.expires:
            return False
        state = self.revocations.fresh()
        return state is not None and found.kid in state.token_kids

    def remembered(self, token: str) -> bool:
        """True when ``token`` was verified by this process and has not expired (``subject`` still checks
        the revocation state; only ``ready`` says whether that check reads the store)."""
        digest = hashlib.sha256(token.encode("utf-8", "surrogatepass")).digest()
        with self._lock:
            found = self._entries.get(digest)
        return found is not None and self.clock() < found.expires

    def _remembered(self, digest: bytes) -> Verified | None:
        with self._lock:
            found = self._entries.get(digest)
            if found is not None and self.clock() >= found.expires:
                del self._entries[digest]
                found = None
            if found is not None:
                self._entries.move_to_end(digest)
                self.hits += 1
        metrics.TOKEN_CACHE.labels("hit" if found is not None else "miss").inc()
        return found

    def _remember(self, digest: bytes, verified: Verified) -> None:
        with self._lock:
            self._entries[digest] = verified
            while len(self._entries) > self.maxsize:
                self._entries.popitem(last=False)

    def _verify(self, token: str) -> Verified:
        claims = verify_access_token(self.keys, token, self.config)
        with self.store.session() as session:
            subject = subject_for(session, claims)
        kid = jwt.get_unverified_header(token)["kid"]  # verify_access_token found a key by it
        client_kid = claims.get("ckid")
        return Verified(subject, float(claims["exp"]), kid, client_kid if isinstance(client_kid, str) else None,
                        self.revocations.monotonic(), claims.get("cnf"))

    def _check(self, verified: Verified) -> None:
        state = self.revocations.current()
        if verified.kid not in state.token_kids:  # a key made after the last read: read again first
            state = self.revocations.current(newer_than=verified.verified_at)
        who = verified.subject.id
        if who in state.suspended:
            raise TokenRejected("suspended", stage="access", subject=who)
        if verified.kid not in state.token_kids:
            raise TokenRejected("unknown_kid", stage="access", subject=who)
        if verified.client_kid is not None and verified.client_kid in state.revoked_client_keys:
            raise TokenRejected("client_key_revoked", stage="access", subject=who)

    def forget(self) -> None:
        """Drop every remembered token (tests, key rotation drills)."""
        with self._lock:
            self._entries.clear()
