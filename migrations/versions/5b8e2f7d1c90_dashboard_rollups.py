"""dashboard rollups (sales per day, buyers, orders placed per day) kept by triggers on journal_entry and orders;
the months reconciled

Revision ID: 5b8e2f7d1c90
Revises: 3952cfca77a9
Create Date: 2026-12-02 10:05:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '5b8e2f7d1c90'
down_revision = '3952cfca77a9'
branch_labels = None
depends_on = None

SUMS = ('gross', 'discount', 'points', 'amount', 'net', 'vat', 'cost')
SALES_KEY = 'day, product_id, category_id, segment, delivery_method, promo_code_id, line_kind'
SALES_COLUMNS = SALES_KEY + ', quantity, ' + ', '.join(SUMS) + ', orders, category_orders'
SALES_UPDATE = ', '.join(
    f'{c} = sales_day.{c} + excluded.{c}' for c in ('quantity',) + SUMS + ('orders', 'category_orders')
)
# The shop's time zone for the day an order was placed (Europe/Moscow: UTC+3 all year since 2014).
PG_ZONE = 'Europe/Moscow'
SQLITE_OFFSET = '+3 hours'


def _sales_values(first, first_in_category, delivery, promo):
    """The VALUES of one journal entry's row in sales_day (NEW is the entry)."""
    return (
        "NEW.day, COALESCE(NEW.product_id, 0), COALESCE(NEW.category_id, 0), "
        "CASE WHEN NEW.company_id IS NULL THEN 'b2c' ELSE 'b2b' END, "
        f"{delivery}, {promo}, COALESCE(NEW.line_kind, 'product'), NEW.quantity, "
        + ', '.join(f'NEW.{c}' for c in SUMS)
        + f", {first}, {first_in_category}"
    )


BUYER = "CASE WHEN NEW.company_id IS NULL THEN 'p' || NEW.customer_id ELSE 'c' || NEW.company_id END"
SEGMENT = "CASE WHEN NEW.company_id IS NULL THEN 'b2c' ELSE 'b2b' END"
SIGN = "CASE WHEN NEW.kind = 'sale' THEN 1 ELSE -1 END"


def _same_posting(extra=''):
    return (
        'EXISTS (SELECT 1 FROM journal_entry j WHERE j.order_id = NEW.order_id AND j.kind = NEW.kind '
        f'AND j.cycle = NEW.cycle {extra})'
    )


PG_FUNCTIONS = [
    f"""CREATE FUNCTION dashboard_add_journal_entry() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    o RECORD;
    sign integer := {SIGN};
BEGIN
    IF NEW.kind NOT IN ('sale', 'return') THEN
        RETURN NEW;
    END IF;
    SELECT delivery_method, COALESCE(promo_code_id, 0) AS promo INTO o FROM orders WHERE id = NEW.order_id;
    -- A BEFORE trigger sees the rows of the same statement inserted before this one: the first row of a
    -- posting (and of a category within it) counts the order.
    INSERT INTO sales_day ({SALES_COLUMNS}) VALUES ({_sales_values(
        f"CASE WHEN {_same_posting()} THEN 0 ELSE sign END",
        f"CASE WHEN {_same_posting('AND j.category_id IS NOT DISTINCT FROM NEW.category_id')} THEN 0 ELSE sign END",
        'o.delivery_method', 'o.promo',
    )})
    ON CONFLICT ({SALES_KEY}) DO UPDATE SET {SALES_UPDATE};
    IF NEW.kind = 'sale' THEN
        INSERT INTO buyer_first_sale (buyer, segment, first_day) VALUES ({BUYER}, {SEGMENT}, NEW.day)
        ON CONFLICT (buyer) DO UPDATE SET first_day = LEAST(buyer_first_sale.first_day, excluded.first_day);
        INSERT INTO buyer_day (day, buyer, segment) VALUES (NEW.day, {BUYER}, {SEGMENT}) ON CONFLICT DO NOTHING;
    END IF;
    RETURN NEW;
END $$""",
    f"""CREATE FUNCTION dashboard_add_order() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO orders_placed_day (day, segment, delivery_method, promo_code_id, placed)
    VALUES ((NEW.created_at AT TIME ZONE '{PG_ZONE}')::date, {SEGMENT}, NEW.delivery_method,
            COALESCE(NEW.promo_code_id, 0), 1)
    ON CONFLICT (day, segment, delivery_method, promo_code_id) DO UPDATE SET placed = orders_placed_day.placed + 1;
    RETURN NULL;
END $$""",
    'CREATE TRIGGER journal_entry_dashboard BEFORE INSERT ON journal_entry '
    'FOR EACH ROW EXECUTE FUNCTION dashboard_add_journal_entry()',
    'CREATE TRIGGER orders_dashboard AFTER INSERT ON orders FOR EACH ROW EXECUTE FUNCTION dashboard_add_order()',
]

_SQLITE_ORDER = '(SELECT delivery_method FROM orders WHERE id = NEW.order_id)'
_SQLITE_PROMO = '(SELECT COALESCE(promo_code_id, 0) FROM orders WHERE id = NEW.order_id)'
SQLITE_TRIGGERS = [
    # SQLite runs row triggers right after each row: the entry itself is in the table, the others of its
    # posting are those with another id.
    f"""CREATE TRIGGER journal_entry_dashboard AFTER INSERT ON journal_entry
    WHEN NEW.kind IN ('sale', 'return')
    BEGIN
        INSERT INTO sales_day ({SALES_COLUMNS}) VALUES ({_sales_values(
            f"CASE WHEN {_same_posting('AND j.id <> NEW.id')} THEN 0 ELSE {SIGN} END",
            f"CASE WHEN {_same_posting('AND j.id <> NEW.id AND j.category_id IS NEW.category_id')} THEN 0 ELSE {SIGN} END",
            _SQLITE_ORDER, _SQLITE_PROMO,
        )})
        ON CONFLICT ({SALES_KEY}) DO UPDATE SET {SALES_UPDATE};
        INSERT INTO buyer_first_sale (buyer, segment, first_day) SELECT {BUYER}, {SEGMENT}, NEW.day
        WHERE NEW.kind = 'sale'
        ON CONFLICT (buyer) DO UPDATE SET first_day = min(buyer_first_sale.first_day, excluded.first_day);
        INSERT INTO buyer_day (day, buyer, segment) SELECT NEW.day, {BUYER}, {SEGMENT} WHERE NEW.kind = 'sale'
        ON CONFLICT DO NOTHING;
    END""",
    f"""CREATE TRIGGER orders_dashboard AFTER INSERT ON orders
    BEGIN
        INSERT INTO orders_placed_day (day, segment, delivery_method, promo_code_id, placed)
        VALUES (date(NEW.created_at, '{SQLITE_OFFSET}'), {SEGMENT}, NEW.delivery_method,
                COALESCE(NEW.promo_code_id, 0), 1)
        ON CONFLICT (day, segment, delivery_method, promo_code_id) DO UPDATE SET placed = orders_placed_day.placed + 1;
    END""",
]


def _backfill(dialect):
    """Sum what is already there (orders placed before this revision, journal entries if any)."""
    sign = "CASE WHEN j.kind = 'sale' THEN 1 ELSE -1 END"
    first = 'SELECT min(f.id) FROM journal_entry f WHERE f.order_id = j.order_id AND f.kind = j.kind AND f.cycle = j.cycle'
    same_category = (
        'f.category_id IS NOT DISTINCT FROM j.category_id' if dialect == 'postgresql' else 'f.category_id IS j.category_id'
    )
    segment = "CASE WHEN j.company_id IS NULL THEN 'b2c' ELSE 'b2b' END"
    buyer = "CASE WHEN j.company_id IS NULL THEN 'p' || j.customer_id ELSE 'c' || j.company_id END"
    order_day = (
        f"(o.created_at AT TIME ZONE '{PG_ZONE}')::date" if dialect == 'postgresql'
        else f"date(o.created_at, '{SQLITE_OFFSET}')"
    )
    return [
        f"""INSERT INTO sales_day ({SALES_COLUMNS})
        SELECT j.day, COALESCE(j.product_id, 0), COALESCE(j.category_id, 0), {segment}, o.delivery_method,
               COALESCE(o.promo_code_id, 0), COALESCE(j.line_kind, 'product'), sum(j.quantity),
               {', '.join(f'sum(j.{c})' for c in SUMS)},
               sum(CASE WHEN j.id = ({first}) THEN {sign} ELSE 0 END),
               sum(CASE WHEN j.id = ({first} AND {same_category}) THEN {sign} ELSE 0 END)
        FROM journal_entry j JOIN orders o ON o.id = j.order_id
        WHERE j.kind IN ('sale', 'return')
        GROUP BY j.day, COALESCE(j.product_id, 0), COALESCE(j.category_id, 0), {segment}, o.delivery_method,
                 COALESCE(o.promo_code_id, 0), COALESCE(j.line_kind, 'product')""",
        f"""INSERT INTO buyer_first_sale (buyer, segment, first_day)
        SELECT {buyer}, min({segment}), min(j.day) FROM journal_entry j WHERE j.kind = 'sale' GROUP BY {buyer}""",
        f"""INSERT INTO buyer_day (day, buyer, segment)
        SELECT j.day, {buyer}, min({segment}) FROM journal_entry j WHERE j.kind = 'sale' GROUP BY j.day, {buyer}""",
        f"""INSERT INTO orders_placed_day (day, segment, delivery_method, promo_code_id, placed)
        SELECT {order_day}, CASE WHEN o.company_id IS NULL THEN 'b2c' ELSE 'b2b' END, o.delivery_method,
               COALESCE(o.promo_code_id, 0), count(*)
        FROM orders o
        GROUP BY {order_day}, CASE WHEN o.company_id IS NULL THEN 'b2c' ELSE 'b2b' END, o.delivery_method,
                 COALESCE(o.promo_code_id, 0)""",
    ]


def upgrade():
    money = sa.Numeric(precision=16, scale=2)
    op.create_table('sales_day',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('day', sa.Date(), nullable=False),
    sa.Column('product_id', sa.Integer(), nullable=False),
    sa.Column('category_id', sa.Integer(), nullable=False),
    sa.Column('segment', sa.String(length=3), nullable=False),
    sa.Column('delivery_method', sa.String(length=20), nullable=False),
    sa.Column('promo_code_id', sa.Integer(), nullable=False),
    sa.Column('line_kind', sa.String(length=20), nullable=False),
    sa.Column('quantity', sa.BigInteger(), nullable=False),
    *[sa.Column(c, money, nullable=False) for c in SUMS],
    sa.Column('orders', sa.Integer(), nullable=False),
    sa.Column('category_orders', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_sales_day')),
    sa.UniqueConstraint('day', 'product_id', 'category_id', 'segment', 'delivery_method', 'promo_code_id', 'line_kind', name='uq_sales_day_key')
    )
    op.create_table('buyer_first_sale',
    sa.Column('buyer', sa.String(length=24), nullable=False),
    sa.Column('segment', sa.String(length=3), nullable=False),
    sa.Column('first_day', sa.Date(), nullable=False),
    sa.PrimaryKeyConstraint('buyer', name=op.f('pk_buyer_first_sale'))
    )
    with op.batch_alter_table('buyer_first_sale', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_buyer_first_sale_first_day'), ['first_day'], unique=False)
    op.create_table('buyer_day',
    sa.Column('day', sa.Date(), nullable=False),
    sa.Column('buyer', sa.String(length=24), nullable=False),
    sa.Column('segment', sa.String(length=3), nullable=False),
    sa.PrimaryKeyConstraint('day', 'buyer', name=op.f('pk_buyer_day'))
    )
    op.create_table('orders_placed_day',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('day', sa.Date(), nullable=False),
    sa.Column('segment', sa.String(length=3), nullable=False),
    sa.Column('delivery_method', sa.String(length=20), nullable=False),
    sa.Column('promo_code_id', sa.Integer(), nullable=False),
    sa.Column('placed', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_orders_placed_day')),
    sa.UniqueConstraint('day', 'segment', 'delivery_method', 'promo_code_id', name='uq_orders_placed_day_key')
    )
    op.create_table('reconciled_month',
    sa.Column('month', sa.Date(), nullable=False),
    sa.Column('checked_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('ok', sa.Boolean(), nullable=False),
    sa.Column('revenue', money, nullable=False),
    sa.Column('differences', sa.Text(), nullable=False),
    sa.PrimaryKeyConstraint('month', name=op.f('pk_reconciled_month'))
    )
    dialect = op.get_bind().dialect.name
    for statement in _backfill(dialect):
        op.execute(statement)
    for statement in PG_FUNCTIONS if dialect == 'postgresql' else SQLITE_TRIGGERS:
        op.execute(statement)


def downgrade():
    if op.get_bind().dialect.name == 'postgresql':
        op.execute('DROP TRIGGER IF EXISTS journal_entry_dashboard ON journal_entry')
        op.execute('DROP TRIGGER IF EXISTS orders_dashboard ON orders')
        op.execute('DROP FUNCTION IF EXISTS dashboard_add_journal_entry()')
        op.execute('DROP FUNCTION IF EXISTS dashboard_add_order()')
    else:
        op.execute('DROP TRIGGER IF EXISTS journal_entry_dashboard')
        op.execute('DROP TRIGGER IF EXISTS orders_dashboard')
    op.drop_table('reconciled_month')
    op.drop_table('orders_placed_day')
    op.drop_table('buyer_day')
    with op.batch_alter_table('buyer_first_sale', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_buyer_first_sale_first_day'))
    op.drop_table('buyer_first_sale')
    op.drop_table('sales_day')
