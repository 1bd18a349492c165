"""quiet hours for email: order notifications by email held until morning where the customer asks for it

Revision ID: b35392aab55b
Revises: 6dea4097d83f
Create Date: 2026-12-02 10:23:23.402123

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'b35392aab55b'
down_revision = '6dea4097d83f'
branch_labels = None
depends_on = None


def upgrade():
    op.add_column(
        'notification_preferences',
        sa.Column('quiet_email', sa.Boolean(), server_default=sa.false(), nullable=False),
    )


def downgrade():
    with op.batch_alter_table('notification_preferences', schema=None) as batch_op:
        batch_op.drop_column('quiet_email')
