"""quarantined_files: delivered files quarantined whole (truncated, wrong encoding, wrong header).

A file that cannot be read as a whole is kept as one entry — name, size, SHA-256,
the records it holds when countable, reason code and reason, and what was found in
it (``detail``, JSON: the encoding or structure) — instead of a row entry with empty
content.  Unique on (source, resource, file_name, sha256, reason_code): the same
damaged content seen again is stored once; a corrected file has another SHA-256.

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-06 20:30:00

"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision: str = '0005'
down_revision: Union[str, Sequence[str], None] = '0004'  # '0002' on branch i22; re-chained after merging main (0003, 0004)
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    op.create_table('quarantined_files',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('run_id', sa.String(length=64), nullable=False),
    sa.Column('source', sa.String(length=64), nullable=False),
    sa.Column('resource', sa.String(length=128), nullable=False),
    sa.Column('file_name', sa.String(length=256), nullable=False),
    sa.Column('size', sa.BigInteger(), nullable=False),
    sa.Column('sha256', sa.String(length=64), nullable=False),
    sa.Column('rows', sa.Integer(), nullable=False),
    sa.Column('reason_code', sa.String(length=48), nullable=False),
    sa.Column('reason', sa.Text(), nullable=False),
    sa.Column('detail', sa.Text(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_quarantined_files')),
    sa.UniqueConstraint('source', 'resource', 'file_name', 'sha256', 'reason_code',
                        name=op.f('uq_quarantined_files_source'))
    )
    op.create_index('ix_quarantined_files_run', 'quarantined_files', ['run_id'])


def downgrade() -> None:
    op.drop_index('ix_quarantined_files_run', table_name='quarantined_files')
    op.drop_table('quarantined_files')
