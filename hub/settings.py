"""Settings: one pydantic-settings model read from ``HUB_*`` environment variables.

State lives under ``HUB_HOME`` (default ``./.hub``): ``hub.sqlite`` (metadata),
``warehouse.duckdb``, ``published/``, ``keys/``, ``sandbox/``.  A bad value fails
at start with a message naming the setting (``SettingsError``).
"""

from __future__ import annotations

import ipaddress
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Literal

from pydantic import Field, SecretStr, ValidationError, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from hub.errors import SettingsError

if TYPE_CHECKING:
    from hub.crypto.suite import Suite


class Settings(BaseSettings):
    """Every knob of the hub, with sane embedded defaults."""

    model_config = SettingsConfigDict(env_prefix="HUB_", extra="ignore")

    home: Path = Field(default=Path(".hub"), description="state directory (HUB_HOME)")
    database_url: str | None = Field(
        default=None, description="metadata store; default sqlite file in HUB_HOME"
    )
    opa_url: str | None = Field(default=None, description="OPA server; unset = embedded regopy")
    opa_timeout_s: float = Field(default=2.0, gt=0)
    audit_checkpoint_every: int = Field(default=1000, ge=1)
    audit_checkpoint_seconds: float = Field(default=60.0, gt=0)
    published_retention: int = Field(default=5, ge=1, description="versions kept per dataset")
    public_url: str = Field(default="http://127.0.0.1:8000", description="URL partners reach the API at")
    token_ttl_s: int = Field(default=600, ge=1, le=600, description="access-token lifetime")
    staleness_s: float = Field(
        default=1.0, gt=0, le=60,
        description="how old an API process's view of grants, lockdowns and key revocations made by "
                    "another process may be, in seconds (changes made through the process itself apply "
                    "to its very next request)",
    )
    quota_lease_s: float = Field(
        default=60.0, gt=0, le=3600,
        description="lease of a daily-budget reservation: a crashed process's reservation is given back "
                    "this long after it was made (plus one sweep) unless the audit log shows its delivery",
    )
    audit_lock_timeout_s: float = Field(
        default=5.0, gt=0, le=60,
        description="how long an audit append waits for the store's write lock before failing closed",
    )
    audit_linger_ms: float = Field(
        default=8.0, ge=0, le=100,
        description="under load, how long the audit writer waits for a batch as large as the last one before "
                    "committing (group commit: fewer, larger commits; no wait when appends come one at a time)",
    )
    exchange_memory_rows: int = Field(
        default=5_000_000, ge=0,
        description="rows of published snapshots the exchange keeps in memory (0 = always read the files)",
    )
    exchange_view_bytes: int = Field(
        default=1 << 30, ge=0,
        description="bytes of masked views (and their JSON renditions and sort orders) the exchange keeps "
                    "in memory (0 = no views: one query per page)",
    )
    metrics_token: SecretStr | None = Field(
        default=None, description="bearer token an operator's scraper sends to GET /metrics (16+ characters)",
    )
    metrics_address: str | None = Field(
        default=None, description="HOST:PORT where `hub serve` serves /metrics on its own listener",
    )
    max_header_bytes: int = Field(
        default=16_384, ge=1024, le=1_048_576, description="largest request header section accepted (bytes)",
    )
    max_body_bytes: int = Field(
        default=1_048_576, ge=1024, le=1 << 30, description="largest request body accepted (bytes)",
    )
    trusted_proxies: str = Field(
        default="", description="comma-separated proxy addresses or networks whose X-Forwarded-For is believed",
    )
    # --- security along the chain (issue 17): suite, keys, encryption at rest, TLS ---------------
    crypto_suite: Literal["international", "gm"] = Field(
        default="international", description="cryptographic suite: international (Ed25519/SHA-256/AES-GCM) "
                                             "or gm (SM2/SM3/SM4-GCM)",
    )
    kms: Literal["file", "pkcs11"] = Field(
        default="file", description="where the master key lives: a key file under HUB_HOME/keys or a PKCS#11 token",
    )
    pkcs11_module: str | None = Field(default=None, description="PKCS#11 module (.so) of the KMS token")
    pkcs11_token: str | None = Field(default=None, description="label of the PKCS#11 token holding the master key")
    pkcs11_pin: SecretStr | None = Field(default=None, description="user PIN of the PKCS#11 token")
    encrypt_at_rest: bool = Field(
        default=True, description="encrypt the warehouse and the sensitive columns of published snapshots",
    )
    tls_cert: Path | None = Field(default=None, description="PEM certificate (chain) `hub serve` presents")
    tls_key: Path | None = Field(default=None, description="PEM private key of HUB_TLS_CERT")
    tls_client_ca: Path | None = Field(
        default=None, description="PEM CA bundle for partner client certificates (enables mutual TLS)",
    )
    tls_client_auth: Literal["optional", "required"] = Field(
        default="optional", description="with HUB_TLS_CLIENT_CA: whether every client must present a certificate",
    )
    require_tls: bool = Field(
        default=False, description="refuse a PostgreSQL store without sslmode=verify-full and an OPA URL "
                                   "without https://",
    )

    # --- situational awareness (hub.awareness, docs/awareness.md) -------------------------
    awareness_watch: bool = Field(default=True, description="run the detectors in the API process (hub serve)")
    awareness_interval_s: float = Field(default=2.0, gt=0, le=60, description="seconds between detector passes")
    awareness_baseline_days: int = Field(default=14, ge=1, le=90, description="history a baseline is taken over")
    awareness_baseline_min_hours: int = Field(
        default=24, ge=1, description="active hours of history before a partner's own baseline is used")
    awareness_volume_factor: float = Field(default=4.0, gt=1, description="alert above factor x (median + 3 MAD)")
    awareness_volume_min_requests: int = Field(default=120, ge=1, description="never a volume alert below this/hour")
    awareness_volume_min_rows: int = Field(default=20_000, ge=1, description="never a volume alert below this/hour")
    awareness_new_partner_requests: int = Field(default=600, ge=1, description="requests/hour floor, new partner")
    awareness_new_partner_rows: int = Field(default=100_000, ge=1, description="rows/hour floor, new partner")
    awareness_work_hours: str = Field(default="7-22", description="usual hours (UTC+8) of a partner without history")
    awareness_offhours_min_reads: int = Field(default=30, ge=1, description="sensitive reads before hours are learnt")
    awareness_bulk_rows: int = Field(default=1000, ge=1, description="off-hours rows in an hour that make it bulk")
    awareness_denial_burst: int = Field(default=20, ge=2, description="denials of one subject in the window")
    awareness_denial_window_s: int = Field(default=300, ge=10)
    awareness_credential_failures: int = Field(default=10, ge=2, description="token failures of one IP or client")
    awareness_credential_window_s: int = Field(default=300, ge=10)
    awareness_enumeration_distinct: int = Field(default=40, ge=2, description="distinct lookup values in the window")
    awareness_enumeration_window_s: int = Field(default=600, ge=10)
    awareness_novelty_days: int = Field(default=7, ge=0, description="history before new IPs/datasets are unusual")
    awareness_critical_factor: float = Field(default=5.0, gt=1, description="threshold x this = critical")
    awareness_checkpoint_lag_records: int = Field(default=5000, ge=1)
    awareness_checkpoint_lag_s: int = Field(default=900, ge=1)
    awareness_key_max_age_days: int = Field(default=180, ge=1, description="hub signing keys older than this")
    awareness_grant_expiry_days: int = Field(default=14, ge=0, description="grants ending within this many days")
    awareness_state_check_s: float = Field(default=300.0, gt=0, description="seconds between chain/key/grant checks")
    awareness_playbooks: dict[str, list[str]] = Field(
        default_factory=lambda: {"*:critical": ["lockdown"]},
        description="containment per `kind:severity` (JSON); actions lockdown, suspend_dataset, rotate_key")
    awareness_webhook_url: str | None = Field(default=None, description="alerts are POSTed here (JSON)")
    awareness_webhook_secret: SecretStr | None = Field(default=None, description="HMAC-SHA256 key of the webhook")
    awareness_webhook_min_severity: str = Field(default="high", description="info | warning | high | critical")
    awareness_webhook_attempts: int = Field(default=5, ge=1, le=20)
    awareness_webhook_backoff_s: float = Field(default=1.0, ge=0)
    partner_key_max_age_days: int = Field(default=365, ge=1, description="key rotation policy for partners")
    risk_window_days: int = Field(default=30, ge=1, description="risk report: delivered rows, unused grants")
    pending_signature_days: int = Field(
        default=7, ge=1, le=365,
        description="how long a first officer signature waits for the second (application approvals, "
                    "enrolments, removals, lifts, resumes); older, it no longer counts",
    )

    @field_validator("database_url")
    @classmethod
    def _check_database_url(cls, value: str | None) -> str | None:
        if value is None or value == "":
            return None
        from sqlalchemy.engine import make_url
        from sqlalchemy.exc import ArgumentError

        try:
            url = make_url(value)
        except ArgumentError as exc:
            raise ValueError(f"not a SQLAlchemy URL: {exc}") from None
        if url.get_backend_name() not in {"sqlite", "postgresql"}:
            raise ValueError("only sqlite and postgresql metadata stores are supported")
        return value

    @field_validator("opa_url")
    @classmethod
    def _check_opa_url(cls, value: str | None) -> str | None:
        if value is None or value == "":
            return None
        if not value.startswith(("http://", "https://")):
            raise ValueError("must be an http:// or https:// URL")
        return value.rstrip("/")

    @field_validator("metrics_token")
    @classmethod
    def _check_metrics_token(cls, value: SecretStr | None) -> SecretStr | None:
        if value is None or value.get_secret_value() == "":
            return None
        if len(value.get_secret_value()) < 16:
            raise ValueError("must be at least 16 characters (a random secret)")
        return value

    @field_validator("metrics_address")
    @classmethod
    def _check_metrics_address(cls, value: str | None) -> str | None:
        if value is None or value == "":
            return None
        host, sep, port = value.rpartition(":")
        if not sep or not host or not port.isdigit() or not 0 < int(port) < 65536:
            raise ValueError("must be HOST:PORT, e.g. 127.0.0.1:9464")
        return value

    @field_validator("trusted_proxies")
    @classmethod
    def _check_trusted_proxies(cls, value: str) -> str:
        for item in _split(value):
            try:
                ipaddress.ip_network(item, strict=False)
            except ValueError:
                raise ValueError(f"`{item[:64]}` is not an IP address or network (CIDR)") from None
        return value

    @model_validator(mode="after")
    def _check_transport(self) -> Settings:
        if (self.tls_cert is None) != (self.tls_key is None):
            raise ValueError("HUB_TLS_CERT and HUB_TLS_KEY go together")
        if self.tls_client_ca is not None and self.tls_cert is None:
            raise ValueError("HUB_TLS_CLIENT_CA (mutual TLS) needs HUB_TLS_CERT and HUB_TLS_KEY")
        if self.kms == "pkcs11" and not (self.pkcs11_module and self.pkcs11_token and self.pkcs11_pin):
            raise ValueError("HUB_KMS=pkcs11 needs HUB_PKCS11_MODULE, HUB_PKCS11_TOKEN and HUB_PKCS11_PIN")
        if self.require_tls:
            from hub.transport import store_tls_problem

            problem = store_tls_problem(self.database_url, self.opa_url)
            if problem:
                raise ValueError(f"HUB_REQUIRE_TLS: {problem}")
        return self

    @property
    def suite(self) -> Suite:
        """The cryptographic suite (``hub.crypto``) named by ``HUB_CRYPTO_SUITE``."""
        from hub.crypto.suite import suite_named

        return suite_named(self.crypto_suite)

    @property
    def trusted_proxy_list(self) -> list[str]:
        """``HUB_TRUSTED_PROXIES`` as a list of addresses and networks (empty: trust none)."""
        return _split(self.trusted_proxies)

    @field_validator("awareness_work_hours")
    @classmethod
    def _check_work_hours(cls, value: str) -> str:
        from hub.awareness.thresholds import parse_hours

        parse_hours(value)
        return value

    @field_validator("awareness_playbooks")
    @classmethod
    def _check_playbooks(cls, value: dict[str, list[str]]) -> dict[str, list[str]]:
        from hub.awareness.thresholds import check_playbooks

        return check_playbooks(value)

    @field_validator("awareness_webhook_min_severity")
    @classmethod
    def _check_severity(cls, value: str) -> str:
        from hub.awareness.thresholds import SEVERITIES

        if value not in SEVERITIES:
            raise ValueError(f"must be one of {', '.join(SEVERITIES)}")
        return value

    @field_validator("awareness_webhook_url")
    @classmethod
    def _check_webhook(cls, value: str | None) -> str | None:
        if value is None or value == "":
            return None
        if not value.startswith(("http://", "https://")):
            raise ValueError("must be an http:// or https:// URL")
        return value

    @model_validator(mode="after")
    def _check_quota_lease(self) -> Settings:
        # A delivery append must finish inside its reservation's lease (hub.quota.ledger).
        bound = self.audit_lock_timeout_s * 2 + 5
        if self.quota_lease_s <= bound + 1:
            raise ValueError(f"HUB_QUOTA_LEASE_S ({self.quota_lease_s:g} s) must exceed the audit append bound "
                             f"(2 × HUB_AUDIT_LOCK_TIMEOUT_S + 5 = {bound:g} s) by more than 1 s")
        return self

    @property
    def metadata_url(self) -> str:
        """The metadata store URL, defaulting to ``HUB_HOME/hub.sqlite``."""
        return self.database_url or f"sqlite:///{(self.home / 'hub.sqlite').resolve()}"

    @property
    def warehouse_path(self) -> Path:
        return self.home / "warehouse.duckdb"

    @property
    def published_dir(self) -> Path:
        return self.home / "published"

    @property
    def keys_dir(self) -> Path:
        return self.home / "keys"

    @property
    def sandbox_dir(self) -> Path:
        return self.home / "sandbox"

    @property
    def reports_dir(self) -> Path:
        return self.home / "reports"


def _split(value: str) -> list[str]:
    return [item.strip() for item in value.split(",") if item.strip()]


def load_settings(**overrides: object) -> Settings:
    """Read settings from the environment; raise ``SettingsError`` naming a bad one."""
    try:
        return Settings(**overrides)  # type: ignore[arg-type]
    except ValidationError as exc:
        problems = []
        for err in exc.errors():
            field = ".".join(str(p) for p in err["loc"]) or "settings"
            problems.append(f"HUB_{field.upper()}: {err['msg']}")
        raise SettingsError("bad setting: " + "; ".join(problems)) from None


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """The process-wide settings (cached; tests build their own with ``load_settings``)."""
    return load_settings()
