"""sandbox assignments and counting scores

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-04 22:30:00.000000

Each learner's assigned sandbox account per course (created on the first visit of the sandbox, so the table starts
empty), and on each sandbox result the best scores of counting designs in the assigned account and in an account of
another kind, which the completion rule now reads instead of the best score of any design.

Existing results keep their best score and get no counting scores: a learner who reached the old threshold has
not done the new sandbox step until they pass their assigned account and one of another kind. Certificates already
issued are not touched (a current certificate keeps a learner "certified" whatever the rule says now).

"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('sandbox_assignments',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('course_id', sa.String(length=64), nullable=False),
    sa.Column('scenario_id', sa.String(length=32), nullable=False),
    sa.Column('seed', sa.BigInteger(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_sandbox_assignments_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_sandbox_assignments')),
    sa.UniqueConstraint('user_id', 'course_id', name=op.f('uq_sandbox_assignments_user_id_course_id'))
    )
    with op.batch_alter_table('sandbox_assignments', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_sandbox_assignments_user_id'), ['user_id'], unique=False)

    with op.batch_alter_table('sandbox_results', schema=None) as batch_op:
        batch_op.add_column(sa.Column('assigned_score', sa.Float(), nullable=True))
        batch_op.add_column(sa.Column('other_score', sa.Float(), nullable=True))


def downgrade():
    with op.batch_alter_table('sandbox_results', schema=None) as batch_op:
        batch_op.drop_column('other_score')
        batch_op.drop_column('assigned_score')

    with op.batch_alter_table('sandbox_assignments', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_sandbox_assignments_user_id'))

    op.drop_table('sandbox_assignments')
