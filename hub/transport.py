"""Transport security (传输安全): TLS for the API, partner client certificates, TLS to the store and OPA.

* ``server_ssl_options(settings)``: uvicorn's TLS options for ``hub serve --tls-cert
  --tls-key``: TLS 1.2 or newer only, the ECDHE + AEAD cipher suites for TLS 1.2
  (TLS 1.3's are all AEAD), no compression, no renegotiation; with
  ``HUB_TLS_CLIENT_CA`` the server asks for a client certificate (mutual TLS).
* ``certificate_thumbprint(der)``: the ``x5t#S256`` of a certificate (RFC 8705 §3.1):
  base64url SHA-256 of its DER.  A partner's registered thumbprint binds its client
  certificate to the partner, and access tokens issued over such a connection carry
  ``cnf: {"x5t#S256": …}``; a request presenting such a token over a connection
  without that certificate is refused (``hub.tokens``).
* ``store_tls_problem(database_url, opa_url)``: with ``HUB_REQUIRE_TLS``, a PostgreSQL
  store must use ``sslmode=verify-full`` (certificate and host name checked) and an
  OPA server ``https://``.
"""

from __future__ import annotations

import base64
import hashlib
import ssl
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from hub.settings import Settings

# TLS 1.2: forward secrecy and AEAD only (TLS 1.3 suites are fixed by OpenSSL and all AEAD)
TLS12_CIPHERS = "ECDHE+AESGCM:ECDHE+CHACHA20:!aNULL:!eNULL:!MD5:!SHA1:!RC4:!3DES"


def server_ssl_options(settings: Settings) -> dict[str, Any]:
    """The uvicorn ``ssl_*`` options of ``settings`` (empty: plain HTTP)."""
    if settings.tls_cert is None or settings.tls_key is None:
        return {}
    options: dict[str, Any] = {
        "ssl_certfile": str(settings.tls_cert), "ssl_keyfile": str(settings.tls_key),
        "ssl_ciphers": TLS12_CIPHERS, "ssl_version": ssl.PROTOCOL_TLS_SERVER,
        "ssl_context_factory": hardened_context,  # in every worker process too (hub serve --workers)
    }
    if settings.tls_client_ca is not None:
        options["ssl_ca_certs"] = str(settings.tls_client_ca)
        options["ssl_cert_reqs"] = ssl.CERT_REQUIRED if settings.tls_client_auth == "required" else ssl.CERT_OPTIONAL
    return options


def hardened_context(config: Any, default: Callable[[], ssl.SSLContext]) -> ssl.SSLContext:
    """uvicorn's ``ssl_context_factory``: its context from the ``ssl_*`` options, then ``harden``ed."""
    return harden(default())


def harden(context: ssl.SSLContext) -> ssl.SSLContext:
    """TLS 1.2 as the floor, no compression or renegotiation, the AEAD suites above."""
    context.minimum_version = ssl.TLSVersion.TLSv1_2
    context.options |= ssl.OP_NO_COMPRESSION | getattr(ssl, "OP_NO_RENEGOTIATION", 0)
    context.set_ciphers(TLS12_CIPHERS)
    return context


def certificate_thumbprint(der: bytes) -> str:
    """``x5t#S256`` of a DER certificate: base64url (no padding) of its SHA-256."""
    return base64.urlsafe_b64encode(hashlib.sha256(der).digest()).rstrip(b"=").decode("ascii")


def pem_thumbprint(pem: bytes) -> str:
    """``x5t#S256`` of a PEM certificate; ``ValueError`` if it is not one."""
    from cryptography import x509
    from cryptography.hazmat.primitives.serialization import Encoding

    return certificate_thumbprint(x509.load_pem_x509_certificate(pem).public_bytes(Encoding.DER))


def scope_thumbprint(scope: Mapping[str, Any]) -> str | None:
    """``x5t#S256`` of the client certificate the connection presented (ASGI ``tls`` extension), or None."""
    tls = (scope.get("extensions") or {}).get("tls") or {}
    chain = tls.get("client_cert_chain") or []
    if not chain:
        return None
    return certificate_thumbprint(ssl.PEM_cert_to_DER_cert(chain[0]))


def store_tls_problem(database_url: str | None, opa_url: str | None) -> str | None:
    """What keeps the store or OPA connection from being verified TLS, or None."""
    if database_url:
        from sqlalchemy.engine import make_url

        url = make_url(database_url)
        if url.get_backend_name() == "postgresql" and url.query.get("sslmode") != "verify-full":
            return "the PostgreSQL store URL must say sslmode=verify-full (and sslrootcert=CA file)"
    if opa_url and not opa_url.startswith("https://"):
        return "the OPA URL must be https://"
    return None
