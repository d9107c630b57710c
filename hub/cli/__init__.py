"""The ``hub`` command line (typer + rich).

Each command group lives in its own module and is mounted here.  Errors the hub
raises on purpose (``HubError``) print one line naming the problem and exit
non-zero; capabilities a later milestone delivers exit 2 with
``not available yet: <capability>``.
"""

from __future__ import annotations

import sys

import typer

from hub.cli import _common
from hub.cli import audit as audit_cmds
from hub.cli import awareness as awareness_cmds
from hub.cli import catalog as catalog_cmds
from hub.cli import client as client_cmds
from hub.cli import config as config_cmds
from hub.cli import connector as connector_cmds
from hub.cli import console as console_cmds
from hub.cli import data as data_cmds
from hub.cli import db as db_cmds
from hub.cli import federation as federation_cmds
from hub.cli import identity as identity_cmds
from hub.cli import keys as keys_cmds
from hub.cli import model as model_cmds
from hub.cli import pii as pii_cmds
from hub.cli import policy as policy_cmds
from hub.cli import provider as provider_cmds
from hub.cli import quarantine as quarantine_cmds
from hub.cli import quota as quota_cmds
from hub.cli import sandbox as sandbox_cmds
from hub.cli import workflow as workflow_cmds

app = typer.Typer(
    name="hub",
    help="Huitong (汇通): supervision-data integration and secure exchange hub.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)

data_cmds.register(app)
identity_cmds.register(app)
workflow_cmds.register(app)
awareness_cmds.register(app)
app.add_typer(sandbox_cmds.app, name="sandbox")
app.add_typer(pii_cmds.app, name="pii")
app.add_typer(policy_cmds.app, name="policy")
app.add_typer(audit_cmds.app, name="audit")
app.add_typer(connector_cmds.app, name="connector")
app.add_typer(catalog_cmds.app, name="catalog")
app.add_typer(client_cmds.app, name="client")
app.add_typer(console_cmds.app, name="console")
app.add_typer(config_cmds.app, name="config")
app.add_typer(provider_cmds.app, name="provider")
app.add_typer(db_cmds.app, name="db")
app.add_typer(quarantine_cmds.app, name="quarantine")
app.add_typer(keys_cmds.app, name="keys")
app.add_typer(federation_cmds.app, name="federation")
app.add_typer(model_cmds.app, name="model")
app.add_typer(quota_cmds.app, name="quota")
app.add_typer(workflow_cmds.application_app, name="application")
app.add_typer(workflow_cmds.grant_app, name="grant")


def main() -> None:
    """Entry point of the ``hub`` console script (files it creates are private: ``hub.home``)."""
    from hub.home import private_files, secure_configured_home

    private_files()
    secure_configured_home()
    sys.exit(_common.run_app(app))
