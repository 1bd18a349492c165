"""dashboard: orders keep the shop-local day they were placed (the order-day rollup follows SHOP_TIMEZONE instead
of a fixed offset); orders placed per category (order lines keep their category); buyers per day × category ×
delivery × promo code, all kept by triggers

Revision ID: c4d6f8a1b203
Revises: a3c5e7f90b12
Create Date: 2026-12-02 13:40:00.000000

"""
from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'c4d6f8a1b203'
down_revision = 'a3c5e7f90b12'
branch_labels = None
depends_on = None

SEGMENT = "CASE WHEN NEW.company_id IS NULL THEN 'b2c' ELSE 'b2b' END"
O_SEGMENT = "CASE WHEN o.company_id IS NULL THEN 'b2c' ELSE 'b2b' END"
BUYER = "CASE WHEN NEW.company_id IS NULL THEN 'p' || NEW.customer_id ELSE 'c' || NEW.company_id END"
PLACED_KEY = 'day, segment, delivery_method, promo_code_id'
CATEGORY_KEY = 'day, category_id, segment, delivery_method, promo_code_id'
CATEGORY_UPSERT = (
    f'ON CONFLICT ({CATEGORY_KEY}) DO UPDATE SET placed = orders_placed_category_day.placed + excluded.placed'
)
NO_DAY = 'orders.placed_day is required: the shop-local day the order was placed'


def _shop_zone():
    try:
        from flask import current_app, has_app_context

        if has_app_context():
            return current_app.config.get('SHOP_TIMEZONE', 'Europe/Moscow')
    except ImportError:  # pragma: no cover
        pass
    return 'Europe/Moscow'


PG_FUNCTIONS = [
    f"""CREATE OR REPLACE FUNCTION dashboard_add_order() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF NEW.placed_day IS NULL THEN
        RAISE EXCEPTION '{NO_DAY}';
    END IF;
    INSERT INTO orders_placed_day ({PLACED_KEY}, placed)
    VALUES (NEW.placed_day, {SEGMENT}, NEW.delivery_method, COALESCE(NEW.promo_code_id, 0), 1)
    ON CONFLICT ({PLACED_KEY}) DO UPDATE SET placed = orders_placed_day.placed + 1;
    RETURN NULL;
END $$""",
    f"""CREATE FUNCTION dashboard_add_buyer_sale() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO buyer_sale_day (day, buyer, category_id, delivery_method, promo_code_id, segment)
    SELECT NEW.day, {BUYER}, COALESCE(NEW.category_id, 0), o.delivery_method, COALESCE(o.promo_code_id, 0), {SEGMENT}
    FROM orders o WHERE o.id = NEW.order_id
    ON CONFLICT DO NOTHING;
    RETURN NULL;
END $$""",
    # BEFORE triggers: a row trigger sees the rows its statement inserted (or deleted) before this one, so two
    # lines of one category in one statement count the order once.
    f"""CREATE FUNCTION dashboard_add_order_line() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF NEW.category_id IS NULL AND NEW.product_id IS NOT NULL THEN
        SELECT category_id INTO NEW.category_id FROM product WHERE id = NEW.product_id;
    END IF;
    IF NEW.category_id IS NOT NULL AND NOT EXISTS (
        SELECT 1 FROM order_line l WHERE l.order_id = NEW.order_id AND l.category_id = NEW.category_id
    ) THEN
        INSERT INTO orders_placed_category_day ({CATEGORY_KEY}, placed)
        SELECT o.placed_day, NEW.category_id, {O_SEGMENT}, o.delivery_method, COALESCE(o.promo_code_id, 0), 1
        FROM orders o WHERE o.id = NEW.order_id
        {CATEGORY_UPSERT};
    END IF;
    RETURN NEW;
END $$""",
    f"""CREATE FUNCTION dashboard_remove_order_line() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF OLD.category_id IS NOT NULL AND NOT EXISTS (
        SELECT 1 FROM order_line l
        WHERE l.order_id = OLD.order_id AND l.category_id = OLD.category_id AND l.id <> OLD.id
    ) THEN
        INSERT INTO orders_placed_category_day ({CATEGORY_KEY}, placed)
        SELECT o.placed_day, OLD.category_id, {O_SEGMENT}, o.delivery_method, COALESCE(o.promo_code_id, 0), -1
        FROM orders o WHERE o.id = OLD.order_id
        {CATEGORY_UPSERT};
    END IF;
    RETURN OLD;
END $$""",
    "CREATE TRIGGER journal_entry_buyers AFTER INSERT ON journal_entry FOR EACH ROW WHEN (NEW.kind = 'sale') "
    'EXECUTE FUNCTION dashboard_add_buyer_sale()',
    'CREATE TRIGGER order_line_dashboard BEFORE INSERT ON order_line '
    'FOR EACH ROW EXECUTE FUNCTION dashboard_add_order_line()',
    'CREATE TRIGGER order_line_dashboard_delete BEFORE DELETE ON order_line '
    'FOR EACH ROW EXECUTE FUNCTION dashboard_remove_order_line()',
]

SQLITE_TRIGGERS = [
    'DROP TRIGGER IF EXISTS orders_dashboard',
    f"""CREATE TRIGGER orders_dashboard AFTER INSERT ON orders
    BEGIN
        SELECT RAISE(ABORT, '{NO_DAY}') WHERE NEW.placed_day IS NULL;
        INSERT INTO orders_placed_day ({PLACED_KEY}, placed)
        VALUES (NEW.placed_day, {SEGMENT}, NEW.delivery_method, COALESCE(NEW.promo_code_id, 0), 1)
        ON CONFLICT ({PLACED_KEY}) DO UPDATE SET placed = orders_placed_day.placed + 1;
    END""",
    f"""CREATE TRIGGER journal_entry_buyers AFTER INSERT ON journal_entry WHEN NEW.kind = 'sale'
    BEGIN
        INSERT INTO buyer_sale_day (day, buyer, category_id, delivery_method, promo_code_id, segment)
        SELECT NEW.day, {BUYER}, COALESCE(NEW.category_id, 0), o.delivery_method, COALESCE(o.promo_code_id, 0),
               {SEGMENT}
        FROM orders o WHERE o.id = NEW.order_id
        ON CONFLICT DO NOTHING;
    END""",
    # SQLite runs row triggers right after each row: the line itself is in the table, the others of its order
    # are those with another id.
    f"""CREATE TRIGGER order_line_dashboard AFTER INSERT ON order_line
    BEGIN
        UPDATE order_line SET category_id = (SELECT category_id FROM product WHERE id = NEW.product_id)
        WHERE id = NEW.id AND NEW.category_id IS NULL AND NEW.product_id IS NOT NULL;
        INSERT INTO orders_placed_category_day ({CATEGORY_KEY}, placed)
        SELECT o.placed_day, x.category_id, {O_SEGMENT}, o.delivery_method, COALESCE(o.promo_code_id, 0), 1
        FROM orders o, order_line x
        WHERE o.id = NEW.order_id AND x.id = NEW.id AND x.category_id IS NOT NULL
          AND NOT EXISTS (SELECT 1 FROM order_line l
                          WHERE l.order_id = NEW.order_id AND l.id <> NEW.id AND l.category_id = x.category_id)
        {CATEGORY_UPSERT};
    END""",
    f"""CREATE TRIGGER order_line_dashboard_delete AFTER DELETE ON order_line
    WHEN OLD.category_id IS NOT NULL
    BEGIN
        INSERT INTO orders_placed_category_day ({CATEGORY_KEY}, placed)
        SELECT o.placed_day, OLD.category_id, {O_SEGMENT}, o.delivery_method, COALESCE(o.promo_code_id, 0), -1
        FROM orders o
        WHERE o.id = OLD.order_id
          AND NOT EXISTS (SELECT 1 FROM order_line l WHERE l.order_id = OLD.order_id AND l.category_id = OLD.category_id)
        {CATEGORY_UPSERT};
    END""",
]


def _backfill_placed_day(bind, dialect):
    zone = _shop_zone()
    if dialect == 'postgresql':
        bind.execute(
            sa.text('UPDATE orders SET placed_day = (created_at AT TIME ZONE :zone)::date').bindparams(zone=zone)
        )
        return
    # SQLite keeps created_at as naive UTC text and has no time zone rules: the day is computed here.
    tz = ZoneInfo(zone)
    last = 0
    while True:
        rows = bind.execute(
            sa.text('SELECT id, created_at FROM orders WHERE id > :last ORDER BY id LIMIT 5000').bindparams(last=last)
        ).all()
        if not rows:
            break
        updates = []
        for order_id, created in rows:
            moment = created if isinstance(created, datetime) else datetime.fromisoformat(str(created))
            if moment.tzinfo is None:
                moment = moment.replace(tzinfo=UTC)
            updates.append({'id': order_id, 'day': moment.astimezone(tz).date().isoformat()})
        bind.execute(sa.text('UPDATE orders SET placed_day = :day WHERE id = :id'), updates)
        last = rows[-1][0]


def _backfill(dialect):
    buyer = "CASE WHEN j.company_id IS NULL THEN 'p' || j.customer_id ELSE 'c' || j.company_id END"
    segment = "CASE WHEN j.company_id IS NULL THEN 'b2c' ELSE 'b2b' END"
    return [
        'UPDATE order_line SET category_id = (SELECT p.category_id FROM product p WHERE p.id = order_line.product_id) '
        'WHERE product_id IS NOT NULL',
        # The order-day rollup again, from the shop-local day now kept on each order.
        'DELETE FROM orders_placed_day',
        f"""INSERT INTO orders_placed_day ({PLACED_KEY}, placed)
        SELECT o.placed_day, {O_SEGMENT}, o.delivery_method, COALESCE(o.promo_code_id, 0), count(*)
        FROM orders o
        GROUP BY o.placed_day, {O_SEGMENT}, o.delivery_method, COALESCE(o.promo_code_id, 0)""",
        f"""INSERT INTO orders_placed_category_day ({CATEGORY_KEY}, placed)
        SELECT o.placed_day, c.category_id, {O_SEGMENT}, o.delivery_method, COALESCE(o.promo_code_id, 0), count(*)
        FROM orders o
        JOIN (SELECT DISTINCT order_id, category_id FROM order_line WHERE category_id IS NOT NULL) c
          ON c.order_id = o.id
        GROUP BY o.placed_day, c.category_id, {O_SEGMENT}, o.delivery_method, COALESCE(o.promo_code_id, 0)""",
        f"""INSERT INTO buyer_sale_day (day, buyer, category_id, delivery_method, promo_code_id, segment)
        SELECT j.day, {buyer}, COALESCE(j.category_id, 0), o.delivery_method, COALESCE(o.promo_code_id, 0),
               min({segment})
        FROM journal_entry j JOIN orders o ON o.id = j.order_id
        WHERE j.kind = 'sale'
        GROUP BY j.day, {buyer}, COALESCE(j.category_id, 0), o.delivery_method, COALESCE(o.promo_code_id, 0)""",
    ]


def upgrade():
    bind = op.get_bind()
    dialect = bind.dialect.name
    # Plain ADD COLUMN (no table rebuild on SQLite): the triggers on orders and order lines stay.
    op.add_column('orders', sa.Column('placed_day', sa.Date(), nullable=True))
    op.add_column('order_line', sa.Column('category_id', sa.Integer(), nullable=True))
    op.create_table('buyer_sale_day',
    sa.Column('day', sa.Date(), nullable=False),
    sa.Column('buyer', sa.String(length=24), nullable=False),
    sa.Column('category_id', sa.Integer(), autoincrement=False, nullable=False),
    sa.Column('delivery_method', sa.String(length=20), nullable=False),
    sa.Column('promo_code_id', sa.Integer(), autoincrement=False, nullable=False),
    sa.Column('segment', sa.String(length=3), nullable=False),
    sa.PrimaryKeyConstraint('day', 'buyer', 'category_id', 'delivery_method', 'promo_code_id', name=op.f('pk_buyer_sale_day'))
    )
    op.create_table('orders_placed_category_day',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('day', sa.Date(), nullable=False),
    sa.Column('category_id', sa.Integer(), nullable=False),
    sa.Column('segment', sa.String(length=3), nullable=False),
    sa.Column('delivery_method', sa.String(length=20), nullable=False),
    sa.Column('promo_code_id', sa.Integer(), nullable=False),
    sa.Column('placed', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_orders_placed_category_day')),
    sa.UniqueConstraint('day', 'category_id', 'segment', 'delivery_method', 'promo_code_id', name='uq_orders_placed_category_day_key')
    )
    _backfill_placed_day(bind, dialect)
    for statement in _backfill(dialect):
        op.execute(statement)
    for statement in PG_FUNCTIONS if dialect == 'postgresql' else SQLITE_TRIGGERS:
        op.execute(statement)


# The order-day trigger as revision 5b8e2f7d1c90 left it (a fixed Moscow day).
OLD_PG_ORDER = f"""CREATE OR REPLACE FUNCTION dashboard_add_order() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO orders_placed_day ({PLACED_KEY}, placed)
    VALUES ((NEW.created_at AT TIME ZONE 'Europe/Moscow')::date, {SEGMENT}, NEW.delivery_method,
            COALESCE(NEW.promo_code_id, 0), 1)
    ON CONFLICT ({PLACED_KEY}) DO UPDATE SET placed = orders_placed_day.placed + 1;
    RETURN NULL;
END $$"""
OLD_SQLITE_ORDER = f"""CREATE TRIGGER orders_dashboard AFTER INSERT ON orders
    BEGIN
        INSERT INTO orders_placed_day ({PLACED_KEY}, placed)
        VALUES (date(NEW.created_at, '+3 hours'), {SEGMENT}, NEW.delivery_method, COALESCE(NEW.promo_code_id, 0), 1)
        ON CONFLICT ({PLACED_KEY}) DO UPDATE SET placed = orders_placed_day.placed + 1;
    END"""


def downgrade():
    if op.get_bind().dialect.name == 'postgresql':
        op.execute('DROP TRIGGER IF EXISTS order_line_dashboard_delete ON order_line')
        op.execute('DROP TRIGGER IF EXISTS order_line_dashboard ON order_line')
        op.execute('DROP TRIGGER IF EXISTS journal_entry_buyers ON journal_entry')
        op.execute('DROP FUNCTION IF EXISTS dashboard_remove_order_line()')
        op.execute('DROP FUNCTION IF EXISTS dashboard_add_order_line()')
        op.execute('DROP FUNCTION IF EXISTS dashboard_add_buyer_sale()')
        op.execute(OLD_PG_ORDER)
    else:
        op.execute('DROP TRIGGER IF EXISTS order_line_dashboard_delete')
        op.execute('DROP TRIGGER IF EXISTS order_line_dashboard')
        op.execute('DROP TRIGGER IF EXISTS journal_entry_buyers')
        op.execute('DROP TRIGGER IF EXISTS orders_dashboard')
        op.execute(OLD_SQLITE_ORDER)
    op.drop_table('orders_placed_category_day')
    op.drop_table('buyer_sale_day')
    op.drop_column('order_line', 'category_id')
    op.drop_column('orders', 'placed_day')
