"""quota ledger: per-(grant, day) charges and open reservations replace row_usage.

Issue 13/26: the daily row budget is charged in the metadata store, atomically for all
API processes, before the rows leave.  ``quota_days`` holds each grant's charged rows per
day (UTC+8) against its budget; ``quota_reservations`` holds the charges whose delivery
the audit log has not confirmed yet (closed by reconciliation, ``hub.quota.reconcile``).
``row_usage``, which each process filled from memory by a periodic flush, goes: its
counts were never the source of truth (the audit log's delivery records are) and are
not carried over.

Revision ID: 0006
Revises: 0004 (written on 0002; re-chained after merging main)
Create Date: 2026-12-06 20:00:00

"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision: str = '0006'
down_revision: Union[str, Sequence[str], None] = '0009'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    """Upgrade schema."""
    op.create_table('quota_days',
    sa.Column('grant_id', sa.String(length=64), nullable=False),
    sa.Column('day', sa.String(length=10), nullable=False),
    sa.Column('budget', sa.BigInteger(), nullable=False),
    sa.Column('charged', sa.BigInteger(), nullable=False),
    sa.PrimaryKeyConstraint('grant_id', 'day', name=op.f('pk_quota_days'))
    )
    op.create_table('quota_reservations',
    sa.Column('request_id', sa.String(length=64), nullable=False),
    sa.Column('grant_id', sa.String(length=64), nullable=False),
    sa.Column('day', sa.String(length=10), nullable=False),
    sa.Column('rows', sa.BigInteger(), nullable=False),
    sa.Column('holder', sa.String(length=96), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('expires_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('request_id', name=op.f('pk_quota_reservations'))
    )
    op.create_index('ix_quota_reservations_grant_day', 'quota_reservations', ['grant_id', 'day'])
    op.create_index(op.f('ix_quota_reservations_expires_at'), 'quota_reservations', ['expires_at'])
    op.drop_table('row_usage')


def downgrade() -> None:
    """Downgrade schema."""
    op.create_table('row_usage',
    sa.Column('partner_id', sa.String(length=128), nullable=False),
    sa.Column('grant_id', sa.String(length=64), nullable=False),
    sa.Column('day', sa.String(length=10), nullable=False),
    sa.Column('rows', sa.BigInteger(), nullable=False),
    sa.PrimaryKeyConstraint('partner_id', 'grant_id', 'day', name=op.f('pk_row_usage'))
    )
    op.drop_index(op.f('ix_quota_reservations_expires_at'), table_name='quota_reservations')
    op.drop_index('ix_quota_reservations_grant_day', table_name='quota_reservations')
    op.drop_table('quota_reservations')
    op.drop_table('quota_days')
