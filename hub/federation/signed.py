"""Signed federation documents: a compact JWS (RFC 7515) made with the hub identity key.

A model package and a model revocation travel as ``BASE64URL(header) "."
BASE64URL(payload) "." BASE64URL(signature)``; the header is ``{"alg": "EdDSA",
"iss": <publishing hub>, "kid": <its identity key>, "typ": <document type>}`` and the
payload the canonical JSON of the document.  The header names the publisher and the
key, so the signature is checked against a trusted publisher's registered key before
a byte of the payload is interpreted: a package altered anywhere — header, payload or
signature — is refused as altered, never half-read.  Hand-assembled like the officer
statements (``hub.statements``), with the ``cryptography`` primitives.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any

from cryptography.exceptions import InvalidSignature

from hub.audit.canonical import b64url, b64url_decode, canonical_json
from hub.audit.errors import EvidenceError
from hub.audit.pubkeys import jwk_public_key
from hub.federation.errors import PackageRefused, PublisherRefused
from hub.keys import HubKey

_COMPACT = re.compile(r"[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+")
MAX_DOCUMENT_CHARS = 4 << 20  # a model package is SQL and YAML text: 4 MiB is plenty


@dataclass(frozen=True)
class Envelope:
    """A signed document as read, not yet verified: its header, payload bytes and signature."""

    text: str
    header: dict[str, Any]
    payload: bytes
    signature: bytes

    @property
    def issuer(self) -> str:
        return str(self.header.get("iss", ""))

    @property
    def kid(self) -> str:
        return str(self.header.get("kid", ""))

    @property
    def signing_input(self) -> bytes:
        return self.text.rsplit(".", 1)[0].encode("ascii")

    def document(self) -> dict[str, Any]:
        """The payload as JSON (call only after ``verify``)."""
        try:
            value = json.loads(self.payload.decode("utf-8"))
        except (UnicodeDecodeError, ValueError) as exc:
            raise PackageRefused(f"the signed document's payload is not JSON: {exc}") from None
        if not isinstance(value, dict):
            raise PackageRefused("the signed document's payload is not a JSON object")
        return value


def sign(key: HubKey, issuer: str, typ: str, document: dict[str, Any]) -> str:
    """``document`` signed by the hub identity ``key`` of hub ``issuer``, as a compact JWS."""
    header = {"alg": "EdDSA", "iss": issuer, "kid": key.kid, "typ": typ}
    signing_input = f"{b64url(canonical_json(header))}.{b64url(canonical_json(document))}"
    return f"{signing_input}.{b64url(key.private.sign(signing_input.encode('ascii')))}"


def read(text: str, typ: str, what: str) -> Envelope:
    """Split a signed document of type ``typ``; ``PackageRefused`` if it is not one (damaged)."""
    stripped = text.strip()
    if len(stripped) > MAX_DOCUMENT_CHARS or not _COMPACT.fullmatch(stripped):
        raise PackageRefused(f"{what} is not a signed {typ} document (three base64url parts joined by dots): "
                             "damaged or altered")
    head, body, sig = stripped.split(".")
    try:
        header = json.loads(b64url_decode(head).decode("utf-8"))
        payload, signature = b64url_decode(body), b64url_decode(sig)
    except (ValueError, UnicodeDecodeError):
        raise PackageRefused(f"{what} is damaged or altered: its header or signature does not decode") from None
    if not isinstance(header, dict) or header.get("typ") != typ or header.get("alg") != "EdDSA":
        raise PackageRefused(f"{what} is not a {typ} document signed with EdDSA (header: {str(header)[:120]})")
    if not isinstance(header.get("iss"), str) or not isinstance(header.get("kid"), str):
        raise PackageRefused(f"{what} names no publishing hub (`iss`) and key (`kid`) in its header")
    return Envelope(stripped, header, payload, signature)


def verify(envelope: Envelope, keys: list[dict[str, Any]], what: str) -> None:
    """Raise unless ``envelope`` is signed by the key its header names, among the publisher's ``keys``."""
    jwk = next((k for k in keys if k.get("kid") == envelope.kid), None)
    if jwk is None:
        raise PublisherRefused(f"{what} is signed by key `{envelope.kid}`, which is not a registered key of "
                               f"publisher `{envelope.issuer}` (re-register the publisher after a key rotation)")
    try:
        jwk_public_key(jwk).verify(envelope.signature, envelope.signing_input)
    except (InvalidSignature, EvidenceError):
        raise PackageRefused(f"{what}: the signature of `{envelope.issuer}` does not verify — the document was "
                             "altered after it was signed (tampered), or forged") from None
