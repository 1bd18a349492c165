"""company history and newsletter consent are append-only in the database (UPDATE/DELETE-refusing triggers)

Revision ID: c083f816a745
Revises: b0a169d5edbb
Create Date: 2026-11-27 10:05:00.000000

"""
from alembic import op


# revision identifiers, used by Alembic.
revision = 'c083f816a745'
down_revision = 'b0a169d5edbb'
branch_labels = None
depends_on = None

# Every column of each table, and those of them a foreign key clears (ON DELETE SET NULL) when a staff
# user or a customer is deleted: that is the one UPDATE let through, as for order_history (1886cad56bd0).
TABLES = {
    'company_history': {
        'columns': (
            'id', 'company_id', 'created_at', 'actor_kind', 'actor_name', 'field', 'old_value', 'new_value',
            'comment',
        ),
        'links': ('actor_staff_id', 'actor_customer_id'),
    },
    'newsletter_consent': {
        'columns': ('id', 'customer_id', 'subscribed', 'source', 'actor', 'created_at'),
        'links': (),
    },
}

# One function for every append-only table; the trigger names the columns a foreign key may clear.
PG_FUNCTION = """
CREATE FUNCTION refuse_append_only_change() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    link text;
BEGIN
    IF TG_OP = 'UPDATE' AND (to_jsonb(NEW) - TG_ARGV) = (to_jsonb(OLD) - TG_ARGV) THEN
        FOREACH link IN ARRAY TG_ARGV LOOP
            IF jsonb_typeof(to_jsonb(NEW) -> link) <> 'null'
               AND (to_jsonb(NEW) -> link) IS DISTINCT FROM (to_jsonb(OLD) -> link) THEN
                RAISE EXCEPTION '% is append-only: % refused', TG_TABLE_NAME, TG_OP;
            END IF;
        END LOOP;
        RETURN NEW;
    END IF;
    RAISE EXCEPTION '% is append-only: % refused', TG_TABLE_NAME, TG_OP;
END
$$
"""


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
    if op.get_bind().dialect.name == 'sqlite':
        for table, spec in TABLES.items():
            for statement in _sqlite_triggers(table, spec['columns'], spec['links']):
                op.execute(statement)
    else:
        op.execute(PG_FUNCTION)
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
        op.execute('DROP FUNCTION IF EXISTS refuse_append_only_change()')
