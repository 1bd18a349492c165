"""Dashboard figures: each widget on hand-built data (exact values, refunds, a month-end order at 23:30 Moscow
time), grouping, empty periods, the previous period, and the rollups equal to the journal and to the
accounting reports on random periods and filters."""

from __future__ import annotations

import random
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal as D

import pytest
import sqlalchemy as sa
import time_machine

from app.models import JournalEntry, JournalKind, LoyaltyEntry, Order, OrderStatus, PromoCode, PromoKind
from app.reports import accounting, metrics
from app.reports import dashboard as report
from app.reports.dashboard import Filters
from app.reports.metrics import Period
from app.seed import bulk as seed_bulk
from app.services.actors import Actor
from app.services.errors import ValidationError
from app.services.orders import lifecycle
from app.services.shoptime import to_shop
from tests.factories import advance, make_company, make_customer, place_order
from tests.reports.test_accounting import _live_orders
from tests.services.test_order_batches import staff_actor

S = OrderStatus
TO_READY = (S.confirmed, S.in_production, S.ready)
MARCH = Period(date(2026, 3, 1), date(2026, 3, 31))
APRIL = Period(date(2026, 4, 1), date(2026, 4, 30))


def at(moment):
    return time_machine.travel(moment, tick=False)


@pytest.fixture
def march(db_session, catalog, customer):
    """A private buyer: cards realised 10 March, flyers realised 31 March 23:30 MSK and refunded 2 April;
    a company: stickers with a promo code realised 20 March, bought again 5 April. One order placed and
    never realised."""
    db_session.add(PromoCode(code="MINUS100", kind=PromoKind.fixed, value=D("100")))
    owner = make_customer(db_session, email="boss@romashka.ru", full_name="Иванов Иван")
    company = make_company(db_session, owner)
    orders = {}
    with at(datetime(2026, 3, 9, 8, 0, tzinfo=UTC)):
        orders["cards"] = place_order(db_session, customer, catalog.cards)
        advance(db_session, orders["cards"], *TO_READY)
    with at(datetime(2026, 3, 10, 8, 0, tzinfo=UTC)):
        advance(db_session, orders["cards"], S.handed_over)
    with at(datetime(2026, 3, 31, 20, 30, tzinfo=UTC)):  # 23:30 in Moscow, 31 March
        orders["flyers"] = place_order(db_session, customer, catalog.flyers)
        advance(db_session, orders["flyers"], *TO_READY, S.handed_over)
    with at(datetime(2026, 4, 2, 10, 0, tzinfo=UTC)):
        lifecycle.mark_paid(db_session, orders["flyers"], actor=Actor.system("test"))
        advance(db_session, orders["flyers"], S.completed, S.refunded)
    with at(datetime(2026, 3, 20, 7, 0, tzinfo=UTC)):
        orders["stickers"] = place_order(
            db_session, owner, catalog.stickers, promo_code="minus100", company_id=company.id
        )
        advance(db_session, orders["stickers"], *TO_READY, S.handed_over)
    with at(datetime(2026, 4, 5, 7, 0, tzinfo=UTC)):
        orders["again"] = place_order(db_session, owner, catalog.cards, company_id=company.id)
        advance(db_session, orders["again"], *TO_READY, S.handed_over)
    with at(datetime(2026, 3, 15, 7, 0, tzinfo=UTC)):
        orders["placed_only"] = place_order(db_session, customer, catalog.banner)
    return orders


def test_revenue_widget_on_hand_built_data(db_session, march):
    o = march
    widget = report.revenue_widget(db_session, MARCH, "month")
    march_revenue = o["cards"].total + o["flyers"].total + o["stickers"].total
    assert [p.label for p in widget.points] == ["мар 2026"]
    assert widget.total.revenue == march_revenue
    assert widget.total.orders == 3
    assert widget.total.discounts == D("100.00")
    assert widget.placed == 4  # cards, flyers (23:30 MSK on the 31st), stickers, the one never realised
    assert widget.average_order == (march_revenue / 3).quantize(D("0.01"))
    # The order of 31 March 23:30 Moscow time is in March by day too.
    days = report.sales_by_day(db_session, MARCH)
    assert days[date(2026, 3, 31)].revenue == o["flyers"].total
    assert report.placed_by_day(db_session, MARCH)[date(2026, 3, 31)] == 1

    april = report.revenue_widget(db_session, APRIL, "month")
    assert april.total.revenue == o["again"].total - o["flyers"].total  # the refund is negative in April
    assert april.total.orders == 0  # one sold, one returned
    assert april.previous == MARCH
    assert april.previous_total.revenue == march_revenue
    assert april.revenue_change == ((april.total.revenue - march_revenue) * 100 / march_revenue).quantize(D("0.1"))


def test_filters_narrow_every_figure(db_session, march, catalog):
    o = march
    b2b = report.revenue_widget(db_session, MARCH, "month", Filters(segment="b2b"))
    assert (b2b.total.revenue, b2b.total.orders, b2b.placed) == (o["stickers"].total, 1, 1)
    cards = report.sales_total(db_session, MARCH, Filters(category_id=catalog.cards.category_id))
    assert cards.orders == 1
    assert cards.revenue == sum(line.total for line in o["cards"].lines if line.product_id == catalog.cards.id)
    courier = report.revenue_widget(db_session, MARCH, "month", Filters(delivery="courier"))
    assert (courier.total.revenue, courier.placed) == (D("0.00"), 0)


def test_top_customers_and_promo_widgets(db_session, march, catalog):
    o = march
    top = report.top_widget(db_session, MARCH, n=2)
    names = [r.name for r in top.by_revenue]
    assert names[-1] == "Остальные (1)" and len(names) == 3
    by_product = {r.key: r for r in report.product_rows(db_session, MARCH)}
    assert by_product[catalog.flyers.id].quantity == o["flyers"].product_lines[0].quantity
    # Pickup orders: no delivery lines, so the products (with «Остальные») add up to the revenue.
    assert sum((r.sales.revenue for r in top.by_revenue), D("0")) == report.sales_total(db_session, MARCH).revenue
    assert sum(r.quantity for r in top.by_quantity) == sum(
        line.quantity for key in ("cards", "flyers", "stickers") for line in o[key].lines
    )

    customers = report.customers_widget(db_session, MARCH)
    assert (customers.active, customers.new, customers.returning) == (2, 2, 0)
    april = report.customers_widget(db_session, APRIL)
    assert (april.active, april.new, april.returning, april.repeat_rate) == (1, 0, 1, D("100.0"))
    assert customers.segments["b2b"].revenue == o["stickers"].total

    promos = report.promo_widget(db_session, MARCH)
    minus = next(r for r in promos if r.name == "MINUS100")
    assert (minus.placed, minus.sales.orders, minus.sales.discounts) == (1, 1, D("100.00"))
    assert minus.sales.revenue == o["stickers"].total
    assert minus.revenue_per_rouble == (o["stickers"].total / 100).quantize(D("0.01"))
    assert (minus.buyers, minus.new_buyers, minus.new_share) == (1, 1, D("100.0"))  # the company's first order


def test_grouping_by_day_week_month_and_year():
    period = Period(date(2026, 3, 28), date(2026, 4, 7))
    weeks = report.buckets(period, "week")
    # ISO weeks, Monday first: 28–29 March (Sat–Sun) end a week, 30 March is a Monday.
    assert [(w.start, w.end) for w in weeks] == [
        (date(2026, 3, 28), date(2026, 3, 29)),
        (date(2026, 3, 30), date(2026, 4, 5)),
        (date(2026, 4, 6), date(2026, 4, 7)),
    ]
    assert report.bucket_label(date(2026, 3, 23), "week") == "23.03–29.03.26"
    assert len(report.buckets(period, "day")) == 11
    assert [m.start for m in report.buckets(period, "month")] == [date(2026, 3, 28), date(2026, 4, 1)]
    assert [y.start.year for y in report.buckets(Period(date(2025, 12, 30), date(2026, 1, 2)), "year")] == [
        2025,
        2026,
    ]
    with pytest.raises(ValidationError):
        report.buckets(period, "hour")
    with pytest.raises(ValidationError, match="группировку крупнее"):
        report.buckets(Period(date(2020, 1, 1), date(2026, 1, 1)), "day")


def test_empty_periods_show_zeros(db_session, march):
    widget = report.revenue_widget(db_session, Period(date(2025, 1, 1), date(2025, 1, 7)), "day")
    assert len(widget.points) == 7
    assert all((p.sales.revenue, p.sales.orders, p.placed) == (0, 0, 0) for p in widget.points)
    assert widget.revenue_change is None and widget.average_order == 0
    empty = report.dashboard(db_session, Period(date(2025, 1, 1), date(2025, 1, 7)), "day")
    assert empty.top.by_revenue == [] and empty.customers.active == 0 and empty.promos == []


def test_the_previous_period_has_the_same_length_just_before():
    assert report.previous_period(MARCH) == Period(date(2026, 2, 1), date(2026, 2, 28))  # the month before
    assert report.previous_period(Period(date(2026, 4, 1), date(2026, 6, 30))) == Period.quarter(2026, 1)
    assert report.previous_period(Period.year(2026)) == Period.year(2025)
    assert report.previous_period(Period(date(2026, 3, 5), date(2026, 3, 14))) == Period(
        date(2026, 2, 23), date(2026, 3, 4)
    )
    assert report.preset_period("7d", date(2026, 3, 10)) == Period(date(2026, 3, 4), date(2026, 3, 10))
    assert report.change(D("112.4"), D("100")) == D("12.4")
    assert report.change(D("5"), D("0")) is None


def test_rollups_equal_the_journal_and_the_accounting_reports_on_random_periods(db_session, app, catalog, customer):
    rng = random.Random(15)
    with at(datetime(2026, 6, 30, 9, 0, tzinfo=UTC)):
        seed_bulk.generate(db_session, customers=20, orders=160, days=400, seed=15)
    _live_orders(db_session, catalog, customer, staff_actor(app), rng)
    db_session.expire_all()
    categories = [None, *db_session.scalars(sa.select(JournalEntry.category_id).distinct())]
    sales = [(e.day, e.order_id, e.kind, e.company_id, e.customer_id) for e in db_session.scalars(
        sa.select(JournalEntry).where(JournalEntry.kind == JournalKind.sale))]  # fmt: skip
    promo_of = dict(db_session.execute(sa.select(Order.id, Order.promo_code_id)).all())
    first_sale = {}
    for day, _, _, company, person in sorted(sales, key=lambda row: row[0]):
        first_sale.setdefault(f"c{company}" if company else f"p{person}", day)
    created = [to_shop(c).date() for c in db_session.scalars(sa.select(Order.created_at))]
    ledger = [(to_shop(e.created_at).date(), e.kind.value, e.pending + e.available) for e in db_session.scalars(
        sa.select(LoyaltyEntry))]  # fmt: skip
    points_seen = 0
    first = date(2024, 5, 1)
    for _ in range(100):
        start = first + timedelta(days=rng.randrange(0, 800))
        period = Period(start, start + timedelta(days=rng.choice([0, 1, 6, 27, 30, 89, 180, 364, 730])))
        filters = rng.choice(
            [
                Filters(),
                Filters(segment=rng.choice(["b2b", "b2c"])),
                Filters(delivery=rng.choice(["pickup", "courier", "post"])),
                Filters(category_id=rng.choice(categories)),
            ]
        )
        board = report.revenue_widget(db_session, period, rng.choice(list(report.GROUPINGS)), filters)
        journal = metrics.sales(db_session, period, *filters.on_journal())
        assert board.total == journal, (period, filters)
        assert report.sales_total(db_session, period, filters) == journal
        if filters == Filters():
            reconciled = accounting.reconcile(db_session, period)
            assert reconciled.ok and reconciled.figures["Выручка с НДС"]["журнал (SQL)"] == board.total.revenue
            assert board.placed == sum(1 for day in created if period.start <= day <= period.end)
            buyers = {(c and f"c{c}") or f"p{p}" for day, _, _, c, p in sales if period.start <= day <= period.end}
            assert report.customers_widget(db_session, period).active == len(buyers)
            by_category = report.category_rows(db_session, period)
            assert sum((r.sales.revenue for r in by_category), D("0")) == journal.revenue
            points = report.points_activity(db_session, period)
            inside = [(kind, n) for day, kind, n in ledger if period.start <= day <= period.end]
            assert points["earned"] == sum(n for kind, n in inside if kind in ("earn_pending", "reverse"))
            assert points["referral"] == sum(n for kind, n in inside if kind.startswith("referral"))
            points_seen += points["earned"]
            expected = {}
            for day, order_id, _, company, person in sales:
                if period.start <= day <= period.end and promo_of[order_id]:
                    who = f"c{company}" if company else f"p{person}"
                    expected.setdefault(promo_of[order_id], {})[who] = first_sale[who] == day or expected.get(
                        promo_of[order_id], {}).get(who, False)  # fmt: skip
            assert report.promo_buyers(db_session, period) == {
                promo: (len(who), sum(who.values())) for promo, who in expected.items()
            }
    assert points_seen > 0


def test_months_are_reconciled_with_the_accounting_and_a_difference_is_named(app, db_session, march):
    with at(datetime(2026, 4, 20, 9, 0, tzinfo=UTC)):
        rows = report.reconcile_recent(db_session, months=2)
    db_session.commit()
    assert [(row.month, row.ok) for row in rows] == [(date(2026, 4, 1), True), (date(2026, 3, 1), True)]
    assert rows[1].revenue == report.sales_total(db_session, MARCH).revenue
    checks = report.reconciled(db_session, Period(date(2026, 2, 10), date(2026, 3, 5)))
    assert [(month.start, row.ok if row else None) for month, row in checks] == [
        (date(2026, 2, 1), None),
        (date(2026, 3, 1), True),
    ]

    # A rollup that drifted from the journal (written behind the triggers' back) is caught.
    db_session.execute(sa.text("UPDATE sales_day SET amount = amount + 1, net = net + 1 WHERE day = '2026-03-10'"))
    db_session.commit()
    row = report.reconcile_month(db_session, MARCH)
    assert not row.ok and "дашборд (свод по дням)" in row.differences and "Выручка с НДС" in row.differences
    db_session.commit()
    with at(datetime(2026, 3, 20, 9, 0, tzinfo=UTC)):
        result = app.test_cli_runner().invoke(args=["dashboard", "reconcile", "--months", "1"])
    assert result.exit_code == 1 and "03.2026: РАСХОЖДЕНИЕ" in result.output
