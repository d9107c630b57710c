"""Metadata store schema (SQLAlchemy 2 declarative models).

The metadata store holds everything that is not warehouse data: partners and
officers with their public keys, catalog entries (datasets, columns, versions,
lineage), the application → approval → grant workflow, suspensions, the audit
log with its signed checkpoints, and quarantined source rows and files.  It is SQLite
(WAL) by default and PostgreSQL at scale; Alembic migrations in
``hub/store/migrations`` create it.  Change a model only together with a new
migration.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Text,
    TypeDecorator,
    UniqueConstraint,
    false,
)
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

JsonType = JSON().with_variant(JSON(), "sqlite")


class UtcDateTime(TypeDecorator[datetime]):
    """An instant, stored as UTC on every backend and read back timezone-aware (UTC).

    SQLite has no time-zone type: plain ``DateTime(timezone=True)`` there drops the
    offset and returns a naive wall-clock time, so ``10:00+08:00`` would come back as
    ``10:00``.  This type converts to UTC first and refuses naive datetimes outright
    (fail closed: an instant without a zone is ambiguous).  DDL is unchanged.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None or value.utcoffset() is None:
            raise ValueError(f"naive datetime {value.isoformat()}: give a time zone, e.g. datetime.now(UTC)")
        utc = value.astimezone(UTC)
        return utc.replace(tzinfo=None) if dialect.name == "sqlite" else utc

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)


def _ts() -> Mapped[datetime]:
    return mapped_column(UtcDateTime())


# --- identities -----------------------------------------------------------------


class HubIdentity(Base):
    """This hub's id (one row, made by migration 0016): the audience of every officer statement."""

    __tablename__ = "hub_identity"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    created_at: Mapped[datetime] = _ts()


class Partner(Base):
    """A partner system (对接平台) that exchanges data."""

    __tablename__ = "partners"

    id: Mapped[str] = mapped_column(String(128), primary_key=True)
    name: Mapped[str] = mapped_column(String(256), default="")
    clearance: Mapped[int] = mapped_column(Integer)  # 授权等级 1-5
    jurisdiction: Mapped[str] = mapped_column(String(12))  # administrative code
    purposes: Mapped[list[str]] = mapped_column(JsonType, default=list)
    suspended: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = _ts()


class Officer(Base):
    """An officer: a data owner's officer or a security officer (监督制衡)."""

    __tablename__ = "officers"

    id: Mapped[str] = mapped_column(String(128), primary_key=True)
    role: Mapped[str] = mapped_column(String(16))  # owner | security
    owner_of: Mapped[str | None] = mapped_column(String(64), nullable=True)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = _ts()


class ClientKey(Base):
    """A public key registered for an OAuth2 client (partner or officer)."""

    __tablename__ = "client_keys"

    kid: Mapped[str] = mapped_column(String(128), primary_key=True)
    client_id: Mapped[str] = mapped_column(String(160), index=True)  # partner:ID | officer:ID
    algorithm: Mapped[str] = mapped_column(String(16))  # EdDSA | ES256
    public_key_pem: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = _ts()
    revoked_at: Mapped[datetime | None] = mapped_column(UtcDateTime(), nullable=True)


class ClientCertificate(Base):
    """A TLS client certificate bound to a partner (mutual TLS, RFC 8705; ``hub.certificates``)."""

    __tablename__ = "client_certificates"

    thumbprint: Mapped[str] = mapped_column(String(64), primary_key=True)  # x5t#S256 (base64url SHA-256 of DER)
    client_id: Mapped[str] = mapped_column(String(160), index=True)  # partner:ID
    subject_dn: Mapped[str] = mapped_column(String(512))
    not_after: Mapped[datetime] = mapped_column(UtcDateTime())
    created_at: Mapped[datetime] = _ts()
    revoked_at: Mapped[datetime | None] = mapped_column(UtcDateTime(), nullable=True)


class OfficerStatement(Base):
    """A signed officer statement the hub accepted (``hub.statements``, ``hub.officers``).

    Its id is SHA-256 of ``officer NUL nonce``, so a statement is never accepted twice
    (replay).  Actions that need two officers (lift a lockdown, enrol or remove an
    officer) wait here with ``consumed_at`` unset until a second officer signs the
    same action, target and digest.
    """

    __tablename__ = "officer_statements"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    officer_id: Mapped[str] = mapped_column(String(128), index=True)
    kid: Mapped[str] = mapped_column(String(128))
    action: Mapped[str] = mapped_column(String(32))
    target: Mapped[str] = mapped_column(String(200), index=True)
    digest: Mapped[str] = mapped_column(String(64))
    note: Mapped[str] = mapped_column(Text, default="")
    issued_at: Mapped[datetime] = _ts()
    accepted_at: Mapped[datetime] = _ts()
    consumed_at: Mapped[datetime | None] = mapped_column(UtcDateTime(), nullable=True)
    statement: Mapped[str] = mapped_column(Text)  # the compact JWS as signed


class TokenJti(Base):
    """Replay cache: client-assertion ``jti`` values seen until they expire."""

    __tablename__ = "token_jtis"

    jti: Mapped[str] = mapped_column(String(256), primary_key=True)
    client_id: Mapped[str] = mapped_column(String(160))
    expires_at: Mapped[datetime] = _ts()


# --- providers ------------------------------------------------------------------


class DataProvider(Base):
    """A department that provides data (提供方): registered, not coded (``hub.providers``)."""

    __tablename__ = "providers"

    code: Mapped[str] = mapped_column(String(64), primary_key=True)  # schema of its published tables
    name_zh: Mapped[str] = mapped_column(String(256))
    name_en: Mapped[str] = mapped_column(String(256), default="")
    default_level: Mapped[int] = mapped_column(Integer, default=2)  # level of non-personal columns
    registered_by: Mapped[str] = mapped_column(String(160))  # connector:NAME | operator:… | officer:…
    created_at: Mapped[datetime] = _ts()


# --- catalog --------------------------------------------------------------------


class Dataset(Base):
    """A catalog entry (数据资源目录条目): one warehouse dataset ``schema.table``."""

    __tablename__ = "datasets"

    id: Mapped[str] = mapped_column(String(160), primary_key=True)
    layer: Mapped[str] = mapped_column(String(16))  # raw | staging | source | resource | clue
    provider: Mapped[str] = mapped_column(String(64))  # department
    owner: Mapped[str | None] = mapped_column(String(128), nullable=True)
    resource_code: Mapped[str | None] = mapped_column(String(64), nullable=True)
    name_zh: Mapped[str] = mapped_column(String(256), default="")
    name_en: Mapped[str] = mapped_column(String(256), default="")
    summary: Mapped[str] = mapped_column(Text, default="")
    format: Mapped[str] = mapped_column(String(32), default="table")
    level_inferred: Mapped[int] = mapped_column(Integer, default=1)
    level_reviewed: Mapped[int | None] = mapped_column(Integer, nullable=True)
    sharing_type_inferred: Mapped[str] = mapped_column(String(16), default="unconditional")
    sharing_type_reviewed: Mapped[str | None] = mapped_column(String(16), nullable=True)
    sharing_conditions: Mapped[str] = mapped_column(Text, default="")
    reviewed_by: Mapped[str | None] = mapped_column(String(128), nullable=True)
    open_attribute: Mapped[str] = mapped_column(String(32), default="不予开放")
    update_cycle: Mapped[str] = mapped_column(String(32), default="daily")
    region_column: Mapped[str | None] = mapped_column(String(128), nullable=True)
    exchangeable: Mapped[bool] = mapped_column(Boolean, default=False)
    row_count: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    current_version: Mapped[str | None] = mapped_column(String(32), nullable=True)
    published_at: Mapped[datetime | None] = mapped_column(UtcDateTime(), nullable=True)
    refreshed_at: Mapped[datetime | None] = mapped_column(UtcDateTime(), nullable=True)
    quality: Mapped[dict[str, Any]] = mapped_column(JsonType, default=dict)
    meta: Mapped[dict[str, Any]] = mapped_column(JsonType, default=dict)


class DatasetColumn(Base):
    """An information item (信息项) of a dataset, with its PII class and level."""

    __tablename__ = "dataset_columns"

    dataset_id: Mapped[str] = mapped_column(
        ForeignKey("datasets.id", ondelete="CASCADE"), primary_key=True
    )
    name: Mapped[str] = mapped_column(String(128), primary_key=True)
    position: Mapped[int] = mapped_column(Integer)
    data_type: Mapped[str] = mapped_column(String(64))
    description: Mapped[str] = mapped_column(Text, default="")
    pii_class: Mapped[str | None] = mapped_column(String(32), nullable=True)
    pii_recognizer: Mapped[str | None] = mapped_column(String(64), nullable=True)
    pii_share: Mapped[float | None] = mapped_column(Float, nullable=True)
    pii_confidence: Mapped[float | None] = mapped_column(Float, nullable=True)
    level: Mapped[int] = mapped_column(Integer, default=1)
    free_text: Mapped[bool] = mapped_column(Boolean, default=False)


class DatasetReview(Base):
    """An officer's review of a catalog entry (审核): what makes a new dataset exchangeable.

    One current review per dataset (a new review replaces it; the audit log keeps
    every one).  Level and sharing type tighten the inferred ones, never loosen them.
    """

    __tablename__ = "dataset_reviews"

    dataset_id: Mapped[str] = mapped_column(String(160), primary_key=True)
    officer_id: Mapped[str] = mapped_column(String(128))
    role: Mapped[str] = mapped_column(String(16))  # role of the officer when reviewing
    level: Mapped[int] = mapped_column(Integer)
    sharing_type: Mapped[str] = mapped_column(String(16))
    region_column: Mapped[str | None] = mapped_column(String(128), nullable=True)
    column_classes: Mapped[dict[str, Any]] = mapped_column(JsonType, default=dict)  # column → class | null
    comment: Mapped[str] = mapped_column(Text, default="")
    reviewed_at: Mapped[datetime] = _ts()


class DatasetVersion(Base):
    """An immutable published snapshot of a dataset."""

    __tablename__ = "dataset_versions"
    __table_args__ = (UniqueConstraint("dataset_id", "version"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    dataset_id: Mapped[str] = mapped_column(ForeignKey("datasets.id", ondelete="CASCADE"))
    version: Mapped[str] = mapped_column(String(32))  # v1, v2, ...
    number: Mapped[int] = mapped_column(Integer)
    content_sha256: Mapped[str] = mapped_column(String(64))
    schema_sha256: Mapped[str] = mapped_column(String(64))
    row_count: Mapped[int] = mapped_column(BigInteger)
    path: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = _ts()
    retired_at: Mapped[datetime | None] = mapped_column(UtcDateTime(), nullable=True)


class LineageEdge(Base):
    """``upstream`` feeds ``downstream`` (optionally column to column)."""

    __tablename__ = "lineage_edges"
    __table_args__ = (
        UniqueConstraint("upstream", "downstream", "upstream_column", "downstream_column"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    upstream: Mapped[str] = mapped_column(String(200), index=True)  # dataset id or source table
    downstream: Mapped[str] = mapped_column(String(160), index=True)
    upstream_column: Mapped[str] = mapped_column(String(128), default="")
    downstream_column: Mapped[str] = mapped_column(String(128), default="")


# --- workflow -------------------------------------------------------------------


class Application(Base):
    """A partner's application (申请) for a grant on a dataset."""

    __tablename__ = "applications"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    partner_id: Mapped[str] = mapped_column(ForeignKey("partners.id"), index=True)
    dataset_id: Mapped[str] = mapped_column(String(160))
    purpose: Mapped[str] = mapped_column(String(128))
    columns: Mapped[list[str]] = mapped_column(JsonType, default=list)
    clear_columns: Mapped[list[str]] = mapped_column(JsonType, default=list)
    lookup_columns: Mapped[list[str]] = mapped_column(JsonType, default=list)  # ``match`` lookups (migration 0007)
    justification: Mapped[str] = mapped_column(Text, default="")
    valid_from: Mapped[datetime] = _ts()
    valid_until: Mapped[datetime] = _ts()
    max_rows_per_day: Mapped[int] = mapped_column(BigInteger)
    # 属地: true asks for every region (no jurisdiction row filter); officers approve it as such
    all_regions: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    requested_by: Mapped[str] = mapped_column(String(160))
    status: Mapped[str] = mapped_column(String(16), default="pending")
    created_at: Mapped[datetime] = _ts()
    decided_at: Mapped[datetime | None] = mapped_column(UtcDateTime(), nullable=True)


class Approval(Base):
    """One officer's decision on an application (two-person rule: 双人审批)."""

    __tablename__ = "approvals"
    __table_args__ = (UniqueConstraint("application_id", "officer_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    application_id: Mapped[str] = mapped_column(ForeignKey("applications.id"), index=True)
    officer_id: Mapped[str] = mapped_column(ForeignKey("officers.id"))
    role: Mapped[str] = mapped_column(String(16))  # role of the officer when deciding
    decision: Mapped[str] = mapped_column(String(16))  # approve | reject
    comment: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = _ts()  # when the hub accepted this officer's signed statement
    kid: Mapped[str | None] = mapped_column(String(128), nullable=True)  # the key that signed it
    statement_id: Mapped[str | None] = mapped_column(String(64), nullable=True)  # officer_statements.id


class Grant(Base):
    """A grant (授权) in force: what a partner may read, for what, until when."""

    __tablename__ = "grants"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    application_id: Mapped[str | None] = mapped_column(
        ForeignKey("applications.id"), nullable=True
    )
    partner_id: Mapped[str] = mapped_column(ForeignKey("partners.id"), index=True)
    dataset_id: Mapped[str] = mapped_column(String(160), index=True)
    purposes: Mapped[list[str]] = mapped_column(JsonType, default=list)
    columns: Mapped[list[str]] = mapped_column(JsonType, default=list)
    clear_columns: Mapped[list[str]] = mapped_column(JsonType, default=list)
    lookup_columns: Mapped[list[str]] = mapped_column(JsonType, default=list)  # ``match`` lookups (migration 0007)
    valid_from: Mapped[datetime] = _ts()
    valid_until: Mapped[datetime] = _ts()
    max_rows_per_day: Mapped[int] = mapped_column(BigInteger)
    approvals: Mapped[list[dict[str, Any]]] = mapped_column(JsonType, default=list)
    # copied from the approved application: lifts the jurisdiction row filter for this grant only
    all_regions: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    requested_by: Mapped[str] = mapped_column(String(160), default="")
    created_at: Mapped[datetime] = _ts()
    revoked_at: Mapped[datetime | None] = mapped_column(UtcDateTime(), nullable=True)
    revoked_by: Mapped[str | None] = mapped_column(String(160), nullable=True)


class Suspension(Base):
    """A lockdown of a partner (暂停): every decision denies while it stands."""

    __tablename__ = "suspensions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    partner_id: Mapped[str] = mapped_column(ForeignKey("partners.id"), index=True)
    reason: Mapped[str] = mapped_column(Text, default="")
    created_by: Mapped[str] = mapped_column(String(160))
    created_at: Mapped[datetime] = _ts()
    lifted_at: Mapped[datetime | None] = mapped_column(UtcDateTime(), nullable=True)


class QuotaDay(Base):
    """A grant's daily row budget (每日行数限额) and the rows charged against it that day.

    ``charged`` counts rows delivered plus rows held by open reservations
    (``QuotaReservation``); one conditional UPDATE keeps it ≤ ``budget`` for every API
    process at once (``hub.quota.ledger``).
    """

    __tablename__ = "quota_days"

    grant_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    day: Mapped[str] = mapped_column(String(10), primary_key=True)  # YYYY-MM-DD (UTC+8)
    budget: Mapped[int] = mapped_column(BigInteger)  # max_rows_per_day as of the last charge
    charged: Mapped[int] = mapped_column(BigInteger, default=0)


class QuotaReservation(Base):
    """Rows charged for one request whose delivery the audit log has not confirmed yet.

    Closed by reconciliation with the audit log (``hub.quota.reconcile``): kept as used
    when a delivery record of ``request_id`` exists, given back when none exists once
    ``expires_at`` has passed.
    """

    __tablename__ = "quota_reservations"
    __table_args__ = (Index("ix_quota_reservations_grant_day", "grant_id", "day"),)

    request_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    grant_id: Mapped[str] = mapped_column(String(64))
    day: Mapped[str] = mapped_column(String(10))
    rows: Mapped[int] = mapped_column(BigInteger)
    holder: Mapped[str] = mapped_column(String(96))  # host:pid:nonce of the API process
    created_at: Mapped[datetime] = _ts()
    expires_at: Mapped[datetime] = mapped_column(UtcDateTime(), index=True)


# --- audit ----------------------------------------------------------------------


class PolicyRuleRevision(Base):
    """One revision of the officer rules (``hub.policy.rules.revisions``): a signed draft, then
    active once two security officers other than its author signed it; never deleted."""

    __tablename__ = "policy_rule_revisions"

    id: Mapped[str] = mapped_column(String(16), primary_key=True)  # r1, r2, …
    number: Mapped[int] = mapped_column(Integer, unique=True)
    status: Mapped[str] = mapped_column(String(16), index=True)  # draft | active | retired
    document: Mapped[dict[str, Any]] = mapped_column(JsonType)
    digest: Mapped[str] = mapped_column(String(64))  # SHA-256 of the canonical JSON of document
    author: Mapped[str] = mapped_column(String(128))  # officer id (signed the draft)
    base: Mapped[str | None] = mapped_column(String(16), nullable=True)  # revision in force when drafted
    note: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = _ts()
    activated_at: Mapped[datetime | None] = mapped_column(UtcDateTime(), nullable=True)
    retired_at: Mapped[datetime | None] = mapped_column(UtcDateTime(), nullable=True)


class AuditRecord(Base):
    """One record of the hash-chained audit log (DESIGN.md §5)."""

    __tablename__ = "audit_records"

    # INTEGER on SQLite makes seq the rowid (one b-tree less per append); 64-bit either way
    seq: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True,
                                     autoincrement=False)
    ts: Mapped[str] = mapped_column(String(40))  # ISO 8601 with offset, as hashed
    event: Mapped[str] = mapped_column(String(48), index=True)  # typed event name
    request_id: Mapped[str | None] = mapped_column(String(64), nullable=True, index=True)
    subject: Mapped[str | None] = mapped_column(String(160), nullable=True, index=True)
    action: Mapped[str | None] = mapped_column(String(32), nullable=True)
    dataset: Mapped[str | None] = mapped_column(String(160), nullable=True, index=True)
    dataset_version: Mapped[str | None] = mapped_column(String(32), nullable=True)
    purpose: Mapped[str | None] = mapped_column(String(128), nullable=True)
    decision: Mapped[str | None] = mapped_column(String(16), nullable=True)
    reasons: Mapped[list[str]] = mapped_column(JsonType, default=list)
    grant: Mapped[str | None] = mapped_column(String(64), nullable=True)
    policy_revision: Mapped[str | None] = mapped_column(String(64), nullable=True)
    obligations_digest: Mapped[str | None] = mapped_column(String(64), nullable=True)
    rows: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    response_sha256: Mapped[str | None] = mapped_column(String(64), nullable=True)
    client_ip: Mapped[str | None] = mapped_column(String(64), nullable=True)
    details: Mapped[dict[str, Any]] = mapped_column(JsonType, default=dict)
    prev_hash: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64), unique=True)


class AuditCheckpoint(Base):
    """A signed ``(seq, hash, ts)`` over the chain."""

    __tablename__ = "audit_checkpoints"

    seq: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    hash: Mapped[str] = mapped_column(String(64))
    ts: Mapped[str] = mapped_column(String(40))
    key_id: Mapped[str] = mapped_column(String(64))
    signature: Mapped[str] = mapped_column(Text)  # base64url Ed25519 signature


# --- federation (上下贯通) ---------------------------------------------------------


class TrustedPublisher(Base):
    """Another hub whose signed model packages and revocations this hub accepts (``hub.federation``).

    Registered only when two officers signed the same terms (its name, public keys and
    URL); a security officer may withdraw the trust alone (``revoked_at``).
    """

    __tablename__ = "trusted_publishers"

    hub: Mapped[str] = mapped_column(String(64), primary_key=True)  # the publisher's federation name
    name_zh: Mapped[str] = mapped_column(String(256), default="")
    keys: Mapped[list[dict[str, Any]]] = mapped_column(JsonType, default=list)  # public JWKs (kid, x)
    url: Mapped[str | None] = mapped_column(String(512), nullable=True)  # where its revocations are served
    registered_at: Mapped[datetime] = _ts()
    statements: Mapped[list[str]] = mapped_column(JsonType, default=list)  # officer_statements ids
    revoked_at: Mapped[datetime | None] = mapped_column(UtcDateTime(), nullable=True)
    revoked_by: Mapped[str | None] = mapped_column(String(160), nullable=True)


class InstalledModel(Base):
    """A shared model package (模型共建共享) installed from another hub, and whether it was withdrawn."""

    __tablename__ = "installed_models"

    name: Mapped[str] = mapped_column(String(64), primary_key=True)  # produces clues.<name>
    version: Mapped[str] = mapped_column(String(32))
    publisher: Mapped[str] = mapped_column(String(64))
    kid: Mapped[str] = mapped_column(String(128))  # the publisher key that signed it
    package_sha256: Mapped[str] = mapped_column(String(64))  # of the signed package as received
    installed_at: Mapped[datetime] = _ts()
    installed_by: Mapped[str] = mapped_column(String(160))
    revoked_at: Mapped[datetime | None] = mapped_column(UtcDateTime(), nullable=True)
    revocation: Mapped[str | None] = mapped_column(Text, nullable=True)  # the publisher's signed revocation


class ModelRevocation(Base):
    """A signed revocation of a model version this hub published (served to installing hubs)."""

    __tablename__ = "model_revocations"
    __table_args__ = (UniqueConstraint("name", "version"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    name: Mapped[str] = mapped_column(String(64))
    version: Mapped[str] = mapped_column(String(32))
    revocation: Mapped[str] = mapped_column(Text)  # compact JWS signed with the hub identity key
    created_at: Mapped[datetime] = _ts()


# --- officer console --------------------------------------------------------------


class ConsoleLoginLink(Base):
    """A one-time console login link (``hub.console.links``), issued to a signed login statement.

    ``id`` is the SHA-256 of the link's nonce (the URL carries the nonce, the store
    never does); ``used_at`` is set once, by the first visit: a replay finds it set.
    """

    __tablename__ = "console_login_links"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    officer_id: Mapped[str] = mapped_column(String(128), index=True)
    statement_id: Mapped[str] = mapped_column(String(64))  # officer_statements.id of the login statement
    issued_at: Mapped[datetime] = _ts()
    expires_at: Mapped[datetime] = _ts()
    used_at: Mapped[datetime | None] = mapped_column(UtcDateTime(), nullable=True)


class ConsoleSession(Base):
    """A server-side console session (``hub.console.sessions``); the cookie carries its token.

    ``id`` is the SHA-256 of the token.  Idle and absolute timeouts are checked against
    ``last_seen_at`` and ``created_at``; ``ended_at`` is set at logout or expiry.
    """

    __tablename__ = "console_sessions"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    officer_id: Mapped[str] = mapped_column(String(128), index=True)
    provider: Mapped[str] = mapped_column(String(32))  # how the officer proved itself (officer-statement, oidc…)
    csrf: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = _ts()
    last_seen_at: Mapped[datetime] = _ts()
    ended_at: Mapped[datetime | None] = mapped_column(UtcDateTime(), nullable=True)
    end_reason: Mapped[str | None] = mapped_column(String(16), nullable=True)  # logout | idle | absolute


# --- ingest ---------------------------------------------------------------------


class QuarantinedRow(Base):
    """A source row that failed type or key checks: kept with its reason, never loaded."""

    __tablename__ = "quarantined_rows"
    __table_args__ = (
        UniqueConstraint("source", "resource", "position", "reason_code"),
        Index("ix_quarantined_rows_run", "run_id"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    run_id: Mapped[str] = mapped_column(String(64))
    source: Mapped[str] = mapped_column(String(64))  # finance, audit, ...
    resource: Mapped[str] = mapped_column(String(128))  # table / feed
    position: Mapped[str] = mapped_column(String(256))  # file:line, primary key, page
    raw: Mapped[str] = mapped_column(Text)
    reason_code: Mapped[str] = mapped_column(String(48))
    reason: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = _ts()


# --- situational awareness (hub.awareness) -------------------------------------------


class Alert(Base):
    """An alert raised by a detector (监测预警): open → acknowledged → resolved, with who and why.

    ``first_seen`` / ``last_seen`` are audit-record times (``ts``); ``evidence`` holds the
    audit ``seq`` values behind it (the first ones, capped) and ``count`` how many there were.
    """

    __tablename__ = "alerts"
    __table_args__ = (Index("ix_alerts_match", "kind", "subject", "dataset", "state"),)

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    kind: Mapped[str] = mapped_column(String(48))
    severity: Mapped[str] = mapped_column(String(16))
    subject: Mapped[str | None] = mapped_column(String(160), nullable=True)
    dataset: Mapped[str | None] = mapped_column(String(160), nullable=True)
    title: Mapped[str] = mapped_column(Text, default="")
    first_seen: Mapped[str] = mapped_column(String(40))
    last_seen: Mapped[str] = mapped_column(String(40))
    count: Mapped[int] = mapped_column(BigInteger, default=1)
    evidence: Mapped[list[int]] = mapped_column(JsonType, default=list)
    detected_seq: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    last_seq: Mapped[int | None] = mapped_column(BigInteger, nullable=True)  # newest evidence counted
    details: Mapped[dict[str, Any]] = mapped_column(JsonType, default=dict)
    actions: Mapped[list[dict[str, Any]]] = mapped_column(JsonType, default=list)
    state: Mapped[str] = mapped_column(String(16), default="open", index=True)
    created_at: Mapped[datetime] = _ts()
    acknowledged_by: Mapped[str | None] = mapped_column(String(160), nullable=True)
    acknowledged_at: Mapped[datetime | None] = mapped_column(UtcDateTime(), nullable=True)
    acknowledged_reason: Mapped[str | None] = mapped_column(Text, nullable=True)
    resolved_by: Mapped[str | None] = mapped_column(String(160), nullable=True)
    resolved_at: Mapped[datetime | None] = mapped_column(UtcDateTime(), nullable=True)
    resolved_reason: Mapped[str | None] = mapped_column(Text, nullable=True)


class AlertNotification(Base):
    """A webhook message about an alert, kept until it is delivered (outbox)."""

    __tablename__ = "alert_notifications"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    alert_id: Mapped[str] = mapped_column(String(32), index=True)
    payload: Mapped[dict[str, Any]] = mapped_column(JsonType, default=dict)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = _ts()
    delivered_at: Mapped[datetime | None] = mapped_column(UtcDateTime(), nullable=True)
    failed_at: Mapped[datetime | None] = mapped_column(UtcDateTime(), nullable=True)
    last_error: Mapped[str] = mapped_column(Text, default="")


class AwarenessState(Base):
    """Named state of the detectors: the audit ``seq`` cursor, the verified chain position."""

    __tablename__ = "awareness_state"

    name: Mapped[str] = mapped_column(String(64), primary_key=True)
    value: Mapped[dict[str, Any]] = mapped_column(JsonType, default=dict)


class AwarenessHourly(Base):
    """Per subject and UTC hour: requests, rows delivered, denials, sensitive (level ≥ 3) reads."""

    __tablename__ = "awareness_hourly"

    subject: Mapped[str] = mapped_column(String(160), primary_key=True)
    hour: Mapped[str] = mapped_column(String(13), primary_key=True)  # YYYY-MM-DDTHH (UTC)
    requests: Mapped[int] = mapped_column(BigInteger, default=0)
    rows: Mapped[int] = mapped_column(BigInteger, default=0)
    denials: Mapped[int] = mapped_column(BigInteger, default=0)
    sensitive: Mapped[int] = mapped_column(BigInteger, default=0)


class AwarenessSeen(Base):
    """What a subject has been seen with: client IPs, datasets read, hours of sensitive reads."""

    __tablename__ = "awareness_seen"

    subject: Mapped[str] = mapped_column(String(160), primary_key=True)
    facet: Mapped[str] = mapped_column(String(16), primary_key=True)  # ip | dataset | hour
    value: Mapped[str] = mapped_column(String(160), primary_key=True)
    first_seen: Mapped[str] = mapped_column(String(40))
    last_seen: Mapped[str] = mapped_column(String(40))
    count: Mapped[int] = mapped_column(BigInteger, default=0)


class DatasetSuspension(Base):
    """Exchange of one dataset suspended for every partner at once (一键熔断)."""

    __tablename__ = "dataset_suspensions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    dataset_id: Mapped[str] = mapped_column(String(160), index=True)
    reason: Mapped[str] = mapped_column(Text, default="")
    created_by: Mapped[str] = mapped_column(String(160))
    alert_id: Mapped[str | None] = mapped_column(String(32), nullable=True)
    created_at: Mapped[datetime] = _ts()
    lifted_at: Mapped[datetime | None] = mapped_column(UtcDateTime(), nullable=True)
class QuarantinedFile(Base):
    """A delivered file that could not be read as a whole: kept by name, size and SHA-256 with
    the reason and what was found in it (``detail``: JSON), never loaded (migration 0005)."""

    __tablename__ = "quarantined_files"
    __table_args__ = (
        UniqueConstraint("source", "resource", "file_name", "sha256", "reason_code"),
        Index("ix_quarantined_files_run", "run_id"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    run_id: Mapped[str] = mapped_column(String(64))
    source: Mapped[str] = mapped_column(String(64))
    resource: Mapped[str] = mapped_column(String(128))
    file_name: Mapped[str] = mapped_column(String(256))
    size: Mapped[int] = mapped_column(BigInteger)
    sha256: Mapped[str] = mapped_column(String(64))
    rows: Mapped[int] = mapped_column(Integer)  # records it holds, when countable (quarantined with it)
    reason_code: Mapped[str] = mapped_column(String(48))
    reason: Mapped[str] = mapped_column(Text)
    detail: Mapped[str] = mapped_column(Text)  # JSON: encoding or structure found
    created_at: Mapped[datetime] = _ts()
