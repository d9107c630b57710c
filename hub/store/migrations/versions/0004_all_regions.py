"""all_regions on applications and grants (属地, issue 23).

An application may ask for every region: its grant then lifts the jurisdiction row
filter, and a dataset without a jurisdiction column is served to a jurisdiction-scoped
partner only under such a grant.  Existing rows are not all-regions (``false``): a
grant approved before this column existed was never approved as all-regions.

Dropping a column on SQLite goes through batch mode (the table is rebuilt).

Revision ID: 0004
Revises: 0002
Create Date: 2026-12-06 20:00:00

"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision: str = '0004'
down_revision: Union[str, Sequence[str], None] = '0003'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None

TABLES = ('applications', 'grants')


def upgrade() -> None:
    """Upgrade schema."""
    for table in TABLES:
        op.add_column(table, sa.Column('all_regions', sa.Boolean(), server_default=sa.false(), nullable=False))


def downgrade() -> None:
    """Downgrade schema."""
    for table in TABLES:
        with op.batch_alter_table(table) as batch:
            batch.drop_column('all_regions')
