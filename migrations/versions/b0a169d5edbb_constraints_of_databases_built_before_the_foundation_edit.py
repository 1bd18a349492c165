"""bring databases built by earlier versions of two revisions to the schema those revisions create today

Revision 8429d82774b4 (foundation) was edited after databases had been built from it: its money CHECK
constraints on orders and order lines now compare sums rounded to kopecks. Revision 6950d4ec6e13 was edited
to add customer.newsletter_subscribed. Alembic never reruns an applied revision, so such a database keeps the
old constraints (or lacks the column). This revision replaces what is stale and leaves a current database as
it is.

Revision ID: b0a169d5edbb
Revises: ef05b20c0d7c
Create Date: 2026-11-27 10:00:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'b0a169d5edbb'
down_revision = 'ef05b20c0d7c'
branch_labels = None
depends_on = None

# The constraints as 8429d82774b4 creates them today. The first version compared the sums exactly
# (e.g. `total = goods_total - discount_total`), which SQLite's binary floats sometimes fail.
CHECKS = {
    'orders': {
        'ck_orders_total_consistent': 'round(total - goods_total + discount_total, 2) = 0',
        'ck_orders_amount_due_consistent': 'round(amount_due - total + points_paid, 2) = 0',
    },
    'order_line': {
        'ck_order_line_total_consistent': 'round(total - gross_amount + discount, 2) = 0',
        'ck_order_line_vat_consistent': 'round(net_amount + vat_amount - total, 2) = 0',
    },
}


def _is_current(sqltext):
    return sqltext is not None and 'round(' in sqltext.lower()


def _stale_checks(bind, table):
    """The constraints of `table` that are missing or still in their first form: {name: present?}."""
    found = {c['name']: c['sqltext'] for c in sa.inspect(bind).get_check_constraints(table)}
    return {name: name in found for name in CHECKS[table] if not _is_current(found.get(name))}


def _replace_checks(sqlite):
    bind = op.get_bind()
    for table in CHECKS:
        stale = _stale_checks(bind, table)
        if not stale:
            continue
        if sqlite:
            # SQLite cannot alter a constraint: the table is rebuilt (batch mode).
            with op.batch_alter_table(table, recreate='always') as batch_op:
                for name, present in stale.items():
                    if present:
                        batch_op.drop_constraint(batch_op.f(name), type_='check')
                    batch_op.create_check_constraint(batch_op.f(name), CHECKS[table][name])
        else:
            for name, present in stale.items():
                if present:
                    op.drop_constraint(op.f(name), table, type_='check')
                op.create_check_constraint(op.f(name), table, CHECKS[table][name])


def _add_newsletter_flag():
    if 'newsletter_subscribed' not in {c['name'] for c in sa.inspect(op.get_bind()).get_columns('customer')}:
        with op.batch_alter_table('customer') as batch_op:
            batch_op.add_column(
                sa.Column('newsletter_subscribed', sa.Boolean(), nullable=False, server_default=sa.false())
            )
    if 'ix_customer_newsletter_subscribed' not in {i['name'] for i in sa.inspect(op.get_bind()).get_indexes('customer')}:
        op.create_index('ix_customer_newsletter_subscribed', 'customer', ['newsletter_subscribed'], unique=False)


def upgrade():
    sqlite = op.get_bind().dialect.name == 'sqlite'
    if sqlite:
        # A rebuilt table is dropped and recreated: with foreign keys on, dropping `orders` or `customer`
        # would cascade into (or be refused by) the rows that refer to them. Off outside a transaction.
        with op.get_context().autocommit_block():
            op.execute('PRAGMA foreign_keys=OFF')
    _replace_checks(sqlite)
    _add_newsletter_flag()
    if sqlite:
        with op.get_context().autocommit_block():
            op.execute('PRAGMA foreign_keys=ON')


def downgrade():
    # Nothing to undo: what this revision sets is what 8429d82774b4 and 6950d4ec6e13 create today.
    pass
