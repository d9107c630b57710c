"""Files the distribution ships beside the code, located through ``importlib.resources``.

The Rego policies (``policies/`` in the repository) and the SQLMesh project
(``transforms/``) are the data packages ``hub.packaged.policies`` and
``hub.packaged.transforms`` (``setup.py`` maps them), so a wheel carries them and an
installed hub finds them where it was installed — never relative to a checkout.  In an
editable install the same names resolve to the checkout's folders.

SQLMesh caches parsed models in its project folder; an installed, read-only project
gets its cache under the user's cache directory instead (``sqlmesh_cache_dir``).
"""

from __future__ import annotations

import os
from importlib import resources
from pathlib import Path

from hub.errors import HubError

POLICIES = "hub.packaged.policies"
TRANSFORMS = "hub.packaged.transforms"


class PackagedDataMissing(HubError):
    """A data package of the distribution is absent or not on the file system."""

    title = "installation incomplete"


def _directory(package: str) -> Path:
    try:
        found = resources.files(package)
    except ModuleNotFoundError:
        raise PackagedDataMissing(f"package data `{package}` is not installed: reinstall the hub") from None
    if not isinstance(found, Path) or not found.is_dir():  # a zip import: SQLMesh and regopy need files
        raise PackagedDataMissing(f"package data `{package}` is not a folder on disk ({found}): "
                                  "install the hub from a wheel or a checkout, not a zip archive")
    return found


def policies_dir() -> Path:
    """The Rego policy folder (``hub/*.rego``, ``tests/*.yaml``)."""
    return _directory(POLICIES)


def policy_cases_dir() -> Path:
    """The table-driven policy cases (``policies/tests``)."""
    return policies_dir() / "tests"


def transforms_dir() -> Path:
    """The SQLMesh project folder (``models/``, ``audits/``, ``macros/``, ``tests/``)."""
    return _directory(TRANSFORMS)


def sqlmesh_cache_dir(project: Path | None = None) -> Path:
    """Where SQLMesh caches the project: its own ``.cache`` if writable, else the user's cache folder."""
    project = project or transforms_dir()
    if os.access(project, os.W_OK):
        return project / ".cache"
    base = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
    return base / "huitong" / "sqlmesh"
