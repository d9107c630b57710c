"""federation: trusted model publishers, installed model packages, issued revocations.

Adds ``trusted_publishers`` (other hubs whose signed model packages this hub accepts,
registered by two officers), ``installed_models`` (shared model packages installed
here, with the publisher's signed revocation once withdrawn) and ``model_revocations``
(revocations this hub signed for models it published; served to installing hubs).

Revision ID: 0013
Revises: 0010
Create Date: 2026-12-07 10:00:00

"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision: str = '0013'
down_revision: Union[str, Sequence[str], None] = '0010'  # re-chained at merges of main: 0009 → 0006 → 0010
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    """Upgrade schema."""
    op.create_table('trusted_publishers',
    sa.Column('hub', sa.String(length=64), nullable=False),
    sa.Column('name_zh', sa.String(length=256), nullable=False),
    sa.Column('keys', sa.JSON(), nullable=False),
    sa.Column('url', sa.String(length=512), nullable=True),
    sa.Column('registered_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('statements', sa.JSON(), nullable=False),
    sa.Column('revoked_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('revoked_by', sa.String(length=160), nullable=True),
    sa.PrimaryKeyConstraint('hub', name=op.f('pk_trusted_publishers'))
    )
    op.create_table('installed_models',
    sa.Column('name', sa.String(length=64), nullable=False),
    sa.Column('version', sa.String(length=32), nullable=False),
    sa.Column('publisher', sa.String(length=64), nullable=False),
    sa.Column('kid', sa.String(length=128), nullable=False),
    sa.Column('package_sha256', sa.String(length=64), nullable=False),
    sa.Column('installed_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('installed_by', sa.String(length=160), nullable=False),
    sa.Column('revoked_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('revocation', sa.Text(), nullable=True),
    sa.PrimaryKeyConstraint('name', name=op.f('pk_installed_models'))
    )
    op.create_table('model_revocations',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('name', sa.String(length=64), nullable=False),
    sa.Column('version', sa.String(length=32), nullable=False),
    sa.Column('revocation', sa.Text(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_model_revocations')),
    sa.UniqueConstraint('name', 'version', name=op.f('uq_model_revocations_name'))
    )


def downgrade() -> None:
    """Downgrade schema."""
    op.drop_table('model_revocations')
    op.drop_table('installed_models')
    op.drop_table('trusted_publishers')
