"""audit seq is the rowid on SQLite: audit_records.seq INTEGER instead of BIGINT there.

On SQLite only a column declared exactly ``INTEGER PRIMARY KEY`` is the table's rowid;
``BIGINT PRIMARY KEY`` is a separate unique index beside the rowid b-tree, which every
audit append had to update as well.  SQLite integers are 64-bit whatever the declared
type, so the stored values do not change.  PostgreSQL keeps ``BIGINT``: nothing to do.

SQLite cannot alter a column's type, so batch mode rebuilds the table (copying its rows
in seq order and recreating its indexes).  The table is spelled out (``copy_from``), frozen
as of this revision, so the offline SQL (``hub db sql``) renders without reflecting a store.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-28 04:10:00

"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision: str = '0002'
down_revision: Union[str, Sequence[str], None] = '0001'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def _audit_records(seq_type: sa.types.TypeEngine) -> sa.Table:
    """audit_records as revision 0001 created it, with ``seq_type`` for seq."""
    return sa.Table('audit_records', sa.MetaData(),
    sa.Column('seq', seq_type, autoincrement=False, nullable=False),
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
    sa.PrimaryKeyConstraint('seq', name='pk_audit_records'),
    sa.UniqueConstraint('hash', name='uq_audit_records_hash'),
    sa.Index('ix_audit_records_dataset', 'dataset'),
    sa.Index('ix_audit_records_event', 'event'),
    sa.Index('ix_audit_records_request_id', 'request_id'),
    sa.Index('ix_audit_records_subject', 'subject'),
    )


def _retype_seq(old: sa.types.TypeEngine, new: sa.types.TypeEngine) -> None:
    if op.get_context().dialect.name != 'sqlite':
        return
    with op.batch_alter_table('audit_records', copy_from=_audit_records(old), recreate='always') as batch:
        batch.alter_column('seq', existing_type=old, type_=new, existing_nullable=False, autoincrement=False)


def upgrade() -> None:
    """Upgrade schema."""
    _retype_seq(sa.BigInteger(), sa.Integer())


def downgrade() -> None:
    """Downgrade schema."""
    _retype_seq(sa.Integer(), sa.BigInteger())
