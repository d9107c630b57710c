"""lookup_columns on applications and grants: the columns a partner may ``match`` on.

A grant may list lookup columns (issue 13): ``filter=COL:match:CLEAR_VALUE`` on one of
them is answered by comparing pseudonyms, computed server-side with the partner's own
key.  Existing applications and grants get an empty list (no lookups).

Revision ID: 0007
Revises: 0013 (branched from 0002; re-chained after merging main: 0004, 0009, 0006, 0010, then 0013)
Create Date: 2026-12-06 20:30:00

"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision: str = '0007'
down_revision: Union[str, Sequence[str], None] = '0013'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None

TABLES = ('applications', 'grants')


def upgrade() -> None:
    """Upgrade schema."""
    for table in TABLES:
        with op.batch_alter_table(table) as batch:
            batch.add_column(sa.Column('lookup_columns', sa.JSON(), nullable=False, server_default='[]'))


def downgrade() -> None:
    """Downgrade schema."""
    for table in TABLES:
        with op.batch_alter_table(table) as batch:
            batch.drop_column('lookup_columns')
