"""«Мои заказы» a page at a time: orders by customer and date

Revision ID: 9b4d2e6f8a13
Revises: 7c1e5a9d3f42
Create Date: 2026-12-02 10:15:00.000000

"""
from alembic import op


# revision identifiers, used by Alembic.
revision = '9b4d2e6f8a13'
down_revision = '7c1e5a9d3f42'
branch_labels = None
depends_on = None


def upgrade():
    op.create_index("ix_order_customer_created", "orders", ["customer_id", "created_at"])


def downgrade():
    op.drop_index("ix_order_customer_created", table_name="orders")
