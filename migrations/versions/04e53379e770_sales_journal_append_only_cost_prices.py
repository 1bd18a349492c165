"""sales journal (append-only: UPDATE/DELETE-refusing triggers on both backends) and cost prices of products
and option values

Revision ID: 04e53379e770
Revises: 0331f2c903a6
Create Date: 2026-12-02 09:43:03.883667

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '04e53379e770'
down_revision = '0331f2c903a6'
branch_labels = None
depends_on = None

JOURNAL_COLUMNS = (
    'id', 'kind', 'reason', 'day', 'posted_at', 'order_id', 'order_number', 'cycle', 'line_position', 'line_kind',
    'product_name', 'category_name', 'customer_id', 'company_id', 'quantity', 'vat_rate', 'gross', 'discount',
    'points', 'amount', 'net', 'vat', 'cost', 'payment_method', 'batch_id', 'actor_name', 'comment',
)
# The columns a foreign key clears (ON DELETE SET NULL) when a product or a category is deleted: the one
# UPDATE let through. The function refuse_append_only_change() comes from c083f816a745.
JOURNAL_LINKS = ('product_id', 'category_id')


def _sqlite_triggers():
    unchanged = ' AND '.join(
        [f'NEW.{c} IS OLD.{c}' for c in JOURNAL_COLUMNS]
        + [f'(NEW.{c} IS NULL OR NEW.{c} IS OLD.{c})' for c in JOURNAL_LINKS]
    )
    return [
        """CREATE TRIGGER journal_entry_no_delete BEFORE DELETE ON journal_entry
        BEGIN SELECT RAISE(ABORT, 'journal_entry is append-only: DELETE refused'); END""",
        f"""CREATE TRIGGER journal_entry_no_update BEFORE UPDATE ON journal_entry
        WHEN NOT ({unchanged})
        BEGIN SELECT RAISE(ABORT, 'journal_entry is append-only: UPDATE refused'); END""",
    ]


PG_TRIGGER = (
    'CREATE TRIGGER journal_entry_append_only BEFORE UPDATE OR DELETE ON journal_entry '
    "FOR EACH ROW EXECUTE FUNCTION refuse_append_only_change('product_id', 'category_id')"
)


def upgrade():
    op.create_table('journal_entry',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.Enum('sale', 'return', 'payment', 'payment_refund', name='journal_kind', native_enum=False, create_constraint=True, length=20), nullable=False),
    sa.Column('reason', sa.Enum('realised', 'refund', 'cancellation', 'correction', 'undo', 'paid', 'backfill', name='journal_reason', native_enum=False, create_constraint=True, length=20), nullable=False),
    sa.Column('day', sa.Date(), nullable=False),
    sa.Column('posted_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('order_id', sa.Integer(), nullable=False),
    sa.Column('order_number', sa.String(length=20), nullable=False),
    sa.Column('cycle', sa.Integer(), nullable=False),
    sa.Column('line_position', sa.Integer(), nullable=False),
    sa.Column('line_kind', sa.Enum('product', 'delivery', name='journal_line_kind', native_enum=False, create_constraint=True, length=20), nullable=True),
    sa.Column('product_id', sa.Integer(), nullable=True),
    sa.Column('product_name', sa.String(length=200), nullable=False),
    sa.Column('category_id', sa.Integer(), nullable=True),
    sa.Column('category_name', sa.String(length=120), nullable=False),
    sa.Column('customer_id', sa.Integer(), nullable=False),
    sa.Column('company_id', sa.Integer(), nullable=True),
    sa.Column('quantity', sa.Integer(), nullable=False),
    sa.Column('vat_rate', sa.Numeric(precision=5, scale=2), nullable=True),
    sa.Column('gross', sa.Numeric(precision=14, scale=2), nullable=False),
    sa.Column('discount', sa.Numeric(precision=14, scale=2), nullable=False),
    sa.Column('points', sa.Numeric(precision=14, scale=2), nullable=False),
    sa.Column('amount', sa.Numeric(precision=14, scale=2), nullable=False),
    sa.Column('net', sa.Numeric(precision=14, scale=2), nullable=False),
    sa.Column('vat', sa.Numeric(precision=14, scale=2), nullable=False),
    sa.Column('cost', sa.Numeric(precision=14, scale=2), nullable=False),
    sa.Column('payment_method', sa.Enum('on_receipt', 'invoice', 'card_online', name='journal_payment_method', native_enum=False, create_constraint=True, length=20), nullable=True),
    sa.Column('batch_id', sa.String(length=36), nullable=True),
    sa.Column('actor_name', sa.String(length=200), nullable=False),
    sa.Column('comment', sa.Text(), nullable=False),
    sa.CheckConstraint('cycle > 0', name=op.f('ck_journal_entry_cycle_positive')),
    sa.CheckConstraint('round(amount - gross + discount + points, 2) = 0', name=op.f('ck_journal_entry_amount_consistent')),
    sa.CheckConstraint('round(net + vat - amount, 2) = 0', name=op.f('ck_journal_entry_vat_consistent')),
    sa.ForeignKeyConstraint(['category_id'], ['category.id'], name=op.f('fk_journal_entry_category_id_category'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['company_id'], ['company.id'], name=op.f('fk_journal_entry_company_id_company'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['customer_id'], ['customer.id'], name=op.f('fk_journal_entry_customer_id_customer'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['order_id'], ['orders.id'], name=op.f('fk_journal_entry_order_id_orders'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['product_id'], ['product.id'], name=op.f('fk_journal_entry_product_id_product'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_journal_entry')),
    sa.UniqueConstraint('order_id', 'kind', 'cycle', 'line_position', name='uq_journal_entry_posting')
    )
    with op.batch_alter_table('journal_entry', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_journal_entry_category_id'), ['category_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_journal_entry_company_id'), ['company_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_journal_entry_customer_id'), ['customer_id'], unique=False)
        batch_op.create_index('ix_journal_entry_day_kind', ['day', 'kind'], unique=False)
        batch_op.create_index('ix_journal_entry_order_id', ['order_id', 'id'], unique=False)
        batch_op.create_index(batch_op.f('ix_journal_entry_product_id'), ['product_id'], unique=False)

    with op.batch_alter_table('option_value', schema=None) as batch_op:
        batch_op.add_column(sa.Column('cost_price', sa.Numeric(precision=12, scale=4), server_default='0', nullable=False))
        batch_op.create_check_constraint(batch_op.f('ck_option_value_cost_price_non_negative'), 'cost_price >= 0')

    with op.batch_alter_table('product', schema=None) as batch_op:
        batch_op.add_column(sa.Column('cost_price', sa.Numeric(precision=12, scale=4), server_default='0', nullable=False))
        batch_op.create_check_constraint(batch_op.f('ck_product_cost_price_non_negative'), 'cost_price >= 0')

    if op.get_bind().dialect.name == 'sqlite':
        for statement in _sqlite_triggers():
            op.execute(statement)
    else:
        op.execute(PG_TRIGGER)


def downgrade():
    if op.get_bind().dialect.name == 'sqlite':
        op.execute('DROP TRIGGER IF EXISTS journal_entry_no_update')
        op.execute('DROP TRIGGER IF EXISTS journal_entry_no_delete')
    else:
        op.execute('DROP TRIGGER IF EXISTS journal_entry_append_only ON journal_entry')
    with op.batch_alter_table('product', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('ck_product_cost_price_non_negative'), type_='check')
        batch_op.drop_column('cost_price')

    with op.batch_alter_table('option_value', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('ck_option_value_cost_price_non_negative'), type_='check')
        batch_op.drop_column('cost_price')

    with op.batch_alter_table('journal_entry', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_journal_entry_product_id'))
        batch_op.drop_index('ix_journal_entry_order_id')
        batch_op.drop_index('ix_journal_entry_day_kind')
        batch_op.drop_index(batch_op.f('ix_journal_entry_customer_id'))
        batch_op.drop_index(batch_op.f('ix_journal_entry_company_id'))
        batch_op.drop_index(batch_op.f('ix_journal_entry_category_id'))

    op.drop_table('journal_entry')
