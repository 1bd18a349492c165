"""the shop's requisites (versions, append-only), expense categories (seeded), expenses and their append-only
history

Revision ID: 6e9c1d2d1146
Revises: 04e53379e770
Create Date: 2026-12-02 09:47:49.459506

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '6e9c1d2d1146'
down_revision = '04e53379e770'
branch_labels = None
depends_on = None

CATEGORIES = ('Бумага', 'Краска', 'Аренда', 'Зарплата', 'Доставка', 'Реклама', 'Прочее')

# Append-only tables: every column, and those a foreign key clears (ON DELETE SET NULL), as in c083f816a745
# (whose refuse_append_only_change() serves PostgreSQL here too).
TABLES = {
    'seller_requisites': {
        'columns': (
            'id', 'valid_from', 'full_name', 'short_name', 'inn', 'kpp', 'ogrn', 'legal_address', 'postal_address',
            'bank_name', 'bik', 'correspondent_account', 'settlement_account', 'director', 'chief_accountant',
            'vat_regime', 'created_at', 'actor_name', 'comment',
        ),
        'links': (),
    },
    'expense_history': {
        'columns': (
            'id', 'expense_id', 'created_at', 'actor_kind', 'actor_name', 'field', 'old_value', 'new_value', 'comment',
        ),
        'links': ('actor_staff_id', 'actor_customer_id'),
    },
}


def _pg_trigger(table, links):
    arguments = ', '.join(f"'{link}'" for link in links)
    return (
        f'CREATE TRIGGER {table}_append_only BEFORE UPDATE OR DELETE ON {table} '
        f'FOR EACH ROW EXECUTE FUNCTION refuse_append_only_change({arguments})'
    )


def _sqlite_triggers(table, columns, links):
    unchanged = ' AND '.join(
        [f'NEW.{c} IS OLD.{c}' for c in columns]
        + [f'(NEW.{c} IS NULL OR NEW.{c} IS OLD.{c})' for c in links]
    )
    return [
        f"""CREATE TRIGGER {table}_no_delete BEFORE DELETE ON {table}
        BEGIN SELECT RAISE(ABORT, '{table} is append-only: DELETE refused'); END""",
        f"""CREATE TRIGGER {table}_no_update BEFORE UPDATE ON {table}
        WHEN NOT ({unchanged})
        BEGIN SELECT RAISE(ABORT, '{table} is append-only: UPDATE refused'); END""",
    ]


def upgrade():
    op.create_table('expense_category',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=120), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('is_active', sa.Boolean(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_expense_category')),
    sa.UniqueConstraint('name', name=op.f('uq_expense_category_name'))
    )
    op.create_table('seller_requisites',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('valid_from', sa.Date(), nullable=False),
    sa.Column('full_name', sa.String(length=300), nullable=False),
    sa.Column('short_name', sa.String(length=160), nullable=False),
    sa.Column('inn', sa.String(length=12), nullable=False),
    sa.Column('kpp', sa.String(length=9), nullable=False),
    sa.Column('ogrn', sa.String(length=15), nullable=False),
    sa.Column('legal_address', sa.String(length=300), nullable=False),
    sa.Column('postal_address', sa.String(length=300), nullable=False),
    sa.Column('bank_name', sa.String(length=200), nullable=False),
    sa.Column('bik', sa.String(length=9), nullable=False),
    sa.Column('correspondent_account', sa.String(length=20), nullable=False),
    sa.Column('settlement_account', sa.String(length=20), nullable=False),
    sa.Column('director', sa.String(length=200), nullable=False),
    sa.Column('chief_accountant', sa.String(length=200), nullable=False),
    sa.Column('vat_regime', sa.Enum('osno', 'usn_5', 'usn_7', 'usn_exempt', name='vat_regime', native_enum=False, create_constraint=True, length=20), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('actor_name', sa.String(length=200), nullable=False),
    sa.Column('comment', sa.Text(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_seller_requisites'))
    )
    with op.batch_alter_table('seller_requisites', schema=None) as batch_op:
        batch_op.create_index('ix_seller_requisites_valid_from_id', ['valid_from', 'id'], unique=False)

    op.create_table('expense',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('day', sa.Date(), nullable=False),
    sa.Column('category_id', sa.Integer(), nullable=False),
    sa.Column('supplier_name', sa.String(length=200), nullable=False),
    sa.Column('supplier_inn', sa.String(length=12), nullable=False),
    sa.Column('amount', sa.Numeric(precision=14, scale=2), nullable=False),
    sa.Column('vat_rate', sa.Numeric(precision=5, scale=2), nullable=True),
    sa.Column('vat_amount', sa.Numeric(precision=14, scale=2), nullable=False),
    sa.Column('document_number', sa.String(length=60), nullable=False),
    sa.Column('document_date', sa.Date(), nullable=True),
    sa.Column('scan_file_id', sa.Integer(), nullable=True),
    sa.Column('comment', sa.Text(), nullable=False),
    sa.Column('reverses_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('created_by', sa.String(length=200), nullable=False),
    sa.CheckConstraint('(amount > 0 AND vat_amount >= 0) OR (amount < 0 AND vat_amount <= 0)', name=op.f('ck_expense_vat_sign')),
    sa.CheckConstraint('amount <> 0', name=op.f('ck_expense_amount_not_zero')),
    sa.CheckConstraint('round(vat_amount - amount, 2) <= 0 OR amount < 0', name=op.f('ck_expense_vat_within_amount')),
    sa.ForeignKeyConstraint(['category_id'], ['expense_category.id'], name=op.f('fk_expense_category_id_expense_category'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['reverses_id'], ['expense.id'], name=op.f('fk_expense_reverses_id_expense'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['scan_file_id'], ['stored_file.id'], name=op.f('fk_expense_scan_file_id_stored_file'), ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_expense')),
    sa.UniqueConstraint('reverses_id', name=op.f('uq_expense_reverses_id'))
    )
    with op.batch_alter_table('expense', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_expense_category_id'), ['category_id'], unique=False)
        batch_op.create_index('ix_expense_day', ['day'], unique=False)
        batch_op.create_index(batch_op.f('ix_expense_scan_file_id'), ['scan_file_id'], unique=False)

    op.create_table('expense_history',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('expense_id', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('actor_kind', sa.Enum('staff', 'customer', 'system', name='actor_kind', native_enum=False, create_constraint=True, length=20), nullable=False),
    sa.Column('actor_staff_id', sa.Integer(), nullable=True),
    sa.Column('actor_customer_id', sa.Integer(), nullable=True),
    sa.Column('actor_name', sa.String(length=200), nullable=False),
    sa.Column('field', sa.String(length=60), nullable=False),
    sa.Column('old_value', sa.Text(), nullable=True),
    sa.Column('new_value', sa.Text(), nullable=True),
    sa.Column('comment', sa.Text(), nullable=False),
    sa.ForeignKeyConstraint(['actor_customer_id'], ['customer.id'], name=op.f('fk_expense_history_actor_customer_id_customer'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['actor_staff_id'], ['ab_user.id'], name=op.f('fk_expense_history_actor_staff_id_ab_user'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['expense_id'], ['expense.id'], name=op.f('fk_expense_history_expense_id_expense'), ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_expense_history'))
    )
    with op.batch_alter_table('expense_history', schema=None) as batch_op:
        batch_op.create_index('ix_expense_history_expense_id_id', ['expense_id', 'id'], unique=False)

    category = sa.table(
        'expense_category',
        sa.column('name', sa.String),
        sa.column('position', sa.Integer),
        sa.column('is_active', sa.Boolean),
    )
    op.bulk_insert(category, [{'name': n, 'position': i, 'is_active': True} for i, n in enumerate(CATEGORIES, 1)])
    if op.get_bind().dialect.name == 'sqlite':
        for table, spec in TABLES.items():
            for statement in _sqlite_triggers(table, spec['columns'], spec['links']):
                op.execute(statement)
    else:
        for table, spec in TABLES.items():
            op.execute(_pg_trigger(table, spec['links']))


def downgrade():
    if op.get_bind().dialect.name == 'sqlite':
        for table in TABLES:
            op.execute(f'DROP TRIGGER IF EXISTS {table}_no_update')
            op.execute(f'DROP TRIGGER IF EXISTS {table}_no_delete')
    else:
        for table in TABLES:
            op.execute(f'DROP TRIGGER IF EXISTS {table}_append_only ON {table}')
    with op.batch_alter_table('expense_history', schema=None) as batch_op:
        batch_op.drop_index('ix_expense_history_expense_id_id')

    op.drop_table('expense_history')
    with op.batch_alter_table('expense', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_expense_scan_file_id'))
        batch_op.drop_index('ix_expense_day')
        batch_op.drop_index(batch_op.f('ix_expense_category_id'))

    op.drop_table('expense')
    with op.batch_alter_table('seller_requisites', schema=None) as batch_op:
        batch_op.drop_index('ix_seller_requisites_valid_from_id')

    op.drop_table('seller_requisites')
    op.drop_table('expense_category')
