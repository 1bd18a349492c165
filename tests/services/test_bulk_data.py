"""Bulk data: consistent orders (totals, VAT by date, statuses, promo use, numbering), repeat runs, the CLI."""

import re
from collections import Counter
from datetime import UTC, datetime
from decimal import ROUND_HALF_UP
from decimal import Decimal as D

import pytest
import sqlalchemy as sa
import time_machine
from flask_security.utils import verify_password
from sqlalchemy.orm import selectinload

from app.models import (
    Customer,
    DeliveryMethod,
    JournalEntry,
    JournalKind,
    LineKind,
    Order,
    OrderHistory,
    OrderNumberCounter,
    OrderStatus,
    PaymentMethod,
    PaymentStatus,
    Product,
    PromoCode,
    PromoRedemption,
)
from app.seed import bulk as seed_bulk
from app.seed.demo import DEMO_PASSWORD
from app.services.catalog import products as catalog_products
from app.services.errors import ValidationError
from app.services.orders.lifecycle import TRANSITIONS
from app.services.shoptime import to_shop
from tests import factories

S = OrderStatus
P = PaymentStatus
# 800 days back from here reach into 2023: orders of 2023–2025 (20 %) and of 2026 (22 %).
FROZEN_NOW = datetime(2026, 2, 10, 9, 30, tzinfo=UTC)
OPEN = {S.new, S.confirmed, S.in_production, S.ready, S.shipped, S.handed_over}


def _orders(session) -> list[Order]:  # noqa: ANN001
    return list(
        session.scalars(
            sa.select(Order).options(selectinload(Order.lines), selectinload(Order.history)).order_by(Order.id)
        )
    )


@pytest.fixture
def generated(db_session):  # noqa: ANN001, ANN201
    with time_machine.travel(FROZEN_NOW, tick=False):
        summary = seed_bulk.generate(db_session, customers=30, orders=300, days=800, seed=7)
    return summary


def test_counts_and_summary(db_session, generated):
    assert "покупателей: 30" in generated and "заказов: 300" in generated
    assert db_session.scalar(sa.select(sa.func.count()).select_from(Customer)) == 30
    assert db_session.scalar(sa.select(sa.func.count()).select_from(Order)) == 300
    # The catalog was missing, so it was loaded first.
    assert db_session.scalar(sa.select(sa.func.count()).select_from(Product)) > 0


def test_totals_are_sums_of_lines_and_lines_follow_the_pricing_rules(db_session, generated):
    products = {p.id: p for p in db_session.scalars(sa.select(Product))}
    for order in _orders(db_session):
        lines = order.lines
        assert [line.position for line in lines] == list(range(1, len(lines) + 1))
        assert order.goods_total == sum(line.gross_amount for line in lines)
        assert order.discount_total == sum(line.discount for line in lines)
        assert order.total == sum(line.total for line in lines) == order.goods_total - order.discount_total
        assert order.vat_total == sum(line.vat_amount for line in lines)
        assert order.points_paid == 0 and order.amount_due == order.total
        for line in lines:
            assert line.total == line.gross_amount - line.discount
            assert line.net_amount + line.vat_amount == line.total
            exact = line.total * line.vat_rate / (100 + line.vat_rate)
            assert line.vat_amount == exact.quantize(D("0.01"), rounding=ROUND_HALF_UP)
        product_lines = [line for line in lines if line.kind == LineKind.product]
        assert product_lines and len({line.product_id for line in product_lines}) == len(product_lines)
        for line in product_lines:
            product = products[line.product_id]
            assert line.quantity in {t.quantity for t in product.price_tiers}
            value_ids = [o["value_id"] for o in line.options]
            assert all(set(o) == {"group", "value", "value_id"} for o in line.options)
            quote = catalog_products.quote(
                db_session, product=product, quantity=line.quantity, option_value_ids=value_ids
            )
            assert (line.gross_amount, line.options, line.product_name) == (quote.total, quote.options, product.name)
        delivery = [line for line in lines if line.kind == LineKind.delivery]
        if order.delivery_method == DeliveryMethod.pickup:
            assert delivery == []
        for line in delivery:
            assert line.discount == 0 and line.product_id is None and line.options == []


def test_vat_rate_follows_the_order_date(db_session, generated):
    rates_by_year: dict[int, set] = {}
    for order in _orders(db_session):
        year = to_shop(order.created_at).year
        for line in order.lines:
            rates_by_year.setdefault(year, set()).add(line.vat_rate)
    assert set(rates_by_year) == {2023, 2024, 2025, 2026}
    for year, rates in rates_by_year.items():
        assert rates == ({D("22")} if year >= 2026 else {D("20")}), year


def test_statuses_payments_and_timestamps_are_consistent(db_session, generated):
    orders = _orders(db_session)
    statuses = Counter(order.status for order in orders)
    assert statuses[S.completed] > 200 and statuses[S.cancelled] > 0
    now = FROZEN_NOW
    for order in orders:
        status, paid = order.status, order.payment_status
        stamps = [
            order.created_at,
            order.updated_at,
            order.confirmed_at,
            order.ready_at,
            order.shipped_at,
            order.completed_at,
            order.cancelled_at,
            order.paid_at,
            order.refunded_at,
        ]
        assert all(s is None or (s.tzinfo == UTC and order.created_at <= s <= now) for s in stamps), order.number
        assert order.payment_method != PaymentMethod.card_online  # not offered at checkout
        if order.delivery_method == DeliveryMethod.post:
            assert order.payment_method == PaymentMethod.invoice
        if order.delivery_method == DeliveryMethod.pickup:
            assert order.delivery_address == ""
        else:
            assert len(order.delivery_address) >= 10
        if status == S.completed:
            assert paid == P.paid and order.paid_at <= order.completed_at
            assert order.confirmed_at <= order.ready_at <= order.shipped_at <= order.completed_at
        if status == S.refunded:
            assert paid == P.refunded and order.paid_at < order.refunded_at
            assert (order.completed_at or order.cancelled_at) < order.refunded_at
        if status == S.cancelled:
            assert order.cancelled_at is not None and order.completed_at is None
            assert paid == P.unpaid or order.paid_at < order.cancelled_at
        if status == S.new:
            assert paid == P.unpaid and order.confirmed_at is None
        if paid == P.unpaid:
            assert order.paid_at is None
        if status in OPEN:
            assert (now - order.created_at).days < 90  # only recent orders are still in progress
        assert order.updated_at == max(s for s in stamps[2:] + [order.created_at] if s is not None)


def test_history_records_creation_and_every_change(db_session, generated):
    for order in _orders(db_session):
        history = order.history
        created = [h for h in history if h.field == "created"]
        assert len(created) == 1
        assert (created[0].actor_kind.value, created[0].actor_name) == ("system", "система (bulk)")
        assert created[0].created_at == order.created_at and created[0].new_value == S.new.value
        changes = [h for h in history if h.field == "status"]
        chain = [S.new.value] + [h.new_value for h in changes]
        assert [h.old_value for h in changes] == chain[:-1]
        assert chain[-1] == order.status.value
        for h in changes:  # every change is one the state machine allows
            assert S(h.new_value) in TRANSITIONS[S(h.old_value)]
        payments = [h.new_value for h in history if h.field == "payment_status"]
        assert (payments[-1] if payments else P.unpaid.value) == order.payment_status.value


def test_customers_repeat_and_are_realistic(db_session, generated):
    per_customer = Counter(db_session.scalars(sa.select(Order.customer_id)))
    assert sum(1 for n in per_customer.values() if n > 1) >= 3
    assert max(per_customer.values()) >= 5
    customers = list(db_session.scalars(sa.select(Customer)))
    assert all(re.fullmatch(r"bulk-7-\d+@example\.ru", c.email) for c in customers)
    assert len({c.fs_uniquifier for c in customers}) == len(customers)
    assert len({c.password for c in customers}) == 1  # one hash computed, shared
    assert verify_password(DEMO_PASSWORD, customers[0].password)
    first_order: dict[int, datetime] = {}
    for customer_id, created_at in db_session.execute(sa.select(Order.customer_id, Order.created_at)):
        first_order[customer_id] = min(first_order.get(customer_id, created_at), created_at)
    for c in customers:
        assert c.created_at.tzinfo == UTC
        if c.id in first_order:
            assert c.created_at <= first_order[c.id]


def test_promo_use_is_counted_like_the_checkout_does(db_session, generated):
    with_promo = list(db_session.scalars(sa.select(Order).where(Order.promo_code_id.is_not(None))))
    assert 10 <= len(with_promo) <= 60  # about 10 % of 300
    for promo in db_session.scalars(sa.select(PromoCode)):
        # A cancellation gives the use back (promo.release_orders), so cancelled orders do not count.
        used = sum(1 for o in with_promo if o.promo_code_id == promo.id and o.cancelled_at is None)
        assert promo.times_used == used, promo.code
    for order in with_promo:
        assert order.promo_code_text == db_session.get(PromoCode, order.promo_code_id).code
        assert order.discount_total > 0
    # Each use is held by its order's redemption row, as at checkout.
    held = set(db_session.scalars(sa.select(PromoRedemption.order_id)))
    assert held == {o.id for o in with_promo if o.cancelled_at is None}


def test_numbers_are_unique_per_shop_year_and_the_counter_continues(db_session, generated):
    orders = _orders(db_session)
    numbers = [o.number for o in orders]
    assert len(set(numbers)) == len(numbers)
    last: dict[int, int] = {}
    for order in orders:
        year, value = order.number.split("-")
        assert re.fullmatch(r"\d{6}", value) and int(year) == to_shop(order.created_at).year
        last[int(year)] = max(last.get(int(year), 0), int(value))
    counters = {c.year: c.last_value for c in db_session.scalars(sa.select(OrderNumberCounter))}
    assert counters == last
    # Within a year, numbers follow the order dates.
    for year in last:
        in_year = sorted((o for o in orders if o.number.startswith(f"{year}-")), key=lambda o: o.number)
        assert [o.created_at for o in in_year] == sorted(o.created_at for o in in_year)


def test_a_real_order_after_two_runs_continues_the_numbering(db_session):
    first = seed_bulk.generate(db_session, customers=5, orders=40, days=20, seed=3)
    second = seed_bulk.generate(db_session, customers=5, orders=40, days=20, seed=3)
    assert "заказов: 40" in first and "заказов: 40" in second
    emails = list(db_session.scalars(sa.select(Customer.email)))
    assert len(emails) == len(set(emails)) == 10
    assert {f"bulk-3-{n}@example.ru" for n in range(1, 11)} == set(emails)
    numbers = set(db_session.scalars(sa.select(Order.number)))
    assert len(numbers) == 80

    cat = factories.load_catalog(db_session)
    buyer = factories.make_customer(db_session, email="real@example.ru", full_name="Настоящий Покупатель")
    order = factories.place_order(db_session, buyer, cat.cards)
    year = order.number.split("-")[0]
    assert order.number not in numbers
    assert order.number == f"{year}-{max(int(n.split('-')[1]) for n in numbers if n.startswith(year)) + 1:06d}"


def test_no_orders_means_only_customers(db_session):
    summary = seed_bulk.generate(db_session, customers=3, orders=0, days=5, seed=1)
    assert "покупателей: 3, заказов: 0" in summary
    assert db_session.scalar(sa.select(sa.func.count()).select_from(Order)) == 0
    assert db_session.scalar(sa.select(sa.func.count()).select_from(Customer)) == 3


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"customers": 0, "orders": 5, "days": 5}, "покупателей"),
        ({"customers": 5, "orders": -1, "days": 5}, "заказов"),
        ({"customers": 5, "orders": 5, "days": 0}, "Период"),
        ({"customers": 5, "orders": 5, "days": 4000}, "Период"),
    ],
)
def test_bad_arguments_change_nothing(db_session, kwargs, message):
    with pytest.raises(ValidationError, match=message):
        seed_bulk.generate(db_session, seed=1, **kwargs)
    assert db_session.scalar(sa.select(sa.func.count()).select_from(Customer)) == 0


def test_both_write_methods_give_the_same_orders(db_session):
    """COPY (PostgreSQL) and Core inserts write the same data for a seed; COPY is refused elsewhere."""
    dialect = db_session.get_bind().dialect.name
    if dialect != "postgresql":
        with pytest.raises(ValidationError, match="COPY"):
            seed_bulk.generate(db_session, customers=2, orders=2, days=2, seed=1, method="copy")
    with time_machine.travel(FROZEN_NOW, tick=False):
        seed_bulk.generate(db_session, customers=4, orders=30, days=60, seed=11, method="insert")
        if dialect == "postgresql":
            seed_bulk.generate(db_session, customers=4, orders=30, days=60, seed=11, method="copy")
    rows = db_session.execute(
        sa.select(Order.created_at, Order.total, Order.vat_total, Order.status, OrderHistory.field)
        .join(OrderHistory, OrderHistory.order_id == Order.id)
        .order_by(Order.id, OrderHistory.id)
    ).all()
    if dialect == "postgresql":
        assert rows[: len(rows) // 2] == rows[len(rows) // 2 :]
    assert len({r.created_at for r in rows}) == 30


def test_cli_command(app):
    runner = app.test_cli_runner()
    result = runner.invoke(args=["seed", "bulk", "--customers", "4", "--orders", "25", "--days", "10", "--seed", "5"])
    assert result.exit_code == 0, result.output
    assert "заказов: 25" in result.output
    assert "[##############################] 25/25 заказов ·" in result.stderr  # the progress bar, finished
    with app.app_context():
        from app.extensions import db

        assert db.session.scalar(sa.select(sa.func.count()).select_from(Order)) == 25
        db.session.remove()


def test_progress_is_told_after_each_batch_with_rate_and_time_left(db_session, monkeypatch):
    monkeypatch.setattr(seed_bulk, "BATCH_ORDERS", 20)
    told = []
    seed_bulk.generate(db_session, customers=5, orders=50, days=10, seed=2, progress=lambda *a: told.append(a))
    assert [done for done, _, _ in told] == [20, 40, 50] and all(total == 50 for _, total, _ in told)
    line = seed_bulk.progress_line(250_000, 1_000_000, 100.0)
    assert line.startswith("[#######.......................] 250\u00a0000/1\u00a0000\u00a0000 заказов")
    assert "2\u00a0500 заказов/с" in line and "осталось 5 мин 00 с" in line


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--orders", "-5"], "Число заказов не может быть отрицательным."),
        (["--customers", "0"], "Число покупателей должно быть не меньше 1."),
        (["--days", "0"], "Период должен быть от 1 до 3650 дней."),
        (["--days", "5000"], "Период должен быть от 1 до 3650 дней."),
        (["--orders", "много"], "нужно целое число, а не 'много'."),
    ],
)
def test_cli_rejects_bad_arguments(app, args, message):
    result = app.test_cli_runner().invoke(args=["seed", "bulk", *args])
    assert result.exit_code == 2
    assert message in result.output
    with app.app_context():
        from app.extensions import db

        assert db.session.scalar(sa.select(sa.func.count()).select_from(Customer)) == 0
        db.session.remove()


def test_generation_is_deterministic_for_a_seed(app, db_session):
    from tests import factories
    from tests.conftest import truncate_all

    with time_machine.travel(FROZEN_NOW, tick=False):
        seed_bulk.generate(db_session, customers=6, orders=50, days=90, seed=21)
    first = db_session.execute(
        sa.select(Order.number, Order.created_at, Order.total, Order.status).order_by(Order.id)
    ).all()
    assert first and first[0].number == "2025-000001"
    db_session.commit()
    truncate_all(app)  # history is append-only: start again from empty tables
    factories.load_reference_data()
    db_session.commit()
    with time_machine.travel(FROZEN_NOW, tick=False):
        seed_bulk.generate(db_session, customers=6, orders=50, days=90, seed=21)
    second = db_session.execute(
        sa.select(Order.number, Order.created_at, Order.total, Order.status).order_by(Order.id)
    ).all()
    assert first == second


def _generated_rows(session):  # noqa: ANN001, ANN202
    orders = session.execute(
        sa.select(Order.number, Order.created_at, Order.total, Order.status, Customer.email)
        .join(Customer, Customer.id == Order.customer_id)
        .order_by(Order.number)
    ).all()
    customers = sorted(session.scalars(sa.select(Customer.email)))
    history = session.scalar(sa.select(sa.func.count()).select_from(OrderHistory))
    sales = session.scalar(
        sa.select(sa.func.count()).select_from(JournalEntry).where(JournalEntry.kind == JournalKind.sale)
    )
    return orders, customers, history, sales


def test_an_interrupted_run_is_resumed_to_the_same_data(app, db_session, monkeypatch):
    from tests.conftest import truncate_all

    monkeypatch.setattr(seed_bulk, "BATCH_ORDERS", 20)
    monkeypatch.setattr(seed_bulk, "BATCH_CUSTOMERS", 4)
    with time_machine.travel(FROZEN_NOW, tick=False):
        seed_bulk.generate(db_session, customers=14, orders=90, days=60, seed=31)
    whole = _generated_rows(db_session)
    assert len(whole[0]) == 90 and len(whole[1]) == 14 and whole[3] > 0
    db_session.commit()
    truncate_all(app)
    factories.load_reference_data()
    db_session.commit()

    with pytest.raises(ValidationError, match="Прерванной загрузки нет"):
        seed_bulk.resume(db_session)
    load = seed_bulk._Loader._load
    calls = []

    def failing(self, batch):  # noqa: ANN001, ANN202
        calls.append(len(batch.orders))
        if len(calls) == 3:
            raise RuntimeError("connection lost")
        return load(self, batch)

    monkeypatch.setattr(seed_bulk._Loader, "_load", failing)
    with time_machine.travel(FROZEN_NOW, tick=False), pytest.raises(RuntimeError, match="connection lost"):
        seed_bulk.generate(db_session, customers=14, orders=90, days=60, seed=31)
    monkeypatch.setattr(seed_bulk._Loader, "_load", load)
    run = seed_bulk.last_unfinished(db_session)
    assert run is not None and run.orders_done == 40 and run.finished_at is None
    assert db_session.scalar(sa.select(sa.func.count()).select_from(Order)) == 40

    # Later, at another moment: the run continues with its own parameters and moment.
    told = []
    summary = seed_bulk.resume(db_session, progress=lambda *a: told.append(a[0]))
    assert "Продолжена прерванная загрузка" in summary and "заказов: 90" in summary
    assert told[-1] == 90
    assert _generated_rows(db_session) == whole
    assert seed_bulk.last_unfinished(db_session) is None
    with pytest.raises(ValidationError, match="Прерванной загрузки нет"):
        seed_bulk.resume(db_session)


def test_cli_resume_without_an_interrupted_run_says_so(app):
    result = app.test_cli_runner().invoke(args=["seed", "bulk", "--resume"])
    assert result.exit_code == 2
    assert "Прерванной загрузки нет — продолжать нечего." in result.output
