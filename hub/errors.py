"""The hub's exception hierarchy.

One base class, subclasses that carry context and, at the API edge, an HTTP
status.  ``retryable`` separates transient faults (a source's 503, a locked
database) from terminal ones (a schema mismatch, a bad setting).
"""

from __future__ import annotations


class HubError(Exception):
    """Base of every error the hub raises on purpose."""

    status: int = 500
    title: str = "hub error"
    retryable: bool = False

    def __init__(self, message: str, **context: object) -> None:
        super().__init__(message)
        self.message = message
        self.context = context

    def __str__(self) -> str:
        return self.message


class SettingsError(HubError):
    """A setting is missing or malformed; names the setting."""

    title = "invalid setting"


class NotAvailableYet(HubError):
    """A capability that a later milestone delivers."""

    status = 501
    title = "not available yet"

    def __init__(self, capability: str) -> None:
        super().__init__(f"not available yet: {capability}", capability=capability)


class NotFound(HubError):
    status = 404
    title = "not found"


class BadRequest(HubError):
    status = 400
    title = "bad request"


class Unauthorized(HubError):
    status = 401
    title = "unauthorized"


class Forbidden(HubError):
    status = 403
    title = "forbidden"


class Conflict(HubError):
    status = 409
    title = "conflict"


class Busy(HubError):
    """Bounded work is at its bound (e.g. the console's long jobs): retry when some has finished."""

    status = 429
    title = "too many requests"
    retryable = True


class Unavailable(HubError):
    """A dependency (policy engine, audit log, key store, source) is down."""

    status = 503
    title = "service unavailable"
    retryable = True
