"""Errors of the connector layer: one base, marked retryable or terminal.

``SourceUnavailable`` (a source's 429/503 after bounded retries, a timeout) is
retryable: the orchestrator may try the run again.  ``SchemaMismatch`` and
``ConnectorConfigError`` are terminal: a person must look.
"""

from __future__ import annotations

from hub.errors import HubError


class ConnectorError(HubError):
    """Base of every error the connector layer raises on purpose."""

    title = "connector error"


class ConnectorConfigError(ConnectorError):
    """A connector's configuration (hub.yaml, a profile, a plugin) is wrong; names it."""

    status = 400
    title = "invalid connector configuration"


class ConnectorNotFound(ConnectorError):
    """No installed connector has this name."""

    status = 404
    title = "connector not found"


class SchemaMismatch(ConnectorError):
    """A batch does not match the schema its resource declares; names the columns."""

    title = "schema mismatch"


class SourceUnavailable(ConnectorError):
    """A source did not answer after bounded retries (429, 503, timeout): retry later."""

    status = 503
    title = "source unavailable"
    retryable = True
