"""What the API's routers share: store, key store, token rules, audit callable.

One small dataclass on ``app.state.ctx``; routers take it with
``Depends(get_context)`` instead of reaching for globals.  ``audit`` is the
audit log's append for events outside a store transaction (token events); a
call that raises means the audit log is down and the request must fail closed.
"""

from __future__ import annotations

import functools
import ipaddress
from collections.abc import Callable
from dataclasses import dataclass

from fastapi import Request

from hub.events import Audit
from hub.keys import KeyStore
from hub.settings import Settings
from hub.store.db import Store
from hub.tokens import TokenConfig

ReadinessProbe = Callable[[], bool]


@dataclass
class ApiContext:
    settings: Settings
    store: Store
    keys: KeyStore
    tokens: TokenConfig
    audit: Audit


async def get_context(request: Request) -> ApiContext:
    """FastAPI dependency: the ``ApiContext`` of the running app (async: no worker-thread hop)."""
    ctx: ApiContext = request.app.state.ctx
    return ctx


def client_ip(request: Request) -> str | None:
    """The client's IP address: the peer's, or (``HUB_TRUSTED_PROXIES``) the first untrusted
    hop of ``X-Forwarded-For``; None when that is not an IP address."""
    host = request.client.host if request.client else None
    return _normal_ip(host) if host else None


@functools.lru_cache(maxsize=4096)
def _normal_ip(host: str) -> str | None:
    """``host`` as an IP address in its normal form, None when it is not one (parsed once per address)."""
    try:
        return str(ipaddress.ip_address(host))
    except ValueError:
        return None


def request_id(request: Request) -> str | None:
    return getattr(request.state, "request_id", None)
