"""A process-wide progress reporter the asset bodies call (no-op by default).

``hub run`` installs a rich progress display; Dagster runs in-process, so the
assets report straight to it.  In ``dagster dev`` nothing is installed and the
calls cost nothing.
"""

from __future__ import annotations

from collections.abc import Callable

Reporter = Callable[[str, str], None]  # (step, message)

_reporter: Reporter | None = None


def install(reporter: Reporter | None) -> None:
    global _reporter
    _reporter = reporter


def report(step: str, message: str = "") -> None:
    if _reporter is not None:
        _reporter(step, message)
