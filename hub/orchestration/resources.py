"""The Dagster resource through which every asset reaches the hub's state.

``HubResource`` is configuration only (paths and URLs); it opens the metadata
store and builds the source profiles on demand.  The real configuration points
at ``HUB_HOME`` and the configured sources; the sandbox configuration adds the
sandbox directory and the URL of the sandbox statistics API started by
``hub run --sandbox``.
"""

from __future__ import annotations

import json
from datetime import date
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING

from dagster import ConfigurableResource

from connectors.sdk import Source
from hub.events import EventSink

if TYPE_CHECKING:
    from hub.audit.log import AuditLog
    from hub.model_packages import Refusal
    from hub.project import Project
from hub.settings import Settings, load_settings
from hub.store import Store, open_store


class HubResource(ConfigurableResource):  # type: ignore[misc]
    """Paths and URLs of one hub; everything else is derived."""

    home: str
    sandbox: str | None = None
    statistics_url: str | None = None
    as_of: str | None = None

    @cached_property
    def settings(self) -> Settings:
        return load_settings(home=Path(self.home))

    @cached_property
    def store(self) -> Store:
        return open_store(self.settings.metadata_url)

    @property
    def warehouse_path(self) -> Path:
        return self.settings.warehouse_path

    @property
    def sandbox_dir(self) -> Path | None:
        return Path(self.sandbox) if self.sandbox else None

    def resolved_as_of(self) -> str:
        """``as_of`` as configured, else the sandbox manifest's, else today (the run date)."""
        if self.as_of:
            return self.as_of
        manifest = (self.sandbox_dir or self.settings.sandbox_dir) / "manifest.json"
        if manifest.exists():
            return str(json.loads(manifest.read_text(encoding="utf-8"))["as_of"])
        return date.today().isoformat()

    def sources(self) -> list[Source]:
        """The configured sources (sandbox profiles, or ``hub.yaml``)."""
        from connectors.profiles import load_profiles

        return load_profiles(self.settings, sandbox_dir=self.sandbox_dir, statistics_url=self.statistics_url)

    def project(self) -> tuple[Project, list[Refusal]]:
        """The SQLMesh project of the configured sources, with the connector model packages and the
        hub's own model packages (``hub.federation.local``: authored or installed) that validate."""
        from hub.federation.local import project_packages
        from hub.model_packages import accept, packages_of
        from hub.project import Project

        sources = self.sources()
        with self.store.session() as session:
            models, refused = project_packages(self.settings, session)
        project, rejected = accept(Project.from_sources(sources), [*packages_of(sources), *models])
        return project, [*refused, *rejected]

    @cached_property
    def audit_log(self) -> AuditLog:
        from hub.audit.log import AuditLog

        return AuditLog.from_settings(self.store, self.settings)

    def event_sink(self) -> EventSink:
        """The audit log's in-transaction sink (events commit with the change)."""
        return self.audit_log.sink
