"""Errors of the audit log: unavailable (fail closed), invalid events, bad evidence."""

from __future__ import annotations

from hub.errors import BadRequest, HubError, Unavailable


class AuditUnavailable(Unavailable):
    """An append could not be made durable; the request that needed it must be refused."""

    title = "audit log unavailable"


class AuditInvalid(BadRequest):
    """An event cannot be recorded as given (a float, an over-long field, ...); names the field."""

    title = "invalid audit event"


class EvidenceError(HubError):
    """An export file, receipt or public key is malformed; names the problem."""

    status = 400
    title = "malformed audit evidence"
