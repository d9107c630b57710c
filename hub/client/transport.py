"""Requests with retries: what the client does when the hub says "not now".

A ``429`` or ``503`` (and ``502``/``504`` from a proxy in front) means nothing was
delivered: the request is sent again after the ``Retry-After`` the hub named (seconds
or an HTTP date), else after an exponential backoff with jitter; so is a request whose
connection failed before an answer came.  ``sleep`` and ``random`` are injectable so
tests never wait.  Any other non-2xx answer is raised as ``ProblemError`` at once.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime

import httpx

from hub.client.errors import ClientError, ProblemError

RETRY_STATUSES = frozenset({429, 502, 503, 504})


@dataclass
class Retry:
    """How often and how long to wait (``attempts`` counts the first try)."""

    attempts: int = 8
    backoff_s: float = 0.5
    max_wait_s: float = 60.0
    sleep: Callable[[float], None] = time.sleep
    random: Callable[[], float] = random.random
    waits: list[float] = field(default_factory=list)  # every wait, for callers and tests to inspect

    def wait(self, attempt: int, response: httpx.Response | None) -> None:
        delay = retry_after(response) if response is not None else None
        if delay is None:
            delay = self.backoff_s * (2 ** attempt) * (0.5 + self.random() / 2)
        delay = min(max(delay, 0.0), self.max_wait_s)
        self.waits.append(delay)
        self.sleep(delay)


def retry_after(response: httpx.Response) -> float | None:
    """Seconds from a ``Retry-After`` header (delta-seconds or HTTP-date); None if absent or unreadable."""
    value = response.headers.get("retry-after", "").strip()
    if not value:
        return None
    if value.isdigit():
        return float(value)
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max((when - datetime.now(UTC)).total_seconds(), 0.0)


def problem_of(response: httpx.Response) -> ProblemError:
    """The ``ProblemError`` for an error answer (problem+json, or whatever text came)."""
    try:
        body = response.json()
    except ValueError:
        body = None
    if not isinstance(body, dict):
        body = {"title": response.reason_phrase.lower(), "detail": response.text[:300]}
    return ProblemError(response.status_code, body, str(response.request.url))


@contextmanager
def exchange(send: Callable[[], httpx.Response], retry: Retry) -> Iterator[httpx.Response]:
    """Send (again, while the hub says "retry"); yield the 2xx response, close it afterwards.

    ``send`` builds and sends a fresh request each time (a streamed one when the caller
    wants to read the body as it arrives).
    """
    last: Exception | None = None
    for attempt in range(retry.attempts):
        try:
            response = send()
        except httpx.TransportError as exc:  # nothing came back: safe to send again
            last = exc
            if attempt + 1 < retry.attempts:
                retry.wait(attempt, None)
            continue
        if response.status_code in RETRY_STATUSES:
            response.read()
            last = problem_of(response)
            response.close()
            if attempt + 1 < retry.attempts:
                retry.wait(attempt, response)
            continue
        try:
            if response.status_code >= 400:
                response.read()
                raise problem_of(response)
            yield response
        finally:
            response.close()
        return
    if isinstance(last, ProblemError):
        raise last
    raise ClientError(f"the hub could not be reached after {retry.attempts} attempts: {last}") from last
