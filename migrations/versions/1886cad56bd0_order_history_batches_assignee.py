"""order history for every change (append-only triggers), mass-action batches, assignee and packages

Revision ID: 1886cad56bd0
Revises: 633e045f3afc
Create Date: 2026-11-26 04:09:02.371113

"""
from alembic import op
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql

# revision identifiers, used by Alembic.
revision = '1886cad56bd0'
down_revision = '633e045f3afc'
branch_labels = None
depends_on = None

# History is append-only. The one UPDATE let through is the one a foreign key makes when a staff user
# or a customer is deleted: the link is cleared (SET NULL), everything else, the stored name included, stays.
PG_FUNCTION = """
CREATE FUNCTION order_history_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'UPDATE'
       AND (to_jsonb(NEW) - 'actor_staff_id' - 'actor_customer_id')
           = (to_jsonb(OLD) - 'actor_staff_id' - 'actor_customer_id')
       AND (NEW.actor_staff_id IS NULL OR NEW.actor_staff_id = OLD.actor_staff_id)
       AND (NEW.actor_customer_id IS NULL OR NEW.actor_customer_id = OLD.actor_customer_id) THEN
        RETURN NEW;
    END IF;
    RAISE EXCEPTION 'order_history is append-only: % refused', TG_OP;
END
$$
"""
PG_TRIGGER = """
CREATE TRIGGER order_history_append_only BEFORE UPDATE OR DELETE ON order_history
FOR EACH ROW EXECUTE FUNCTION order_history_append_only()
"""
SQLITE_UNCHANGED = " AND ".join(
    f"NEW.{c} IS OLD.{c}"
    for c in (
        "id", "order_id", "created_at", "actor_kind", "actor_name", "field", "old_value", "new_value",
        "comment", "batch_id", "subject",
    )
)
SQLITE_TRIGGERS = [
    """CREATE TRIGGER order_history_no_delete BEFORE DELETE ON order_history
    BEGIN SELECT RAISE(ABORT, 'order_history is append-only: DELETE refused'); END""",
    f"""CREATE TRIGGER order_history_no_update BEFORE UPDATE ON order_history
    WHEN NOT ({SQLITE_UNCHANGED}
              AND (NEW.actor_staff_id IS NULL OR NEW.actor_staff_id IS OLD.actor_staff_id)
              AND (NEW.actor_customer_id IS NULL OR NEW.actor_customer_id IS OLD.actor_customer_id))
    BEGIN SELECT RAISE(ABORT, 'order_history is append-only: UPDATE refused'); END""",
]


def upgrade():
    sqlite = op.get_bind().dialect.name == "sqlite"
    op.create_table('order_batch',
    sa.Column('id', sa.String(length=36), nullable=False),
    sa.Column('kind', sa.Enum('status', 'undo', 'assign', 'labels', name='batch_kind', native_enum=False, create_constraint=True, length=20), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('staff_id', sa.Integer(), nullable=True),
    sa.Column('actor_name', sa.String(length=200), nullable=False),
    sa.Column('target', sa.String(length=200), nullable=False),
    sa.Column('comment', sa.Text(), nullable=False),
    sa.Column('changed_count', sa.Integer(), nullable=False),
    sa.Column('skipped_count', sa.Integer(), nullable=False),
    sa.Column('skipped', sa.JSON().with_variant(postgresql.JSONB(), 'postgresql'), nullable=False),
    sa.Column('undoes_id', sa.String(length=36), nullable=True),
    sa.CheckConstraint('changed_count >= 0 AND skipped_count >= 0', name=op.f('ck_order_batch_counts_non_negative')),
    sa.ForeignKeyConstraint(['staff_id'], ['ab_user.id'], name=op.f('fk_order_batch_staff_id_ab_user'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['undoes_id'], ['order_batch.id'], name=op.f('fk_order_batch_undoes_id_order_batch'), ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_order_batch')),
    sa.UniqueConstraint('undoes_id', name=op.f('uq_order_batch_undoes_id'))
    )
    with op.batch_alter_table('order_batch', schema=None) as batch_op:
        batch_op.create_index('ix_order_batch_staff_created', ['staff_id', 'created_at'], unique=False)

    # On SQLite this rebuilds order_history (nothing refers to it, so no cascade); the triggers come after.
    with op.batch_alter_table('order_history', schema=None) as batch_op:
        batch_op.add_column(sa.Column('subject', sa.String(length=200), server_default='', nullable=False))
        batch_op.create_foreign_key(batch_op.f('fk_order_history_batch_id_order_batch'), 'order_batch', ['batch_id'], ['id'], ondelete='RESTRICT')

    if sqlite:
        # Rebuilding `orders` drops the old table: with foreign keys on, SQLite would cascade that into
        # order lines, history and notifications. Switch them off for the rebuild (outside a transaction).
        with op.get_context().autocommit_block():
            op.execute("PRAGMA foreign_keys=OFF")
        with op.batch_alter_table('orders', schema=None) as batch_op:
            batch_op.add_column(sa.Column('assignee_id', sa.Integer(), nullable=True))
            batch_op.add_column(sa.Column('packages', sa.Integer(), server_default='1', nullable=False))
            batch_op.create_index(batch_op.f('ix_orders_assignee_id'), ['assignee_id'], unique=False)
            batch_op.create_foreign_key(batch_op.f('fk_orders_assignee_id_ab_user'), 'ab_user', ['assignee_id'], ['id'], ondelete='SET NULL')
            batch_op.create_check_constraint(batch_op.f('ck_orders_packages_range'), 'packages BETWEEN 1 AND 999')
        for statement in SQLITE_TRIGGERS:
            op.execute(statement)
        with op.get_context().autocommit_block():
            op.execute("PRAGMA foreign_keys=ON")
    else:
        op.add_column('orders', sa.Column('assignee_id', sa.Integer(), nullable=True))
        op.add_column('orders', sa.Column('packages', sa.Integer(), server_default='1', nullable=False))
        op.create_index(op.f('ix_orders_assignee_id'), 'orders', ['assignee_id'], unique=False)
        op.create_foreign_key(op.f('fk_orders_assignee_id_ab_user'), 'orders', 'ab_user', ['assignee_id'], ['id'], ondelete='SET NULL')
        op.create_check_constraint(op.f('ck_orders_packages_range'), 'orders', 'packages BETWEEN 1 AND 999')
        op.execute(PG_FUNCTION)
        op.execute(PG_TRIGGER)


def downgrade():
    sqlite = op.get_bind().dialect.name == "sqlite"
    if sqlite:
        op.execute("DROP TRIGGER IF EXISTS order_history_no_update")
        op.execute("DROP TRIGGER IF EXISTS order_history_no_delete")
        with op.get_context().autocommit_block():
            op.execute("PRAGMA foreign_keys=OFF")
        with op.batch_alter_table('orders', schema=None) as batch_op:
            batch_op.drop_constraint(batch_op.f('ck_orders_packages_range'), type_='check')
            batch_op.drop_constraint(batch_op.f('fk_orders_assignee_id_ab_user'), type_='foreignkey')
            batch_op.drop_index(batch_op.f('ix_orders_assignee_id'))
            batch_op.drop_column('packages')
            batch_op.drop_column('assignee_id')
        with op.get_context().autocommit_block():
            op.execute("PRAGMA foreign_keys=ON")
    else:
        op.execute("DROP TRIGGER IF EXISTS order_history_append_only ON order_history")
        op.execute("DROP FUNCTION IF EXISTS order_history_append_only()")
        op.drop_constraint(op.f('ck_orders_packages_range'), 'orders', type_='check')
        op.drop_constraint(op.f('fk_orders_assignee_id_ab_user'), 'orders', type_='foreignkey')
        op.drop_index(op.f('ix_orders_assignee_id'), table_name='orders')
        op.drop_column('orders', 'packages')
        op.drop_column('orders', 'assignee_id')

    with op.batch_alter_table('order_history', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_order_history_batch_id_order_batch'), type_='foreignkey')
        batch_op.drop_column('subject')

    with op.batch_alter_table('order_batch', schema=None) as batch_op:
        batch_op.drop_index('ix_order_batch_staff_created')

    op.drop_table('order_batch')
