"""default billing address: an address marked for documents (at most one per customer) and the order's copy of it

Revision ID: a3c5e7f90b12
Revises: e941b2ee7629
Create Date: 2026-12-02 13:20:00.000000

"""

from alembic import op
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql


# revision identifiers, used by Alembic.
revision = "a3c5e7f90b12"
down_revision = "e941b2ee7629"
branch_labels = None
depends_on = None


def upgrade():
    # Plain ADD COLUMN (no table rebuild on SQLite): the triggers on orders stay as they are.
    op.add_column("address", sa.Column("is_billing", sa.Boolean(), server_default=sa.false(), nullable=False))
    op.create_index(
        "uq_address_one_billing",
        "address",
        ["customer_id"],
        unique=True,
        sqlite_where=sa.text("is_billing"),
        postgresql_where=sa.text("is_billing"),
    )
    json = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")
    op.add_column("orders", sa.Column("billing_address_snapshot", json, nullable=True))


def downgrade():
    op.drop_column("orders", "billing_address_snapshot")
    op.drop_index("uq_address_one_billing", table_name="address")
    op.drop_column("address", "is_billing")
