"""Lookup fingerprints for the audit record: enumeration is detectable, the values stay out of the log.

A partner that walks a dataset value by value (ID number after ID number) shows up as
many distinct filter values in a short time (``hub.awareness``, detector
``enumeration``).  The decision record carries, per filter (and ``match`` lookup, when
the request has them), ``column:op:`` and 16 hex digits of HMAC-SHA256 of the value
under a key derived from the hub's cursor secret: equal values give equal fingerprints,
so distinct values can be counted, while the value itself — often personal data —
never enters the audit log and cannot be recovered by hashing candidates without the key.
"""

from __future__ import annotations

import hashlib
import hmac
import re
from typing import Any

MAX_LOOKUPS = 50  # fingerprints kept per request


def lookup_key(secret: bytes) -> bytes:
    """The fingerprint key, separate from every other use of ``secret``."""
    return hashlib.sha256(b"hub-lookup-fingerprint\0" + secret).digest()


_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]{0,63}")


def _label(key: bytes, text: str) -> str:
    """A column or operator name as it is; anything else (the caller's free text: an ID number put
    where a column name goes) only as ``~`` + a keyed digest, like the value (issue 17)."""
    if _NAME.fullmatch(text):
        return text
    return "~" + hmac.new(key, b"label\0" + text.encode("utf-8", "surrogatepass"), hashlib.sha256).hexdigest()[:8]


def fingerprint(key: bytes, column: str, op: str, value: str) -> str:
    digest = hmac.new(key, f"{column}\0{value}".encode("utf-8", "surrogatepass"), hashlib.sha256).hexdigest()[:16]
    return f"{_label(key, column)}:{_label(key, op)}:{digest}"


def details(secret: bytes, query: Any) -> dict[str, Any]:
    """``{"lookups": [...]}`` for a request with filters or match lookups, else ``{}``."""
    if not getattr(query, "filters", None) and not getattr(query, "match", None):
        return {}
    key = lookup_key(secret)
    found: list[str] = []
    for raw in list(getattr(query, "filters", None) or []) + list(getattr(query, "match", None) or []):
        column, _, rest = str(raw).partition(":")
        op, sep, value = rest.partition(":")
        if not sep:  # `column:value` (a match lookup) rather than `column:op:value`
            op, value = "match", rest
        found.append(fingerprint(key, column, op, value))
        if len(found) >= MAX_LOOKUPS:
            break
    return {"lookups": found} if found else {}
