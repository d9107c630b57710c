"""Session fixtures: a real PostgreSQL server, isolated HUB_HOME per test; Hypothesis profiles.

Hypothesis runs under the ``ci`` profile when ``CI`` is set (``.ci/run`` sets it) or
``HYPOTHESIS_PROFILE=ci``: derandomized (the same inputs on every run, whatever the
machine), no example database, so a commit that changed nothing related cannot turn
CI red.  Inputs that ever failed are pinned in the tests with ``@example``.  Locally
the ``dev`` profile explores more inputs, at random, remembering failures in
``.hypothesis/`` (ignored by git).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import uuid
import warnings
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from hypothesis import HealthCheck
from hypothesis import settings as hypothesis_settings

hypothesis_settings.register_profile("ci", derandomize=True, database=None, max_examples=50, deadline=None,
                                     print_blob=True, suppress_health_check=[HealthCheck.function_scoped_fixture])
hypothesis_settings.register_profile("dev", max_examples=120, deadline=None,
                                     suppress_health_check=[HealthCheck.function_scoped_fixture])
hypothesis_settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE") or ("ci" if os.environ.get("CI") else "dev"))

with warnings.catch_warnings():
    # jieba 0.42's regexes hold invalid escapes; compile it once with that warning silenced
    warnings.simplefilter("ignore", DeprecationWarning)
    warnings.simplefilter("ignore", SyntaxWarning)
    import jieba  # noqa: F401
    import jieba.posseg  # noqa: F401

PG_CLUSTER = ("15", "main")


def _pg_connect(dbname: str = "postgres"):  # type: ignore[no-untyped-def]
    import psycopg

    return psycopg.connect(dbname=dbname, autocommit=True, connect_timeout=3)


def _start_postgres() -> str | None:
    """Reach the local PostgreSQL server, starting the Debian cluster if it is down."""
    try:
        _pg_connect().close()
        return None
    except Exception as first:  # noqa: BLE001 - any failure means "try to start it"
        if shutil.which("pg_ctlcluster"):
            subprocess.run(["pg_ctlcluster", *PG_CLUSTER, "start"], capture_output=True)
        try:
            _pg_connect().close()
            return None
        except Exception as exc:  # noqa: BLE001
            return f"PostgreSQL unreachable ({first!s:.80}; after start: {exc!s:.80})"


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[None]:
    """A running PostgreSQL server; skipped only when none can be started.

    ``.ci/run`` installs PostgreSQL and sets ``HUB_REQUIRE_POSTGRES=1``, so in CI a
    missing server fails the run instead of skipping.
    """
    problem = _start_postgres()
    if problem:
        if os.environ.get("HUB_REQUIRE_POSTGRES") == "1":
            pytest.fail(problem)
        pytest.skip(problem)
    yield


@pytest.fixture
def postgres_url(postgres_server: None) -> Iterator[str]:
    """A fresh, empty PostgreSQL database for one test (dropped afterwards)."""
    name = f"hub_test_{uuid.uuid4().hex[:12]}"
    with _pg_connect() as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    user = os.environ.get("USER") or "root"
    yield f"postgresql+psycopg://{user}@/{name}?host=/var/run/postgresql"
    with _pg_connect() as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture
def private_postgres() -> Iterator[object]:
    """A PostgreSQL server of this test's own (``tests.private_postgres.PrivateCluster``), started.

    For fault tests that stop and start the server: never stop the shared one.  Skipped
    (failed under ``HUB_REQUIRE_POSTGRES=1``) when no PostgreSQL server is installed.
    """
    from tests.private_postgres import PrivateCluster, binaries

    bindir = binaries()
    if bindir is None:
        problem = "no PostgreSQL server binaries (initdb, pg_ctl) installed"
        if os.environ.get("HUB_REQUIRE_POSTGRES") == "1":
            pytest.fail(problem)
        pytest.skip(problem)
    cluster = PrivateCluster(bindir)
    try:
        cluster.start()
        yield cluster
    finally:
        cluster.destroy()


@pytest.fixture
def hub_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """An isolated HUB_HOME for one test."""
    home = tmp_path / "hub"
    home.mkdir()
    monkeypatch.setenv("HUB_HOME", str(home))
    monkeypatch.delenv("HUB_DATABASE_URL", raising=False)
    monkeypatch.delenv("HUB_OPA_URL", raising=False)
    from hub.settings import get_settings

    get_settings.cache_clear()
    return home


@dataclass(frozen=True)
class PipelineOutput:
    """A HUB_HOME after one real ``hub run`` over a freshly seeded sandbox."""

    home: Path
    sandbox: Path
    seconds: float
    status: int  # what ``hub run`` would have exited with


@pytest.fixture(scope="session")
def pipeline_output(tmp_path_factory: pytest.TempPathFactory) -> PipelineOutput:
    """Seed a small sandbox and run the real pipeline once per session (read-only for tests).

    Tests that change state (run again, edit sources) build their own home instead.
    """
    import time

    from hub.pipeline import run_pipeline
    from hub.sandbox import seed
    from hub.settings import load_settings

    home = tmp_path_factory.mktemp("pipeline") / "hub"
    sandbox = home / "sandbox"
    seed(sandbox, seed=7, scale=400)
    started = time.perf_counter()
    result = run_pipeline(load_settings(home=home), sandbox)
    return PipelineOutput(home, sandbox, time.perf_counter() - started, result.status)


# --- softhsm2: one PKCS#11 token directory per test session ------------------------------------

SOFTHSM_MODULES = ("/usr/lib/softhsm/libsofthsm2.so", "/usr/lib/x86_64-linux-gnu/softhsm/libsofthsm2.so",
                   "/usr/lib/aarch64-linux-gnu/softhsm/libsofthsm2.so")
SOFTHSM_PIN, SOFTHSM_SO_PIN = "246810", "13579111"
# softhsm2 lists its tokens when the module initialises (once per process): every token a test
# uses is made up front, before the first test opens the module.
SOFTHSM_TOKENS = ("officer-token", "hub-kms")


@dataclass(frozen=True)
class SoftHsm:
    """Debian's softhsm2 with its token directory in a session temp dir (``SOFTHSM2_CONF``)."""

    module: str
    conf: Path

    def token(self, label: str) -> str:
        """The label of a token made by the fixture (user PIN ``SOFTHSM_PIN``)."""
        assert label in SOFTHSM_TOKENS, f"add `{label}` to SOFTHSM_TOKENS"
        return label


@pytest.fixture(scope="session")
def softhsm(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SoftHsm]:
    """softhsm2 for the whole session: a PKCS#11 module reads ``SOFTHSM2_CONF`` once per process,
    so every test that uses a token shares this configuration (each with tokens of its own label).
    ``HUB_REQUIRE_SOFTHSM=1`` (set by ``.ci/run``) turns a missing softhsm2 into a failure."""
    module = next((m for m in SOFTHSM_MODULES if Path(m).exists()), None) \
        if shutil.which("softhsm2-util") else None
    if module is None:
        if os.environ.get("HUB_REQUIRE_SOFTHSM") == "1":
            pytest.fail("softhsm2 is not installed (apt-get install softhsm2)")
        pytest.skip("softhsm2 is not installed (apt-get install softhsm2)")
    root = tmp_path_factory.mktemp("softhsm")
    (root / "tokens").mkdir()
    conf = root / "softhsm2.conf"
    conf.write_text(f"directories.tokendir = {root / 'tokens'}\nobjectstore.backend = file\nlog.level = ERROR\n")
    for label in SOFTHSM_TOKENS:
        subprocess.run(["softhsm2-util", "--init-token", "--free", "--label", label, "--pin", SOFTHSM_PIN,
                        "--so-pin", SOFTHSM_SO_PIN], check=True, capture_output=True,
                       env={**os.environ, "SOFTHSM2_CONF": str(conf)})
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("SOFTHSM2_CONF", str(conf))
        yield SoftHsm(module, conf)
