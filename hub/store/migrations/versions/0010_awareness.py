"""awareness (态势感知, issue 16): alerts, their webhook outbox, detector state, dataset suspensions.

``alerts`` are what the detectors raise (open → acknowledged → resolved);
``alert_notifications`` is the webhook outbox; ``awareness_state`` holds the detectors'
audit cursor and verified chain position; ``awareness_hourly`` and ``awareness_seen``
are the per-subject history the baselines are taken over (rebuildable from the audit
log); ``dataset_suspensions`` are circuit breakers (一键熔断) on one dataset for every
partner, honoured by the policies.

Revision ID: 0010
Revises: 0006 (re-chained at the merge of main: 0005 → 0008 → 0009 → 0006 → 0010)
Create Date: 2026-12-06 21:10:00

"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision: str = '0010'
down_revision: Union[str, Sequence[str], None] = '0006'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def _when(name: str, nullable: bool = True) -> sa.Column:
    return sa.Column(name, sa.DateTime(timezone=True), nullable=nullable)


def upgrade() -> None:
    """Upgrade schema."""
    op.create_table('alerts',
    sa.Column('id', sa.String(length=32), nullable=False),
    sa.Column('kind', sa.String(length=48), nullable=False),
    sa.Column('severity', sa.String(length=16), nullable=False),
    sa.Column('subject', sa.String(length=160), nullable=True),
    sa.Column('dataset', sa.String(length=160), nullable=True),
    sa.Column('title', sa.Text(), nullable=False),
    sa.Column('first_seen', sa.String(length=40), nullable=False),
    sa.Column('last_seen', sa.String(length=40), nullable=False),
    sa.Column('count', sa.BigInteger(), nullable=False),
    sa.Column('evidence', sa.JSON(), nullable=False),
    sa.Column('detected_seq', sa.BigInteger(), nullable=True),
    sa.Column('last_seq', sa.BigInteger(), nullable=True),
    sa.Column('details', sa.JSON(), nullable=False),
    sa.Column('actions', sa.JSON(), nullable=False),
    sa.Column('state', sa.String(length=16), nullable=False),
    _when('created_at', nullable=False),
    sa.Column('acknowledged_by', sa.String(length=160), nullable=True),
    _when('acknowledged_at'),
    sa.Column('acknowledged_reason', sa.Text(), nullable=True),
    sa.Column('resolved_by', sa.String(length=160), nullable=True),
    _when('resolved_at'),
    sa.Column('resolved_reason', sa.Text(), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_alerts'))
    )
    op.create_index('ix_alerts_match', 'alerts', ['kind', 'subject', 'dataset', 'state'])
    op.create_index(op.f('ix_alerts_state'), 'alerts', ['state'])
    op.create_table('alert_notifications',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('alert_id', sa.String(length=32), nullable=False),
    sa.Column('payload', sa.JSON(), nullable=False),
    sa.Column('attempts', sa.Integer(), nullable=False),
    _when('created_at', nullable=False),
    _when('delivered_at'),
    _when('failed_at'),
    sa.Column('last_error', sa.Text(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_alert_notifications'))
    )
    op.create_index(op.f('ix_alert_notifications_alert_id'), 'alert_notifications', ['alert_id'])
    op.create_table('awareness_state',
    sa.Column('name', sa.String(length=64), nullable=False),
    sa.Column('value', sa.JSON(), nullable=False),
    sa.PrimaryKeyConstraint('name', name=op.f('pk_awareness_state'))
    )
    op.create_table('awareness_hourly',
    sa.Column('subject', sa.String(length=160), nullable=False),
    sa.Column('hour', sa.String(length=13), nullable=False),
    sa.Column('requests', sa.BigInteger(), nullable=False),
    sa.Column('rows', sa.BigInteger(), nullable=False),
    sa.Column('denials', sa.BigInteger(), nullable=False),
    sa.Column('sensitive', sa.BigInteger(), nullable=False),
    sa.PrimaryKeyConstraint('subject', 'hour', name=op.f('pk_awareness_hourly'))
    )
    op.create_table('awareness_seen',
    sa.Column('subject', sa.String(length=160), nullable=False),
    sa.Column('facet', sa.String(length=16), nullable=False),
    sa.Column('value', sa.String(length=160), nullable=False),
    sa.Column('first_seen', sa.String(length=40), nullable=False),
    sa.Column('last_seen', sa.String(length=40), nullable=False),
    sa.Column('count', sa.BigInteger(), nullable=False),
    sa.PrimaryKeyConstraint('subject', 'facet', 'value', name=op.f('pk_awareness_seen'))
    )
    op.create_table('dataset_suspensions',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('dataset_id', sa.String(length=160), nullable=False),
    sa.Column('reason', sa.Text(), nullable=False),
    sa.Column('created_by', sa.String(length=160), nullable=False),
    sa.Column('alert_id', sa.String(length=32), nullable=True),
    _when('created_at', nullable=False),
    _when('lifted_at'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_dataset_suspensions'))
    )
    op.create_index(op.f('ix_dataset_suspensions_dataset_id'), 'dataset_suspensions', ['dataset_id'])


def downgrade() -> None:
    """Downgrade schema."""
    op.drop_index(op.f('ix_dataset_suspensions_dataset_id'), table_name='dataset_suspensions')
    op.drop_table('dataset_suspensions')
    op.drop_table('awareness_seen')
    op.drop_table('awareness_hourly')
    op.drop_table('awareness_state')
    op.drop_index(op.f('ix_alert_notifications_alert_id'), table_name='alert_notifications')
    op.drop_table('alert_notifications')
    op.drop_index(op.f('ix_alerts_state'), table_name='alerts')
    op.drop_index('ix_alerts_match', table_name='alerts')
    op.drop_table('alerts')
