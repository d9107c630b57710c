"""officer statements: signed officer actions, their replay cache and co-signatures.

Adds ``officer_statements`` (every signed statement the hub accepted: approvals,
rejections, revocations, lockdowns and lifts, enrolments and removals of officers)
and, on ``approvals``, the ``kid`` that signed each decision and the id of its
statement.  Existing rows keep NULL there: they were recorded before officers
signed (the audit verifier reports them as such).

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-29 09:00:00

"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision: str = '0003'
down_revision: Union[str, Sequence[str], None] = '0002'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    """Upgrade schema."""
    op.create_table('officer_statements',
    sa.Column('id', sa.String(length=64), nullable=False),
    sa.Column('officer_id', sa.String(length=128), nullable=False),
    sa.Column('kid', sa.String(length=128), nullable=False),
    sa.Column('action', sa.String(length=32), nullable=False),
    sa.Column('target', sa.String(length=200), nullable=False),
    sa.Column('digest', sa.String(length=64), nullable=False),
    sa.Column('note', sa.Text(), nullable=False),
    sa.Column('issued_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('accepted_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('consumed_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('statement', sa.Text(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_officer_statements'))
    )
    op.create_index(op.f('ix_officer_statements_officer_id'), 'officer_statements', ['officer_id'])
    op.create_index(op.f('ix_officer_statements_target'), 'officer_statements', ['target'])
    op.add_column('approvals', sa.Column('kid', sa.String(length=128), nullable=True))
    op.add_column('approvals', sa.Column('statement_id', sa.String(length=64), nullable=True))


def downgrade() -> None:
    """Downgrade schema."""
    op.drop_column('approvals', 'statement_id')
    op.drop_column('approvals', 'kid')
    op.drop_index(op.f('ix_officer_statements_target'), table_name='officer_statements')
    op.drop_index(op.f('ix_officer_statements_officer_id'), table_name='officer_statements')
    op.drop_table('officer_statements')
