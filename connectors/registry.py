"""Discovery of installed connectors through the ``hub.connectors`` entry point group.

Built-in kinds and profiles register exactly as third-party packages do (see
``pyproject.toml``).  A plugin that fails to import, or that points at something
that is not a connector, is reported as a ``PluginWarning`` naming it; the others
still load.
"""

from __future__ import annotations

import logging
import warnings
from importlib.metadata import EntryPoint, entry_points

from connectors.errors import ConnectorNotFound
from connectors.sdk import ConnectorDef

GROUP = "hub.connectors"
log = logging.getLogger(__name__)


class PluginWarning(UserWarning):
    """An installed connector plugin could not be loaded."""


def _load(ep: EntryPoint) -> ConnectorDef | None:
    try:
        obj = ep.load()
    except Exception as exc:  # noqa: BLE001 - any plugin failure is a warning, not a crash
        problem = f"{type(exc).__name__}: {exc}"
    else:
        if isinstance(obj, ConnectorDef):
            return obj
        problem = f"{ep.value} is a {type(obj).__name__}, not a connector (use @connector)"
    message = f"connector plugin `{ep.name}` failed to load: {problem}"
    log.warning(message)
    warnings.warn(message, PluginWarning, stacklevel=3)
    return None


def discover() -> dict[str, ConnectorDef]:
    """Every loadable installed connector by entry-point name; broken ones warn."""
    found: dict[str, ConnectorDef] = {}
    for ep in sorted(entry_points(group=GROUP), key=lambda e: e.name):
        loaded = _load(ep)
        if loaded is not None:
            found[ep.name] = loaded
    return found


def get_connector(name: str) -> ConnectorDef:
    """The installed connector called ``name``; ``ConnectorNotFound`` otherwise."""
    for ep in entry_points(group=GROUP, name=name):
        loaded = _load(ep)
        if loaded is not None:
            return loaded
        raise ConnectorNotFound(f"connector `{name}` is installed but failed to load")
    raise ConnectorNotFound(f"no installed connector `{name}` (entry point group {GROUP})")
