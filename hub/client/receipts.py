"""Delivery receipts, verified by the partner alone.

Every delivery carries ``X-Hub-Receipt``: a compact JWS (EdDSA) by one of the hub's
audit keys, naming the request, the audit record (``seq``), the dataset version, the
row count and the SHA-256 of the body sent.  ``ReceiptVerifier`` checks it against the
public keys the hub publishes (``/.well-known/audit-jwks.json``, current and retired
keys, fetched once, again when an unknown ``kid`` appears, and again when the copy is
older than ``KEYS_MAX_AGE_S``) and, given the body, that
the body is what was signed.  A key signs only until a newer one took over (its
``valid_until`` in the JWKS): a receipt dated later by a retired key is refused, since
the hub signed with the newer key by then.  pyjwt does the JWS and JWK work.
"""

from __future__ import annotations

import hashlib
import json
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import jwt

from hub.client.errors import ReceiptError

RECEIPT_TYPE = "hub-receipt+jws"
AUDIT_JWKS_PATH = "/.well-known/audit-jwks.json"
KEYS_MAX_AGE_S = 300.0  # the audit keys are fetched again when the copy is this old


@dataclass(frozen=True)
class Receipt:
    """A verified receipt's claims."""

    request_id: str
    seq: int
    subject: str | None
    dataset: str
    version: str
    rows: int
    response_sha256: str
    ts: str
    kid: str
    jws: str


def keys_of(jwks: dict[str, Any]) -> dict[str, Any]:
    """kid → public key of a JWK Set (keys that are not Ed25519 signing keys are skipped)."""
    found: dict[str, Any] = {}
    for entry in jwks.get("keys", []):
        if not isinstance(entry, dict) or entry.get("kty") != "OKP" or entry.get("crv") != "Ed25519":
            continue
        try:
            found[str(entry["kid"])] = jwt.PyJWK({k: v for k, v in entry.items()
                                                  if k in ("kty", "crv", "x", "kid", "use", "alg")}).key
        except (KeyError, jwt.PyJWKError) as exc:
            raise ReceiptError(f"audit key `{entry.get('kid')}` in the JWKS is unusable: {exc}") from None
    return found


def retirements(jwks: dict[str, Any]) -> dict[str, datetime]:
    """kid → ``valid_until`` of every key of a JWK Set that names one (retired keys)."""
    found: dict[str, datetime] = {}
    for entry in jwks.get("keys", []):
        if isinstance(entry, dict) and entry.get("valid_until") is not None:
            found[str(entry.get("kid"))] = _instant(entry["valid_until"], f"`valid_until` of audit key "
                                                                           f"`{entry.get('kid')}`")
    return found


def _instant(value: Any, what: str) -> datetime:
    try:
        moment = datetime.fromisoformat(str(value))
    except ValueError:
        raise ReceiptError(f"{what} is no ISO 8601 time: {value!r}") from None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


class ReceiptVerifier:
    """Verifies receipts against the hub's audit keys (``fetch_jwks`` returns the JWK Set)."""

    def __init__(self, fetch_jwks: Callable[[], dict[str, Any]], *, max_age_s: float = KEYS_MAX_AGE_S,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.fetch_jwks = fetch_jwks
        self.max_age_s, self.clock = max_age_s, clock
        self._keys: dict[str, Any] | None = None
        self._retired: dict[str, datetime] = {}
        self._fetched = float("-inf")

    def _key(self, kid: str) -> Any:
        # first use, a key newer than our copy, or a copy older than `max_age_s`: a key the hub
        # retired since (`hub keys rotate` after a leak) is then known as retired within that bound
        # in a long download, not only when the client starts again
        stale = self.clock() - self._fetched >= self.max_age_s
        if self._keys is None or kid not in self._keys or stale:
            jwks = self.fetch_jwks()
            self._keys, self._retired = keys_of(jwks), retirements(jwks)
            self._fetched = self.clock()
        if kid not in self._keys:
            raise ReceiptError(f"receipt signed by key `{kid}`, which the hub does not publish")
        return self._keys[kid]

    def verify(self, jws: str, body: bytes | None = None, *, request_id: str | None = None,
               dataset: str | None = None, body_sha256: str | None = None) -> Receipt:
        """The receipt's claims if its signature verifies (and it names ``body``, ``request_id``, ``dataset``).

        ``body_sha256`` stands in for ``body`` when the body was streamed and hashed on the way.
        """
        try:
            header = jwt.get_unverified_header(jws)
        except jwt.DecodeError as exc:
            raise ReceiptError(f"not a receipt (compact JWS): {exc}") from None
        if header.get("alg") != "EdDSA" or header.get("typ") != RECEIPT_TYPE:
            raise ReceiptError(f"receipt header must say alg EdDSA and typ {RECEIPT_TYPE}, not {header}")
        kid = str(header.get("kid", ""))
        try:
            signed = jwt.PyJWS().decode_complete(jws, key=self._key(kid), algorithms=["EdDSA"])
        except jwt.InvalidSignatureError:
            raise ReceiptError(f"receipt signature does not verify with audit key `{kid}`: "
                               "the receipt was altered or forged") from None
        except jwt.DecodeError as exc:
            raise ReceiptError(f"receipt is malformed: {exc}") from None
        receipt = _claims(signed["payload"], kid, jws)
        self._check_retired(receipt)
        if body is not None:
            body_sha256 = hashlib.sha256(body).hexdigest()
        _check(receipt, body_sha256, request_id, dataset)
        return receipt


    def _check_retired(self, receipt: Receipt) -> None:
        until = self._retired.get(receipt.kid)
        if until is not None and _instant(receipt.ts, "the receipt's `ts`") >= until:
            raise ReceiptError(f"receipt of request {receipt.request_id} dated {receipt.ts} is signed by audit key "
                               f"`{receipt.kid}`, retired at {until.isoformat()}: not the hub's signature "
                               "(forged with a retired key?)")


def _claims(payload: bytes, kid: str, jws: str) -> Receipt:
    try:
        claims = json.loads(payload)
        return Receipt(str(claims["request_id"]), int(claims["seq"]), claims.get("subject"), str(claims["dataset"]),
                       str(claims["version"]), int(claims["rows"]), str(claims["response_sha256"]),
                       str(claims["ts"]), kid, jws)
    except (ValueError, KeyError, TypeError) as exc:
        raise ReceiptError(f"receipt claims are incomplete: {exc}") from None


def _check(receipt: Receipt, body_sha256: str | None, request_id: str | None, dataset: str | None) -> None:
    if body_sha256 is not None and body_sha256 != receipt.response_sha256:
        raise ReceiptError(f"the body received for request {receipt.request_id} is not the body the receipt "
                           "signs (SHA-256 differs)")
    if request_id is not None and request_id != receipt.request_id:
        raise ReceiptError(f"receipt names request {receipt.request_id}, the response came for {request_id}")
    if dataset is not None and dataset != receipt.dataset:
        raise ReceiptError(f"receipt names dataset {receipt.dataset}, not {dataset}")
