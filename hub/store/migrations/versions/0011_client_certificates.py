"""client_certificates: partner TLS client certificates for mutual TLS (issue 17).

A partner's certificate is bound to it by thumbprint (``x5t#S256``, RFC 8705); tokens
issued over a connection presenting it carry the same thumbprint in ``cnf``.

Revision ID: 0011
Revises: 0012
Create Date: 2026-12-06 22:50:00

"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision: str = '0011'
down_revision: Union[str, Sequence[str], None] = '0012'  # '0004' on branch i17; re-chained after main's 0010, then after 0012 (head)
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    op.create_table(
        'client_certificates',
        sa.Column('thumbprint', sa.String(length=64), nullable=False),
        sa.Column('client_id', sa.String(length=160), nullable=False),
        sa.Column('subject_dn', sa.String(length=512), nullable=False),
        sa.Column('not_after', sa.DateTime(timezone=True), nullable=False),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('revoked_at', sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint('thumbprint'),
    )
    op.create_index('ix_client_certificates_client_id', 'client_certificates', ['client_id'])


def downgrade() -> None:
    op.drop_index('ix_client_certificates_client_id', table_name='client_certificates')
    op.drop_table('client_certificates')
