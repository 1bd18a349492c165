"""site version: one row rewritten by triggers whenever what a storefront page shows changes

Revision ID: d5f0c7a2b8e1
Revises: 9b4d2e6f8a13
Create Date: 2026-12-02 10:30:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'd5f0c7a2b8e1'
down_revision = '9b4d2e6f8a13'
branch_labels = None
depends_on = None

# The tables storefront pages are built from; for some, only the columns pages show (a banner's clicks and
# a promo code's uses change with traffic, not with content).
TABLES = {
    'category': None,
    'product': None,
    'option_group': None,
    'option_value': None,
    'price_tier': None,
    'vat_rate': None,
    'banner': (
        'title', 'image_id', 'mobile_image_id', 'alt_text', 'link', 'position', 'active_from', 'active_until',
        'is_active',
    ),
    'news_item': None,
    'content_page': None,
    'content_image': None,
    'content_image_variant': None,
    'promo_code': (
        'code', 'description', 'kind', 'value', 'valid_from', 'valid_until', 'usage_limit', 'per_customer_limit',
        'min_order_total', 'is_active',
    ),
    'review': None,
    'review_photo': None,
}

PG_FUNCTION = """
CREATE FUNCTION bump_site_version() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO site_version (id, token, changed_at) VALUES (1, (random() * 9e18)::bigint, now())
    ON CONFLICT (id) DO UPDATE SET token = EXCLUDED.token, changed_at = EXCLUDED.changed_at;
    RETURN NULL;
END
$$
"""

SQLITE_BUMP = (
    "INSERT INTO site_version (id, token, changed_at) VALUES (1, random(), strftime('%Y-%m-%d %H:%M:%f', 'now')) "
    "ON CONFLICT (id) DO UPDATE SET token = excluded.token, changed_at = excluded.changed_at"
)


def _update_event(columns):
    return f"UPDATE OF {', '.join(columns)}" if columns else "UPDATE"


def upgrade():
    op.create_table(
        'site_version',
        sa.Column('id', sa.Integer(), autoincrement=False, nullable=False),
        sa.Column('token', sa.BigInteger(), nullable=False),
        sa.Column('changed_at', sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_site_version')),
    )
    op.execute("INSERT INTO site_version (id, token, changed_at) VALUES (1, 1, CURRENT_TIMESTAMP)")
    if op.get_bind().dialect.name == 'postgresql':
        op.execute(PG_FUNCTION)
        for table, columns in TABLES.items():
            op.execute(
                f'CREATE TRIGGER {table}_site_version AFTER INSERT OR {_update_event(columns)} OR DELETE ON {table} '
                'FOR EACH STATEMENT EXECUTE FUNCTION bump_site_version()'
            )
        return
    for table, columns in TABLES.items():
        for event in ('INSERT', _update_event(columns), 'DELETE'):
            name = f"{table}_site_version_{event.split()[0].lower()}"
            op.execute(f'CREATE TRIGGER {name} AFTER {event} ON {table} BEGIN {SQLITE_BUMP}; END')


def downgrade():
    if op.get_bind().dialect.name == 'postgresql':
        for table in TABLES:
            op.execute(f'DROP TRIGGER {table}_site_version ON {table}')
        op.execute('DROP FUNCTION bump_site_version()')
    else:
        for table in TABLES:
            for event in ('insert', 'update', 'delete'):
                op.execute(f'DROP TRIGGER {table}_site_version_{event}')
    op.drop_table('site_version')
