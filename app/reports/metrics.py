"""The one definition of every money figure: sums over the sales journal (and the expenses), by one date rule.

**The date rule.** Every figure is bucketed by a shop-local calendar day (`SHOP_TIMEZONE`, Europe/Moscow by
default) stored with the record when it is posted: `JournalEntry.day` is the day of the realisation for a
sale, the day of the return for a return, the day the money came for a payment; `Expense.day` is the day
the accountant gives the expense. A period is a closed range of such days. No report converts timestamps:
an order handed over at 23:30 Moscow time on 31 March is in March everywhere.

**The figures** (sales side = `sale` and `return` entries, returns negative, so a sum is "sales minus
returns"):

- `revenue` — выручка с НДС: Σ amount (after promo discounts and bonus points, which are the seller's own
  discounts);
- `net_revenue` — выручка без НДС, the VAT base: Σ net; `output_vat` — НДС с реализации: Σ vat;
- `gross_sales`, `discounts`, `points` — Σ gross, Σ discount, Σ points (gross − discounts − points = revenue);
- `cost_of_goods` — Σ cost (material cost prices when posted); `gross_margin` = net_revenue − cost_of_goods;
- `orders` — sales posted minus returns posted (an order sold and returned in the period counts 0);
- `received` — Σ amount of payment and payment_refund entries (money in, net of money given back);
- `orders_placed` — «Оформлено заказов», the other measure of "how many": orders placed in the period, in any
  status, by `Order.placed_day` (the shop-local day stored with the order when it is placed) — not money, and
  not the journal;
- expenses: `amount` with VAT, `vat` (incoming VAT), `net` = amount − vat.

Dashboards, the accounting reports (`app/reports/accounting.py`) and closing documents call these functions
and nothing else for money; `flask accounting reconcile` and the property test hold them to the journal.
"""

from __future__ import annotations

import calendar
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from app.models import Customer, Expense, ExpenseCategory, JournalEntry, JournalKind, Order
from app.models.companies import Company
from app.services.errors import ValidationError
from app.services.money import ZERO, to_money
from app.services.shoptime import shop_today

K = JournalKind
SALE_SIDE = (K.sale, K.sale_return)
MONEY_SIDE = (K.payment, K.payment_refund)
MONTHS = (
    "январь",
    "февраль",
    "март",
    "апрель",
    "май",
    "июнь",
    "июль",
    "август",
    "сентябрь",
    "октябрь",
    "ноябрь",
    "декабрь",
)
QUARTERS = ("I", "II", "III", "IV")
MAX_DAYS = 366 * 20


# --- periods -----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Period:
    """Shop-local days `start` … `end`, both inclusive."""

    start: date
    end: date

    def __post_init__(self) -> None:
        if self.end < self.start:
            raise ValidationError("Конец периода раньше начала.", field="end")
        if (self.end - self.start).days > MAX_DAYS:
            raise ValidationError("Период не длиннее 20 лет.", field="end")

    @classmethod
    def month(cls, year: int, month: int) -> Period:
        return cls(date(year, month, 1), date(year, month, calendar.monthrange(year, month)[1]))

    @classmethod
    def quarter(cls, year: int, quarter: int) -> Period:
        first = 3 * (quarter - 1) + 1
        return cls(date(year, first, 1), cls.month(year, first + 2).end)

    @classmethod
    def year(cls, year: int) -> Period:
        return cls(date(year, 1, 1), date(year, 12, 31))

    @classmethod
    def current_month(cls) -> Period:
        today = shop_today()
        return cls.month(today.year, today.month)

    @classmethod
    def parse(cls, start: str | None, end: str | None, *, default: Period | None = None) -> Period:
        """A period from two form values (ДД.ММ.ГГГГ or ГГГГ-ММ-ДД); empty values give `default`."""
        if not (start or "").strip() and not (end or "").strip():
            return default or cls.current_month()
        return cls(_parse_day(start, "start"), _parse_day(end, "end"))

    @property
    def is_month(self) -> bool:
        return self.start.day == 1 and self == Period.month(self.start.year, self.start.month)

    @property
    def is_quarter(self) -> bool:
        return (
            self.start.day == 1
            and self.start.month % 3 == 1
            and self == Period.quarter(self.start.year, self.start.month // 3 + 1)
        )

    @property
    def label(self) -> str:
        if self.is_month:
            return f"{MONTHS[self.start.month - 1]} {self.start.year}"
        if self.is_quarter:
            return f"{QUARTERS[self.start.month // 3]} квартал {self.start.year}"
        return f"{self.start:%d.%m.%Y} — {self.end:%d.%m.%Y}"

    def months(self) -> list[Period]:
        """The calendar months the period touches, each cut to the period."""
        found, day = [], self.start
        while day <= self.end:
            month = Period.month(day.year, day.month)
            found.append(Period(max(month.start, self.start), min(month.end, self.end)))
            day = month.end + timedelta(days=1)
        return found


def _parse_day(value: str | None, name: str) -> date:
    text = (value or "").strip()
    for fmt in ("%Y-%m-%d", "%d.%m.%Y"):
        try:
            return datetime.strptime(text, fmt).date()
        except ValueError:
            continue
    raise ValidationError("Укажите дату в формате ДД.ММ.ГГГГ.", field=name)


def in_period(column: Any, period: Period) -> sa.ColumnElement[bool]:
    """The date rule as SQL: the record's shop-local day lies in the period."""
    return sa.and_(column >= period.start, column <= period.end)


def _sum(column: Any) -> Any:
    return sa.func.coalesce(sa.func.sum(column), 0)


def _money(value: object) -> Decimal:
    return to_money(Decimal(str(value or 0)))


# --- sales -------------------------------------------------------------------------------------------


@dataclass
class Sales:
    gross_sales: Decimal = ZERO
    discounts: Decimal = ZERO
    points: Decimal = ZERO
    revenue: Decimal = ZERO
    net_revenue: Decimal = ZERO
    output_vat: Decimal = ZERO
    cost_of_goods: Decimal = ZERO
    orders: int = 0

    @property
    def gross_margin(self) -> Decimal:
        return self.net_revenue - self.cost_of_goods


_SALES_COLUMNS = (
    _sum(JournalEntry.gross),
    _sum(JournalEntry.discount),
    _sum(JournalEntry.points),
    _sum(JournalEntry.amount),
    _sum(JournalEntry.net),
    _sum(JournalEntry.vat),
    _sum(JournalEntry.cost),
)


def _sales_row(row: Iterable[Any], orders: int) -> Sales:
    g, d, p, r, n, v, c = (_money(value) for value in list(row)[:7])
    return Sales(g, d, p, r, n, v, c, orders=orders)


def _orders_count(session: Session, period: Period, *where: sa.ColumnElement[bool]) -> int:
    """Sales postings minus returns postings in the period (distinct order and cycle)."""
    postings = (
        sa.select(JournalEntry.order_id, JournalEntry.cycle, JournalEntry.kind)
        .where(JournalEntry.kind.in_(SALE_SIDE), in_period(JournalEntry.day, period), *where)
        .distinct()
        .subquery()
    )
    rows: dict[Any, Any] = dict(
        session.execute(sa.select(postings.c.kind, sa.func.count()).group_by(postings.c.kind)).all()
    )
    return int(rows.get(K.sale.value, rows.get(K.sale, 0)) or 0) - int(
        rows.get(K.sale_return.value, rows.get(K.sale_return, 0)) or 0
    )


def sales(session: Session, period: Period, *where: sa.ColumnElement[bool]) -> Sales:
    """The sales figures of a period (optionally narrowed by extra conditions on the journal)."""
    row = session.execute(
        sa.select(*_SALES_COLUMNS).where(JournalEntry.kind.in_(SALE_SIDE), in_period(JournalEntry.day, period), *where)
    ).one()
    return _sales_row(row, _orders_count(session, period, *where))


def orders_placed(session: Session, period: Period, *where: sa.ColumnElement[bool]) -> int:
    """«Оформлено заказов»: orders placed in the period (any status), optionally narrowed by conditions on them."""
    return int(
        session.scalar(sa.select(sa.func.count(Order.id)).where(in_period(Order.placed_day, period), *where)) or 0
    )


def revenue(session: Session, period: Period) -> Decimal:
    return sales(session, period).revenue


@dataclass
class RateLine:
    rate: Decimal | None  # None: без НДС
    base: Decimal
    vat: Decimal

    @property
    def total(self) -> Decimal:
        return self.base + self.vat


def sales_by_rate(session: Session, period: Period) -> list[RateLine]:
    """VAT base and VAT by rate (highest first, без НДС last)."""
    rows = session.execute(
        sa.select(JournalEntry.vat_rate, _sum(JournalEntry.net), _sum(JournalEntry.vat))
        .where(JournalEntry.kind.in_(SALE_SIDE), in_period(JournalEntry.day, period))
        .group_by(JournalEntry.vat_rate)
    ).all()
    lines: dict[Decimal | None, RateLine] = {}
    for rate, net, vat in rows:
        key = None if rate is None else Decimal(str(rate)).quantize(Decimal("0.01"))
        line = lines.setdefault(key, RateLine(key, ZERO, ZERO))
        line.base += _money(net)
        line.vat += _money(vat)
    return sorted(lines.values(), key=lambda line: (line.rate is None, -(line.rate or 0)))


@dataclass
class CategoryLine:
    category_id: int | None
    name: str
    sales: Sales


def sales_by_category(session: Session, period: Period) -> list[CategoryLine]:
    """Sales by product category (delivery and deleted products under «Доставка и прочее»)."""
    rows = session.execute(
        sa.select(JournalEntry.category_id, sa.func.max(JournalEntry.category_name), *_SALES_COLUMNS)
        .where(JournalEntry.kind.in_(SALE_SIDE), in_period(JournalEntry.day, period))
        .group_by(JournalEntry.category_id)
    ).all()
    lines = []
    for row in rows:
        category_id = row[0]
        where = JournalEntry.category_id.is_(None) if category_id is None else JournalEntry.category_id == category_id
        lines.append(
            CategoryLine(
                category_id,
                row[1] if category_id is not None else "Доставка и прочее",
                _sales_row(row[2:], _orders_count(session, period, where)),
            )
        )
    return sorted(lines, key=lambda line: (line.category_id is None, line.name))


def sales_by_day(session: Session, period: Period) -> dict[date, Decimal]:
    """Revenue (with VAT) per shop-local day, every day of the period present (zeros included)."""
    rows: dict[Any, Any] = dict(
        session.execute(
            sa.select(JournalEntry.day, _sum(JournalEntry.amount))
            .where(JournalEntry.kind.in_(SALE_SIDE), in_period(JournalEntry.day, period))
            .group_by(JournalEntry.day)
        ).all()
    )
    days = (period.end - period.start).days + 1
    return {d: _money(rows.get(d)) for d in (period.start + timedelta(days=i) for i in range(days))}


# --- money received ----------------------------------------------------------------------------------


@dataclass
class Received:
    payments: Decimal = ZERO
    refunds: Decimal = ZERO  # negative

    @property
    def net(self) -> Decimal:
        return self.payments + self.refunds


def received(session: Session, period: Period) -> Received:
    rows: dict[Any, Any] = dict(
        session.execute(
            sa.select(JournalEntry.kind, _sum(JournalEntry.amount))
            .where(JournalEntry.kind.in_(MONEY_SIDE), in_period(JournalEntry.day, period))
            .group_by(JournalEntry.kind)
        ).all()
    )
    by_kind = {JournalKind(k): _money(v) for k, v in rows.items()}
    return Received(by_kind.get(K.payment, ZERO), by_kind.get(K.payment_refund, ZERO))


# --- expenses ----------------------------------------------------------------------------------------


@dataclass
class Expenses:
    amount: Decimal = ZERO
    vat: Decimal = ZERO
    count: int = 0

    @property
    def net(self) -> Decimal:
        return self.amount - self.vat


def expenses(session: Session, period: Period, *where: sa.ColumnElement[bool]) -> Expenses:
    row = session.execute(
        sa.select(_sum(Expense.amount), _sum(Expense.vat_amount), sa.func.count(Expense.id)).where(
            in_period(Expense.day, period), *where
        )
    ).one()
    return Expenses(_money(row[0]), _money(row[1]), int(row[2] or 0))


@dataclass
class ExpenseLine:
    key: int | str | None
    name: str
    expenses: Expenses = field(default_factory=Expenses)


def expenses_by_category(session: Session, period: Period) -> list[ExpenseLine]:
    """Every category (active ones, and any used in the period), zeros included, in the list's order."""
    rows = {
        row[0]: row[1:]
        for row in session.execute(
            sa.select(Expense.category_id, _sum(Expense.amount), _sum(Expense.vat_amount), sa.func.count(Expense.id))
            .where(in_period(Expense.day, period))
            .group_by(Expense.category_id)
        )
    }
    categories = session.execute(
        sa.select(ExpenseCategory.id, ExpenseCategory.name, ExpenseCategory.is_active).order_by(
            ExpenseCategory.position, ExpenseCategory.name
        )
    ).all()
    return [
        ExpenseLine(cid, name, Expenses(_money(rows[cid][0]), _money(rows[cid][1]), int(rows[cid][2])))
        if cid in rows
        else ExpenseLine(cid, name)
        for cid, name, active in categories
        if active or cid in rows
    ]


def expenses_by_supplier(session: Session, period: Period) -> list[ExpenseLine]:
    rows = session.execute(
        sa.select(
            Expense.supplier_inn,
            sa.func.max(Expense.supplier_name),
            _sum(Expense.amount),
            _sum(Expense.vat_amount),
            sa.func.count(Expense.id),
        )
        .where(in_period(Expense.day, period))
        .group_by(Expense.supplier_inn, sa.case((Expense.supplier_inn == "", Expense.supplier_name), else_=""))
    ).all()
    lines = [ExpenseLine(inn, name, Expenses(_money(a), _money(v), int(c))) for inn, name, a, v, c in rows]
    return sorted(lines, key=lambda line: (-line.expenses.amount, line.name))


# --- receivables -------------------------------------------------------------------------------------


@dataclass
class Balance:
    """An order whose realisation and payment differ on a day: a debt (realised, not paid) or an advance."""

    order_id: int
    order_number: str
    customer_id: int
    customer_name: str
    company_id: int | None
    company_name: str
    realised: Decimal
    paid: Decimal
    since: date  # the day of the open sale (a debt) or payment (an advance)

    @property
    def debt(self) -> Decimal:
        return max(self.realised - self.paid, ZERO)

    @property
    def advance(self) -> Decimal:
        return max(self.paid - self.realised, ZERO)

    def age(self, as_of: date) -> int:
        return (as_of - self.since).days


def balances(session: Session, as_of: date) -> list[Balance]:
    """Every order realised and not paid, or paid and not realised, as of the end of `as_of`."""
    realised = _sum(sa.case((JournalEntry.kind.in_(SALE_SIDE), JournalEntry.amount), else_=0))
    paid = _sum(sa.case((JournalEntry.kind.in_(MONEY_SIDE), JournalEntry.amount), else_=0))
    last_sale = sa.func.max(sa.case((JournalEntry.kind == K.sale, JournalEntry.day), else_=None))
    last_payment = sa.func.max(sa.case((JournalEntry.kind == K.payment, JournalEntry.day), else_=None))
    per_order = (
        sa.select(
            JournalEntry.order_id,
            sa.func.max(JournalEntry.order_number).label("number"),
            sa.func.max(JournalEntry.customer_id).label("customer_id"),
            sa.func.max(JournalEntry.company_id).label("company_id"),
            realised.label("realised"),
            paid.label("paid"),
            last_sale.label("sale_day"),
            last_payment.label("payment_day"),
        )
        .where(JournalEntry.day <= as_of)
        .group_by(JournalEntry.order_id)
        .subquery()
    )
    rows = session.execute(
        sa.select(per_order, Customer.full_name, Customer.email, Company.short_name)
        .join(Customer, Customer.id == per_order.c.customer_id)
        .outerjoin(Company, Company.id == per_order.c.company_id)
        .where(sa.func.round(per_order.c.realised - per_order.c.paid, 2) != 0)
        .order_by(per_order.c.order_id)
    ).all()
    found = []
    for row in rows:
        realised_sum, paid_sum = _money(row.realised), _money(row.paid)
        since = row.sale_day if realised_sum > paid_sum else row.payment_day
        found.append(
            Balance(
                order_id=row.order_id,
                order_number=row.number,
                customer_id=row.customer_id,
                customer_name=row.full_name or row.email,
                company_id=row.company_id,
                company_name=row.short_name or "",
                realised=realised_sum,
                paid=paid_sum,
                since=_as_date(since) or as_of,
            )
        )
    return found


def _as_date(value: object) -> date | None:
    if value is None or isinstance(value, date):
        return value  # type: ignore[return-value]
    return date.fromisoformat(str(value)[:10])
