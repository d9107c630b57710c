"""Connectors: the SDK for declaring sources, and the built-in kinds and profiles.

A connector (``@connector``) builds the resources (``@resource``) of one source
system from its pydantic config; each resource declares its Arrow schema, primary
key, cursor and write disposition, and yields Arrow batches and ``Reject`` rows.
A connector declares its ``Provider`` (department), each resource a ``Draft``
catalog entry, and optionally SQLMesh models it ships (``transforms=``).
Connectors are discovered through the ``hub.connectors`` entry point group
(``connectors.registry``); the warehouse loader is ``hub.warehouse``.
"""

from connectors.draft import Draft
from connectors.errors import (
    ConnectorConfigError,
    ConnectorError,
    ConnectorNotFound,
    SchemaMismatch,
    SourceUnavailable,
)
from connectors.provider import Provider
from connectors.schema import arrow_schema
from connectors.sdk import (
    ConnectorDef,
    Cursor,
    Incremental,
    Reject,
    Resource,
    SandboxEnv,
    Source,
    connector,
    file_names,
    incremental,
    page_token,
    pulled_version,
    resource,
)

__all__ = [
    "ConnectorConfigError",
    "ConnectorDef",
    "ConnectorError",
    "ConnectorNotFound",
    "Cursor",
    "Draft",
    "Incremental",
    "Provider",
    "Reject",
    "Resource",
    "SandboxEnv",
    "SchemaMismatch",
    "Source",
    "SourceUnavailable",
    "arrow_schema",
    "connector",
    "file_names",
    "incremental",
    "page_token",
    "pulled_version",
    "resource",
]
