"""page drafts: edits of a published page wait in a draft revision until published (by hand or at a set time)

Revision ID: 6dea4097d83f
Revises: df6af6a0df9a
Create Date: 2026-12-02 10:06:20.416180

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '6dea4097d83f'
down_revision = 'df6af6a0df9a'
branch_labels = None
depends_on = None


def upgrade():
    op.add_column('content_page', sa.Column('live_number', sa.Integer(), nullable=True))
    op.add_column('content_page', sa.Column('draft_number', sa.Integer(), nullable=True))
    op.add_column('content_page', sa.Column('publish_at', sa.DateTime(timezone=True), nullable=True))
    op.create_index(op.f('ix_content_page_publish_at'), 'content_page', ['publish_at'], unique=False)
    # Until now every save went live: the latest revision is what the site shows.
    op.execute(
        'UPDATE content_page SET live_number = (SELECT max(number) FROM content_page_revision r '
        'WHERE r.page_id = content_page.id)'
    )


def downgrade():
    op.drop_index(op.f('ix_content_page_publish_at'), table_name='content_page')
    with op.batch_alter_table('content_page', schema=None) as batch_op:
        batch_op.drop_column('publish_at')
        batch_op.drop_column('draft_number')
        batch_op.drop_column('live_number')
