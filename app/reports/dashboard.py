"""The back office's dashboard figures, read from the rollups the database keeps with the journal.

Money figures are `metrics.Sales` built from the rollup's sums of the very journal columns `metrics` sums
(gross, discount, points, amount, net, vat, cost — in `metrics`' order), so a dashboard figure and the
accounting report's figure for the same period are one definition; `tests/reports/test_dashboard.py` holds
them equal on random periods. Two measures of "how many":

- «Выручка (реализация)» and its orders (`Sales.orders`: sales posted minus returns) — by the journal's day;
- «Оформлено заказов» — `metrics.orders_placed`: orders placed, by the shop-local day they were placed
  (`orders.placed_day`, computed in the shop's time zone when the order is stored), read from
  `orders_placed_day`, or `orders_placed_category_day` (orders having a line of the category) when a category
  is chosen.

A customer (buyer) is a company for its orders, or a private person for their own; a buyer is new in the
period holding their first realisation (`buyer_first_sale`); the buyers active in a period come from
`buyer_day`, or `buyer_sale_day` (per category × delivery × promo code) when the page is filtered by category
or delivery and for the promo codes' buyers — never from the journal. Every query groups the rollup by day in
SQL (at most one row per day of the period) and buckets days into weeks (ISO, Monday first), months or years here.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from app.models import (
    BuyerDay,
    BuyerFirstSale,
    BuyerSaleDay,
    Category,
    JournalEntry,
    LineKind,
    Order,
    OrdersPlacedCategoryDay,
    OrdersPlacedDay,
    Product,
    PromoCode,
    ReconciledMonth,
    SalesDay,
)
from app.models.loyalty import EntryKind, LoyaltyEntry
from app.models.orders import DeliveryMethod
from app.reports import accounting, metrics
from app.reports.metrics import Period, Sales
from app.services.errors import ValidationError
from app.services.money import ZERO, to_money
from app.services.shoptime import now, shop_today, shop_tz

K = EntryKind
GROUPINGS = {"day": "по дням", "week": "по неделям", "month": "по месяцам", "year": "по годам"}
PRESETS = {
    "today": "Сегодня",
    "7d": "7 дней",
    "month": "Месяц",
    "quarter": "Квартал",
    "year": "Год",
    "custom": "Произвольный",
}
PRESET_DAYS = {"today": 1, "7d": 7, "month": 30, "quarter": 91, "year": 365}
SEGMENTS = {"b2c": "Частные лица", "b2b": "Компании"}
MONTHS_SHORT = ("янв", "фев", "мар", "апр", "май", "июн", "июл", "авг", "сен", "окт", "ноя", "дек")
OTHERS = "Остальные"
NO_CATEGORY = "Доставка и прочее"
# The journal columns `metrics.Sales` is summed from, in the order `metrics` sums them.
SUMS = ("gross", "discount", "points", "amount", "net", "vat", "cost")
MAX_BUCKETS = 800


# --- the request: period, grouping, filters -----------------------------------------------------------


@dataclass(frozen=True)
class Filters:
    """Narrow every widget at once. With a category, orders placed are those having a line of it; buyers, those
    with a realisation of it."""

    category_id: int | None = None
    segment: str | None = None  # b2b | b2c
    delivery: str | None = None  # a DeliveryMethod value

    def __post_init__(self) -> None:
        if self.segment is not None and self.segment not in SEGMENTS:
            raise ValidationError("Неизвестный тип клиента.", field="segment")
        if self.delivery is not None and self.delivery not in DeliveryMethod.__members__:
            raise ValidationError("Неизвестный способ доставки.", field="delivery")

    def on_sales(self) -> list[sa.ColumnElement[bool]]:
        where = []
        if self.category_id is not None:
            where.append(SalesDay.category_id == self.category_id)
        if self.segment:
            where.append(SalesDay.segment == self.segment)
        if self.delivery:
            where.append(SalesDay.delivery_method == self.delivery)
        return where

    @property
    def placed_table(self) -> Any:
        """The order-day rollup to read: per category when one is chosen."""
        return OrdersPlacedCategoryDay if self.category_id is not None else OrdersPlacedDay

    def on_placed(self) -> list[sa.ColumnElement[bool]]:
        table = self.placed_table
        where = []
        if self.category_id is not None:
            where.append(table.category_id == self.category_id)
        if self.segment:
            where.append(table.segment == self.segment)
        if self.delivery:
            where.append(table.delivery_method == self.delivery)
        return where

    def on_buyers(self) -> list[sa.ColumnElement[bool]]:
        """The filters on `buyer_sale_day` (category 0: sales without one, the delivery lines)."""
        where = []
        if self.category_id is not None:
            where.append(BuyerSaleDay.category_id == self.category_id)
        if self.segment:
            where.append(BuyerSaleDay.segment == self.segment)
        if self.delivery:
            where.append(BuyerSaleDay.delivery_method == self.delivery)
        return where

    def on_journal(self) -> list[sa.ColumnElement[bool]]:
        """The same filters on the journal itself (the drill-down and the reconciliation)."""
        where = []
        if self.category_id is not None:
            where.append(JournalEntry.category_id == self.category_id)
        if self.segment == "b2b":
            where.append(JournalEntry.company_id.is_not(None))
        elif self.segment == "b2c":
            where.append(JournalEntry.company_id.is_(None))
        if self.delivery:
            orders = sa.select(Order.id).where(Order.delivery_method == DeliveryMethod(self.delivery))
            where.append(JournalEntry.order_id.in_(orders))
        return where

    @property
    def orders_column(self) -> Any:
        """With a category chosen, an order counts once if it has that category's lines."""
        return SalesDay.category_orders if self.category_id is not None else SalesDay.orders


def preset_period(preset: str, today: date | None = None) -> Period:
    """A rolling window ending today (shop-local): сегодня, 7 дней, месяц (30), квартал (91), год (365)."""
    today = today or shop_today()
    days = PRESET_DAYS.get(preset)
    if days is None:
        raise ValidationError("Неизвестный период.", field="preset")
    return Period(today - timedelta(days=days - 1), today)


def previous_period(period: Period) -> Period:
    """The period before, of the same length: the previous calendar month, quarter or year for a whole one,
    else as many days just before."""
    start = period.start
    if period.is_month:
        before = start - timedelta(days=1)
        return Period.month(before.year, before.month)
    if period.is_quarter:
        before = start - timedelta(days=1)
        return Period.quarter(before.year, (before.month - 1) // 3 + 1)
    if start == date(start.year, 1, 1) and period.end == date(start.year, 12, 31):
        return Period.year(start.year - 1)
    length = (period.end - start).days + 1
    return Period(start - timedelta(days=length), start - timedelta(days=1))


# --- buckets ---------------------------------------------------------------------------------------------


def bucket_start(day: date, grouping: str) -> date:
    if grouping == "week":
        return day - timedelta(days=day.weekday())
    if grouping == "month":
        return day.replace(day=1)
    if grouping == "year":
        return day.replace(month=1, day=1)
    return day


def _next_bucket(start: date, grouping: str) -> date:
    if grouping == "week":
        return start + timedelta(days=7)
    if grouping == "month":
        return (start.replace(day=28) + timedelta(days=4)).replace(day=1)
    if grouping == "year":
        return start.replace(year=start.year + 1)
    return start + timedelta(days=1)


def bucket_label(start: date, grouping: str) -> str:
    if grouping == "week":
        return f"{start:%d.%m}–{start + timedelta(days=6):%d.%m.%y}"
    if grouping == "month":
        return f"{MONTHS_SHORT[start.month - 1]} {start.year}"
    if grouping == "year":
        return str(start.year)
    return f"{start:%d.%m.%y}"


def buckets(period: Period, grouping: str) -> list[Period]:
    """The period cut into days, ISO weeks, months or years (the first and last cut to the period)."""
    if grouping not in GROUPINGS:
        raise ValidationError("Неизвестная группировка.", field="grouping")
    found, start = [], bucket_start(period.start, grouping)
    while start <= period.end:
        following = _next_bucket(start, grouping)
        found.append(Period(max(start, period.start), min(following - timedelta(days=1), period.end)))
        start = following
        if len(found) > MAX_BUCKETS:
            raise ValidationError("Слишком много точек: выберите группировку крупнее.", field="grouping")
    return found


# --- reading the rollups ---------------------------------------------------------------------------------


def _sum(column: Any) -> Any:
    return sa.func.coalesce(sa.func.sum(column), 0)


_SALES_SUMS = tuple(_sum(getattr(SalesDay, name)) for name in SUMS)


def _money(value: object) -> Decimal:
    return to_money(Decimal(str(value or 0)))


def _sales(row: Sequence[Any], orders: Any) -> Sales:
    """A row of the rollup's sums (in `SUMS` order) as `metrics.Sales`."""
    return metrics._sales_row(row, int(orders or 0))


def _add(a: Sales, b: Sales) -> Sales:
    return Sales(
        a.gross_sales + b.gross_sales,
        a.discounts + b.discounts,
        a.points + b.points,
        a.revenue + b.revenue,
        a.net_revenue + b.net_revenue,
        a.output_vat + b.output_vat,
        a.cost_of_goods + b.cost_of_goods,
        orders=a.orders + b.orders,
    )


def _in(column: Any, period: Period) -> sa.ColumnElement[bool]:
    return metrics.in_period(column, period)


def _day(value: object) -> date:
    return value if isinstance(value, date) else date.fromisoformat(str(value)[:10])


def sales_by_day(session: Session, period: Period, filters: Filters = Filters()) -> dict[date, Sales]:
    rows = session.execute(
        sa.select(SalesDay.day, *_SALES_SUMS, _sum(filters.orders_column))
        .where(_in(SalesDay.day, period), *filters.on_sales())
        .group_by(SalesDay.day)
    ).all()
    return {_day(row[0]): _sales(row[1:8], row[8]) for row in rows}


def _sums_by_day(session: Session, period: Period, filters: Filters) -> list[tuple[date, list[Decimal], int]]:
    """The rollup's sums per day as exact decimals (not yet rounded: a bucket is rounded once)."""
    rows = session.execute(
        sa.select(SalesDay.day, *_SALES_SUMS, _sum(filters.orders_column))
        .where(_in(SalesDay.day, period), *filters.on_sales())
        .group_by(SalesDay.day)
    ).all()
    return [(_day(row[0]), [Decimal(str(v)) for v in row[1:8]], int(row[8] or 0)) for row in rows]


def sales_total(session: Session, period: Period, filters: Filters = Filters()) -> Sales:
    row = session.execute(
        sa.select(*_SALES_SUMS, _sum(filters.orders_column)).where(_in(SalesDay.day, period), *filters.on_sales())
    ).one()
    return _sales(row[:7], row[7])


def placed_by_day(session: Session, period: Period, filters: Filters = Filters()) -> dict[date, int]:
    table = filters.placed_table
    rows = session.execute(
        sa.select(table.day, _sum(table.placed)).where(_in(table.day, period), *filters.on_placed()).group_by(table.day)
    ).all()
    return {_day(day): int(n) for day, n in rows}


# --- widget: revenue and orders --------------------------------------------------------------------------


@dataclass
class Point:
    period: Period
    label: str
    sales: Sales
    placed: int


@dataclass
class RevenueWidget:
    period: Period
    previous: Period
    grouping: str
    points: list[Point]
    previous_points: list[Point]
    total: Sales
    previous_total: Sales
    placed: int
    previous_placed: int

    @property
    def average_order(self) -> Decimal:
        return average(self.total.revenue, self.total.orders)

    @property
    def previous_average_order(self) -> Decimal:
        return average(self.previous_total.revenue, self.previous_total.orders)

    @property
    def revenue_change(self) -> Decimal | None:
        return change(self.total.revenue, self.previous_total.revenue)

    @property
    def placed_change(self) -> Decimal | None:
        return change(Decimal(self.placed), Decimal(self.previous_placed))

    @property
    def average_change(self) -> Decimal | None:
        return change(self.average_order, self.previous_average_order)


def average(total: Decimal, count: int) -> Decimal:
    return to_money(total / count) if count > 0 else ZERO


def change(current: Decimal, before: Decimal) -> Decimal | None:
    """The change in %, one decimal; None when there is nothing to compare with."""
    if before == 0:
        return None
    return ((current - before) * 100 / abs(before)).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)


def _points(session: Session, period: Period, grouping: str, filters: Filters) -> list[Point]:
    parts = buckets(period, grouping)
    index = {bucket_start(part.start, grouping): i for i, part in enumerate(parts)}
    sums = [[Decimal(0)] * len(SUMS) for _ in parts]
    orders = [0 for _ in parts]
    placed = [0 for _ in parts]
    for day, values, count in _sums_by_day(session, period, filters):
        i = index[bucket_start(day, grouping)]
        sums[i] = [a + b for a, b in zip(sums[i], values, strict=True)]
        orders[i] += count
    for day, count in placed_by_day(session, period, filters).items():
        placed[index[bucket_start(day, grouping)]] += count
    return [
        Point(part, bucket_label(bucket_start(part.start, grouping), grouping), _sales(sums[i], orders[i]), placed[i])
        for i, part in enumerate(parts)
    ]


def revenue_widget(session: Session, period: Period, grouping: str, filters: Filters = Filters()) -> RevenueWidget:
    before = previous_period(period)
    points = _points(session, period, grouping, filters)
    previous_points = _points(session, before, grouping, filters)
    total, previous_total = Sales(), Sales()
    for point in points:
        total = _add(total, point.sales)
    for point in previous_points:
        previous_total = _add(previous_total, point.sales)
    return RevenueWidget(
        period=period,
        previous=before,
        grouping=grouping,
        points=points,
        previous_points=previous_points,
        total=total,
        previous_total=previous_total,
        placed=sum(p.placed for p in points),
        previous_placed=sum(p.placed for p in previous_points),
    )


# --- widget: top products and categories ----------------------------------------------------------------


@dataclass
class TopRow:
    key: int | None  # product or category id (0: no category); None: the rest together
    name: str
    quantity: int
    sales: Sales


@dataclass
class TopWidget:
    by_revenue: list[TopRow]
    by_quantity: list[TopRow]
    categories: list[TopRow]


def _top(rows: list[TopRow], n: int, measure: str) -> list[TopRow]:
    ranked = sorted(rows, key=lambda r: (-(r.sales.revenue if measure == "revenue" else r.quantity), r.name))
    head, rest = ranked[:n], ranked[n:]
    if rest:
        others = Sales()
        for row in rest:
            others = _add(others, row.sales)
        head.append(TopRow(None, f"{OTHERS} ({len(rest)})", sum(r.quantity for r in rest), others))
    return head


def product_rows(session: Session, period: Period, filters: Filters = Filters()) -> list[TopRow]:
    rows = session.execute(
        sa.select(SalesDay.product_id, _sum(SalesDay.quantity), *_SALES_SUMS, _sum(SalesDay.category_orders))
        .where(_in(SalesDay.day, period), SalesDay.line_kind == "product", *filters.on_sales())
        .group_by(SalesDay.product_id)
    ).all()
    names = dict(session.execute(sa.select(Product.id, Product.name).where(Product.id.in_([r[0] for r in rows]))).all())
    return [TopRow(row[0], names.get(row[0], "Удалённый товар"), int(row[1]), _sales(row[2:9], 0)) for row in rows]


def category_rows(session: Session, period: Period, filters: Filters = Filters()) -> list[TopRow]:
    rows = session.execute(
        sa.select(SalesDay.category_id, _sum(SalesDay.quantity), *_SALES_SUMS, _sum(SalesDay.category_orders))
        .where(_in(SalesDay.day, period), *filters.on_sales())
        .group_by(SalesDay.category_id)
    ).all()
    names = dict(
        session.execute(sa.select(Category.id, Category.name).where(Category.id.in_([r[0] for r in rows]))).all()
    )
    return [
        TopRow(
            row[0] or None,
            names.get(row[0], NO_CATEGORY) if row[0] else NO_CATEGORY,
            int(row[1]),
            _sales(row[2:9], row[9]),
        )
        for row in rows
    ]


def top_widget(session: Session, period: Period, filters: Filters = Filters(), *, n: int = 8) -> TopWidget:
    products = product_rows(session, period, filters)
    categories = category_rows(session, period, filters)
    return TopWidget(
        by_revenue=_top(products, n, "revenue"),
        by_quantity=_top(products, n, "quantity"),
        categories=_top(categories, n, "revenue"),
    )


# --- widget: customers -----------------------------------------------------------------------------------


@dataclass
class CustomersWidget:
    active: int
    new: int
    segments: dict[str, Sales] = field(default_factory=dict)

    @property
    def returning(self) -> int:
        return self.active - self.new

    @property
    def repeat_rate(self) -> Decimal:
        """The share (%) of the period's buyers who had bought before it."""
        if not self.active:
            return Decimal("0.0")
        return (Decimal(self.returning) * 100 / self.active).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)

    def share(self, segment: str) -> Decimal:
        total = sum((s.revenue for s in self.segments.values()), ZERO)
        if not total:
            return Decimal("0.0")
        return (self.segments.get(segment, Sales()).revenue * 100 / total).quantize(
            Decimal("0.1"), rounding=ROUND_HALF_UP
        )


def customers_widget(session: Session, period: Period, filters: Filters = Filters()) -> CustomersWidget:
    """Buyers with a realisation in the period, the new among them; revenue by segment (B2B / B2C)."""
    if filters.category_id is not None or filters.delivery:
        # Buyers with a realisation of the category (or delivery method) in the period; new among them: those whose
        # first realisation of all falls in the period.
        buyers = (
            sa.select(BuyerSaleDay.buyer)
            .where(_in(BuyerSaleDay.day, period), *filters.on_buyers())
            .group_by(BuyerSaleDay.buyer)
            .subquery()
        )
        active, new = session.execute(
            sa.select(
                sa.func.count(),
                sa.func.count(sa.case((_in(BuyerFirstSale.first_day, period), 1))),
            ).select_from(buyers.join(BuyerFirstSale, BuyerFirstSale.buyer == buyers.c.buyer))
        ).one()
    else:
        segment = [BuyerDay.segment == filters.segment] if filters.segment else []
        # count(*) over a GROUP BY, not count(DISTINCT): PostgreSQL hashes (in parallel) instead of sorting,
        # 2–3× faster over the ~900,000 buyer-days of four years at a million orders.
        distinct = sa.select(BuyerDay.buyer).where(_in(BuyerDay.day, period), *segment).group_by(BuyerDay.buyer)
        active = session.execute(sa.select(sa.func.count()).select_from(distinct.subquery())).scalar_one()
        first_segment = [BuyerFirstSale.segment == filters.segment] if filters.segment else []
        new = session.execute(
            sa.select(sa.func.count()).where(_in(BuyerFirstSale.first_day, period), *first_segment)
        ).scalar_one()
    rows = session.execute(
        sa.select(SalesDay.segment, *_SALES_SUMS, _sum(filters.orders_column))
        .where(_in(SalesDay.day, period), *filters.on_sales())
        .group_by(SalesDay.segment)
    ).all()
    segments = {key: Sales() for key in SEGMENTS if not filters.segment or key == filters.segment}
    segments.update({row[0]: _sales(row[1:8], row[8]) for row in rows})
    return CustomersWidget(active=int(active), new=int(new), segments=segments)


# --- widget: promo codes ---------------------------------------------------------------------------------


@dataclass
class PromoRow:
    promo_code_id: int | None  # None: the rows of their own (points)
    name: str
    placed: int
    sales: Sales
    buyers: int = 0  # buyers with a sale with the code in the period
    new_buyers: int = 0  # … for whom it was their first realisation

    @property
    def new_share(self) -> Decimal | None:
        """The share (%) of the code's buyers who bought for the first time with it."""
        if not self.buyers:
            return None
        return (Decimal(self.new_buyers) * 100 / self.buyers).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)

    @property
    def revenue_per_rouble(self) -> Decimal | None:
        """Revenue per rouble of discount given."""
        spent = self.sales.discounts if self.promo_code_id else self.sales.points
        if spent <= 0:
            return None
        return (self.sales.revenue / spent).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


def promo_buyers(session: Session, period: Period, filters: Filters = Filters()) -> dict[int, tuple[int, int]]:
    """Per promo code: buyers with a sale with it in the period, and those of them for whom it was their first
    realisation (a sale with the code on their first realisation day) — from `buyer_sale_day`."""
    # Grouped step by step (code × buyer, then code) rather than count(DISTINCT …): hashed, not sorted.
    per_buyer = (
        sa.select(
            BuyerSaleDay.promo_code_id.label("promo"),
            sa.func.max(sa.case((BuyerFirstSale.first_day == BuyerSaleDay.day, 1), else_=0)).label("new"),
        )
        .join(BuyerFirstSale, BuyerFirstSale.buyer == BuyerSaleDay.buyer)
        .where(BuyerSaleDay.promo_code_id != 0, _in(BuyerSaleDay.day, period), *filters.on_buyers())
        .group_by(BuyerSaleDay.promo_code_id, BuyerSaleDay.buyer)
        .subquery()
    )
    rows = session.execute(
        sa.select(per_buyer.c.promo, sa.func.count(), sa.func.sum(per_buyer.c.new)).group_by(per_buyer.c.promo)
    ).all()
    return {promo: (int(total), int(new)) for promo, total, new in rows}


def promo_widget(session: Session, period: Period, filters: Filters = Filters()) -> list[PromoRow]:
    """Per promo code: orders placed with it, its realised orders, revenue and discount; then bonus points paid."""
    rows = session.execute(
        sa.select(SalesDay.promo_code_id, *_SALES_SUMS, _sum(filters.orders_column))
        .where(_in(SalesDay.day, period), SalesDay.promo_code_id != 0, *filters.on_sales())
        .group_by(SalesDay.promo_code_id)
    ).all()
    placed_table = filters.placed_table
    placed: dict[int, int] = {
        pid: int(n)
        for pid, n in session.execute(
            sa.select(placed_table.promo_code_id, _sum(placed_table.placed))
            .where(_in(placed_table.day, period), placed_table.promo_code_id != 0, *filters.on_placed())
            .group_by(placed_table.promo_code_id)
        ).all()
    }
    sales = {row[0]: _sales(row[1:8], row[8]) for row in rows}
    ids = set(sales) | set(placed)
    codes = dict(session.execute(sa.select(PromoCode.id, PromoCode.code).where(PromoCode.id.in_(ids))).all())
    buyers = promo_buyers(session, period, filters)
    result = [
        PromoRow(pid, codes.get(pid, "—"), placed.get(pid, 0), sales.get(pid, Sales()), *buyers.get(pid, (0, 0)))
        for pid in ids
    ]
    result.sort(key=lambda r: (-r.sales.revenue, r.name))
    points = sales_total(session, period, filters).points
    if points:
        result.append(PromoRow(None, "Оплачено бонусными баллами", 0, Sales(points=points)))
    return result


# --- the whole page ---------------------------------------------------------------------------------------


@dataclass
class Dashboard:
    period: Period
    grouping: str
    filters: Filters
    revenue: RevenueWidget
    top: TopWidget | None = None
    customers: CustomersWidget | None = None
    promos: list[PromoRow] | None = None
    points: dict[str, int] | None = None


def dashboard(
    session: Session, period: Period, grouping: str, filters: Filters = Filters(), *, revenue_only: bool = False
) -> Dashboard:
    board = Dashboard(period, grouping, filters, revenue_widget(session, period, grouping, filters))
    if not revenue_only:
        board.top = top_widget(session, period, filters)
        board.customers = customers_widget(session, period, filters)
        board.promos = promo_widget(session, period, filters)
        board.points = points_activity(session, period)
    return board


def drill_where(
    filters: Filters,
    *,
    product_id: int | None = None,
    category_id: int | None = None,
    segment: str | None = None,
    promo_code_id: int | None = None,
) -> list[sa.ColumnElement[bool]]:
    """The journal conditions behind one bar: the page's filters and the bar's own key (category 0: none)."""
    where = Filters(segment=segment or filters.segment, delivery=filters.delivery).on_journal()
    category = filters.category_id if category_id is None else category_id
    if category == 0:
        where.append(JournalEntry.category_id.is_(None))
    elif category is not None:
        where.append(JournalEntry.category_id == category)
    if product_id is not None:
        where.append(JournalEntry.product_id == product_id)
        where.append(JournalEntry.line_kind == LineKind.product)
    if promo_code_id is not None:
        where.append(JournalEntry.order_id.in_(sa.select(Order.id).where(Order.promo_code_id == promo_code_id)))
    return where


# --- tables (CSV export of each widget) ---------------------------------------------------------------------


def _num(value: Decimal | int | None) -> str:
    """Excel in a Russian locale: a decimal comma, no thousands separator."""
    return "" if value is None else str(value).replace(".", ",")


def widget_table(board: Dashboard, widget: str) -> tuple[list[str], list[list[str]]]:
    """A widget's data as a header and rows of text, as the CSV export writes them."""
    if widget == "revenue":
        header = ["Период", "С", "По", "Выручка (реализация), ₽", "Выручка без НДС, ₽", "НДС, ₽", "Скидки, ₽",
                  "Баллы, ₽", "Заказов реализовано", "Оформлено заказов"]  # fmt: skip
        rows = [
            [
                p.label,
                f"{p.period.start:%d.%m.%Y}",
                f"{p.period.end:%d.%m.%Y}",
                _num(p.sales.revenue),
                _num(p.sales.net_revenue),
                _num(p.sales.output_vat),
                _num(p.sales.discounts),
                _num(p.sales.points),
                _num(p.sales.orders),
                _num(p.placed),
            ]  # fmt: skip
            for p in board.revenue.points
        ]
        return header, rows
    if widget == "products" and board.top is not None:
        header = ["Товар", "Штук", "Выручка, ₽", "Скидки, ₽"]
        return header, [
            [r.name, _num(r.quantity), _num(r.sales.revenue), _num(r.sales.discounts)] for r in board.top.by_revenue
        ]
    if widget == "categories" and board.top is not None:
        header = ["Категория", "Штук", "Заказов", "Выручка, ₽"]
        return header, [
            [r.name, _num(r.quantity), _num(r.sales.orders), _num(r.sales.revenue)] for r in board.top.categories
        ]
    if widget == "customers" and board.customers is not None:
        c = board.customers
        rows = [
            ["Покупателей с реализацией", _num(c.active)],
            ["Новые", _num(c.new)],
            ["Вернувшиеся", _num(c.returning)],
            ["Доля вернувшихся, %", _num(c.repeat_rate)],
        ]
        rows += [[f"Выручка: {SEGMENTS[k]}, ₽", _num(s.revenue)] for k, s in c.segments.items()]
        return ["Показатель", "Значение"], rows
    if widget == "promos" and board.promos is not None:
        header = ["Промокод", "Оформлено заказов", "Заказов реализовано", "Выручка, ₽", "Скидка, ₽", "Баллы, ₽",
                  "Выручка на 1 ₽ скидки", "Новых покупателей, %"]  # fmt: skip
        return header, [
            [
                r.name,
                _num(r.placed),
                _num(r.sales.orders),
                _num(r.sales.revenue),
                _num(r.sales.discounts),
                _num(r.sales.points),
                _num(r.revenue_per_rouble),
            ]  # fmt: skip
            for r in board.promos
        ]
    raise ValidationError("Нет такого блока дашборда.", field="widget")


# --- reconciliation with the accounting ---------------------------------------------------------------------


def reconcile_month(session: Session, month: Period) -> ReconciledMonth:
    """Compare a calendar month's figures: every accounting reader and the journal (`accounting.reconcile`)
    and the dashboard's rollup; record the outcome (one row per month, the latest check). Flushes only."""
    result = accounting.reconcile(session, month)
    rollup = sales_total(session, month)
    figures = {name: dict(values) for name, values in result.figures.items()}
    figures["Выручка с НДС"]["дашборд (свод по дням)"] = rollup.revenue
    figures["Выручка без НДС"]["дашборд (свод по дням)"] = rollup.net_revenue
    figures["НДС с реализации"]["дашборд (свод по дням)"] = rollup.output_vat
    differences = {name: values for name, values in figures.items() if len(set(values.values())) > 1}
    row = session.get(ReconciledMonth, month.start) or ReconciledMonth(month=month.start)
    row.checked_at = now()
    row.ok = not differences
    row.revenue = figures["Выручка с НДС"]["журнал (SQL)"]
    row.differences = "; ".join(
        f"{name}: " + ", ".join(f"{reader} {value}" for reader, value in values.items())
        for name, values in differences.items()
    )
    session.add(row)
    session.flush()
    return row


def reconcile_recent(session: Session, *, months: int = 2, today: date | None = None) -> list[ReconciledMonth]:
    """The current month and the `months` − 1 before it (the nightly job)."""
    day = today or shop_today()
    found = []
    for _ in range(max(months, 1)):
        found.append(reconcile_month(session, Period.month(day.year, day.month)))
        day = day.replace(day=1) - timedelta(days=1)
    return found


def reconciled(session: Session, period: Period) -> list[tuple[Period, ReconciledMonth | None]]:
    """The calendar months the period touches, each with its last check (None: never checked)."""
    months = [Period.month(p.start.year, p.start.month) for p in period.months()]
    rows = {
        _day(row.month): row
        for row in session.scalars(
            sa.select(ReconciledMonth).where(ReconciledMonth.month.in_([m.start for m in months]))
        )
    }
    return [(month, rows.get(month.start)) for month in months]


# --- bonus points (the loyalty ledger) ----------------------------------------------------------------------

POINTS_ROWS = {
    "earned": "Начислено баллов за заказы (за вычетом отменённых)",
    "referral": "Начислено за приглашения друзей",
    "expired": "Сгорело баллов",
}


def points_activity(session: Session, period: Period) -> dict[str, int]:
    """Points earned (pending when earned, taken back when the order is refunded), referral rewards and welcome
    points, expired — from the loyalty ledger, by the shop-local day of the entry (range scans on its
    (kind, created_at) index)."""
    tz = shop_tz()
    since = datetime.combine(period.start, time.min, tzinfo=tz)
    until = datetime.combine(period.end + timedelta(days=1), time.min, tzinfo=tz)
    rows = session.execute(
        sa.select(LoyaltyEntry.kind, _sum(LoyaltyEntry.pending), _sum(LoyaltyEntry.available))
        .where(
            LoyaltyEntry.kind.in_([K.earn_pending, K.reverse, K.referral_reward, K.referral_welcome, K.expire]),
            LoyaltyEntry.created_at >= since,
            LoyaltyEntry.created_at < until,
        )
        .group_by(LoyaltyEntry.kind)
    ).all()
    sums = {EntryKind(kind): int(pending) + int(available) for kind, pending, available in rows}
    return {
        "earned": sums.get(K.earn_pending, 0) + sums.get(K.reverse, 0),
        "referral": sums.get(K.referral_reward, 0) + sums.get(K.referral_welcome, 0),
        "expired": -sums.get(K.expire, 0),
    }
