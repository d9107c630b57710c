"""The canonical JSON encoding that audit hashes and signatures are computed over.

``canonical_json(value)`` is ``json.dumps`` with sorted keys, ``ensure_ascii=False``,
separators ``(",", ":")``, encoded as UTF-8.  Only ``null``, booleans, integers,
strings, lists and objects with string keys are allowed: floats are refused (their
text form is not portable), so amounts travel as integers or decimal strings.
``docs/audit.md`` specifies the same encoding for third-party verifiers.
"""

from __future__ import annotations

import base64
import hashlib
import json
from typing import Any

from hub.audit.errors import AuditInvalid

_ENCODER = json.JSONEncoder(sort_keys=True, ensure_ascii=False, separators=(",", ":"), allow_nan=False)
canonical_text = _ENCODER.encode  # the canonical JSON text of a valid value (``json.dumps`` with those options)


def canonical_json(value: Any) -> bytes:
    """The canonical UTF-8 bytes of ``value`` (which must already be valid, see ``check_json``)."""
    return canonical_text(value).encode("utf-8")


def sha256_hex(data: bytes) -> str:
    """Lower-case hex SHA-256 of ``data``."""
    return hashlib.sha256(data).hexdigest()


def b64url(data: bytes) -> str:
    """Base64url without padding (RFC 7515 §2)."""
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def b64url_decode(text: str) -> bytes:
    """Inverse of ``b64url``; raises ``ValueError`` on bad input."""
    padded = text + "=" * (-len(text) % 4)
    return base64.urlsafe_b64decode(padded.encode("ascii"))


def check_json(value: Any, where: str) -> None:
    """Refuse anything the canonical encoding does not allow, naming where it is."""
    if value is None or isinstance(value, bool | int):
        return
    if isinstance(value, str):
        if "\x00" in value:
            raise AuditInvalid(f"audit field `{where}` contains a NUL character", field=where)
        return
    if isinstance(value, float):
        raise AuditInvalid(
            f"audit field `{where}` is a float; use an integer or a decimal string", field=where
        )
    if isinstance(value, list | tuple):
        for i, item in enumerate(value):
            check_json(item, f"{where}[{i}]")
        return
    if isinstance(value, dict):
        for key, item in value.items():
            if not isinstance(key, str):
                raise AuditInvalid(f"audit field `{where}` has a non-string key {key!r}", field=where)
            check_json(item, f"{where}.{key}")
        return
    raise AuditInvalid(
        f"audit field `{where}` has a {type(value).__name__}, not a JSON value", field=where
    )
