"""The hub's state directory (``HUB_HOME``): private to the user the hub runs as.

The warehouse, the published Parquet snapshots and ``hub.sqlite`` hold clear personal
data (resident ID numbers until the encryption work removes them), and ``keys/`` the
hub's signing keys.  Whatever the caller's umask, the hub creates files 0600 and
directories 0700: ``private_files`` sets the process umask to 077 at every entry
point (the ``hub`` command, the Dagster code location, the demo), which holds for
every library that creates files in the process — DuckDB, SQLite and its WAL,
pyarrow, SQLMesh, Dagster's storage — and is inherited by the processes it starts
(``hub ui``'s Dagster, ``hub serve`` workers).  ``HUB_HOME`` itself is made (or
tightened to) 0700, which also closes a home created earlier under a looser umask.
"""

from __future__ import annotations

import contextlib
import os
import stat
from pathlib import Path

PRIVATE_UMASK = 0o077
PRIVATE_DIR = 0o700


def private_files(home: Path | None = None) -> None:
    """Make every file the process creates from now on private; make ``home`` 0700."""
    os.umask(PRIVATE_UMASK)
    if home is not None:
        secure_home(home)


def secure_home(home: Path) -> None:
    """Create ``home`` 0700, or tighten it to 0700 if the hub's user owns it."""
    home.mkdir(parents=True, exist_ok=True, mode=PRIVATE_DIR)
    with contextlib.suppress(OSError):  # not ours (a shared mount): its owner's choice
        info = home.stat()
        if info.st_uid == os.getuid() and stat.S_IMODE(info.st_mode) & ~PRIVATE_DIR:
            home.chmod(PRIVATE_DIR)


def secure_configured_home() -> None:
    """Tighten the configured ``HUB_HOME`` if it exists (a bad setting is left for the command to report)."""
    from hub.errors import SettingsError
    from hub.settings import get_settings

    try:
        home = get_settings().home
    except SettingsError:
        return
    if home.exists():
        secure_home(home)
