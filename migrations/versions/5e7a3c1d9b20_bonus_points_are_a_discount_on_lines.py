"""bonus points are a discount on the product lines: order_line.points, totals after points

Points spent at checkout are the seller's own discount (DESIGN: "Bonus points paid are a discount on
product lines"), so a line's total, its VAT and the revenue are after them: order_line gets `points`, a
line's total is gross − discount − points, an order's total is goods − discount − points_paid and is what
is paid in money (amount_due = total). No order has spent points yet, so no row changes.

Revision ID: 5e7a3c1d9b20
Revises: c083f816a745
Create Date: 2026-12-02 06:30:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '5e7a3c1d9b20'
down_revision = 'c083f816a745'
branch_labels = None
depends_on = None

NEW = {
    'orders': {
        'ck_orders_total_consistent': 'round(total - goods_total + discount_total + points_paid, 2) = 0',
        'ck_orders_points_range': 'points_paid >= 0 AND round(discount_total + points_paid - goods_total, 2) <= 0',
        'ck_orders_amount_due_consistent': 'round(amount_due - total, 2) = 0',
    },
    'order_line': {
        'ck_order_line_points_range': 'points >= 0 AND round(discount + points - gross_amount, 2) <= 0',
        'ck_order_line_total_consistent': 'round(total - gross_amount + discount + points, 2) = 0',
    },
}
OLD = {
    'orders': {
        'ck_orders_total_consistent': 'round(total - goods_total + discount_total, 2) = 0',
        'ck_orders_points_range': 'points_paid >= 0 AND points_paid <= total',
        'ck_orders_amount_due_consistent': 'round(amount_due - total + points_paid, 2) = 0',
    },
    'order_line': {
        'ck_order_line_total_consistent': 'round(total - gross_amount + discount, 2) = 0',
    },
}


def _set_checks(checks, drop, add_column):
    sqlite = op.get_bind().dialect.name == 'sqlite'
    if sqlite:
        # A rebuilt table is dropped and recreated: foreign keys off, outside the transaction.
        with op.get_context().autocommit_block():
            op.execute('PRAGMA foreign_keys=OFF')
    for table in ('orders', 'order_line'):
        constraints = checks.get(table, {})
        with op.batch_alter_table(table, recreate='always' if sqlite else 'auto') as batch_op:
            if table == 'order_line' and add_column:
                batch_op.add_column(sa.Column('points', sa.Numeric(14, 2), server_default='0', nullable=False))
            for name in drop.get(table, {}):
                batch_op.drop_constraint(batch_op.f(name), type_='check')
            if table == 'order_line' and not add_column:
                batch_op.drop_column('points')
            for name, text in constraints.items():
                batch_op.create_check_constraint(batch_op.f(name), text)
    if sqlite:
        with op.get_context().autocommit_block():
            op.execute('PRAGMA foreign_keys=ON')


def upgrade():
    _set_checks(NEW, OLD, add_column=True)


def downgrade():
    _set_checks(OLD, NEW, add_column=False)
