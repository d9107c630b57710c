"""officer rules: every revision of the officer-defined policy rules (issue 15).

Adds ``policy_rule_revisions``: drafts, the active revision and retired ones, each
with its document, digest, author and base revision.

Revision ID: 0012
Revises: 0013
Create Date: 2026-12-06 23:30:00

"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision: str = '0012'
down_revision: Union[str, Sequence[str], None] = '0007'  # re-chained at merges: 0006 → 0010 → 0013 → 0007
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    """Upgrade schema."""
    op.create_table('policy_rule_revisions',
    sa.Column('id', sa.String(length=16), nullable=False),
    sa.Column('number', sa.Integer(), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('document', sa.JSON(), nullable=False),
    sa.Column('digest', sa.String(length=64), nullable=False),
    sa.Column('author', sa.String(length=128), nullable=False),
    sa.Column('base', sa.String(length=16), nullable=True),
    sa.Column('note', sa.Text(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('activated_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('retired_at', sa.DateTime(timezone=True), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_policy_rule_revisions')),
    sa.UniqueConstraint('number', name=op.f('uq_policy_rule_revisions_number'))
    )
    op.create_index(op.f('ix_policy_rule_revisions_status'), 'policy_rule_revisions', ['status'])


def downgrade() -> None:
    """Downgrade schema."""
    op.drop_index(op.f('ix_policy_rule_revisions_status'), table_name='policy_rule_revisions')
    op.drop_table('policy_rule_revisions')
