"""certificate PDFs kept since issue

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-06 08:10:00.000000

Each certificate's PDF, drawn once when it is issued, and the SHA-256 of its bytes (the download's ETag). The
certificates issued before stay without one: the first download (or ZIP export) draws it and keeps it, so the
upgrade needs no batch job. The downgrade drops the kept PDFs; they are drawn per download again.

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0016'
down_revision = '0015'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('certificates', schema=None) as batch_op:
        batch_op.add_column(sa.Column('pdf', sa.LargeBinary(), nullable=True))
        batch_op.add_column(sa.Column('pdf_sha256', sa.String(length=64), nullable=True))


def downgrade():
    with op.batch_alter_table('certificates', schema=None) as batch_op:
        batch_op.drop_column('pdf_sha256')
        batch_op.drop_column('pdf')
