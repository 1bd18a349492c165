"""product reviews: reviews, photos, flags, votes, moderation log (append-only), invitations, settings

Revision ID: 4a8ef073ffa2
Revises: 4fd76a6fb375
Create Date: 2026-12-02 04:29:51.730609

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '4a8ef073ffa2'
down_revision = '4fd76a6fb375'
branch_labels = None
depends_on = None

# The moderation log is append-only, like order history (migration 1886cad56bd0). The one UPDATE let through
# is the one a foreign key makes when a staff user or a customer is deleted: the link is cleared (SET NULL).
PG_FUNCTION = """
CREATE FUNCTION review_event_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'UPDATE'
       AND (to_jsonb(NEW) - 'actor_staff_id' - 'actor_customer_id')
           = (to_jsonb(OLD) - 'actor_staff_id' - 'actor_customer_id')
       AND (NEW.actor_staff_id IS NULL OR NEW.actor_staff_id = OLD.actor_staff_id)
       AND (NEW.actor_customer_id IS NULL OR NEW.actor_customer_id = OLD.actor_customer_id) THEN
        RETURN NEW;
    END IF;
    RAISE EXCEPTION 'review_event is append-only: % refused', TG_OP;
END
$$
"""
PG_TRIGGER = """
CREATE TRIGGER review_event_append_only BEFORE UPDATE OR DELETE ON review_event
FOR EACH ROW EXECUTE FUNCTION review_event_append_only()
"""
SQLITE_UNCHANGED = " AND ".join(
    f"NEW.{c} IS OLD.{c}"
    for c in (
        "id", "review_id", "created_at", "actor_kind", "actor_name", "field", "old_value", "new_value", "comment",
    )
)
SQLITE_TRIGGERS = [
    """CREATE TRIGGER review_event_no_delete BEFORE DELETE ON review_event
    BEGIN SELECT RAISE(ABORT, 'review_event is append-only: DELETE refused'); END""",
    f"""CREATE TRIGGER review_event_no_update BEFORE UPDATE ON review_event
    WHEN NOT ({SQLITE_UNCHANGED}
              AND (NEW.actor_staff_id IS NULL OR NEW.actor_staff_id IS OLD.actor_staff_id)
              AND (NEW.actor_customer_id IS NULL OR NEW.actor_customer_id IS OLD.actor_customer_id))
    BEGIN SELECT RAISE(ABORT, 'review_event is append-only: UPDATE refused'); END""",
]


def upgrade():
    op.create_table('review_settings',
    sa.Column('id', sa.Integer(), autoincrement=False, nullable=False),
    sa.Column('auto_publish', sa.Boolean(), nullable=False),
    sa.Column('invite_after_days', sa.Integer(), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_by_name', sa.String(length=200), nullable=False),
    sa.CheckConstraint('invite_after_days BETWEEN 0 AND 90', name=op.f('ck_review_settings_invite_after_days_range')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_review_settings'))
    )
    op.create_table('review_invitation',
    sa.Column('order_id', sa.Integer(), autoincrement=False, nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('messages', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['order_id'], ['orders.id'], name=op.f('fk_review_invitation_order_id_orders'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('order_id', name=op.f('pk_review_invitation'))
    )
    op.create_table('review',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('product_id', sa.Integer(), nullable=False),
    sa.Column('order_line_id', sa.Integer(), nullable=False),
    sa.Column('customer_id', sa.Integer(), nullable=False),
    sa.Column('rating', sa.SmallInteger(), nullable=False),
    sa.Column('text', sa.Text(), nullable=False),
    sa.Column('text_fingerprint', sa.String(length=64), nullable=False),
    sa.Column('name_only', sa.Boolean(), nullable=False),
    sa.Column('author_name', sa.String(length=200), nullable=False),
    sa.Column('purchase_label', sa.String(length=500), nullable=False),
    sa.Column('state', sa.Enum('pending', 'published', 'rejected', name='review_state', native_enum=False, create_constraint=True, length=20), nullable=False),
    sa.Column('reject_reason', sa.Enum('spam', 'insult', 'personal_data', 'off_topic', 'advertising', 'other', name='reject_reason', native_enum=False, create_constraint=True, length=20), nullable=True),
    sa.Column('reject_comment', sa.Text(), nullable=False),
    sa.Column('reply_text', sa.Text(), nullable=False),
    sa.Column('reply_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('reply_by_name', sa.String(length=200), nullable=False),
    sa.Column('pinned', sa.Boolean(), nullable=False),
    sa.Column('helpful_count', sa.Integer(), nullable=False),
    sa.Column('photo_count', sa.SmallInteger(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('submitted_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('moderated_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('moderated_by_name', sa.String(length=200), nullable=False),
    sa.Column('published_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('first_published_at', sa.DateTime(timezone=True), nullable=True),
    sa.CheckConstraint("state <> 'rejected' OR reject_reason IS NOT NULL", name=op.f('ck_review_rejected_has_reason')),
    sa.CheckConstraint('helpful_count >= 0', name=op.f('ck_review_helpful_count_non_negative')),
    sa.CheckConstraint('photo_count BETWEEN 0 AND 5', name=op.f('ck_review_photo_count_range')),
    sa.CheckConstraint('rating BETWEEN 1 AND 5', name=op.f('ck_review_rating_range')),
    sa.ForeignKeyConstraint(['customer_id'], ['customer.id'], name=op.f('fk_review_customer_id_customer'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['order_line_id'], ['order_line.id'], name=op.f('fk_review_order_line_id_order_line'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['product_id'], ['product.id'], name=op.f('fk_review_product_id_product'), ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_review')),
    sa.UniqueConstraint('order_line_id', name=op.f('uq_review_order_line_id'))
    )
    with op.batch_alter_table('review', schema=None) as batch_op:
        batch_op.create_index('ix_review_customer_created', ['customer_id', 'created_at'], unique=False)
        batch_op.create_index('ix_review_product_state_published', ['product_id', 'state', 'published_at'], unique=False)
        batch_op.create_index('ix_review_state_submitted', ['state', 'submitted_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_review_text_fingerprint'), ['text_fingerprint'], unique=False)

    op.create_table('review_event',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('review_id', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('actor_kind', sa.Enum('staff', 'customer', 'system', name='actor_kind', native_enum=False, create_constraint=True, length=20), nullable=False),
    sa.Column('actor_staff_id', sa.Integer(), nullable=True),
    sa.Column('actor_customer_id', sa.Integer(), nullable=True),
    sa.Column('actor_name', sa.String(length=200), nullable=False),
    sa.Column('field', sa.String(length=60), nullable=False),
    sa.Column('old_value', sa.Text(), nullable=True),
    sa.Column('new_value', sa.Text(), nullable=True),
    sa.Column('comment', sa.Text(), nullable=False),
    sa.ForeignKeyConstraint(['actor_customer_id'], ['customer.id'], name=op.f('fk_review_event_actor_customer_id_customer'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['actor_staff_id'], ['ab_user.id'], name=op.f('fk_review_event_actor_staff_id_ab_user'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['review_id'], ['review.id'], name=op.f('fk_review_event_review_id_review'), ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_review_event'))
    )
    with op.batch_alter_table('review_event', schema=None) as batch_op:
        batch_op.create_index('ix_review_event_created_at', ['created_at'], unique=False)
        batch_op.create_index('ix_review_event_review_id_id', ['review_id', 'id'], unique=False)

    if op.get_bind().dialect.name == "sqlite":
        for statement in SQLITE_TRIGGERS:
            op.execute(statement)
    else:
        op.execute(PG_FUNCTION)
        op.execute(PG_TRIGGER)

    op.create_table('review_flag',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('review_id', sa.Integer(), nullable=False),
    sa.Column('rule', sa.Enum('link', 'phone', 'email', 'profanity', 'caps', 'repeated', name='flag_rule', native_enum=False, create_constraint=True, length=20), nullable=False),
    sa.Column('detail', sa.String(length=200), nullable=False),
    sa.ForeignKeyConstraint(['review_id'], ['review.id'], name=op.f('fk_review_flag_review_id_review'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_review_flag')),
    sa.UniqueConstraint('review_id', 'rule', name='uq_review_flag_review_rule')
    )
    with op.batch_alter_table('review_flag', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_review_flag_rule'), ['rule'], unique=False)

    op.create_table('review_photo',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('review_id', sa.Integer(), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('file_id', sa.Integer(), nullable=False),
    sa.Column('thumb_file_id', sa.Integer(), nullable=False),
    sa.Column('width', sa.Integer(), nullable=False),
    sa.Column('height', sa.Integer(), nullable=False),
    sa.Column('original_name', sa.String(length=255), nullable=False),
    sa.Column('hidden', sa.Boolean(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint('width > 0 AND height > 0', name=op.f('ck_review_photo_size_positive')),
    sa.ForeignKeyConstraint(['file_id'], ['stored_file.id'], name=op.f('fk_review_photo_file_id_stored_file'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['review_id'], ['review.id'], name=op.f('fk_review_photo_review_id_review'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['thumb_file_id'], ['stored_file.id'], name=op.f('fk_review_photo_thumb_file_id_stored_file'), ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_review_photo')),
    sa.UniqueConstraint('review_id', 'position', name='uq_review_photo_review_position')
    )
    with op.batch_alter_table('review_photo', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_review_photo_file_id'), ['file_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_review_photo_thumb_file_id'), ['thumb_file_id'], unique=False)

    op.create_table('review_vote',
    sa.Column('review_id', sa.Integer(), nullable=False),
    sa.Column('customer_id', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['customer_id'], ['customer.id'], name=op.f('fk_review_vote_customer_id_customer'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['review_id'], ['review.id'], name=op.f('fk_review_vote_review_id_review'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('review_id', 'customer_id', name=op.f('pk_review_vote'))
    )
    with op.batch_alter_table('review_vote', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_review_vote_customer_id'), ['customer_id'], unique=False)



def downgrade():
    with op.batch_alter_table('review_vote', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_review_vote_customer_id'))

    op.drop_table('review_vote')
    with op.batch_alter_table('review_photo', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_review_photo_thumb_file_id'))
        batch_op.drop_index(batch_op.f('ix_review_photo_file_id'))

    op.drop_table('review_photo')
    with op.batch_alter_table('review_flag', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_review_flag_rule'))

    op.drop_table('review_flag')
    if op.get_bind().dialect.name == "sqlite":
        op.execute("DROP TRIGGER IF EXISTS review_event_no_update")
        op.execute("DROP TRIGGER IF EXISTS review_event_no_delete")
    else:
        op.execute("DROP TRIGGER IF EXISTS review_event_append_only ON review_event")
        op.execute("DROP FUNCTION IF EXISTS review_event_append_only()")
    with op.batch_alter_table('review_event', schema=None) as batch_op:
        batch_op.drop_index('ix_review_event_review_id_id')
        batch_op.drop_index('ix_review_event_created_at')

    op.drop_table('review_event')
    with op.batch_alter_table('review', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_review_text_fingerprint'))
        batch_op.drop_index('ix_review_state_submitted')
        batch_op.drop_index('ix_review_product_state_published')
        batch_op.drop_index('ix_review_customer_created')

    op.drop_table('review')
    op.drop_table('review_invitation')
    op.drop_table('review_settings')
