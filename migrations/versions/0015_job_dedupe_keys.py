"""jobs: a key that keeps one waiting job per periodic run or "send now"

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-06 08:00:00.000000

The outbox, the notification mails and the account mails are sent by jobs now: a periodic one per interval and a
"send now" after each event, instead of cron. `dedupe_key` lets every server queue them without doubles.

"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = '0015'
down_revision = '0014'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('jobs', schema=None) as batch_op:
        batch_op.add_column(sa.Column('dedupe_key', sa.String(length=100), nullable=True))
        batch_op.create_unique_constraint(batch_op.f('uq_jobs_dedupe_key'), ['dedupe_key'])


def downgrade():
    with op.batch_alter_table('jobs', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('uq_jobs_dedupe_key'), type_='unique')
        batch_op.drop_column('dedupe_key')
