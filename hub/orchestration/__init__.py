"""Dagster orchestration: the hub's assets, checks, jobs, schedules and sensor.

``dagster dev -m hub.orchestration`` (or ``hub ui``) loads ``defs``; ``hub run``
materializes the same assets in-process (``hub.pipeline``).  ``defs`` is built on
first access (PEP 562), so importing a submodule stays cheap.
"""

from __future__ import annotations

from typing import Any

from hub.orchestration.definitions import build_definitions

__all__ = ["build_definitions", "defs"]


def __getattr__(name: str) -> Any:
    if name == "defs":
        from hub.home import private_files

        private_files()  # `dagster dev|webserver|daemon -m hub.orchestration`: files under HUB_HOME stay private
        value = build_definitions()
        globals()["defs"] = value
        return value
    raise AttributeError(name)


def __dir__() -> list[str]:
    return [*globals(), "defs"]
