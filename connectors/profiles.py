"""The four source profiles (finance, state_assets, audit, statistics) and ``hub.yaml``.

Each profile is a connector built on a kind with the fixed tables of
``shared/sources/README.md``, typed per the raw-layer contract.  ``load_profiles``
configures every source: by default the sandbox in ``$HUB_HOME/sandbox``;
``$HUB_HOME/hub.yaml`` may point any source elsewhere (another directory, real
database URLs, the statistics API), with ``${ENV}`` references for secrets, and may
add sources served by plugin connectors (``connector: NAME``)::

    sources:
      finance: {url: "postgresql+psycopg://hub:${FINANCE_DB_PASSWORD}@db/finance"}
      audit: {path: /data/audit-drop}
      statistics: {base_url: "https://stats.example/", token: "${STATS_TOKEN}"}
      grants_db: {connector: sql, url: "sqlite:////data/grants.sqlite", tables: [...]}
"""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, Field, SecretStr

from connectors.errors import ConnectorConfigError
from connectors.kinds.files import FileFeed, feed_resource
from connectors.kinds.rest import RestConfig, RestFeed
from connectors.kinds.rest import feed_resource as rest_feed
from connectors.kinds.sql import table_resource
from connectors.samples import tiny_sandbox
from connectors.sdk import Resource, Source, connector
from connectors.tables import TableSpec

MONEY = "decimal(18,2)"
FINANCE = [
    TableSpec(
        name="budget_unit",
        columns={
            "unit_code": "varchar",
            "unit_name": "varchar",
            "region_code": "varchar",
            "unit_type": "varchar",
        },
        primary_key=["unit_code"],
        write_disposition="replace",
    ),
    TableSpec(
        name="payroll",
        columns={
            "record_id": "bigint",
            "unit_code": "varchar",
            "person_id_number": "varchar",
            "person_name": "varchar",
            "position": "varchar",
            "pay_month": "varchar",
            "gross_pay": MONEY,
            "bank_card": "varchar",
        },
        primary_key=["record_id"],
    ),
    TableSpec(
        name="subsidy_payment",
        columns={
            "payment_id": "bigint",
            "program_code": "varchar",
            "recipient_id_number": "varchar",
            "recipient_name": "varchar",
            "recipient_phone": "varchar",
            "bank_card": "varchar",
            "township_code": "varchar",
            "amount": MONEY,
            "period": "varchar",
            "paid_at": "timestamp",
            "updated_at": "timestamp",
        },
        primary_key=["payment_id"],
        cursor="updated_at",
    ),
    TableSpec(
        name="treasury_payment",
        columns={
            "payment_id": "bigint",
            "unit_code": "varchar",
            "payee_uscc": "varchar",
            "payee_name": "varchar",
            "amount": MONEY,
            "purpose_text": "varchar",
            "paid_at": "timestamp",
            "updated_at": "timestamp",
        },
        primary_key=["payment_id"],
        cursor="updated_at",
    ),
    TableSpec(
        name="revenue_receipt",
        columns={"region_code": "varchar", "month": "varchar", "amount": MONEY},
        primary_key=["region_code", "month"],
    ),
]
STATE_ASSETS = [
    TableSpec(
        name="enterprise",
        columns={
            "uscc": "varchar",
            "name": "varchar",
            "region_code": "varchar",
            "parent_uscc": "varchar",
            "legal_rep_id_number": "varchar",
            "legal_rep_name": "varchar",
            "tier": "integer",
        },
        primary_key=["uscc"],
    ),
    TableSpec(
        name="asset_disposal",
        columns={
            "disposal_id": "bigint",
            "uscc": "varchar",
            "asset_desc": "varchar",
            "appraised_value": MONEY,
            "transaction_price": MONEY,
            "buyer_uscc": "varchar",
            "buyer_name": "varchar",
            "decided_at": "date",
        },
        primary_key=["disposal_id"],
    ),
    TableSpec(
        name="major_decision",
        columns={
            "decision_id": "bigint",
            "uscc": "varchar",
            "category": "varchar",
            "amount": MONEY,
            "meeting_date": "date",
            "collective": "integer",
            "summary": "varchar",
        },
        primary_key=["decision_id"],
    ),
]
FINDINGS = FileFeed(
    name="findings",
    pattern="findings_*",
    primary_key=["finding_id"],
    columns={
        "finding_id": "varchar",
        "audit_project": "varchar",
        "audited_unit_code": "varchar",
        "audited_unit_name": "varchar",
        "finding_type": "varchar",
        "amount": MONEY,
        "description": "varchar",
        "found_on": "date",
        "rectify_deadline": "date",
        "rectify_status": "varchar",
        "rectified_on": "date",
        "_source_file": "varchar",
        "_source_line": "bigint",
    },
)
INDICATORS = RestFeed(
    name="indicators",
    path="/api/v1/indicators",
    cursor="reported_at",
    primary_key=["region_code", "period", "indicator_code"],
    columns={
        "region_code": "varchar",
        "period": "varchar",
        "indicator_code": "varchar",
        "value": "decimal(20,4)",
        "unit": "varchar",
        "reported_at": "timestamp",
    },
)


class DatabaseProfile(BaseModel):
    """Config of a SQL profile: the database URL (a secret) and the batch size."""

    url: SecretStr
    batch_size: int = Field(default=100_000, ge=1)


class FolderProfile(BaseModel):
    """Config of the audit profile: the drop folder."""

    path: Path


class ApiProfile(RestConfig):
    """Config of the statistics profile: the API's base URL, token and retry policy."""


def _sqlite_sample(file: str) -> Any:
    return lambda d, empty: DatabaseProfile(url=SecretStr(f"sqlite:///{tiny_sandbox(d, empty) / file}"))


@connector("finance", config=DatabaseProfile, sample=_sqlite_sample("finance.sqlite"))
def finance(config: DatabaseProfile) -> list[Resource]:
    """财政一体化系统 — the finance system's five tables (SQL)."""
    return [table_resource(config.url, spec, config.batch_size) for spec in FINANCE]


@connector("state_assets", config=DatabaseProfile, sample=_sqlite_sample("state_assets.sqlite"))
def state_assets(config: DatabaseProfile) -> list[Resource]:
    """国资监管系统 — the state-owned assets system's three tables (SQL)."""
    return [table_resource(config.url, spec, config.batch_size) for spec in STATE_ASSETS]


@connector(
    "audit",
    config=FolderProfile,
    sample=lambda d, empty: FolderProfile(path=tiny_sandbox(d, empty) / "audit"),
)
def audit(config: FolderProfile) -> list[Resource]:
    """审计管理系统 — monthly findings files dropped in a folder (CSV, GB18030 CSV, XLSX)."""
    return [feed_resource(config.path, FINDINGS)]


@connector("statistics", config=ApiProfile)
def statistics(config: ApiProfile) -> list[Resource]:
    """统计联网直报 — indicators from the statistics REST API (page tokens, retries)."""
    return [rest_feed(config.model_copy(update={"source": "statistics"}), INDICATORS)]


BUILTIN = {"finance": finance, "state_assets": state_assets, "audit": audit, "statistics": statistics}
_ENV = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)\}")


def substitute_env(value: Any, where: str = "hub.yaml") -> Any:
    """``${NAME}`` in every string of ``value`` replaced by the environment variable."""
    if isinstance(value, dict):
        return {k: substitute_env(v, f"{where}.{k}") for k, v in value.items()}
    if isinstance(value, list):
        return [substitute_env(v, where) for v in value]
    if not isinstance(value, str):
        return value

    def one(match: re.Match[str]) -> str:
        if match[1] not in os.environ:
            raise ConnectorConfigError(
                f"{where} refers to ${{{match[1]}}}, which is not set in the environment"
            )
        return os.environ[match[1]]

    return _ENV.sub(one, value)


def read_hub_yaml(home: Path) -> dict[str, dict[str, Any]]:
    """The ``sources`` mapping of ``home/hub.yaml`` with ``${ENV}`` substituted ({} when absent)."""
    path = home / "hub.yaml"
    if not path.exists():
        return {}
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except yaml.YAMLError as exc:
        raise ConnectorConfigError(f"{path} is not valid YAML: {exc}") from None
    sources = data.get("sources", {}) if isinstance(data, dict) else None
    if not isinstance(sources, dict) or not all(isinstance(v, dict) for v in sources.values()):
        raise ConnectorConfigError(f"{path}: `sources` must map source names to settings")
    return substitute_env(sources, f"{path.name}:sources")


def sandbox_configs(sandbox: Path, statistics_url: str | None) -> dict[str, dict[str, Any]]:
    """The four profiles' configs for a sandbox directory."""
    return {
        "finance": {"url": f"sqlite:///{(sandbox / 'finance.sqlite').resolve()}"},
        "state_assets": {"url": f"sqlite:///{(sandbox / 'state_assets.sqlite').resolve()}"},
        "audit": {"path": str((sandbox / "audit").resolve())},
        "statistics": {"base_url": statistics_url},
    }


def load_profiles(
    settings: Any, sandbox_dir: Path | None = None, statistics_url: str | None = None
) -> list[Source]:
    """Every configured source: the four profiles (sandbox by default) plus hub.yaml's plugins."""
    from connectors.registry import get_connector

    configured = read_hub_yaml(Path(settings.home))
    defaults = sandbox_configs(sandbox_dir or Path(settings.sandbox_dir), statistics_url)
    sources = []
    for name, default in defaults.items():
        config = default if sandbox_dir is not None else {**default, **configured.get(name, {})}
        if name == "statistics" and statistics_url:
            config["base_url"] = statistics_url
        sources.append(BUILTIN[name].build(config, name))
    for name, config in configured.items():
        if name in BUILTIN:
            continue
        settings_ = dict(config)
        kind = settings_.pop("connector", None)
        if not kind:
            raise ConnectorConfigError(f"hub.yaml: source `{name}` needs `connector: NAME`")
        sources.append(
            get_connector(kind).build(
                {**settings_, "source": name} if kind in ("sql", "rest", "files") else settings_, name
            )
        )
    return sources
