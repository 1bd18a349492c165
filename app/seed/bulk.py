"""Bulk data: many customers and orders over a period, priced by the catalog rules, inserted in batches."""

from __future__ import annotations

import bisect
import json
import logging
import random
import time
import uuid
from collections.abc import Callable, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import nullcontext
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any, Literal

import sqlalchemy as sa
from flask import current_app, has_app_context
from flask_security.utils import hash_password
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session, scoped_session, selectinload

from app.models import (
    BulkRun,
    Category,
    Customer,
    DeliveryMethod,
    LineKind,
    OptionGroup,
    Order,
    OrderHistory,
    OrderLine,
    OrderNumberCounter,
    OrderStatus,
    PaymentMethod,
    PaymentStatus,
    Product,
    PromoCode,
    PromoKind,
    PromoRedemption,
    VatCategory,
)
from app.seed import demo as seed_demo
from app.services.accounting import journal, rollups
from app.services.actors import Actor
from app.services.bulk_write import copy_rows, unnamed_defaults
from app.services.catalog import products as catalog_products
from app.services.catalog import promo as promo_service
from app.services.errors import ValidationError
from app.services.money import ZERO, allocate, extract_vat
from app.services.orders import lifecycle
from app.services.orders.pricing import delivery_price
from app.services.shoptime import now as shop_now
from app.services.shoptime import shop_tz

log = logging.getLogger(__name__)

BATCH_ORDERS = 10_000  # orders per transaction (with their customers, lines and history)
BATCH_CUSTOMERS = 20_000  # customers without orders, per transaction
ACTOR = Actor.system("bulk")
PASSWORD = seed_demo.DEMO_PASSWORD  # every bulk customer can log in with the demo password

# Told after each committed batch: (orders written, orders asked for, seconds since the start).
Progress = Callable[[int, int, float], None]

HOUR = 3600.0
DAY = 86400.0

# Share of orders offered a promo code (about 10 % end up with one: the rest fall short of its minimum),
# and the codes created for them when missing.
PROMO_SHARE = 0.15
BULK_PROMOS = [
    ("BULK10", "Скидка 10 % (нагрузочные данные)", PromoKind.percent, Decimal("10"), Decimal("0")),
    (
        "BULK15",
        "Скидка 15 % на заказ от 5 000 ₽ (нагрузочные данные)",
        PromoKind.percent,
        Decimal("15"),
        Decimal("5000"),
    ),
    ("BULK300", "300 ₽ на заказ от 2 000 ₽ (нагрузочные данные)", PromoKind.fixed, Decimal("300"), Decimal("2000")),
]

# Repeat customers: each customer's chance to be the one placing a repeat order is a Pareto weight
# (alpha 0.8, capped), so most order 1–3 times and a few (agencies, companies) hundreds of times.
PARETO_ALPHA = 0.8
PARETO_CAP = 100.0
COMPANY_SHARE = 0.15  # customers that are companies: heavier weight, bigger runs, pay by invoice

# Seasonality of the order flow.
MONTH_FACTOR = (0.7, 0.9, 1.0, 1.0, 0.85, 0.9, 0.8, 0.85, 1.1, 1.15, 1.2, 1.35)
WEEKDAY_FACTOR = (1.15, 1.2, 1.2, 1.15, 1.05, 0.5, 0.35)
YEARLY_GROWTH = 1.25
# Orders by hour of the shop day (0–23).
HOUR_WEIGHTS = (0.3, 0.2, 0.1, 0.1, 0.1, 0.2, 0.5, 1, 2, 5, 8, 9, 9, 8, 9, 9, 8, 7, 5, 4, 4, 3, 2, 1)

LINES_PER_ORDER = ((1, 70), (2, 20), (3, 7), (4, 3))
P_CANCEL = 0.06
P_REFUND = 0.015
P_COMMENT = 0.05

FIRST_NAMES_M = (
    "Александр",
    "Дмитрий",
    "Максим",
    "Сергей",
    "Андрей",
    "Алексей",
    "Артём",
    "Илья",
    "Кирилл",
    "Михаил",
    "Никита",
    "Иван",
    "Егор",
    "Роман",
    "Павел",
    "Владимир",
    "Олег",
    "Николай",
)
FIRST_NAMES_F = (
    "Анна",
    "Мария",
    "Елена",
    "Ольга",
    "Наталья",
    "Татьяна",
    "Екатерина",
    "Ирина",
    "Светлана",
    "Юлия",
    "Дарья",
    "Алина",
    "Ксения",
    "Виктория",
    "Полина",
    "Марина",
    "Софья",
    "Вера",
)
SURNAMES = (
    "Иванов",
    "Смирнов",
    "Кузнецов",
    "Попов",
    "Васильев",
    "Петров",
    "Соколов",
    "Михайлов",
    "Новиков",
    "Фёдоров",
    "Морозов",
    "Волков",
    "Алексеев",
    "Лебедев",
    "Семёнов",
    "Егоров",
    "Павлов",
    "Козлов",
    "Степанов",
    "Николаев",
    "Орлов",
    "Андреев",
    "Макаров",
    "Никитин",
    "Захаров",
    "Зайцев",
    "Соловьёв",
    "Борисов",
    "Яковлев",
    "Григорьев",
    "Романов",
    "Воробьёв",
    "Сергеев",
    "Кузьмин",
    "Фролов",
)
COMPANIES = (
    "Ромашка",
    "Вектор",
    "Альфа-Принт",
    "Северный ветер",
    "Гранит",
    "Техностиль",
    "Меридиан",
    "Лотос",
    "Атлант",
    "Радуга",
    "Солнечный город",
    "Медиа Плюс",
    "Кофейня на углу",
    "Пекарня №1",
    "СтройДом",
    "Зелёный сад",
    "Арт-студия Линия",
    "Фитнес Лайф",
    "Автомир",
    "Книжная лавка",
)
COMPANY_FORMS = ("ООО", "ООО", "ООО", "ИП", "АО")
CITIES = (
    ("Москва", "101000"),
    ("Москва", "115114"),
    ("Москва", "125009"),
    ("Санкт-Петербург", "190000"),
    ("Казань", "420111"),
    ("Екатеринбург", "620014"),
    ("Новосибирск", "630099"),
    ("Нижний Новгород", "603005"),
    ("Самара", "443010"),
    ("Краснодар", "350000"),
    ("Воронеж", "394036"),
    ("Тверь", "170100"),
)
STREETS = (
    "ул. Ленина",
    "ул. Тверская",
    "пр. Мира",
    "ул. Садовая",
    "Невский пр.",
    "ул. Гагарина",
    "ул. Пушкина",
    "ул. Советская",
    "Ленинградский пр.",
    "ул. Профсоюзная",
    "ул. Баумана",
    "ул. Красная",
    "ул. Лесная",
)
COMMENTS = (
    "Позвоните, пожалуйста, перед доставкой.",
    "Нужен счёт на организацию.",
    "Срочно, нужно к пятнице.",
    "Упакуйте, пожалуйста, по 100 шт.",
    "Проверьте макет — не уверен в вылетах.",
    "Цвета как в прошлом заказе.",
    "Въезд во двор с улицы, код домофона 24.",
)
CANCEL_COMMENTS = (
    "",
    "",
    "Покупатель передумал.",
    "Не получили оплату.",
    "Покупатель оформил новый заказ.",
    "Макет не прошёл проверку.",
)

CUSTOMER_COLS = (
    "id",
    "email",
    "password",
    "active",
    "fs_uniquifier",
    "confirmed_at",
    "full_name",
    "phone",
    "blocked_reason",
    "created_at",
)
ORDER_COLS = (
    "id",
    "number",
    "customer_id",
    "status",
    "payment_status",
    "payment_method",
    "delivery_method",
    "contact_name",
    "contact_email",
    "contact_phone",
    "delivery_address",
    "comment",
    "promo_code_id",
    "promo_code_text",
    "goods_total",
    "discount_total",
    "total",
    "vat_total",
    "points_paid",
    "amount_due",
    "created_at",
    "updated_at",
    "confirmed_at",
    "ready_at",
    "shipped_at",
    "completed_at",
    "cancelled_at",
    "paid_at",
    "refunded_at",
    "placed_day",
)
REDEMPTION_COLS = ("promo_code_id", "customer_id", "order_id", "seq", "created_at")
LINE_COLS = (
    "order_id",
    "position",
    "kind",
    "product_id",
    "product_name",
    "options",
    "quantity",
    "unit_price",
    "gross_amount",
    "discount",
    "total",
    "vat_rate",
    "vat_amount",
    "net_amount",
    "category_id",  # as the order line trigger fills it from the product (the triggers are off in a batch)
)
HISTORY_COLS = ("order_id", "created_at", "actor_kind", "actor_name", "field", "old_value", "new_value", "comment")

S = OrderStatus
PRODUCT, DELIVERY = LineKind.product.value, LineKind.delivery.value
Row = tuple[Any, ...]


# --- writers: how rows reach the database ---------------------------------------------------------


class _Writer:
    """Core `insert()` executemany: portable (SQLite, PostgreSQL); ids of parents are reserved first."""

    def __init__(self, session: Session) -> None:
        self.session = session
        self.dialect = session.get_bind().dialect.name
        self._sequences: dict[str, str] = {}
        self.pause_rollups = False

    def reserve_ids(self, table: sa.Table, count: int) -> list[int]:
        if count == 0:
            return []
        if self.dialect == "postgresql":
            if table.name not in self._sequences:
                self._sequences[table.name] = self.session.execute(
                    sa.select(sa.func.pg_get_serial_sequence(table.name, "id"))
                ).scalar_one()
            ids = self.session.execute(
                sa.select(sa.func.nextval(self._sequences[table.name])).select_from(sa.func.generate_series(1, count))
            ).scalars()
            return sorted(ids)
        # SQLite (one writer at a time): continue after the highest id, re-read at every batch.
        start = (self.session.scalar(sa.select(sa.func.max(table.c.id))) or 0) + 1
        return list(range(start, start + count))

    def json(self, value: list) -> Any:
        return value

    def write(self, table: sa.Table, columns: Sequence[str], rows: list[Row]) -> None:
        if rows:
            self.session.execute(sa.insert(table), [dict(zip(columns, row, strict=True)) for row in rows])


class _CopyWriter(_Writer):
    """PostgreSQL COPY ... FROM STDIN on the session's own connection (same transaction).

    Columns the generator does not fill but the model gives a constant default (a flag added later,
    say) are sent with that default, as an ORM or Core insert would.
    """

    def __init__(self, session: Session) -> None:
        super().__init__(session)
        self.pause_rollups = rollups.can_pause(session)

    def json(self, value: list) -> Any:
        return json.dumps(value, ensure_ascii=False)

    def write(self, table: sa.Table, columns: Sequence[str], rows: list[Row]) -> None:
        if not rows:
            return
        extra = unnamed_defaults(table, columns, skip_computed=True) or {}
        tail = tuple(extra.values())
        copy_rows(self.session, table, [*columns, *extra], (row + tail for row in rows) if tail else rows)


# --- catalog snapshot and pricing ---------------------------------------------------------------


@dataclass
class _Group:
    required: bool
    multiple: bool
    default_id: int | None
    value_ids: list[int]


@dataclass
class _Product:
    id: int
    name: str
    category_id: int
    vat_category: VatCategory
    production_days: int
    tiers: list[int]
    tier_cum_private: list[float]
    tier_cum_company: list[float]
    groups: list[_Group]


@dataclass
class _Quote:
    gross: Decimal
    unit_price: Decimal
    options: Any  # the options snapshot, as the writer wants it (list or JSON text)


def _cumulative(weights: Sequence[float]) -> list[float]:
    total, out = 0.0, []
    for w in weights:
        total += w
        out.append(total)
    return out


def _load_products(session: Session) -> tuple[list[_Product], dict[int, Product]]:
    rows = list(
        session.scalars(
            sa.select(Product)
            .join(Product.category)
            .where(Product.is_active.is_(True), Category.is_active.is_(True))
            .options(
                selectinload(Product.option_groups).selectinload(OptionGroup.values),
                selectinload(Product.price_tiers),
                selectinload(Product.category),
            )
            .order_by(Category.position, Product.position, Product.id)
        )
    )
    snapshots, objects = [], {}
    for product in rows:
        tiers = sorted(t.quantity for t in product.price_tiers)
        groups = []
        usable = bool(tiers)
        for group in product.option_groups:
            active = [v for v in group.values if v.is_active]
            if group.is_required and not active:
                usable = False
            default = next((v.id for v in active if v.is_default), active[0].id if active else None)
            groups.append(_Group(group.is_required, group.is_multiple, default, [v.id for v in active]))
        if not usable:
            continue
        snapshots.append(
            _Product(
                id=product.id,
                name=product.name,
                category_id=product.category_id,
                vat_category=product.vat_category,
                production_days=product.production_days,
                tiers=tiers,
                tier_cum_private=_cumulative([(j + 1) ** -0.8 for j in range(len(tiers))]),
                tier_cum_company=_cumulative([(j + 1) ** -0.2 for j in range(len(tiers))]),
                groups=groups,
            )
        )
        objects[product.id] = product
    return snapshots, objects


# --- people -----------------------------------------------------------------------------------------

_M64 = (1 << 64) - 1


def _mix(x: int) -> int:
    """splitmix64: a cheap deterministic hash, so a customer's details follow from its number alone."""
    x = (x + 0x9E3779B97F4A7C15) & _M64
    x = ((x ^ (x >> 30)) * 0xBF58476D1CE4E5B9) & _M64
    x = ((x ^ (x >> 27)) * 0x94D049BB133111EB) & _M64
    return x ^ (x >> 31)


@dataclass(frozen=True)
class _Person:
    email: str
    full_name: str
    contact_name: str
    phone: str
    is_company: bool
    courier_address: str
    post_address: str


def _person(seed: int, number: int) -> _Person:
    h = _mix(seed * 1_000_003 + number)
    female = h & 1
    h >>= 1
    names = FIRST_NAMES_F if female else FIRST_NAMES_M
    first = names[h % len(names)]
    h //= len(names)
    surname = SURNAMES[h % len(SURNAMES)]
    h //= len(SURNAMES)
    if female:
        surname = surname + "а"
    name = f"{first} {surname}"
    is_company = (h % 1000) < COMPANY_SHARE * 1000
    h //= 1000
    full_name = name
    if is_company:
        form = COMPANY_FORMS[h % len(COMPANY_FORMS)]
        h //= len(COMPANY_FORMS)
        full_name = f"{name} ({form} «{COMPANIES[h % len(COMPANIES)]}»)" if form != "ИП" else f"ИП {name}"
        h //= len(COMPANIES)
    city, index = CITIES[h % len(CITIES)]
    h //= len(CITIES)
    street = STREETS[h % len(STREETS)]
    h //= len(STREETS)
    house, flat = 1 + h % 120, 1 + (h >> 8) % 300
    address = f"{city}, {street}, д. {house}" + ("" if is_company else f", кв. {flat}")
    phone = f"+79{_mix(h) % 1_000_000_000:09d}"
    return _Person(
        email=f"bulk-{seed}-{number}@example.ru",
        full_name=full_name,
        contact_name=name,
        phone=phone,
        is_company=is_company,
        courier_address=address,
        post_address=f"{index}, {address}",
    )


# --- the order flow over time -------------------------------------------------------------------


def _day_counts(rng: random.Random, days: list[date], total: int, today_fraction: float) -> list[int]:
    """How many orders each day gets: weekday × month × growth × noise, summing exactly to `total`."""
    weights = []
    for i, day in enumerate(days):
        w = WEEKDAY_FACTOR[day.weekday()] * MONTH_FACTOR[day.month - 1]
        if day.month == 1 and day.day <= 8:
            w *= 0.3  # New Year holidays
        w *= YEARLY_GROWTH ** (i / 365.0)
        w *= rng.lognormvariate(0.0, 0.15)
        weights.append(w)
    weights[-1] *= today_fraction
    weight_sum = sum(weights)
    exact = [total * w / weight_sum for w in weights]
    counts = [int(x) for x in exact]
    leftover = total - sum(counts)
    for i in sorted(range(len(days)), key=lambda i: (counts[i] - exact[i], i))[:leftover]:
        counts[i] += 1
    return counts


_HOUR_CUM = _cumulative(HOUR_WEIGHTS)


def _seconds_in_day(rng: random.Random, count: int, limit: float, day_length: float) -> list[float]:
    """`count` sorted moments (seconds after local midnight) with the shop's hourly profile, all < limit."""
    scale = day_length / DAY
    total = _HOUR_CUM[-1]
    limit_hours = limit / scale / HOUR
    h = int(limit_hours)
    upper = total if h >= 24 else (_HOUR_CUM[h - 1] if h else 0.0) + HOUR_WEIGHTS[h] * (limit_hours - h)
    out = []
    for _ in range(count):
        target = rng.random() * upper
        hour = bisect.bisect_right(_HOUR_CUM, target)
        hour = min(hour, 23)
        below = _HOUR_CUM[hour - 1] if hour else 0.0
        out.append(min((hour + (target - below) / HOUR_WEIGHTS[hour]) * HOUR * scale, limit - 0.001))
    out.sort()
    return out


@dataclass
class _Life:
    """What has happened to an order by now: its status, payment, timestamps, and history events."""

    status: OrderStatus = S.new
    payment: PaymentStatus = PaymentStatus.unpaid
    stamps: dict[str, float] = field(default_factory=dict)
    events: list[tuple[float, str, str | None, str | None, str]] = field(default_factory=list)
    updated: float = 0.0
    promo_released: bool = False


def _lifecycle(
    rng: random.Random,
    created: float,
    now: float,
    production_days: int,
    delivery: DeliveryMethod,
    payment: PaymentMethod,
) -> _Life:
    """Play the order through the state machine with realistic delays and stop at `now`."""
    lognorm = rng.lognormvariate
    confirmed = created + HOUR * min(lognorm(0.5, 0.8), 72.0)
    paid: float | None = None
    prepaid = payment == PaymentMethod.invoice and rng.random() < 0.85
    if prepaid:
        paid = confirmed + DAY * min(lognorm(-0.7, 1.0), 20.0)
        production = paid + HOUR * min(lognorm(1.0, 0.7), 48.0)
    else:
        production = confirmed + HOUR * min(lognorm(1.0, 0.7), 48.0)
    ready = production + DAY * max(0.2, production_days * (0.6 + 0.8 * rng.random()))
    if delivery == DeliveryMethod.pickup:
        handover_status = S.handed_over
        handover = ready + DAY * min(lognorm(0.0, 1.0), 30.0)
        completed = handover + HOUR * min(lognorm(1.5, 1.0), 240.0)
    else:
        handover_status = S.shipped
        handover = ready + HOUR * min(lognorm(2.5, 0.6), 72.0)
        completed = handover + (
            HOUR * min(lognorm(1.5, 0.6), 48.0)
            if delivery == DeliveryMethod.courier
            else DAY * min(lognorm(1.6, 0.4), 30.0)
        )
    if payment == PaymentMethod.on_receipt:
        paid = handover if delivery == DeliveryMethod.pickup else completed
    elif not prepaid:
        paid = min(handover + DAY * lognorm(0.0, 1.0), completed - 60.0)

    stages: list[tuple[float, OrderStatus]] = [
        (confirmed, S.confirmed),
        (production, S.in_production),
        (ready, S.ready),
        (handover, handover_status),
        (completed, S.completed),
    ]
    cancelled_at: float | None = None
    refunded_at: float | None = None
    if rng.random() < P_CANCEL:
        # Cancelled while new (most often), confirmed, in production or ready.
        stage = rng.choices((0, 1, 2, 3), (55, 25, 15, 5))[0]
        begin = created if stage == 0 else stages[stage - 1][0]
        cancelled_at = begin + (stages[stage][0] - begin) * rng.random()
        stages = stages[:stage]
        if paid is not None and paid < cancelled_at:
            refunded_at = cancelled_at + DAY * min(lognorm(0.0, 0.8), 14.0)  # paid, then cancelled: money back
        else:
            paid = None
    elif rng.random() < P_REFUND:
        refunded_at = completed + DAY * (1.0 + 29.0 * rng.random())

    planned: list[tuple[float, int, OrderStatus | None, str]] = [(m, 0, t, "") for m, t in stages]
    if cancelled_at is not None:
        planned.append((cancelled_at, 0, S.cancelled, rng.choice(CANCEL_COMMENTS)))
    if paid is not None:
        planned.append((paid, 1, None, ""))  # payment received
    if refunded_at is not None:
        planned.append((refunded_at, 2, S.refunded, "Возврат денег покупателю."))
    planned.sort(key=lambda e: (e[0], e[1]))
    return _replay(created, now, delivery, planned)


def _replay(
    created: float, now: float, delivery: DeliveryMethod, planned: list[tuple[float, int, OrderStatus | None, str]]
) -> _Life:
    """Take the planned events up to `now` through the state machine's rules (`lifecycle.transition_refusal`,
    `payment_refusal`, `status_entry_values`) — a generator bug cannot produce an order the shop could not."""
    life = _Life(updated=created)
    life.events.append((created, "created", None, S.new.value, ""))
    for moment, _, target, comment in planned:
        if moment > now:
            break
        if target is None:
            if lifecycle.payment_refusal(life.status, life.payment) is None:
                life.events.append((moment, "payment_status", "unpaid", "paid", ""))
                life.payment = PaymentStatus.paid
                life.stamps["paid_at"] = moment
            continue
        if target == S.refunded and life.payment != PaymentStatus.paid:
            continue  # cancelled before it was paid: nothing to give back
        refusal = lifecycle.transition_refusal(
            life.status, target, delivery_method=delivery, payment_status=life.payment
        )
        if refusal is not None:
            raise AssertionError(f"bulk generator planned a forbidden transition: {refusal}")
        life.events.append((moment, "status", life.status.value, target.value, comment))
        for column in lifecycle.status_entry_values(target, _ts(moment)):
            if column == "status":
                life.status = target
            elif column == "payment_status":
                life.events.append((moment, "payment_status", life.payment.value, "refunded", comment))
                life.payment = PaymentStatus.refunded
            else:
                life.stamps[column] = moment
        if target == S.cancelled:
            life.promo_released = True
    life.updated = life.events[-1][0]
    return life


# --- the generator ------------------------------------------------------------------------------


@dataclass
class _Batch:
    """Rows of up to BATCH_ORDERS orders, referring to customers by index and to orders by position."""

    new_customers: list[int] = field(default_factory=list)  # indexes of the customers below
    customers: list[Row] = field(default_factory=list)
    orders: list[Row] = field(default_factory=list)
    lines: list[Row] = field(default_factory=list)
    history: list[Row] = field(default_factory=list)
    promo_uses: dict[int, int] = field(default_factory=dict)


@dataclass
class _Stats:
    customers: int = 0
    orders: int = 0
    lines: int = 0
    history: int = 0


class _Loader:
    """Writes batches in order, one transaction each: ids reserved, customers, orders, lines, history."""

    def __init__(
        self, writer: _Writer, total_orders: int, started: float, progress: Progress | None, run: BulkRun
    ) -> None:
        self.progress = progress
        self.run_id = run.id
        self.skip_orders = 0  # orders of batches an interrupted run committed (resume)
        self.posted = journal.BackfillReport()
        self.writer = writer
        self.session = writer.session
        self.customer_ids: dict[int, int] = {}
        self.stats = _Stats()
        self.total_orders = total_orders
        self.started = started

    def skip_committed(self, first_number: int, customers: int, seed: int) -> None:
        """Resuming: the customers already written keep their ids; the orders already written are not again."""
        run = self.session.get(BulkRun, self.run_id)
        assert run is not None
        self.skip_orders = run.orders_done
        prefix = f"bulk-{seed}-"
        for customer_id, email in self.session.execute(
            sa.select(Customer.id, Customer.email).where(Customer.email.like(f"{prefix}%@example.ru"))
        ):
            number = int(email[len(prefix) :].split("@", 1)[0])
            if first_number <= number < first_number + customers:
                self.customer_ids[number - first_number] = customer_id
        self.stats.customers = len(self.customer_ids)
        self.session.commit()

    def load(self, batch: _Batch) -> None:
        try:
            self._load(batch)
        except BaseException:
            self.session.rollback()
            raise

    def _load(self, batch: _Batch) -> None:
        writer, customer_ids = self.writer, self.customer_ids
        if batch.orders and self.skip_orders >= len(batch.orders):
            self.skip_orders -= len(batch.orders)  # committed by the interrupted run
            self._committed(0, len(batch.orders), 0, 0)
            return
        customer_table: sa.Table = Customer.__table__  # type: ignore[assignment]
        order_table: sa.Table = Order.__table__  # type: ignore[assignment]
        new_customers = [index for index in batch.new_customers if index not in customer_ids]
        if not batch.orders and not new_customers:
            return
        for index, db_id in zip(new_customers, writer.reserve_ids(customer_table, len(new_customers)), strict=True):
            customer_ids[index] = db_id
        order_ids = writer.reserve_ids(order_table, len(batch.orders))
        fresh = set(new_customers)
        customer_rows = [(customer_ids[row[0]], *row[1:]) for row in batch.customers if row[0] in fresh]
        order_rows = [
            (db_id, row[1], customer_ids[row[2]], *row[3:]) for db_id, row in zip(order_ids, batch.orders, strict=True)
        ]
        line_rows = [(order_ids[row[0]], *row[1:]) for row in batch.lines]
        history_rows = [(order_ids[row[0]], *row[1:]) for row in batch.history]
        writer.write(customer_table, CUSTOMER_COLS, customer_rows)
        # The dashboard rollups are rebuilt once at the end, not upserted per order and journal entry.
        with rollups.triggers_off(self.session) if writer.pause_rollups else nullcontext():
            writer.write(order_table, ORDER_COLS, order_rows)
            writer.write(OrderLine.__table__, LINE_COLS, line_rows)  # type: ignore[arg-type]
            writer.write(OrderHistory.__table__, HISTORY_COLS, history_rows)  # type: ignore[arg-type]
            if order_ids:  # the batch's journal, from the orders' own dates, in the batch's transaction
                self.posted.add(journal.backfill(self.session, actor=ACTOR, id_range=(order_ids[0], order_ids[-1])))
        # Each order holding a promo use has its redemption (the bulk codes have no per-customer limit: no seq).
        columns = dict(zip(ORDER_COLS, range(len(ORDER_COLS)), strict=True))
        redemption_rows = [
            (row[columns["promo_code_id"]], row[columns["customer_id"]], row[0], None, row[columns["created_at"]])
            for row in order_rows
            if row[columns["promo_code_id"]] is not None and row[columns["status"]] != OrderStatus.cancelled.value
        ]
        writer.write(PromoRedemption.__table__, REDEMPTION_COLS, redemption_rows)  # type: ignore[arg-type]
        for promo_id, uses in batch.promo_uses.items():
            self.session.execute(
                sa.update(PromoCode)
                .where(PromoCode.id == promo_id)
                .values(times_used=PromoCode.times_used + uses)
                .execution_options(synchronize_session=False)
            )
        self.session.execute(
            sa.update(BulkRun)
            .where(BulkRun.id == self.run_id)
            .values(
                orders_done=BulkRun.orders_done + len(order_rows),
                customers_done=BulkRun.customers_done + len(customer_rows),
            )
        )
        self.session.commit()
        self._committed(len(customer_rows), len(order_rows), len(line_rows), len(history_rows))

    def _committed(self, customers: int, orders: int, lines: int, history: int) -> None:
        stats = self.stats
        before = stats.orders
        stats.customers += customers
        stats.orders += orders
        stats.lines += lines
        stats.history += history
        if stats.orders // 100_000 > before // 100_000:
            log.info("bulk: %d/%d orders, %.1f s", stats.orders, self.total_orders, time.perf_counter() - self.started)
        if self.progress is not None:
            self.progress(stats.orders, self.total_orders, time.perf_counter() - self.started)


def _ts(moment: float | None) -> datetime | None:
    return None if moment is None else datetime.fromtimestamp(moment, UTC)


def _validate(customers: int, orders: int, days: int) -> None:
    if customers < 1:
        raise ValidationError("Число покупателей должно быть не меньше 1.", field="customers")
    if orders < 0:
        raise ValidationError("Число заказов не может быть отрицательным.", field="orders")
    if not 1 <= days <= 3650:
        raise ValidationError("Период должен быть от 1 до 3650 дней.", field="days")


def _ensure_catalog(session: Session) -> None:
    if session.scalar(sa.select(sa.func.count()).select_from(Product)) == 0:
        seed_demo.load_vat_rates(session)
        seed_demo.load_catalog(session)
        session.commit()


def _ensure_promos(session: Session) -> list[tuple[int, str, PromoCode]]:
    """The bulk promo codes (created when missing) as (id, code, a detached copy for discount_for)."""
    out = []
    for code, description, kind, value, min_total in BULK_PROMOS:
        found = session.scalar(sa.select(PromoCode).where(PromoCode.code == code))
        if found is None:
            found = PromoCode(code=code, description=description, kind=kind, value=value, min_order_total=min_total)
            session.add(found)
            session.flush()
        out.append(
            (found.id, found.code, PromoCode(kind=found.kind, value=found.value, min_order_total=found.min_order_total))
        )
    session.commit()
    return out


def _reserve_numbers(session: Session, per_year: dict[int, int]) -> dict[int, int]:
    """Take `n` order numbers of each year from the counter at once; returns the first number of each year."""
    dialect = session.get_bind().dialect.name
    first = {}
    for year, count in sorted(per_year.items()):
        if count == 0:
            continue
        insert = (postgresql.insert if dialect == "postgresql" else sqlite.insert)(OrderNumberCounter)
        session.execute(insert.values(year=year, last_value=0).on_conflict_do_nothing(index_elements=["year"]))
        last = session.execute(
            sa.update(OrderNumberCounter)
            .where(OrderNumberCounter.year == year)
            .values(last_value=OrderNumberCounter.last_value + count)
            .returning(OrderNumberCounter.last_value)
            .execution_options(synchronize_session=False)
        ).scalar_one()
        first[year] = last - count + 1
    session.commit()
    return first


def _next_customer_number(session: Session, seed: int) -> int:
    """Bulk emails are bulk-<seed>-<n>@example.ru; a second run with the same seed continues after the last n."""
    prefix = f"bulk-{seed}-"
    last = session.scalar(
        sa.select(Customer.email)
        .where(Customer.email.like(f"{prefix}%@example.ru"))
        .order_by(sa.func.length(Customer.email).desc(), Customer.email.desc())
        .limit(1)
    )
    if last is None:
        return 1
    try:
        return int(last[len(prefix) :].split("@", 1)[0]) + 1
    except ValueError:
        return 1


def generate(
    session: Session,
    *,
    customers: int,
    orders: int,
    days: int,
    seed: int,
    method: Literal["auto", "copy", "insert"] = "auto",
    progress: Progress | None = None,
) -> str:
    """Create `customers` customers and `orders` orders spread over the `days` days ending today.

    Orders are priced by the catalog rules (catalog.quote, promo.discount_for, money.allocate,
    money.extract_vat with the VAT rate of the order's day), numbered from the year counters and
    played through the status state machine up to now. Rows go in by COPY on PostgreSQL (or Core
    executemany elsewhere, or when `method="insert"`), committed every BATCH_ORDERS orders; with
    COPY a background thread writes one batch while the next is generated.
    Repeatable for a seed, backend and moment (the day counts and statuses depend on the current time,
    and on SQLite some draws are repeated, see below); running it again adds new customers and orders.
    A failure keeps the batches already committed, each whole, and the run's record (`BulkRun`) says how far
    it got: `resume` continues it. `progress` is told after each batch.
    """
    _validate(customers, orders, days)
    session = session() if isinstance(session, scoped_session) else session
    dialect = session.get_bind().dialect.name
    use_copy = method == "copy" or (method == "auto" and dialect == "postgresql")
    if use_copy and dialect != "postgresql":
        raise ValidationError("Загрузка через COPY доступна только на PostgreSQL.")
    _ensure_catalog(session)
    run = BulkRun(
        seed=seed,
        customers=customers,
        orders=orders,
        days=days,
        method="copy" if use_copy else "insert",
        moment=shop_now(),
        first_customer_number=_next_customer_number(session, seed),
    )
    return _run(session, run, progress, resuming=False)


def last_unfinished(session: Session) -> BulkRun | None:
    return session.scalar(sa.select(BulkRun).where(BulkRun.finished_at.is_(None)).order_by(BulkRun.id.desc()))


def resume(session: Session, *, progress: Progress | None = None) -> str:
    """Continue the last run that did not finish, with its own parameters and moment: the batches it committed
    are generated again (the same random draws) but not written; the rest are written, then the journal."""
    session = session() if isinstance(session, scoped_session) else session
    run = last_unfinished(session)
    if run is None:
        raise ValidationError("Прерванной загрузки нет — продолжать нечего.")
    if run.method == "copy" and session.get_bind().dialect.name != "postgresql":
        raise ValidationError("Загрузка начиналась через COPY — продолжить её можно только на PostgreSQL.")
    return _run(session, run, progress, resuming=True)


def _run(session: Session, run: BulkRun, progress: Progress | None, *, resuming: bool) -> str:
    customers, orders, days, seed = run.customers, run.orders, run.days, run.seed
    started = time.perf_counter()
    rng = random.Random(seed)
    dialect = session.get_bind().dialect.name
    use_copy = run.method == "copy"
    writer: _Writer = _CopyWriter(session) if use_copy else _Writer(session)

    promos = _ensure_promos(session)
    first_number = run.first_customer_number
    password_hash = hash_password(PASSWORD)

    tz = shop_tz()
    now_dt = run.moment
    now = now_dt.timestamp()
    today = now_dt.astimezone(tz).date()
    day_list = [today - timedelta(days=days - 1 - i) for i in range(days)]
    period_start = datetime(day_list[0].year, day_list[0].month, day_list[0].day, tzinfo=tz).timestamp()
    today_midnight = datetime(today.year, today.month, today.day, tzinfo=tz).timestamp()
    counts = _day_counts(rng, day_list, orders, max((now - today_midnight) / DAY, 0.01))

    # Catalog reads (quotes, VAT rates) go through their own session when a thread writes.
    reader = Session(bind=session.get_bind(), expire_on_commit=False) if use_copy else session
    executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="bulk-writer") if use_copy else None
    pending: Future[None] | None = None
    try:
        products, product_objects = _load_products(reader)
        if not products and orders:
            raise ValidationError("В каталоге нет активных товаров — заказы создать не из чего.")

        vat_cache: dict[tuple[VatCategory, date], Decimal | None] = {}

        def vat(category: VatCategory, day: date) -> Decimal | None:
            key = (category, day)
            if key not in vat_cache:
                vat_cache[key] = catalog_products.vat_rate_for(reader, category, day)
            return vat_cache[key]

        # Every rate needed, read through the catalog rule before anything is written (a gap fails here).
        categories = {p.vat_category for p in products} | {VatCategory.standard}
        for day, count in zip(day_list, counts, strict=True):
            if count:
                for category in categories:
                    vat(category, day)

        quote_cache: dict[tuple[int, int, tuple[int, ...]], _Quote] = {}

        def price(product: _Product, quantity: int, ids: tuple[int, ...]) -> _Quote:
            key = (product.id, quantity, ids)
            found = quote_cache.get(key)
            if found is None:
                q = catalog_products.quote(
                    reader, product=product_objects[product.id], quantity=quantity, option_value_ids=ids
                )
                found = _Quote(q.total, q.unit_price, writer.json(q.options))
                quote_cache[key] = found
            return found

        per_year: dict[int, int] = {}
        for day, count in zip(day_list, counts, strict=True):
            per_year[day.year] = per_year.get(day.year, 0) + count
        if resuming:
            next_number = {int(year): first for year, first in run.first_numbers.items()}
        else:
            next_number = _reserve_numbers(session, per_year)
            run.first_numbers = {str(year): first for year, first in next_number.items()}
            session.add(run)
            session.commit()  # the run is on record with its reserved numbers before any batch
        if reader is not session:
            reader.commit()  # no transaction (and no locks) held while the rows are written

        loader = _Loader(writer, orders, started, progress, run)
        if resuming:
            loader.skip_committed(first_number, customers, seed)
        batch = _Batch()

        def submit() -> None:
            nonlocal batch, pending
            if not batch.orders and not batch.customers:
                return
            full, batch = batch, _Batch()
            if executor is None:
                loader.load(full)
                return
            if pending is not None:
                pending.result()
            pending = executor.submit(load_in_thread, full)

        # Flask-SQLAlchemy's session finds its engine through the app: give the thread an app context.
        app = current_app._get_current_object() if has_app_context() else None  # type: ignore[attr-defined]

        def load_in_thread(full: _Batch) -> None:
            if app is None:
                loader.load(full)
            else:
                with app.app_context():
                    loader.load(full)

        def customer_row(index: int, person: _Person, created: float) -> Row:
            moment = _ts(created)
            return (
                index,
                person.email,
                password_hash,
                True,
                uuid.uuid4().hex,
                moment,
                person.full_name[:200],
                person.phone,
                "",
                moment,
            )

        no_options = writer.json([])
        product_cum = _cumulative([(i + 1) ** -0.7 for i in range(len(products))])
        lines_cum = _cumulative([w for _, w in LINES_PER_ORDER])
        lines_n = [n for n, _ in LINES_PER_ORDER]
        ordering = min(customers, orders)  # customers who place at least one order
        active_cum: list[float] = []  # cumulative repeat weights of the customers who have ordered
        active_numbers: list[int] = []  # their number (as in the email)
        promo_orders = 0
        rand = rng.random
        order_index = 0
        for day, count in zip(day_list, counts, strict=True):
            if count == 0:
                continue
            start = datetime(day.year, day.month, day.day, tzinfo=tz).timestamp()
            next_day = day + timedelta(days=1)
            day_length = datetime(next_day.year, next_day.month, next_day.day, tzinfo=tz).timestamp() - start
            limit = min(day_length, now - start) if day == today else day_length
            year = day.year
            rates = {p.vat_category: vat(p.vat_category, day) for p in products}
            delivery_rate = vat(VatCategory.standard, day)
            for second in _seconds_in_day(rng, count, limit, day_length):
                created = start + second
                # Selection sampling: exactly `ordering` orders are a new customer's first one.
                new_so_far = len(active_cum)
                if new_so_far < ordering and (
                    not active_cum or rand() * (orders - order_index) < ordering - new_so_far
                ):
                    index = new_so_far
                    number = first_number + index
                    person = _person(seed, number)
                    weight = min(rng.paretovariate(PARETO_ALPHA), PARETO_CAP) * (2.0 if person.is_company else 1.0)
                    active_cum.append((active_cum[-1] if active_cum else 0.0) + weight)
                    active_numbers.append(number)
                    registered = created - min(DAY * rng.lognormvariate(-3.0, 2.0), created - period_start)
                    batch.new_customers.append(index)
                    batch.customers.append(customer_row(index, person, registered))
                else:
                    index = min(bisect.bisect_right(active_cum, rand() * active_cum[-1]), len(active_cum) - 1)
                    person = _person(seed, active_numbers[index])
                order_index += 1
                company = person.is_company

                roll = rand()
                if roll < 0.55:
                    delivery, address = DeliveryMethod.pickup, ""
                elif roll < 0.85:
                    delivery, address = DeliveryMethod.courier, person.courier_address
                else:
                    delivery, address = DeliveryMethod.post, person.post_address
                if delivery == DeliveryMethod.post or rand() < (0.9 if company else 0.25):
                    payment = PaymentMethod.invoice  # post is paid in advance, never on receipt
                else:
                    payment = PaymentMethod.on_receipt
                offered = promos[int(rand() * len(promos))] if promos and rand() < PROMO_SHARE else None
                position_in_batch = len(batch.orders)

                # Lines: distinct products, a run from the price tiers, options around the defaults.
                n_lines = min(lines_n[bisect.bisect_right(lines_cum, rand() * lines_cum[-1])], len(products))
                if company and n_lines < len(products) and rand() < 0.2:
                    n_lines += 1
                chosen: list[_Product] = []
                while len(chosen) < n_lines:
                    candidate = products[bisect.bisect_right(product_cum, rand() * product_cum[-1])]
                    if candidate not in chosen:
                        chosen.append(candidate)
                priced = []
                for product in chosen:
                    cum = product.tier_cum_company if company else product.tier_cum_private
                    quantity = product.tiers[min(bisect.bisect_right(cum, rand() * cum[-1]), len(cum) - 1)]
                    ids: list[int] = []
                    for group in product.groups:
                        values = group.value_ids
                        if not values:
                            continue
                        if group.multiple:
                            ids.extend(v for v in values if rand() < 0.12)
                        elif group.required:
                            if rand() < 0.55 or len(values) == 1:
                                ids.append(group.default_id)  # type: ignore[arg-type]
                            else:
                                ids.append(values[int(rand() * len(values))])
                        elif rand() < 0.3:
                            ids.append(values[int(rand() * len(values))])
                    priced.append((product, quantity, price(product, quantity, tuple(ids))))
                goods_total = sum((q.gross for _, _, q in priced), ZERO)

                promo_id, promo_text, discount_total = None, "", ZERO
                if offered is not None and goods_total >= offered[2].min_order_total:
                    promo_id, promo_text = offered[0], offered[1]
                    discount_total = promo_service.discount_for(offered[2], goods_total)
                if discount_total:
                    discounts = allocate(discount_total, [q.gross for _, _, q in priced])
                else:
                    discounts = [ZERO] * len(priced)

                line_rows: list[Row] = []
                vat_total = ZERO
                position = 0
                for (product, quantity, q), discount in zip(priced, discounts, strict=True):
                    position += 1
                    rate = rates[product.vat_category]
                    total = q.gross - discount
                    net, vat_amount = extract_vat(total, rate)
                    vat_total += vat_amount
                    line_rows.append(
                        (
                            position_in_batch,
                            position,
                            PRODUCT,
                            product.id,
                            product.name,
                            q.options,
                            quantity,
                            q.unit_price,
                            q.gross,
                            discount,
                            total,
                            rate,
                            vat_amount,
                            net,
                            product.category_id,
                        )
                    )
                shipping = delivery_price(delivery, goods_total - discount_total)
                if shipping > 0:
                    position += 1
                    net, vat_amount = extract_vat(shipping, delivery_rate)
                    vat_total += vat_amount
                    line_rows.append(
                        (
                            position_in_batch,
                            position,
                            DELIVERY,
                            None,
                            f"Доставка: {delivery.label}",
                            no_options,
                            1,
                            shipping,
                            shipping,
                            ZERO,
                            shipping,
                            delivery_rate,
                            vat_amount,
                            net,
                            None,
                        )
                    )
                gross_all = goods_total + shipping
                total_all = gross_all - discount_total
                batch.lines.extend(line_rows)

                life = _lifecycle(rng, created, now, max(p.production_days for p, _, _ in priced), delivery, payment)
                if promo_id is not None:
                    promo_orders += 1
                    if not life.promo_released:  # a cancelled order gives its use back, as promo.release_orders does
                        batch.promo_uses[promo_id] = batch.promo_uses.get(promo_id, 0) + 1
                stamps = life.stamps
                number = next_number[year]
                next_number[year] = number + 1
                created_dt = _ts(created)
                batch.orders.append(
                    (
                        None,
                        f"{year}-{number:06d}",
                        index,
                        life.status.value,
                        life.payment.value,
                        payment.value,
                        delivery.value,
                        person.contact_name,
                        person.email,
                        person.phone,
                        address,
                        COMMENTS[int(rand() * len(COMMENTS))] if rand() < P_COMMENT else "",
                        promo_id,
                        promo_text,
                        gross_all,
                        discount_total,
                        total_all,
                        vat_total,
                        ZERO,
                        total_all,
                        created_dt,
                        _ts(life.updated),
                        _ts(stamps.get("confirmed_at")),
                        _ts(stamps.get("ready_at")),
                        _ts(stamps.get("shipped_at")),
                        _ts(stamps.get("completed_at")),
                        _ts(stamps.get("cancelled_at")),
                        _ts(stamps.get("paid_at")),
                        _ts(stamps.get("refunded_at")),
                        day,  # placed_day: `created` is within this shop-local day
                    )
                )
                for moment, field_name, old, new, comment in life.events:
                    batch.history.append(
                        (
                            position_in_batch,
                            created_dt if moment == created else _ts(moment),
                            "system",
                            ACTOR.name,
                            field_name,
                            old,
                            new,
                            comment,
                        )
                    )
                if len(batch.orders) >= BATCH_ORDERS:
                    submit()
        submit()

        # Customers who registered and never ordered: created at any moment of the period.
        for offset in range(ordering, customers):
            batch.new_customers.append(offset)
            created = period_start + (now - period_start) * rand()
            batch.customers.append(customer_row(offset, _person(seed, first_number + offset), created))
            if len(batch.customers) >= BATCH_CUSTOMERS:
                submit()
        submit()
        if pending is not None:
            pending.result()
    finally:
        if executor is not None:
            executor.shutdown(wait=True)
        if reader is not session:
            reader.close()

    # Each batch posted its journal; the rollups are summed once (they missed the batches written without them).
    posted = loader.posted
    if writer.pause_rollups:
        rollups.rebuild(session)
    session.execute(sa.update(BulkRun).where(BulkRun.id == run.id).values(finished_at=shop_now()))
    session.commit()
    if dialect == "postgresql":
        for table in ("customer", "orders", "order_line", "order_history", "journal_entry"):
            session.execute(sa.text(f'ANALYZE "{table}"'))
        session.commit()
    stats = loader.stats
    elapsed = time.perf_counter() - started
    return (
        f"Создано покупателей: {stats.customers}, заказов: {stats.orders} "
        f"(строк: {stats.lines}, записей истории: {stats.history}, с промокодом: {promo_orders}) "
        f"за {days} дн., seed {seed}, {'COPY' if use_copy else 'INSERT'}: {elapsed:.1f} с. "
        f"{'Продолжена прерванная загрузка: записанные раньше пакеты пропущены. ' if resuming else ''}"
        f"{posted.summary()}"
    )


def progress_line(done: int, total: int, elapsed: float, width: int = 30) -> str:
    """«[#########.....]  300 000/1 000 000 заказов · 2 410 заказов/с · осталось 4 мин 50 с» for a terminal."""
    share = done / total if total else 1.0
    filled = int(share * width)
    rate = done / elapsed if elapsed > 0 else 0.0
    left = (total - done) / rate if rate > 0 else 0.0
    minutes, seconds = divmod(int(left + 0.5), 60)

    def number(value: float) -> str:
        return f"{value:,.0f}".replace(",", "\u00a0")

    return (
        f"[{'#' * filled}{'.' * (width - filled)}] {number(done)}/{number(total)} заказов · "
        f"{number(rate)} заказов/с · осталось {minutes} мин {seconds:02d} с"
    )
