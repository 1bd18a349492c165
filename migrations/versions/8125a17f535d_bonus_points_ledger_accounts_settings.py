"""bonus points: the append-only ledger, each customer's account (cached balance, tier), settings with history

loyalty_entry and loyalty_settings refuse UPDATE and DELETE by trigger (the pattern of c083f816a745; the
PostgreSQL function refuse_append_only_change() is that migration's), letting through only a deleted staff
user's or customer's actor link being cleared.

Revision ID: 8125a17f535d
Revises: 7c2e91d4a5b8
Create Date: 2026-12-02 09:43:45.112067

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '8125a17f535d'
down_revision = '7c2e91d4a5b8'
branch_labels = None
depends_on = None

APPEND_ONLY = {
    'loyalty_entry': {
        'columns': (
            'id', 'customer_id', 'kind', 'available', 'pending', 'order_id', 'key', 'reason', 'actor_kind',
            'actor_name', 'created_at',
        ),
        'links': ('actor_staff_id', 'actor_customer_id'),
    },
    'loyalty_settings': {
        'columns': (
            'id', 'start_rate', 'regular_rate', 'partner_rate', 'start_cap', 'regular_cap', 'partner_cap',
            'regular_from', 'partner_from', 'min_order_total', 'return_window_days', 'expiry_days', 'warning_days',
            'created_at', 'created_by_name', 'comment',
        ),
        'links': (),
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
    op.create_table('loyalty_settings',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('start_rate', sa.Numeric(precision=5, scale=2), nullable=False),
    sa.Column('regular_rate', sa.Numeric(precision=5, scale=2), nullable=False),
    sa.Column('partner_rate', sa.Numeric(precision=5, scale=2), nullable=False),
    sa.Column('start_cap', sa.Numeric(precision=5, scale=2), nullable=False),
    sa.Column('regular_cap', sa.Numeric(precision=5, scale=2), nullable=False),
    sa.Column('partner_cap', sa.Numeric(precision=5, scale=2), nullable=False),
    sa.Column('regular_from', sa.Numeric(precision=14, scale=2), nullable=False),
    sa.Column('partner_from', sa.Numeric(precision=14, scale=2), nullable=False),
    sa.Column('min_order_total', sa.Numeric(precision=14, scale=2), nullable=False),
    sa.Column('return_window_days', sa.Integer(), nullable=False),
    sa.Column('expiry_days', sa.Integer(), nullable=False),
    sa.Column('warning_days', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('created_by_name', sa.String(length=200), nullable=False),
    sa.Column('comment', sa.String(length=500), nullable=False),
    sa.CheckConstraint('expiry_days BETWEEN 30 AND 3650', name=op.f('ck_loyalty_settings_expiry_range')),
    sa.CheckConstraint('min_order_total >= 0', name=op.f('ck_loyalty_settings_min_order_non_negative')),
    sa.CheckConstraint('regular_from > 0 AND partner_from > regular_from', name=op.f('ck_loyalty_settings_thresholds_ordered')),
    sa.CheckConstraint('return_window_days BETWEEN 0 AND 365', name=op.f('ck_loyalty_settings_window_range')),
    sa.CheckConstraint('start_cap BETWEEN 0 AND 100 AND regular_cap BETWEEN 0 AND 100 AND partner_cap BETWEEN 0 AND 100', name=op.f('ck_loyalty_settings_caps_range')),
    sa.CheckConstraint('start_rate BETWEEN 0 AND 100 AND regular_rate BETWEEN 0 AND 100 AND partner_rate BETWEEN 0 AND 100', name=op.f('ck_loyalty_settings_rates_range')),
    sa.CheckConstraint('warning_days BETWEEN 1 AND 90', name=op.f('ck_loyalty_settings_warning_range')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_loyalty_settings'))
    )
    op.create_table('loyalty_account',
    sa.Column('customer_id', sa.Integer(), autoincrement=False, nullable=False),
    sa.Column('available', sa.Integer(), nullable=False),
    sa.Column('pending', sa.Integer(), nullable=False),
    sa.Column('tier', sa.Enum('start', 'regular', 'partner', name='loyalty_tier', native_enum=False, create_constraint=True, length=20), nullable=False),
    sa.Column('tier_turnover', sa.Numeric(precision=14, scale=2), nullable=False),
    sa.Column('tier_computed_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint('pending >= 0', name=op.f('ck_loyalty_account_pending_non_negative')),
    sa.ForeignKeyConstraint(['customer_id'], ['customer.id'], name=op.f('fk_loyalty_account_customer_id_customer'), ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('customer_id', name=op.f('pk_loyalty_account'))
    )
    with op.batch_alter_table('loyalty_account', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_loyalty_account_available'), ['available'], unique=False)

    op.create_table('loyalty_entry',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('customer_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.Enum('earn_pending', 'activate', 'spend', 'return_spent', 'reverse', 'expire', 'adjust', 'referral_reward', 'referral_welcome', name='loyalty_entry_kind', native_enum=False, create_constraint=True, length=30), nullable=False),
    sa.Column('available', sa.Integer(), nullable=False),
    sa.Column('pending', sa.Integer(), nullable=False),
    sa.Column('order_id', sa.Integer(), nullable=True),
    sa.Column('key', sa.String(length=120), nullable=False),
    sa.Column('reason', sa.String(length=500), nullable=False),
    sa.Column('actor_kind', sa.Enum('staff', 'customer', 'system', name='actor_kind', native_enum=False, create_constraint=True, length=20), nullable=False),
    sa.Column('actor_staff_id', sa.Integer(), nullable=True),
    sa.Column('actor_customer_id', sa.Integer(), nullable=True),
    sa.Column('actor_name', sa.String(length=200), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint('available <> 0 OR pending <> 0', name=op.f('ck_loyalty_entry_moves_points')),
    sa.ForeignKeyConstraint(['actor_customer_id'], ['customer.id'], name=op.f('fk_loyalty_entry_actor_customer_id_customer'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['actor_staff_id'], ['ab_user.id'], name=op.f('fk_loyalty_entry_actor_staff_id_ab_user'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['customer_id'], ['customer.id'], name=op.f('fk_loyalty_entry_customer_id_customer'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['order_id'], ['orders.id'], name=op.f('fk_loyalty_entry_order_id_orders'), ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_loyalty_entry')),
    sa.UniqueConstraint('key', name=op.f('uq_loyalty_entry_key'))
    )
    with op.batch_alter_table('loyalty_entry', schema=None) as batch_op:
        batch_op.create_index('ix_loyalty_entry_created_at', ['created_at'], unique=False)
        batch_op.create_index('ix_loyalty_entry_customer_created', ['customer_id', 'created_at'], unique=False)
        batch_op.create_index('ix_loyalty_entry_kind_created', ['kind', 'created_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_loyalty_entry_order_id'), ['order_id'], unique=False)

    sqlite = op.get_bind().dialect.name == 'sqlite'
    for table, spec in APPEND_ONLY.items():
        if sqlite:
            for statement in _sqlite_triggers(table, spec['columns'], spec['links']):
                op.execute(statement)
        else:
            op.execute(_pg_trigger(table, spec['links']))


def downgrade():
    sqlite = op.get_bind().dialect.name == 'sqlite'
    for table in APPEND_ONLY:
        if sqlite:
            op.execute(f'DROP TRIGGER IF EXISTS {table}_no_update')
            op.execute(f'DROP TRIGGER IF EXISTS {table}_no_delete')
        else:
            op.execute(f'DROP TRIGGER IF EXISTS {table}_append_only ON {table}')
    with op.batch_alter_table('loyalty_entry', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_loyalty_entry_order_id'))
        batch_op.drop_index('ix_loyalty_entry_kind_created')
        batch_op.drop_index('ix_loyalty_entry_customer_created')
        batch_op.drop_index('ix_loyalty_entry_created_at')

    op.drop_table('loyalty_entry')
    with op.batch_alter_table('loyalty_account', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_loyalty_account_available'))

    op.drop_table('loyalty_account')
    op.drop_table('loyalty_settings')
