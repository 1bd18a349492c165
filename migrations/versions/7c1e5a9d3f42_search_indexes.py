"""search indexes: pg_trgm GIN on order contacts and customers, a prefix btree on order numbers (PostgreSQL only)

Revision ID: 7c1e5a9d3f42
Revises: 8125a17f535d
Create Date: 2026-12-02 09:50:00.000000

"""
from alembic import op


# revision identifiers, used by Alembic.
revision = '7c1e5a9d3f42'
down_revision = '8125a17f535d'
branch_labels = None
depends_on = None

TRIGRAM = [
    ("ix_order_contact_email_trgm", "orders", "contact_email"),
    ("ix_order_contact_name_trgm", "orders", "contact_name"),
    ("ix_order_contact_phone_trgm", "orders", "contact_phone"),
    ("ix_customer_email_trgm", "customer", "email"),
    ("ix_customer_full_name_trgm", "customer", "full_name"),
    ("ix_customer_phone_trgm", "customer", "phone"),
]


def upgrade():
    # SQLite keeps the plain scan: it holds a demo shop, not a million orders.
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    for name, table, column in TRIGRAM:
        op.create_index(name, table, [column], postgresql_using="gin", postgresql_ops={column: "gin_trgm_ops"})
    op.create_index("ix_order_number_prefix", "orders", ["number"], postgresql_ops={"number": "varchar_pattern_ops"})


def downgrade():
    if op.get_bind().dialect.name != "postgresql":
        return
    op.drop_index("ix_order_number_prefix", table_name="orders")
    for name, table, _column in reversed(TRIGRAM):
        op.drop_index(name, table_name=table)
