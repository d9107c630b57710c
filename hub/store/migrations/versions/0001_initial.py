"""initial: the 16 tables of the metadata store.

Identities (partners, officers, client_keys, token_jtis), catalog (datasets,
dataset_columns, dataset_versions, lineage_edges), workflow (applications,
approvals, grants, suspensions, row_usage), audit (audit_records,
audit_checkpoints) and ingest (quarantined_rows).

Generated with ``alembic revision --autogenerate`` against an empty store, then
reviewed by hand: frozen column types (plain ``sa.DateTime(timezone=True)`` and
``sa.JSON()``, no imports from ``hub.store.models``), constraint names from the
models' naming convention, tables created parents-first and dropped children-first.

Revision ID: 0001
Revises:
Create Date: 2026-11-28 00:14:29.847497

"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision: str = '0001'
down_revision: Union[str, Sequence[str], None] = None
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    """Upgrade schema."""
    op.create_table('audit_checkpoints',
    sa.Column('seq', sa.BigInteger(), autoincrement=False, nullable=False),
    sa.Column('hash', sa.String(length=64), nullable=False),
    sa.Column('ts', sa.String(length=40), nullable=False),
    sa.Column('key_id', sa.String(length=64), nullable=False),
    sa.Column('signature', sa.Text(), nullable=False),
    sa.PrimaryKeyConstraint('seq', name=op.f('pk_audit_checkpoints'))
    )
    op.create_table('audit_records',
    sa.Column('seq', sa.BigInteger(), autoincrement=False, nullable=False),
    sa.Column('ts', sa.String(length=40), nullable=False),
    sa.Column('event', sa.String(length=48), nullable=False),
    sa.Column('request_id', sa.String(length=64), nullable=True),
    sa.Column('subject', sa.String(length=160), nullable=True),
    sa.Column('action', sa.String(length=32), nullable=True),
    sa.Column('dataset', sa.String(length=160), nullable=True),
    sa.Column('dataset_version', sa.String(length=32), nullable=True),
    sa.Column('purpose', sa.String(length=128), nullable=True),
    sa.Column('decision', sa.String(length=16), nullable=True),
    sa.Column('reasons', sa.JSON(), nullable=False),
    sa.Column('grant', sa.String(length=64), nullable=True),
    sa.Column('policy_revision', sa.String(length=64), nullable=True),
    sa.Column('obligations_digest', sa.String(length=64), nullable=True),
    sa.Column('rows', sa.BigInteger(), nullable=True),
    sa.Column('response_sha256', sa.String(length=64), nullable=True),
    sa.Column('client_ip', sa.String(length=64), nullable=True),
    sa.Column('details', sa.JSON(), nullable=False),
    sa.Column('prev_hash', sa.String(length=64), nullable=False),
    sa.Column('hash', sa.String(length=64), nullable=False),
    sa.PrimaryKeyConstraint('seq', name=op.f('pk_audit_records')),
    sa.UniqueConstraint('hash', name=op.f('uq_audit_records_hash'))
    )
    op.create_index(op.f('ix_audit_records_dataset'), 'audit_records', ['dataset'])
    op.create_index(op.f('ix_audit_records_event'), 'audit_records', ['event'])
    op.create_index(op.f('ix_audit_records_request_id'), 'audit_records', ['request_id'])
    op.create_index(op.f('ix_audit_records_subject'), 'audit_records', ['subject'])

    op.create_table('client_keys',
    sa.Column('kid', sa.String(length=128), nullable=False),
    sa.Column('client_id', sa.String(length=160), nullable=False),
    sa.Column('algorithm', sa.String(length=16), nullable=False),
    sa.Column('public_key_pem', sa.Text(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('revoked_at', sa.DateTime(timezone=True), nullable=True),
    sa.PrimaryKeyConstraint('kid', name=op.f('pk_client_keys'))
    )
    op.create_index(op.f('ix_client_keys_client_id'), 'client_keys', ['client_id'])

    op.create_table('datasets',
    sa.Column('id', sa.String(length=160), nullable=False),
    sa.Column('layer', sa.String(length=16), nullable=False),
    sa.Column('provider', sa.String(length=64), nullable=False),
    sa.Column('owner', sa.String(length=128), nullable=True),
    sa.Column('resource_code', sa.String(length=64), nullable=True),
    sa.Column('name_zh', sa.String(length=256), nullable=False),
    sa.Column('name_en', sa.String(length=256), nullable=False),
    sa.Column('summary', sa.Text(), nullable=False),
    sa.Column('format', sa.String(length=32), nullable=False),
    sa.Column('level_inferred', sa.Integer(), nullable=False),
    sa.Column('level_reviewed', sa.Integer(), nullable=True),
    sa.Column('sharing_type_inferred', sa.String(length=16), nullable=False),
    sa.Column('sharing_type_reviewed', sa.String(length=16), nullable=True),
    sa.Column('sharing_conditions', sa.Text(), nullable=False),
    sa.Column('reviewed_by', sa.String(length=128), nullable=True),
    sa.Column('open_attribute', sa.String(length=32), nullable=False),
    sa.Column('update_cycle', sa.String(length=32), nullable=False),
    sa.Column('region_column', sa.String(length=128), nullable=True),
    sa.Column('exchangeable', sa.Boolean(), nullable=False),
    sa.Column('row_count', sa.BigInteger(), nullable=True),
    sa.Column('current_version', sa.String(length=32), nullable=True),
    sa.Column('published_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('refreshed_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('quality', sa.JSON(), nullable=False),
    sa.Column('meta', sa.JSON(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_datasets'))
    )
    op.create_table('lineage_edges',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('upstream', sa.String(length=200), nullable=False),
    sa.Column('downstream', sa.String(length=160), nullable=False),
    sa.Column('upstream_column', sa.String(length=128), nullable=False),
    sa.Column('downstream_column', sa.String(length=128), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_lineage_edges')),
    sa.UniqueConstraint('upstream', 'downstream', 'upstream_column', 'downstream_column', name=op.f('uq_lineage_edges_upstream'))
    )
    op.create_index(op.f('ix_lineage_edges_downstream'), 'lineage_edges', ['downstream'])
    op.create_index(op.f('ix_lineage_edges_upstream'), 'lineage_edges', ['upstream'])

    op.create_table('officers',
    sa.Column('id', sa.String(length=128), nullable=False),
    sa.Column('role', sa.String(length=16), nullable=False),
    sa.Column('owner_of', sa.String(length=64), nullable=True),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_officers'))
    )
    op.create_table('partners',
    sa.Column('id', sa.String(length=128), nullable=False),
    sa.Column('name', sa.String(length=256), nullable=False),
    sa.Column('clearance', sa.Integer(), nullable=False),
    sa.Column('jurisdiction', sa.String(length=12), nullable=False),
    sa.Column('purposes', sa.JSON(), nullable=False),
    sa.Column('suspended', sa.Boolean(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_partners'))
    )
    op.create_table('quarantined_rows',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('run_id', sa.String(length=64), nullable=False),
    sa.Column('source', sa.String(length=64), nullable=False),
    sa.Column('resource', sa.String(length=128), nullable=False),
    sa.Column('position', sa.String(length=256), nullable=False),
    sa.Column('raw', sa.Text(), nullable=False),
    sa.Column('reason_code', sa.String(length=48), nullable=False),
    sa.Column('reason', sa.Text(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_quarantined_rows')),
    sa.UniqueConstraint('source', 'resource', 'position', 'reason_code', name=op.f('uq_quarantined_rows_source'))
    )
    op.create_index('ix_quarantined_rows_run', 'quarantined_rows', ['run_id'])

    op.create_table('row_usage',
    sa.Column('partner_id', sa.String(length=128), nullable=False),
    sa.Column('grant_id', sa.String(length=64), nullable=False),
    sa.Column('day', sa.String(length=10), nullable=False),
    sa.Column('rows', sa.BigInteger(), nullable=False),
    sa.PrimaryKeyConstraint('partner_id', 'grant_id', 'day', name=op.f('pk_row_usage'))
    )
    op.create_table('token_jtis',
    sa.Column('jti', sa.String(length=256), nullable=False),
    sa.Column('client_id', sa.String(length=160), nullable=False),
    sa.Column('expires_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('jti', name=op.f('pk_token_jtis'))
    )
    op.create_table('applications',
    sa.Column('id', sa.String(length=64), nullable=False),
    sa.Column('partner_id', sa.String(length=128), nullable=False),
    sa.Column('dataset_id', sa.String(length=160), nullable=False),
    sa.Column('purpose', sa.String(length=128), nullable=False),
    sa.Column('columns', sa.JSON(), nullable=False),
    sa.Column('clear_columns', sa.JSON(), nullable=False),
    sa.Column('justification', sa.Text(), nullable=False),
    sa.Column('valid_from', sa.DateTime(timezone=True), nullable=False),
    sa.Column('valid_until', sa.DateTime(timezone=True), nullable=False),
    sa.Column('max_rows_per_day', sa.BigInteger(), nullable=False),
    sa.Column('requested_by', sa.String(length=160), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('decided_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['partner_id'], ['partners.id'], name=op.f('fk_applications_partner_id_partners')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_applications'))
    )
    op.create_index(op.f('ix_applications_partner_id'), 'applications', ['partner_id'])

    op.create_table('dataset_columns',
    sa.Column('dataset_id', sa.String(length=160), nullable=False),
    sa.Column('name', sa.String(length=128), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('data_type', sa.String(length=64), nullable=False),
    sa.Column('description', sa.Text(), nullable=False),
    sa.Column('pii_class', sa.String(length=32), nullable=True),
    sa.Column('pii_recognizer', sa.String(length=64), nullable=True),
    sa.Column('pii_share', sa.Float(), nullable=True),
    sa.Column('pii_confidence', sa.Float(), nullable=True),
    sa.Column('level', sa.Integer(), nullable=False),
    sa.Column('free_text', sa.Boolean(), nullable=False),
    sa.ForeignKeyConstraint(['dataset_id'], ['datasets.id'], name=op.f('fk_dataset_columns_dataset_id_datasets'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('dataset_id', 'name', name=op.f('pk_dataset_columns'))
    )
    op.create_table('dataset_versions',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('dataset_id', sa.String(length=160), nullable=False),
    sa.Column('version', sa.String(length=32), nullable=False),
    sa.Column('number', sa.Integer(), nullable=False),
    sa.Column('content_sha256', sa.String(length=64), nullable=False),
    sa.Column('schema_sha256', sa.String(length=64), nullable=False),
    sa.Column('row_count', sa.BigInteger(), nullable=False),
    sa.Column('path', sa.Text(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('retired_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['dataset_id'], ['datasets.id'], name=op.f('fk_dataset_versions_dataset_id_datasets'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_dataset_versions')),
    sa.UniqueConstraint('dataset_id', 'version', name=op.f('uq_dataset_versions_dataset_id'))
    )
    op.create_table('suspensions',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('partner_id', sa.String(length=128), nullable=False),
    sa.Column('reason', sa.Text(), nullable=False),
    sa.Column('created_by', sa.String(length=160), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('lifted_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['partner_id'], ['partners.id'], name=op.f('fk_suspensions_partner_id_partners')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_suspensions'))
    )
    op.create_index(op.f('ix_suspensions_partner_id'), 'suspensions', ['partner_id'])

    op.create_table('approvals',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('application_id', sa.String(length=64), nullable=False),
    sa.Column('officer_id', sa.String(length=128), nullable=False),
    sa.Column('role', sa.String(length=16), nullable=False),
    sa.Column('decision', sa.String(length=16), nullable=False),
    sa.Column('comment', sa.Text(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['application_id'], ['applications.id'], name=op.f('fk_approvals_application_id_applications')),
    sa.ForeignKeyConstraint(['officer_id'], ['officers.id'], name=op.f('fk_approvals_officer_id_officers')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_approvals')),
    sa.UniqueConstraint('application_id', 'officer_id', name=op.f('uq_approvals_application_id'))
    )
    op.create_index(op.f('ix_approvals_application_id'), 'approvals', ['application_id'])

    op.create_table('grants',
    sa.Column('id', sa.String(length=64), nullable=False),
    sa.Column('application_id', sa.String(length=64), nullable=True),
    sa.Column('partner_id', sa.String(length=128), nullable=False),
    sa.Column('dataset_id', sa.String(length=160), nullable=False),
    sa.Column('purposes', sa.JSON(), nullable=False),
    sa.Column('columns', sa.JSON(), nullable=False),
    sa.Column('clear_columns', sa.JSON(), nullable=False),
    sa.Column('valid_from', sa.DateTime(timezone=True), nullable=False),
    sa.Column('valid_until', sa.DateTime(timezone=True), nullable=False),
    sa.Column('max_rows_per_day', sa.BigInteger(), nullable=False),
    sa.Column('approvals', sa.JSON(), nullable=False),
    sa.Column('requested_by', sa.String(length=160), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('revoked_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('revoked_by', sa.String(length=160), nullable=True),
    sa.ForeignKeyConstraint(['application_id'], ['applications.id'], name=op.f('fk_grants_application_id_applications')),
    sa.ForeignKeyConstraint(['partner_id'], ['partners.id'], name=op.f('fk_grants_partner_id_partners')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_grants'))
    )
    op.create_index(op.f('ix_grants_dataset_id'), 'grants', ['dataset_id'])
    op.create_index(op.f('ix_grants_partner_id'), 'grants', ['partner_id'])


def downgrade() -> None:
    """Downgrade schema."""
    op.drop_table('grants')
    op.drop_table('approvals')
    op.drop_table('suspensions')
    op.drop_table('dataset_versions')
    op.drop_table('dataset_columns')
    op.drop_table('applications')
    op.drop_table('token_jtis')
    op.drop_table('row_usage')
    op.drop_table('quarantined_rows')
    op.drop_table('partners')
    op.drop_table('officers')
    op.drop_table('lineage_edges')
    op.drop_table('datasets')
    op.drop_table('client_keys')
    op.drop_table('audit_records')
    op.drop_table('audit_checkpoints')
