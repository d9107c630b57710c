"""The four source profiles (finance, state_assets, audit, statistics).

Each profile is a connector built on a kind with the fixed tables of the source
systems' contract, typed per the raw-layer contract.  Like any plugin, each
declares its provider (the department) and — what makes it a *default source* —
how to point it at the hub's sandbox (``sandbox=``).  ``connectors.sources`` merges
them with ``$HUB_HOME/hub.yaml``, which may point any of them at a real system::

    sources:
      finance: {url: "postgresql+psycopg://hub:${FINANCE_DB_PASSWORD}@db/finance"}
      audit: {path: /data/audit-drop}
      statistics: {base_url: "https://stats.example/", token: "${STATS_TOKEN}"}
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from pydantic import BaseModel, Field, SecretStr

from connectors.kinds.files import FileFeed, feed_resource
from connectors.kinds.rest import RestConfig, RestFeed
from connectors.kinds.rest import feed_resource as rest_feed
from connectors.kinds.sql import table_resource
from connectors.provider import Provider
from connectors.samples import tiny_sandbox
from connectors.sdk import Resource, SandboxEnv, Source, connector
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


def _sqlite_file(file: str) -> Any:
    return lambda env: {"url": f"sqlite:///{(env.directory / file).resolve()}"}


@connector("finance", config=DatabaseProfile, sample=_sqlite_sample("finance.sqlite"),
           provider=Provider(code="finance", name_zh="财政局", name_en="Finance bureau"),
           sandbox=_sqlite_file("finance.sqlite"))
def finance(config: DatabaseProfile) -> list[Resource]:
    """财政一体化系统 — the finance system's five tables (SQL)."""
    return [table_resource(config.url, spec, config.batch_size) for spec in FINANCE]


@connector("state_assets", config=DatabaseProfile, sample=_sqlite_sample("state_assets.sqlite"),
           provider=Provider(code="state_assets", name_zh="国有资产监督管理委员会",
                             name_en="State-owned assets supervision commission"),
           sandbox=_sqlite_file("state_assets.sqlite"))
def state_assets(config: DatabaseProfile) -> list[Resource]:
    """国资监管系统 — the state-owned assets system's three tables (SQL)."""
    return [table_resource(config.url, spec, config.batch_size) for spec in STATE_ASSETS]


@connector(
    "audit",
    config=FolderProfile,
    sample=lambda d, empty: FolderProfile(path=tiny_sandbox(d, empty) / "audit"),
    provider=Provider(code="audit", name_zh="审计局", name_en="Audit office"),
    sandbox=lambda env: {"path": str((env.directory / "audit").resolve())},
)
def audit(config: FolderProfile) -> list[Resource]:
    """审计管理系统 — monthly findings files dropped in a folder (CSV, GB18030 CSV, XLSX)."""
    return [feed_resource(config.path, FINDINGS)]


@connector("statistics", config=ApiProfile,
           provider=Provider(code="statistics", name_zh="统计局", name_en="Statistics bureau", default_level=1),
           sandbox=lambda env: {"base_url": env.api_url})
def statistics(config: ApiProfile) -> list[Resource]:
    """统计联网直报 — indicators from the statistics REST API (page tokens, retries)."""
    return [rest_feed(config.model_copy(update={"source": "statistics"}), INDICATORS)]


def load_profiles(
    settings: Any, sandbox_dir: Path | None = None, statistics_url: str | None = None
) -> list[Source]:
    """Every configured source (``connectors.sources``): the sandbox's unless hub.yaml says otherwise."""
    from connectors.sources import load_sources

    env = SandboxEnv(Path(sandbox_dir or settings.sandbox_dir).resolve(), statistics_url)
    return load_sources(Path(settings.home), env)
