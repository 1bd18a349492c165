"""buyer_sale_day: a partial index (day, promo code, buyer) of the rows with a promo code, for the promo codes'
buyers on the dashboard

Revision ID: b8e1d3f5a7c9
Revises: a7d4c2e9f130
Create Date: 2026-12-02 14:55:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'b8e1d3f5a7c9'
down_revision = 'a7d4c2e9f130'
branch_labels = None
depends_on = None


def upgrade():
    op.create_index(
        'ix_buyer_sale_day_promo', 'buyer_sale_day', ['day', 'promo_code_id', 'buyer'],
        postgresql_where=sa.text('promo_code_id <> 0'), sqlite_where=sa.text('promo_code_id <> 0'),
    )


def downgrade():
    op.drop_index('ix_buyer_sale_day_promo', table_name='buyer_sale_day')
