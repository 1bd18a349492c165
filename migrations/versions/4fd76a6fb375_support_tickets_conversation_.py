"""support tickets: conversation, attachments, history (append-only), canned replies, SLA targets, reprints

Revision ID: 4fd76a6fb375
Revises: 5e7a3c1d9b20
Create Date: 2026-12-02 04:30:50.582687

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '4fd76a6fb375'
down_revision = '5e7a3c1d9b20'
branch_labels = None
depends_on = None

# Ticket history is append-only, as order history is (see 1886cad56bd0): the one UPDATE let through is the
# one a foreign key makes when a staff user or a customer is deleted (the link cleared, the name kept).
PG_FUNCTION = """
CREATE FUNCTION support_ticket_history_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'UPDATE'
       AND (to_jsonb(NEW) - 'actor_staff_id' - 'actor_customer_id')
           = (to_jsonb(OLD) - 'actor_staff_id' - 'actor_customer_id')
       AND (NEW.actor_staff_id IS NULL OR NEW.actor_staff_id = OLD.actor_staff_id)
       AND (NEW.actor_customer_id IS NULL OR NEW.actor_customer_id = OLD.actor_customer_id) THEN
        RETURN NEW;
    END IF;
    RAISE EXCEPTION 'support_ticket_history is append-only: % refused', TG_OP;
END
$$
"""
PG_TRIGGER = """
CREATE TRIGGER support_ticket_history_append_only BEFORE UPDATE OR DELETE ON support_ticket_history
FOR EACH ROW EXECUTE FUNCTION support_ticket_history_append_only()
"""
SQLITE_UNCHANGED = " AND ".join(
    f"NEW.{c} IS OLD.{c}"
    for c in ("id", "ticket_id", "created_at", "actor_kind", "actor_name", "field", "old_value", "new_value", "comment")
)
SQLITE_TRIGGERS = [
    """CREATE TRIGGER support_ticket_history_no_delete BEFORE DELETE ON support_ticket_history
    BEGIN SELECT RAISE(ABORT, 'support_ticket_history is append-only: DELETE refused'); END""",
    f"""CREATE TRIGGER support_ticket_history_no_update BEFORE UPDATE ON support_ticket_history
    WHEN NOT ({SQLITE_UNCHANGED}
              AND (NEW.actor_staff_id IS NULL OR NEW.actor_staff_id IS OLD.actor_staff_id)
              AND (NEW.actor_customer_id IS NULL OR NEW.actor_customer_id IS OLD.actor_customer_id))
    BEGIN SELECT RAISE(ABORT, 'support_ticket_history is append-only: UPDATE refused'); END""",
]


def upgrade():
    op.create_table('support_canned_reply',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('title', sa.String(length=120), nullable=False),
    sa.Column('body', sa.Text(), nullable=False),
    sa.Column('topic', sa.Enum('order', 'layout', 'delivery', 'payment', 'defect', 'other', name='ticket_topic', native_enum=False, create_constraint=True, length=20), nullable=True),
    sa.Column('is_active', sa.Boolean(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_support_canned_reply')),
    sa.UniqueConstraint('title', name=op.f('uq_support_canned_reply_title'))
    )
    op.create_table('support_sla_target',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('topic', sa.Enum('order', 'layout', 'delivery', 'payment', 'defect', 'other', name='ticket_topic', native_enum=False, create_constraint=True, length=20), nullable=False),
    sa.Column('priority', sa.Enum('low', 'normal', 'high', 'urgent', name='ticket_priority', native_enum=False, create_constraint=True, length=20), nullable=False),
    sa.Column('first_response_hours', sa.Numeric(precision=6, scale=2), nullable=False),
    sa.Column('resolution_hours', sa.Numeric(precision=6, scale=2), nullable=False),
    sa.CheckConstraint('first_response_hours > 0', name=op.f('ck_support_sla_target_first_response_positive')),
    sa.CheckConstraint('resolution_hours >= first_response_hours', name=op.f('ck_support_sla_target_resolution_after_response')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_support_sla_target')),
    sa.UniqueConstraint('topic', 'priority', name='uq_support_sla_target_topic_priority')
    )
    op.create_table('support_ticket',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('customer_id', sa.Integer(), nullable=False),
    sa.Column('topic', sa.Enum('order', 'layout', 'delivery', 'payment', 'defect', 'other', name='ticket_topic', native_enum=False, create_constraint=True, length=20), nullable=False),
    sa.Column('subject', sa.String(length=200), nullable=False),
    sa.Column('state', sa.Enum('new', 'in_progress', 'waiting', 'resolved', 'closed', name='ticket_state', native_enum=False, create_constraint=True, length=20), nullable=False),
    sa.Column('priority', sa.Enum('low', 'normal', 'high', 'urgent', name='ticket_priority', native_enum=False, create_constraint=True, length=20), nullable=False),
    sa.Column('assignee_id', sa.Integer(), nullable=True),
    sa.Column('order_id', sa.Integer(), nullable=True),
    sa.Column('project_id', sa.Integer(), nullable=True),
    sa.Column('company_id', sa.Integer(), nullable=True),
    sa.Column('previous_ticket_id', sa.Integer(), nullable=True),
    sa.Column('tags', sa.String(length=300), server_default='', nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('state_changed_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('last_message_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('last_customer_message_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('last_staff_reply_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('first_response_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('resolved_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('closed_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('reopen_count', sa.Integer(), server_default='0', nullable=False),
    sa.Column('first_response_due_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('resolution_due_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('paused_since', sa.DateTime(timezone=True), nullable=True),
    sa.Column('paused_seconds', sa.Integer(), server_default='0', nullable=False),
    sa.Column('sla_due_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('sla_warning_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('rating', sa.SmallInteger(), nullable=True),
    sa.Column('rating_comment', sa.Text(), server_default='', nullable=False),
    sa.Column('rated_at', sa.DateTime(timezone=True), nullable=True),
    sa.CheckConstraint('paused_seconds >= 0', name=op.f('ck_support_ticket_paused_non_negative')),
    sa.CheckConstraint('rating IS NULL OR (rating >= 1 AND rating <= 5)', name=op.f('ck_support_ticket_rating_range')),
    sa.CheckConstraint('reopen_count >= 0', name=op.f('ck_support_ticket_reopen_count_non_negative')),
    sa.ForeignKeyConstraint(['assignee_id'], ['ab_user.id'], name=op.f('fk_support_ticket_assignee_id_ab_user'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['company_id'], ['company.id'], name=op.f('fk_support_ticket_company_id_company'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['customer_id'], ['customer.id'], name=op.f('fk_support_ticket_customer_id_customer'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['order_id'], ['orders.id'], name=op.f('fk_support_ticket_order_id_orders'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['previous_ticket_id'], ['support_ticket.id'], name=op.f('fk_support_ticket_previous_ticket_id_support_ticket'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['project_id'], ['project.id'], name=op.f('fk_support_ticket_project_id_project'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_support_ticket'))
    )
    with op.batch_alter_table('support_ticket', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_support_ticket_assignee_id'), ['assignee_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_support_ticket_company_id'), ['company_id'], unique=False)
        batch_op.create_index('ix_support_ticket_created_at', ['created_at'], unique=False)
        batch_op.create_index('ix_support_ticket_customer_state', ['customer_id', 'state'], unique=False)
        batch_op.create_index('ix_support_ticket_last_message_at', ['last_message_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_support_ticket_order_id'), ['order_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_support_ticket_previous_ticket_id'), ['previous_ticket_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_support_ticket_priority'), ['priority'], unique=False)
        batch_op.create_index(batch_op.f('ix_support_ticket_project_id'), ['project_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_support_ticket_sla_warning_at'), ['sla_warning_at'], unique=False)
        batch_op.create_index('ix_support_ticket_state_due', ['state', 'sla_due_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_support_ticket_topic'), ['topic'], unique=False)

    op.create_table('order_reprint',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('ticket_id', sa.Integer(), nullable=False),
    sa.Column('original_order_id', sa.Integer(), nullable=False),
    sa.Column('reprint_order_id', sa.Integer(), nullable=False),
    sa.Column('reason', sa.Text(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('staff_id', sa.Integer(), nullable=True),
    sa.Column('actor_name', sa.String(length=200), nullable=False),
    sa.ForeignKeyConstraint(['original_order_id'], ['orders.id'], name=op.f('fk_order_reprint_original_order_id_orders'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['reprint_order_id'], ['orders.id'], name=op.f('fk_order_reprint_reprint_order_id_orders'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['staff_id'], ['ab_user.id'], name=op.f('fk_order_reprint_staff_id_ab_user'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['ticket_id'], ['support_ticket.id'], name=op.f('fk_order_reprint_ticket_id_support_ticket'), ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_order_reprint')),
    sa.UniqueConstraint('reprint_order_id', name=op.f('uq_order_reprint_reprint_order_id')),
    sa.UniqueConstraint('ticket_id', name=op.f('uq_order_reprint_ticket_id'))
    )
    with op.batch_alter_table('order_reprint', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_order_reprint_original_order_id'), ['original_order_id'], unique=False)

    op.create_table('support_message',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('ticket_id', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('author_kind', sa.Enum('staff', 'customer', 'system', name='actor_kind', native_enum=False, create_constraint=True, length=20), nullable=False),
    sa.Column('author_customer_id', sa.Integer(), nullable=True),
    sa.Column('author_staff_id', sa.Integer(), nullable=True),
    sa.Column('author_name', sa.String(length=200), nullable=False),
    sa.Column('body', sa.Text(), nullable=False),
    sa.Column('internal', sa.Boolean(), nullable=False),
    sa.CheckConstraint("NOT internal OR author_kind = 'staff'", name=op.f('ck_support_message_internal_by_staff')),
    sa.ForeignKeyConstraint(['author_customer_id'], ['customer.id'], name=op.f('fk_support_message_author_customer_id_customer'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['author_staff_id'], ['ab_user.id'], name=op.f('fk_support_message_author_staff_id_ab_user'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['ticket_id'], ['support_ticket.id'], name=op.f('fk_support_message_ticket_id_support_ticket'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_support_message'))
    )
    with op.batch_alter_table('support_message', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_support_message_author_staff_id'), ['author_staff_id'], unique=False)
        batch_op.create_index('ix_support_message_customer_created', ['author_customer_id', 'created_at'], unique=False)
        batch_op.create_index('ix_support_message_ticket_id_id', ['ticket_id', 'id'], unique=False)

    op.create_table('support_ticket_history',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('ticket_id', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('actor_kind', sa.Enum('staff', 'customer', 'system', name='actor_kind', native_enum=False, create_constraint=True, length=20), nullable=False),
    sa.Column('actor_staff_id', sa.Integer(), nullable=True),
    sa.Column('actor_customer_id', sa.Integer(), nullable=True),
    sa.Column('actor_name', sa.String(length=200), nullable=False),
    sa.Column('field', sa.String(length=60), nullable=False),
    sa.Column('old_value', sa.Text(), nullable=True),
    sa.Column('new_value', sa.Text(), nullable=True),
    sa.Column('comment', sa.Text(), nullable=False),
    sa.ForeignKeyConstraint(['actor_customer_id'], ['customer.id'], name=op.f('fk_support_ticket_history_actor_customer_id_customer'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['actor_staff_id'], ['ab_user.id'], name=op.f('fk_support_ticket_history_actor_staff_id_ab_user'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['ticket_id'], ['support_ticket.id'], name=op.f('fk_support_ticket_history_ticket_id_support_ticket'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_support_ticket_history'))
    )
    with op.batch_alter_table('support_ticket_history', schema=None) as batch_op:
        batch_op.create_index('ix_support_ticket_history_ticket_id_id', ['ticket_id', 'id'], unique=False)
    if op.get_bind().dialect.name == "sqlite":
        for statement in SQLITE_TRIGGERS:
            op.execute(statement)
    else:
        op.execute(PG_FUNCTION)
        op.execute(PG_TRIGGER)

    op.create_table('support_attachment',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('message_id', sa.Integer(), nullable=False),
    sa.Column('file_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['file_id'], ['stored_file.id'], name=op.f('fk_support_attachment_file_id_stored_file'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['message_id'], ['support_message.id'], name=op.f('fk_support_attachment_message_id_support_message'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_support_attachment')),
    sa.UniqueConstraint('file_id', name=op.f('uq_support_attachment_file_id'))
    )
    with op.batch_alter_table('support_attachment', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_support_attachment_message_id'), ['message_id'], unique=False)



def downgrade():
    with op.batch_alter_table('support_attachment', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_support_attachment_message_id'))

    op.drop_table('support_attachment')
    if op.get_bind().dialect.name == "sqlite":
        op.execute("DROP TRIGGER IF EXISTS support_ticket_history_no_update")
        op.execute("DROP TRIGGER IF EXISTS support_ticket_history_no_delete")
    else:
        op.execute("DROP TRIGGER IF EXISTS support_ticket_history_append_only ON support_ticket_history")
        op.execute("DROP FUNCTION IF EXISTS support_ticket_history_append_only()")
    with op.batch_alter_table('support_ticket_history', schema=None) as batch_op:
        batch_op.drop_index('ix_support_ticket_history_ticket_id_id')

    op.drop_table('support_ticket_history')
    with op.batch_alter_table('support_message', schema=None) as batch_op:
        batch_op.drop_index('ix_support_message_ticket_id_id')
        batch_op.drop_index('ix_support_message_customer_created')
        batch_op.drop_index(batch_op.f('ix_support_message_author_staff_id'))

    op.drop_table('support_message')
    with op.batch_alter_table('order_reprint', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_order_reprint_original_order_id'))

    op.drop_table('order_reprint')
    with op.batch_alter_table('support_ticket', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_support_ticket_topic'))
        batch_op.drop_index('ix_support_ticket_state_due')
        batch_op.drop_index(batch_op.f('ix_support_ticket_sla_warning_at'))
        batch_op.drop_index(batch_op.f('ix_support_ticket_project_id'))
        batch_op.drop_index(batch_op.f('ix_support_ticket_priority'))
        batch_op.drop_index(batch_op.f('ix_support_ticket_previous_ticket_id'))
        batch_op.drop_index(batch_op.f('ix_support_ticket_order_id'))
        batch_op.drop_index('ix_support_ticket_last_message_at')
        batch_op.drop_index('ix_support_ticket_customer_state')
        batch_op.drop_index('ix_support_ticket_created_at')
        batch_op.drop_index(batch_op.f('ix_support_ticket_company_id'))
        batch_op.drop_index(batch_op.f('ix_support_ticket_assignee_id'))

    op.drop_table('support_ticket')
    op.drop_table('support_sla_target')
    op.drop_table('support_canned_reply')
