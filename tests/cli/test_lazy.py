"""The root command loads a command's module only when that command runs (``hub.cli.LazyGroup``)."""

from __future__ import annotations

import subprocess
import sys

from typer.testing import CliRunner

from hub.cli import COMMANDS, app


def test_a_command_imports_its_own_module_not_every_group() -> None:
    """`hub grant --help` in a fresh interpreter: the workflow module is loaded, the console's web
    app (FastAPI), the Dagster definitions and the OPA client are not."""
    probe = ("import sys\nfrom typer.testing import CliRunner\nfrom hub.cli import app\n"
             "result = CliRunner().invoke(app, ['grant', '--help'])\nassert result.exit_code == 0, result.output\n"
             "print(' '.join(m for m in ('hub.cli.workflow', 'hub.console', 'hub.orchestration', 'fastapi',"
             " 'opa_client', 'hub.cli.audit') if m in sys.modules))")
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.split() == ["hub.cli.workflow"]


def test_every_named_command_loads_and_a_typo_is_answered_with_the_closest() -> None:
    runner = CliRunner()
    for name in COMMANDS:
        result = runner.invoke(app, [name, "--help"])
        assert result.exit_code == 0 and "Usage: hub " + name in " ".join(result.output.split()), (name, result.output)
    typo = runner.invoke(app, ["audti"])
    assert typo.exit_code == 2 and "Did you mean 'audit'?" in typo.output
