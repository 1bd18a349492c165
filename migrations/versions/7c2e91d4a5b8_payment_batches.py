"""payment batches: a mass «Отметить оплаченными» is an order batch of its own kind

Revision ID: 7c2e91d4a5b8
Revises: 6e9c1d2d1146
Create Date: 2026-12-02 09:50:00.000000

"""
from alembic import op


# revision identifiers, used by Alembic.
revision = '7c2e91d4a5b8'
down_revision = '6e9c1d2d1146'
branch_labels = None
depends_on = None

OLD = "kind IN ('status', 'undo', 'assign', 'labels')"
NEW = "kind IN ('status', 'undo', 'assign', 'labels', 'payment')"


def _set_check(text):
    sqlite = op.get_bind().dialect.name == 'sqlite'
    if sqlite:
        # A rebuilt table is dropped and recreated: foreign keys off, outside the transaction.
        with op.get_context().autocommit_block():
            op.execute('PRAGMA foreign_keys=OFF')
    with op.batch_alter_table('order_batch', recreate='always' if sqlite else 'auto') as batch_op:
        batch_op.drop_constraint(batch_op.f('ck_order_batch_batch_kind'), type_='check')
        batch_op.create_check_constraint(batch_op.f('ck_order_batch_batch_kind'), text)
    if sqlite:
        with op.get_context().autocommit_block():
            op.execute('PRAGMA foreign_keys=ON')


def upgrade():
    _set_check(NEW)


def downgrade():
    op.execute("DELETE FROM order_batch WHERE kind = 'payment'")
    _set_check(OLD)
