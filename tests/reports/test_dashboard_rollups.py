"""The dashboard's «Клиенты» widget and «Оформлено заказов» under every filter, read from the rollups the
database keeps (buyers per day × category × delivery × promo code; orders placed per shop-local day and per
category), equal to the same figures computed from the journal and the orders on random periods; the order
day in a shop time zone with daylight saving; a line removed by staff takes its category's order away."""

from __future__ import annotations

import random
from datetime import UTC, date, datetime, timedelta

import pytest
import sqlalchemy as sa
import time_machine

from app.models import (
    JournalEntry,
    JournalKind,
    Order,
    OrderLine,
    OrdersPlacedCategoryDay,
    OrdersPlacedDay,
)
from app.reports import dashboard as report
from app.reports import metrics
from app.reports.dashboard import Filters
from app.reports.metrics import Period
from app.seed import bulk as seed_bulk
from app.services.orders import editing
from tests.factories import place_order
from tests.reports.test_accounting import _live_orders
from tests.services.test_order_batches import staff_actor


def at(moment):
    return time_machine.travel(moment, tick=False)


def test_customers_and_placed_orders_equal_the_journal_under_every_filter_on_random_periods(
    db_session, app, catalog, customer
):
    rng = random.Random(20)
    with at(datetime(2026, 6, 30, 9, 0, tzinfo=UTC)):
        seed_bulk.generate(db_session, customers=25, orders=200, days=400, seed=20)
    _live_orders(db_session, catalog, customer, staff_actor(app), rng)
    db_session.expire_all()
    orders = {
        o.id: o
        for o in db_session.execute(
            sa.select(Order.id, Order.company_id, Order.delivery_method, Order.promo_code_id, Order.placed_day)
        )
    }
    sales = [
        (e.day, e.order_id, e.company_id, e.customer_id, e.category_id)
        for e in db_session.execute(
            sa.select(
                JournalEntry.day, JournalEntry.order_id, JournalEntry.company_id, JournalEntry.customer_id,
                JournalEntry.category_id,
            ).where(JournalEntry.kind == JournalKind.sale)
        )
    ]  # fmt: skip
    first_sale: dict[str, date] = {}
    for day, _, company, person, _ in sorted(sales, key=lambda row: row[0]):
        first_sale.setdefault(f"c{company}" if company else f"p{person}", day)
    line_categories: dict[int, set[int]] = {}
    for order_id, category_id in db_session.execute(sa.select(OrderLine.order_id, OrderLine.category_id)):
        if category_id is not None:
            line_categories.setdefault(order_id, set()).add(category_id)
    categories = sorted({c for cs in line_categories.values() for c in cs})
    assert len(categories) >= 2 and all(o.placed_day is not None for o in orders.values())

    def matches(order_id: int, filters: Filters) -> bool:
        o = orders[order_id]
        if filters.segment and (o.company_id is not None) != (filters.segment == "b2b"):
            return False
        return not filters.delivery or o.delivery_method.value == filters.delivery

    checked = 0
    for _ in range(100):
        start = date(2025, 5, 1) + timedelta(days=rng.randrange(0, 460))
        period = Period(start, start + timedelta(days=rng.choice([0, 6, 30, 89, 364])))
        filters = Filters(
            category_id=rng.choice([None, *categories]),
            segment=rng.choice([None, "b2b", "b2c"]),
            delivery=rng.choice([None, "pickup", "courier", "post"]),
        )
        buyers = {
            f"c{company}" if company else f"p{person}"
            for day, order_id, company, person, category in sales
            if period.start <= day <= period.end
            and matches(order_id, filters)
            and (filters.category_id is None or category == filters.category_id)
        }
        new = {b for b in buyers if period.start <= first_sale[b] <= period.end}
        widget = report.customers_widget(db_session, period, filters)
        assert (widget.active, widget.new, widget.returning) == (len(buyers), len(new), len(buyers) - len(new)), (
            period,
            filters,
        )
        placed = sum(
            1
            for order_id, o in orders.items()
            if period.start <= o.placed_day <= period.end
            and matches(order_id, filters)
            and (filters.category_id is None or filters.category_id in line_categories.get(order_id, set()))
        )
        assert sum(report.placed_by_day(db_session, period, filters).values()) == placed, (period, filters)
        where = [Order.id.in_(list(o for o in orders if matches(o, filters)) or [0])]
        if filters.category_id is not None:
            where.append(Order.lines.any(OrderLine.category_id == filters.category_id))
        assert metrics.orders_placed(db_session, period, *where) == placed
        assert report.revenue_widget(db_session, period, "week", filters).placed == placed
        checked += len(buyers) + placed
    assert checked > 100


def test_the_order_day_follows_the_shop_time_zone_with_daylight_saving(app, db_session, catalog, customer):
    """Berlin is UTC+2 in summer and UTC+1 in winter: 22:30 UTC is the next day in summer, the same in winter."""
    app.config["SHOP_TIMEZONE"] = "Europe/Berlin"
    try:
        with at(datetime(2026, 7, 14, 22, 30, tzinfo=UTC)):  # 00:30 on 15 July in Berlin
            summer = place_order(db_session, customer, catalog.cards)
        with at(datetime(2026, 1, 14, 22, 30, tzinfo=UTC)):  # 23:30 on 14 January in Berlin
            winter = place_order(db_session, customer, catalog.cards)
        db_session.commit()
        assert (summer.placed_day, winter.placed_day) == (date(2026, 7, 15), date(2026, 1, 14))
        july = report.placed_by_day(db_session, Period(date(2026, 7, 1), date(2026, 7, 31)))
        january = report.placed_by_day(db_session, Period(date(2026, 1, 1), date(2026, 1, 31)))
        assert (july, january) == ({date(2026, 7, 15): 1}, {date(2026, 1, 14): 1})
    finally:
        app.config["SHOP_TIMEZONE"] = "Europe/Moscow"
    # The same moments in Moscow (UTC+3 all year): both the next day.
    with at(datetime(2026, 1, 14, 22, 30, tzinfo=UTC)):
        moscow = place_order(db_session, customer, catalog.cards)
    assert moscow.placed_day == date(2026, 1, 15)


def test_an_order_row_without_its_day_is_refused_by_the_database(db_session, customer):
    db_session.commit()
    with pytest.raises(sa.exc.DatabaseError, match="placed_day"):
        db_session.execute(
            sa.text(
                "INSERT INTO orders (number, customer_id, status, payment_status, payment_method, delivery_method, "
                "contact_name, contact_email, contact_phone, delivery_address, comment, promo_code_text, goods_total, "
                "discount_total, total, vat_total, points_paid, amount_due, packages, created_at, updated_at) "
                "VALUES ('X-1', :customer, 'new', 'unpaid', 'on_receipt', 'pickup', 'Иван', 'a@b.ru', '+79990001122', "
                "'', '', '', 0, 0, 0, 0, 0, 0, 1, :now, :now)"
            ).bindparams(customer=customer.id, now=datetime(2026, 3, 1, 12, 0))
        )
    db_session.rollback()
    assert db_session.scalar(sa.select(sa.func.count()).select_from(OrdersPlacedDay)) == 0


def test_the_category_filter_counts_orders_having_a_line_of_it_and_follows_line_changes(
    app, db_session, catalog, customer
):
    actor = staff_actor(app)
    march = Period(date(2026, 3, 1), date(2026, 3, 31))
    with at(datetime(2026, 3, 10, 8, 0, tzinfo=UTC)):
        cards = place_order(db_session, customer, catalog.cards)
        flyers = place_order(db_session, customer, catalog.flyers)
        mixed = place_order(db_session, customer, catalog.cards)
        editing.add_line(db_session, mixed, actor=actor, product_id=catalog.flyers.id, quantity=100)
        editing.add_line(db_session, mixed, actor=actor, product_id=catalog.flyers.id, quantity=500)
        db_session.commit()
    cards_category, flyers_category = catalog.cards.category_id, catalog.flyers.category_id
    assert cards_category != flyers_category

    def placed(category_id):
        return report.revenue_widget(db_session, march, "month", Filters(category_id=category_id)).placed

    assert (placed(None), placed(cards_category), placed(flyers_category)) == (3, 2, 2)
    # Two flyers lines count the mixed order once; removing one keeps it, removing both takes it away.
    flyer_lines = [line for line in mixed.lines if line.product_id == catalog.flyers.id]
    editing.remove_line(db_session, mixed, flyer_lines[0].id, actor=actor)
    db_session.commit()
    assert placed(flyers_category) == 2
    editing.remove_line(db_session, mixed, flyer_lines[1].id, actor=actor)
    db_session.commit()
    assert (placed(None), placed(cards_category), placed(flyers_category)) == (3, 2, 1)
    rows = db_session.execute(
        sa.select(OrdersPlacedCategoryDay.category_id, OrdersPlacedCategoryDay.placed).where(
            OrdersPlacedCategoryDay.category_id == flyers_category
        )
    ).all()
    assert rows == [(flyers_category, 1)]
    # A product moved to another category later: the orders keep the category their lines were added with.
    catalog.cards.category_id = flyers_category
    db_session.commit()
    assert placed(cards_category) == 2
    assert {line.category_id for line in cards.lines + flyers.lines if line.product_id} == {
        cards_category,
        flyers_category,
    }
