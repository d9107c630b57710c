"""Access tokens: fetched with a client assertion, cached, renewed before they expire.

A token is kept until ``renew_before`` of its lifetime is left (a fifth of it, at
least 10 s), then replaced before the next request, so no request is sent with a
token about to expire.  The clock is injectable (``clock``: seconds, monotonic), so a
test can move time without waiting.  ``invalidate`` drops the cached token — after a
401, say, when the hub rotated its keys or restarted with other ones.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

import httpx

from hub.client.credentials import ASSERTION_TYPE, Credentials
from hub.client.errors import ClientError
from hub.client.transport import Retry, exchange

MIN_MARGIN_S = 10.0


@dataclass(frozen=True)
class AccessToken:
    """A bearer token and when (on the client's clock) it stops being used."""

    value: str
    expires_in: int
    obtained_at: float

    @property
    def expires_at(self) -> float:
        return self.obtained_at + self.expires_in

    @property
    def renew_at(self) -> float:
        return self.expires_at - max(MIN_MARGIN_S, self.expires_in / 5)


class TokenSource:
    """The client's access token, fetched on first use and renewed ahead of expiry."""

    def __init__(self, credentials: Credentials, token_url: str, http: httpx.Client, retry: Retry,
                 clock: Callable[[], float] = time.monotonic, audience: str | None = None) -> None:
        self.credentials = credentials
        self.token_url = token_url
        self.audience = audience or token_url  # the hub's public token URL (differs only behind a tunnel)
        self.http = http
        self.retry = retry
        self.clock = clock
        self.current: AccessToken | None = None
        self.fetched = 0  # how many tokens were obtained

    def token(self) -> str:
        """A token good for a while yet (fetching a new one when due)."""
        if self.current is None or self.clock() >= self.current.renew_at:
            self.current = self.fetch()
        return self.current.value

    def invalidate(self) -> None:
        self.current = None

    def fetch(self) -> AccessToken:
        """A new token from ``POST /oauth/token`` (a fresh assertion on every attempt)."""
        def send() -> httpx.Response:
            form = {"grant_type": "client_credentials", "client_assertion_type": ASSERTION_TYPE,
                    "client_assertion": self.credentials.assertion(self.audience)}
            return self.http.post(self.token_url, data=form)

        with exchange(send, self.retry) as response:
            body = response.json()
        try:
            token = AccessToken(str(body["access_token"]), int(body["expires_in"]), self.clock())
        except (KeyError, TypeError, ValueError):
            raise ClientError(f"the token answer of {self.token_url} lacks access_token or expires_in") from None
        self.fetched += 1
        return token
