"""hub_identity: this hub's id, the audience (``aud``) every officer statement is bound to.

One row, made here with a random id, so that every store (new or upgraded) names its
hub from the start and two hubs never share an id (a statement signed for one is
refused by the other, docs/officers.md §5).  The id never changes with the hub's URL.

Revision ID: 0016
Revises: 0011
Create Date: 2026-12-07 02:30:00

"""
import secrets
from datetime import UTC, datetime
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision: str = '0016'
down_revision: Union[str, Sequence[str], None] = '0011'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    table = op.create_table(
        'hub_identity',
        sa.Column('id', sa.String(length=64), nullable=False),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint('id'),
    )
    now = datetime.now(UTC)
    if op.get_bind().dialect.name == 'sqlite':  # stored as UTC without an offset (hub.store.models.UtcDateTime)
        now = now.replace(tzinfo=None)
    op.bulk_insert(table, [{'id': f"hub-{secrets.token_hex(16)}", 'created_at': now}])


def downgrade() -> None:
    op.drop_table('hub_identity')
