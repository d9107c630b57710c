"""providers and dataset reviews: departments are registered, new datasets reviewed.

``providers`` holds the departments (提供方) that were hard-coded constants before:
a connector declares its provider and the hub registers it the first time it meets
it (``hub provider add`` does it by hand).  ``dataset_reviews`` holds the officer's
review of a catalog entry that no repository entry covers; until it exists such a
dataset is never exchangeable.

Revision ID: 0008
Revises: 0004
Create Date: 2026-12-06 20:00:00

"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision: str = '0008'
down_revision: Union[str, Sequence[str], None] = '0005'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    """Upgrade schema."""
    op.create_table('providers',
    sa.Column('code', sa.String(length=64), nullable=False),
    sa.Column('name_zh', sa.String(length=256), nullable=False),
    sa.Column('name_en', sa.String(length=256), nullable=False),
    sa.Column('default_level', sa.Integer(), nullable=False),
    sa.Column('registered_by', sa.String(length=160), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('code', name=op.f('pk_providers'))
    )
    op.create_table('dataset_reviews',
    sa.Column('dataset_id', sa.String(length=160), nullable=False),
    sa.Column('officer_id', sa.String(length=128), nullable=False),
    sa.Column('role', sa.String(length=16), nullable=False),
    sa.Column('level', sa.Integer(), nullable=False),
    sa.Column('sharing_type', sa.String(length=16), nullable=False),
    sa.Column('region_column', sa.String(length=128), nullable=True),
    sa.Column('column_classes', sa.JSON(), nullable=False),
    sa.Column('comment', sa.Text(), nullable=False),
    sa.Column('reviewed_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('dataset_id', name=op.f('pk_dataset_reviews'))
    )


def downgrade() -> None:
    """Downgrade schema."""
    op.drop_table('dataset_reviews')
    op.drop_table('providers')
