"""certificate keys and status list

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-04 21:40:00.000000

The public half of every key that ever signed certificates (published by kid, so a rotation invalidates
nothing), and each certificate's index in the revocation status list. Existing certificates take their
row id as index, which no later certificate can take, since new rows also take theirs.

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('certificate_keys',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('kid', sa.String(length=100), nullable=False),
    sa.Column('public_key', sa.String(length=100), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('retired_at', sa.DateTime(timezone=True), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_certificate_keys')),
    sa.UniqueConstraint('kid', name=op.f('uq_certificate_keys_kid'))
    )
    with op.batch_alter_table('certificates', schema=None) as batch_op:
        batch_op.add_column(sa.Column('status_index', sa.Integer(), nullable=True))
    op.execute('UPDATE certificates SET status_index = id')
    with op.batch_alter_table('certificates', schema=None) as batch_op:
        batch_op.create_index('uq_certificates_status_index', ['status_index'], unique=True)


def downgrade():
    with op.batch_alter_table('certificates', schema=None) as batch_op:
        batch_op.drop_index('uq_certificates_status_index')
        batch_op.drop_column('status_index')
    op.drop_table('certificate_keys')
