"""The configured sources: every default source, plus and over them ``hub.yaml``.

A connector that declares ``sandbox=`` (the four built-in profiles) is a *default
source*: it is configured against the hub's sandbox (``$HUB_HOME/sandbox``, or the
directory ``hub run --sandbox`` names) without any configuration.  ``hub.yaml``
*adds* sources served by any installed connector (``connector: NAME``) and
*overrides* a default source by name — its settings are laid over the sandbox ones,
or replace them when they name another connector.  A default source is never
dropped silently: only ``enabled: false`` in ``hub.yaml`` turns one off, and
``hub config show`` prints every source with where its configuration came from::

    sources:
      finance: {url: "postgresql+psycopg://hub:${FINANCE_DB_PASSWORD}@db/finance"}
      statistics: {enabled: false}
      city_grants: {connector: city_grants, path: /data/grants.csv}
      grants_db: {connector: sql, provider: city, url: "sqlite:////data/g.sqlite", tables: [...]}

``provider`` (a registered provider code, or ``{code, name_zh, …}`` to declare one)
overrides the connector's declared provider.  ``${ENV}`` in any string is replaced by
the environment variable (secrets stay out of the file).
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from connectors.errors import ConnectorConfigError, ConnectorNotFound
from connectors.provider import Provider
from connectors.registry import discover, get_connector
from connectors.sdk import ConnectorDef, SandboxEnv, Source

_ENV = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)\}")
_NAME = re.compile(r"^[a-z_][a-z0-9_]*$")
_HUB_KEYS = ("connector", "enabled", "provider")  # keys of hub.yaml the hub reads, not the connector


@dataclass(frozen=True)
class Configured:
    """One effective source: its connector, provider, where its config came from, and the source."""

    name: str
    connector: str
    origin: str  # sandbox | hub.yaml | hub.yaml over sandbox | hub.yaml (replaces the default) | disabled
    settings: dict[str, Any] = field(default_factory=dict)  # secrets masked
    source: Source | None = None  # None when disabled

    @property
    def enabled(self) -> bool:
        return self.source is not None


def substitute_env(value: Any, where: str = "hub.yaml") -> Any:
    """``${NAME}`` in every string of ``value`` replaced by the environment variable."""
    if isinstance(value, dict):
        return {k: substitute_env(v, f"{where}.{k}") for k, v in value.items()}
    if isinstance(value, list):
        return [substitute_env(v, where) for v in value]
    if not isinstance(value, str):
        return value

    def one(match: re.Match[str]) -> str:
        if match[1] not in os.environ:
            raise ConnectorConfigError(
                f"{where} refers to ${{{match[1]}}}, which is not set in the environment"
            )
        return os.environ[match[1]]

    return _ENV.sub(one, value)


def read_hub_yaml(home: Path) -> dict[str, dict[str, Any]]:
    """The ``sources`` mapping of ``home/hub.yaml`` with ``${ENV}`` substituted ({} when absent)."""
    path = home / "hub.yaml"
    if not path.exists():
        return {}
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except yaml.YAMLError as exc:
        raise ConnectorConfigError(f"{path} is not valid YAML: {exc}") from None
    sources = data.get("sources", {}) if isinstance(data, dict) else None
    if not isinstance(sources, dict) or not all(isinstance(v, dict) for v in sources.values()):
        raise ConnectorConfigError(f"{path}: `sources` must map source names to settings")
    for name in sources:
        if not isinstance(name, str) or not _NAME.fullmatch(name):
            raise ConnectorConfigError(f"{path}: source name `{name}` must be lower-case letters, digits, _")
    return substitute_env(sources, f"{path.name}:sources")


def default_sources(env: SandboxEnv) -> dict[str, tuple[ConnectorDef, dict[str, Any]]]:
    """Every installed connector that declares a sandbox config, with that config."""
    return {name: (cdef, dict(cdef.sandbox(env))) for name, cdef in discover().items() if cdef.sandbox}


def _provider(value: Any, name: str) -> Provider | str | None:
    if value is None or isinstance(value, str):
        return value
    try:
        return Provider.model_validate(value)
    except ValidationError as exc:
        problems = "; ".join(f"{'.'.join(map(str, e['loc'])) or 'provider'}: {e['msg']}" for e in exc.errors())
        raise ConnectorConfigError(f"hub.yaml: source `{name}`: bad provider: {problems}") from None


def _masked(cdef: ConnectorDef, config: dict[str, Any]) -> dict[str, Any]:
    """The validated config as JSON with secrets shown as stars."""
    return cdef.validate_config(config).model_dump(mode="json")


def _build(name: str, cdef: ConnectorDef, config: dict[str, Any], provider: Provider | str | None) -> Source:
    if "source" in cdef.config_model.model_fields:  # generic kinds name their source in their config
        config = {**config, "source": name}
    return cdef.build(config, name, provider)


def _one(name: str, default: tuple[ConnectorDef, dict[str, Any]] | None,
         override: dict[str, Any] | None) -> Configured:
    settings = dict(override or {})
    hub_keys = {k: settings.pop(k) for k in _HUB_KEYS if k in settings}
    kind = hub_keys.get("connector")
    if default is None and not kind:
        raise ConnectorConfigError(f"hub.yaml: source `{name}` needs `connector: NAME`")
    if kind and (default is None or kind != default[0].name):
        try:
            cdef = get_connector(kind)
        except ConnectorNotFound as exc:
            raise ConnectorConfigError(f"hub.yaml: source `{name}`: {exc} (`hub connector list`)") from None
    else:
        assert default is not None
        cdef = default[0]
    if default is None or cdef is not default[0]:
        config, origin = settings, "hub.yaml" if default is None else "hub.yaml (replaces the default)"
    else:
        config = {**default[1], **settings}
        origin = "hub.yaml over sandbox" if override is not None else "sandbox"
    if hub_keys.get("enabled", True) is False:
        return Configured(name, cdef.name, "disabled in hub.yaml")
    source = _build(name, cdef, config, _provider(hub_keys.get("provider"), name))
    return Configured(name, cdef.name, origin, _masked(cdef, config), source)


def effective_sources(home: Path, env: SandboxEnv) -> list[Configured]:
    """Every source: the default ones (sandbox), then hub.yaml's additions; overrides by name."""
    overrides = read_hub_yaml(home)
    defaults = default_sources(env)
    names = [*defaults, *(n for n in overrides if n not in defaults)]
    return [_one(name, defaults.get(name), overrides.get(name)) for name in names]


def load_sources(home: Path, env: SandboxEnv) -> list[Source]:
    """The enabled sources, ready to ingest (nothing is contacted)."""
    return [c.source for c in effective_sources(home, env) if c.source is not None]
