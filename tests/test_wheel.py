"""The hub as a partner or operator installs it: a wheel in a fresh venv, outside the checkout.

Builds the sdist and, from it, the wheel (``uv build``: a clean tree, so nothing the
checkout holds by accident slips in), installs the wheel into a new virtual
environment in a temporary folder, and runs ``hub demo --no-serve`` there with a fresh
``HUB_HOME`` and the working directory outside the repository.  The policies, the
SQLMesh project, the migrations and the catalog's reviewed entries must come from the
installed package (``hub.packaged``), not from this checkout.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).parents[1]
pytestmark = pytest.mark.slow


def _uv() -> str:
    found = shutil.which("uv") or str(Path(sys.executable).with_name("uv"))
    assert Path(found).exists(), "uv is installed with the dev environment (Makefile)"
    return found


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _clean_env(tmp: Path, home: Path, venv: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("HUB_", "PYTHON", "VIRTUAL_ENV", "PYTEST", "COV_"))}
    env.update(HUB_HOME=str(home), PATH=f"{venv / 'bin'}:{env.get('PATH', '/usr/bin:/bin')}",
               DAGSTER_HOME=str(tmp / "dagster"), COLUMNS="100")
    (tmp / "dagster").mkdir(exist_ok=True)
    return env


def _run(args: list[str], **kwargs) -> subprocess.CompletedProcess[str]:  # type: ignore[no-untyped-def]
    done = subprocess.run(args, capture_output=True, text=True, timeout=900, **kwargs)
    assert done.returncode == 0, f"{' '.join(map(str, args))} exited {done.returncode}:\n" \
                                 f"{done.stdout[-3000:]}\n{done.stderr[-3000:]}"
    return done


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A venv outside the checkout with the freshly built wheel installed."""
    tmp = tmp_path_factory.mktemp("wheel")
    _run([_uv(), "build", "--quiet", "--out-dir", str(tmp / "dist"), str(ROOT)])
    wheels = list((tmp / "dist").glob("huitong-*.whl"))
    assert len(wheels) == 1, wheels
    venv = tmp / "venv"
    _run([_uv(), "venv", "--quiet", "--python", sys.executable, str(venv)])
    _run([_uv(), "pip", "install", "--quiet", "--python", str(venv / "bin" / "python"), str(wheels[0])])
    return venv


def test_the_wheel_carries_its_data_and_finds_it_where_installed(installed: Path, tmp_path: Path):
    probe = ("import hub.packaged as p, hub.store.migrate as m, catalog.reviewed as r, hub.transform as t;"
             "print(p.policies_dir()); print(p.transforms_dir()); print(m.MIGRATIONS_DIR); print(r.ENTRIES_DIR);"
             "print(len(r.load_all())); print(len(t.model_names()))")
    env = _clean_env(tmp_path, tmp_path / "home", installed)
    out = _run([str(installed / "bin" / "python"), "-c", probe], cwd=tmp_path, env=env).stdout.split()
    site = installed.resolve()
    for folder in out[:4]:
        assert Path(folder).resolve().is_relative_to(site), f"{folder} is not inside the installed venv"
        assert not Path(folder).resolve().is_relative_to(ROOT.resolve())
    assert int(out[4]) >= 20 and int(out[5]) >= 30  # reviewed entries; SQLMesh models loaded from the package
    cases = _run([str(installed / "bin" / "hub"), "policy", "test"], cwd=tmp_path, env=env).stdout
    assert "all cases pass" in cases  # the policies and their cases, read from the package


def test_hub_demo_runs_from_the_wheel_outside_the_checkout(installed: Path, tmp_path: Path):
    home, work = tmp_path / "home", tmp_path / "elsewhere"
    work.mkdir()
    env = _clean_env(tmp_path, home, installed)
    done = _run([str(installed / "bin" / "hub"), "demo", "--no-serve", "--scale", "300",
                 "--port", str(_free_port())], cwd=work, env=env)
    text = " ".join(done.stdout.split())
    assert "grant: hz-xihu-jw → finance.subsidy_payment" in text
    assert "finance.subsidy_payment, payment_id" in text  # the side-by-side came back over real HTTP
    assert (home / "warehouse.duckdb").is_file() and (home / "hub.sqlite").is_file()
    assert _run([str(installed / "bin" / "hub"), "audit", "verify"], cwd=work, env=env).returncode == 0
