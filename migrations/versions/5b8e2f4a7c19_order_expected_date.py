"""orders.expected_date: the ready date promised when the order was placed (production days, working calendar)

Revision ID: 5b8e2f4a7c19
Revises: d5f0c7a2b8e1
Create Date: 2026-12-02 10:05:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '5b8e2f4a7c19'
down_revision = 'd5f0c7a2b8e1'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('orders', schema=None) as batch_op:
        batch_op.add_column(sa.Column('expected_date', sa.Date(), nullable=True))


def downgrade():
    with op.batch_alter_table('orders', schema=None) as batch_op:
        batch_op.drop_column('expected_date')
