"""loyalty settings bump the site version: product pages show the points an order earns at the programme's rates

Revision ID: e7b3a9c4d210
Revises: 5b8e2f7d1c90
Create Date: 2026-12-02 10:25:00.000000

"""
from alembic import op


# revision identifiers, used by Alembic.
revision = 'e7b3a9c4d210'
down_revision = '5b8e2f7d1c90'
branch_labels = None
depends_on = None

SQLITE_BUMP = (
    "INSERT INTO site_version (id, token, changed_at) VALUES (1, random(), strftime('%Y-%m-%d %H:%M:%f', 'now')) "
    "ON CONFLICT (id) DO UPDATE SET token = excluded.token, changed_at = excluded.changed_at"
)


def upgrade():
    # loyalty_settings is append-only: a change of the rules is an INSERT.
    if op.get_bind().dialect.name == 'postgresql':
        op.execute(
            'CREATE TRIGGER loyalty_settings_site_version AFTER INSERT ON loyalty_settings '
            'FOR EACH STATEMENT EXECUTE FUNCTION bump_site_version()'
        )
    else:
        op.execute(f'CREATE TRIGGER loyalty_settings_site_version_insert AFTER INSERT ON loyalty_settings BEGIN {SQLITE_BUMP}; END')


def downgrade():
    if op.get_bind().dialect.name == 'postgresql':
        op.execute('DROP TRIGGER loyalty_settings_site_version ON loyalty_settings')
    else:
        op.execute('DROP TRIGGER loyalty_settings_site_version_insert')
