"""officer console: one-time login links and server-side sessions.

Adds ``console_login_links`` (a link issued to an officer's signed login statement,
used once) and ``console_sessions`` (the console's server-side sessions with their
CSRF token and timeouts).

Revision ID: 0009
Revises: 0004
Create Date: 2026-12-06 21:00:00

"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision: str = '0009'
down_revision: Union[str, Sequence[str], None] = '0008'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    """Upgrade schema."""
    op.create_table('console_login_links',
    sa.Column('id', sa.String(length=64), nullable=False),
    sa.Column('officer_id', sa.String(length=128), nullable=False),
    sa.Column('statement_id', sa.String(length=64), nullable=False),
    sa.Column('issued_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('expires_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('used_at', sa.DateTime(timezone=True), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_console_login_links'))
    )
    op.create_index(op.f('ix_console_login_links_officer_id'), 'console_login_links', ['officer_id'])
    op.create_table('console_sessions',
    sa.Column('id', sa.String(length=64), nullable=False),
    sa.Column('officer_id', sa.String(length=128), nullable=False),
    sa.Column('provider', sa.String(length=32), nullable=False),
    sa.Column('csrf', sa.String(length=64), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('last_seen_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('ended_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('end_reason', sa.String(length=16), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_console_sessions'))
    )
    op.create_index(op.f('ix_console_sessions_officer_id'), 'console_sessions', ['officer_id'])


def downgrade() -> None:
    """Downgrade schema."""
    op.drop_index(op.f('ix_console_sessions_officer_id'), table_name='console_sessions')
    op.drop_table('console_sessions')
    op.drop_index(op.f('ix_console_login_links_officer_id'), table_name='console_login_links')
    op.drop_table('console_login_links')
