"""A PostgreSQL server of one test's own, which the test may stop and start at will.

The shared cluster (``postgres_server``) serves every helper's tests at once and must
never be stopped; fault tests take a ``PrivateCluster`` instead: ``initdb`` into a
fresh directory, a Unix socket in that directory (no TCP port to collide on),
``trust`` authentication for the ``postgres`` role.  Run as root, the server runs as
the ``postgres`` system user (``runuser``); otherwise as the current user.

``stop()`` is ``pg_ctl stop -m immediate`` — the server dies like a crashed one and
recovers on ``start()`` — and ``copy_store`` fills a database from another store
(a world built on SQLite, moved to PostgreSQL with its audit chain intact).
"""

from __future__ import annotations

import contextlib
import glob
import os
import pwd
import shutil
import subprocess
import tempfile
from pathlib import Path

from sqlalchemy import Integer, insert, select, text

from hub.store.db import Store, open_store

PORT = 5432  # per socket directory: never collides with another server's


def binaries() -> Path | None:
    """The newest installed PostgreSQL server's bin directory, or None."""
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"), key=lambda p: int(Path(p).parts[4]))
    if found:
        return Path(found[-1]).parent
    initdb = shutil.which("initdb")
    return Path(initdb).parent if initdb else None


class PrivateCluster:
    """One private PostgreSQL instance (see the module docstring)."""

    def __init__(self, bindir: Path) -> None:
        self.bindir = bindir
        self.root = Path(tempfile.mkdtemp(prefix="hub-pg-"))  # short: socket paths are limited to 107 bytes
        self.data = self.root / "data"
        self.as_postgres = os.geteuid() == 0
        if self.as_postgres:
            entry = pwd.getpwnam("postgres")
            os.chown(self.root, entry.pw_uid, entry.pw_gid)
        self.root.chmod(0o755)  # the test process reaches the socket in it
        self._run("initdb", "-D", str(self.data), "-U", "postgres", "-A", "trust", "-E", "UTF8",
                  "--locale=C", "--no-sync")

    def _run(self, tool: str, *args: str) -> subprocess.CompletedProcess[str]:
        command = [str(self.bindir / tool), *args]
        if self.as_postgres:
            command = ["runuser", "-u", "postgres", "--", *command]
        done = subprocess.run(command, capture_output=True, text=True, timeout=120)
        if done.returncode != 0:
            raise RuntimeError(f"{tool} failed ({done.returncode}): {done.stderr.strip()[-500:]}")
        return done

    def start(self) -> None:
        """Start (or restart after ``stop``) and wait until it accepts connections."""
        options = (f"-k {self.root} -p {PORT} -c listen_addresses='' -c fsync=off "
                   "-c max_connections=60 -c shared_buffers=16MB")
        self._run("pg_ctl", "-D", str(self.data), "-l", str(self.root / "server.log"), "-o", options,
                  "-w", "-t", "60", "start")

    def stop(self, mode: str = "immediate") -> None:
        """Stop the server; ``immediate`` kills it as a crash would."""
        self._run("pg_ctl", "-D", str(self.data), "-m", mode, "-w", "stop")

    def running(self) -> bool:
        return (self.data / "postmaster.pid").exists()

    def url(self, database: str) -> str:
        return f"postgresql+psycopg://postgres@/{database}?host={self.root}&port={PORT}"

    def create_database(self, name: str) -> str:
        """Create database ``name``; return its SQLAlchemy URL."""
        import psycopg

        with psycopg.connect(host=str(self.root), port=PORT, user="postgres", dbname="postgres",
                             autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
        return self.url(name)

    def destroy(self) -> None:
        if self.running():
            with contextlib.suppress(RuntimeError):
                self.stop()
        shutil.rmtree(self.root, ignore_errors=True)


def copy_store(source: Store, url: str) -> Store:
    """A store at ``url`` (migrated to head) holding every row of ``source``, sequences advanced."""
    from hub.store.models import Base

    target = open_store(url)
    with source.engine.connect() as src, target.engine.begin() as dst:
        for table in Base.metadata.sorted_tables:
            rows = [dict(row._mapping) for row in src.execute(select(table))]
            if table.name == "hub_identity":  # the same hub, moved: its id, not the one migration 0016 made
                dst.execute(table.delete())
            if rows:
                dst.execute(insert(table), rows)
            keys = list(table.primary_key.columns)
            if len(keys) == 1 and isinstance(keys[0].type, Integer) and keys[0].autoincrement in (True, "auto"):
                dst.execute(text(f"SELECT setval(pg_get_serial_sequence('{table.name}', '{keys[0].name}'), "
                                 f"GREATEST((SELECT max({keys[0].name}) FROM {table.name}), 1))"))
    return target
