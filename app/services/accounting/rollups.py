"""The dashboard rollups (`app/models/dashboard.py`) rebuilt from the journal and the orders in set-based SQL.

Database triggers keep the rollups in the same transaction as every journal entry and order. A bulk load (the
bulk generator: a million orders, three million journal entries) would pay an upsert per row; on PostgreSQL it
instead turns those triggers off for its own transaction (`triggers_off` — `ALTER TABLE … DISABLE TRIGGER` is
transactional, so a failure leaves them on) and calls `rebuild` once before committing: one GROUP BY per rollup.
`rebuild` computes exactly what the triggers add up (a test compares the two on both backends).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import sqlalchemy as sa
from sqlalchemy.orm import Session

# The rollup triggers of each table (migrations 5b8e2f7d1c90 and c4d6f8a1b203). The order line trigger also
# fills a line's category from its product: a bulk load writes it itself.
TRIGGERS = {
    "journal_entry": ("journal_entry_dashboard", "journal_entry_buyers"),
    "orders": ("orders_dashboard",),
    "order_line": ("order_line_dashboard",),
}
SUMS = ("gross", "discount", "points", "amount", "net", "vat", "cost")
SALES_KEY = "day, product_id, category_id, segment, delivery_method, promo_code_id, line_kind"


def can_pause(session: Session) -> bool:
    """PostgreSQL, and the tables belong to this login (only their owner may disable their triggers)."""
    if session.get_bind().dialect.name != "postgresql":
        return False
    owned = session.scalar(
        sa.text(
            "SELECT bool_and(pg_has_role(current_user, tableowner, 'USAGE')) FROM pg_tables "
            "WHERE schemaname = current_schema() AND tablename IN ('journal_entry', 'orders', 'order_line')"
        )
    )
    return bool(owned)


@contextmanager
def triggers_off(session: Session, *tables: str) -> Iterator[bool]:
    """Within the caller's transaction, the rollup triggers of `tables` do not fire; yields whether they were
    turned off (False on SQLite or without ownership: the triggers keep working, nothing to rebuild). The caller
    must `rebuild` before its commit when this yields True."""
    names = tables or tuple(TRIGGERS)
    paused = can_pause(session)
    if paused:
        for table in names:
            for trigger in TRIGGERS[table]:
                session.execute(sa.text(f'ALTER TABLE "{table}" DISABLE TRIGGER {trigger}'))
    try:
        yield paused
    finally:
        if paused and session.is_active:
            for table in names:
                for trigger in TRIGGERS[table]:
                    session.execute(sa.text(f'ALTER TABLE "{table}" ENABLE TRIGGER {trigger}'))


def rebuild(session: Session) -> None:
    """Replace the rollups with the sums of the journal entries, orders and order lines there are now."""
    sign = "CASE WHEN j.kind = 'sale' THEN 1 ELSE -1 END"
    segment = "CASE WHEN j.company_id IS NULL THEN 'b2c' ELSE 'b2b' END"
    buyer = "CASE WHEN j.company_id IS NULL THEN 'p' || j.customer_id ELSE 'c' || j.company_id END"
    order_segment = "CASE WHEN o.company_id IS NULL THEN 'b2c' ELSE 'b2b' END"
    # The first entry of a posting counts the order; the first of a posting and category counts it there.
    # (PARTITION BY puts NULL categories together, as the triggers' IS NOT DISTINCT FROM does.)
    statements = [
        "DELETE FROM sales_day",
        "DELETE FROM buyer_first_sale",
        "DELETE FROM buyer_day",
        "DELETE FROM orders_placed_day",
        "DELETE FROM orders_placed_category_day",
        "DELETE FROM buyer_sale_day",
        f"""INSERT INTO sales_day ({SALES_KEY}, quantity, {", ".join(SUMS)}, orders, category_orders)
        SELECT j.day, COALESCE(j.product_id, 0), COALESCE(j.category_id, 0), {segment}, o.delivery_method,
               COALESCE(o.promo_code_id, 0), COALESCE(j.line_kind, 'product'), sum(j.quantity),
               {", ".join(f"sum(j.{c})" for c in SUMS)},
               sum(CASE WHEN j.posting_rank = 1 THEN {sign} ELSE 0 END),
               sum(CASE WHEN j.category_rank = 1 THEN {sign} ELSE 0 END)
        FROM (
            SELECT e.*,
                   row_number() OVER (PARTITION BY e.order_id, e.kind, e.cycle ORDER BY e.id) AS posting_rank,
                   row_number() OVER (PARTITION BY e.order_id, e.kind, e.cycle, e.category_id ORDER BY e.id)
                       AS category_rank
            FROM journal_entry e WHERE e.kind IN ('sale', 'return')
        ) j JOIN orders o ON o.id = j.order_id
        GROUP BY j.day, COALESCE(j.product_id, 0), COALESCE(j.category_id, 0), {segment}, o.delivery_method,
                 COALESCE(o.promo_code_id, 0), COALESCE(j.line_kind, 'product')""",
        f"""INSERT INTO buyer_first_sale (buyer, segment, first_day)
        SELECT {buyer}, min({segment}), min(j.day) FROM journal_entry j WHERE j.kind = 'sale' GROUP BY {buyer}""",
        f"""INSERT INTO buyer_day (day, buyer, segment)
        SELECT j.day, {buyer}, min({segment}) FROM journal_entry j WHERE j.kind = 'sale' GROUP BY j.day, {buyer}""",
        f"""INSERT INTO orders_placed_day (day, segment, delivery_method, promo_code_id, placed)
        SELECT o.placed_day, {order_segment}, o.delivery_method, COALESCE(o.promo_code_id, 0), count(*)
        FROM orders o
        GROUP BY o.placed_day, {order_segment}, o.delivery_method, COALESCE(o.promo_code_id, 0)""",
        f"""INSERT INTO orders_placed_category_day (day, category_id, segment, delivery_method, promo_code_id, placed)
        SELECT o.placed_day, c.category_id, {order_segment}, o.delivery_method, COALESCE(o.promo_code_id, 0), count(*)
        FROM orders o
        JOIN (SELECT DISTINCT order_id, category_id FROM order_line WHERE category_id IS NOT NULL) c
          ON c.order_id = o.id
        GROUP BY o.placed_day, c.category_id, {order_segment}, o.delivery_method, COALESCE(o.promo_code_id, 0)""",
        f"""INSERT INTO buyer_sale_day (day, buyer, category_id, delivery_method, promo_code_id, segment)
        SELECT j.day, {buyer}, COALESCE(j.category_id, 0), o.delivery_method, COALESCE(o.promo_code_id, 0),
               min({segment})
        FROM journal_entry j JOIN orders o ON o.id = j.order_id
        WHERE j.kind = 'sale'
        GROUP BY j.day, {buyer}, COALESCE(j.category_id, 0), o.delivery_method, COALESCE(o.promo_code_id, 0)""",
    ]
    for statement in statements:
        session.execute(sa.text(statement))
