"""Orders: placing, numbering, line snapshots and VAT, promo codes, the status state machine, payment."""

import threading
from datetime import UTC, datetime
from decimal import Decimal as D

import pytest
import sqlalchemy as sa
import time_machine

from app.models import Order, OrderHistory, OrderStatus, PaymentStatus, PromoCode, PromoKind
from app.services import phones
from app.services.actors import Actor
from app.services.errors import InvalidTransition, ValidationError
from app.services.orders import lifecycle
from app.services.orders import placing as order_placing
from tests.factories import advance, make_customer, place_order

S = OrderStatus
SYSTEM = Actor.system("test")


def test_placed_order_keeps_a_snapshot_of_its_lines(db_session, catalog, customer):
    ids = catalog.defaults(catalog.cards, "Дизайнерская 300 г/м²")
    order = place_order(db_session, customer, catalog.cards, quantity=500, option_ids=ids)
    line = order.lines[0]
    assert (line.product_name, line.quantity, line.gross_amount) == ("Визитки стандартные", 500, D("2704.00"))
    assert {"group": "Бумага", "value": "Дизайнерская 300 г/м²"}.items() <= line.options[1].items()
    # Catalog changes later never alter the past order.
    catalog.cards.name = "Визитки (новые)"
    catalog.cards.price_tiers[2].price = D("9999.00")
    db_session.commit()
    db_session.expire_all()
    line = db_session.get(Order, order.id).lines[0]
    assert (line.product_name, line.gross_amount) == ("Визитки стандартные", D("2704.00"))


def test_vat_is_per_line_and_totals_are_sums_of_lines(db_session, catalog, customer):
    order = place_order(
        db_session, customer, catalog.flyers, quantity=1000, delivery="courier", address="Москва, ул. Тверская, д. 7"
    )
    product, delivery = order.lines
    assert delivery.product_name == "Доставка: Курьер"
    assert (delivery.gross_amount, delivery.vat_amount) == (D("400.00"), D("72.13"))
    assert product.vat_rate == D("22")
    assert product.vat_amount == (product.total * 22 / D(122)).quantize(D("0.01"))
    assert order.total == product.total + delivery.total
    assert order.vat_total == product.vat_amount + delivery.vat_amount
    assert order.amount_due == order.total and order.points_paid == 0


def test_order_of_2025_keeps_the_20_percent_rate(db_session, catalog, customer):
    with time_machine.travel(datetime(2025, 12, 31, 20, 0, tzinfo=UTC)):  # 23:00 in Moscow
        order = place_order(db_session, customer, catalog.cards)
    assert order.number.startswith("2025-")
    assert order.lines[0].vat_rate == D("20")
    assert order.lines[0].vat_amount == D("131.67")  # 790 × 20/120


def test_numbers_are_per_year_and_sequential(db_session, catalog, customer):
    first = place_order(db_session, customer, catalog.cards)
    second = place_order(db_session, customer, catalog.cards)
    year = first.number[:4]
    assert first.number == f"{year}-000001" and second.number == f"{year}-000002"


def test_percent_promo_discount_is_spread_over_lines_and_delivery_is_not_discounted(db_session, catalog, customer):
    db_session.add(PromoCode(code="SALE15", kind=PromoKind.percent, value=D("15")))
    db_session.commit()
    cart_order = place_order(
        db_session,
        customer,
        catalog.banner,
        quantity=2,
        delivery="post",
        payment="invoice",
        address="190000, Санкт-Петербург, Невский пр., 28",
        promo_code="sale15",
    )
    banner, post = cart_order.lines
    assert banner.discount == D("253.50")  # 15 % of 1690
    assert post.discount == 0
    assert cart_order.discount_total == D("253.50")
    assert banner.net_amount + banner.vat_amount == banner.total == D("1436.50")
    assert cart_order.promo_code_text == "SALE15"
    assert db_session.get(PromoCode, cart_order.promo_code_id).times_used == 1


@pytest.mark.parametrize(
    ("promo", "message"),
    [
        ({"is_active": False}, "не найден"),
        ({"valid_until": datetime(2020, 1, 1).date()}, "истёк"),
        ({"valid_from": datetime(2099, 1, 1).date()}, "действует с"),
        ({"min_order_total": D("5000")}, "от 5\u00a0000,00"),
        ({"usage_limit": 1, "times_used": 1}, "Лимит"),
    ],
)
def test_promo_code_rules_refuse_with_a_reason(db_session, catalog, customer, promo, message):
    db_session.add(PromoCode(code="RULE", kind=PromoKind.fixed, value=D("100"), **promo))
    db_session.commit()
    with pytest.raises(ValidationError, match=message):
        place_order(db_session, customer, catalog.cards, promo_code="RULE")
    db_session.rollback()
    assert db_session.scalar(sa.select(sa.func.count()).select_from(Order)) == 0


def test_per_customer_limit_counts_that_customers_orders_only(db_session, catalog, customer, other_customer):
    db_session.add(PromoCode(code="ONCE", kind=PromoKind.fixed, value=D("100"), per_customer_limit=1))
    db_session.commit()
    place_order(db_session, customer, catalog.cards, promo_code="ONCE")
    with pytest.raises(ValidationError, match="уже использовали"):
        place_order(db_session, customer, catalog.cards, promo_code="ONCE")
    db_session.rollback()
    assert place_order(db_session, other_customer, catalog.cards, promo_code="ONCE").discount_total == D("100.00")


def test_cancelling_gives_the_promo_use_back(db_session, catalog, customer):
    db_session.add(PromoCode(code="LAST", kind=PromoKind.fixed, value=D("50"), usage_limit=1))
    db_session.commit()
    order = place_order(db_session, customer, catalog.cards, promo_code="LAST")
    advance(db_session, order, S.cancelled)
    assert db_session.scalar(sa.select(PromoCode.times_used).where(PromoCode.code == "LAST")) == 0


def test_same_checkout_token_gives_the_same_order(db_session, catalog, customer):
    first = place_order(db_session, customer, catalog.cards, token="tok-1")
    again = place_order(db_session, customer, catalog.cards, token="tok-1")
    assert again.id == first.id
    assert db_session.scalar(sa.select(sa.func.count()).select_from(Order)) == 1


def test_blocked_customer_cannot_order(db_session, catalog):
    blocked = make_customer(db_session, email="blocked@example.ru", active=False)
    with pytest.raises(ValidationError, match="заблокирована"):
        place_order(db_session, blocked, catalog.cards)


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"contact_phone": "12345"}, "contact_phone"),
        ({"contact_name": "  "}, "contact_name"),
        ({"delivery_method": "teleport"}, "delivery_method"),
        ({"delivery_method": "courier", "delivery_address": ""}, "delivery_address"),
        (
            {"delivery_method": "post", "payment_method": "on_receipt", "delivery_address": "Москва, Тверская 1"},
            "payment_method",
        ),
        ({"payment_method": "card_online"}, "payment_method"),
    ],
)
def test_checkout_input_is_validated(data, field):
    base = {
        "contact_name": "Иван",
        "contact_email": "i@example.ru",
        "contact_phone": "+79991234567",
        "delivery_method": "pickup",
        "payment_method": "on_receipt",
        "checkout_token": "t",
    }
    with pytest.raises(ValidationError) as exc:
        order_placing.validate_checkout(order_placing.CheckoutData(**(base | data)))
    assert exc.value.field == field


@pytest.mark.parametrize("raw", ["8 (916) 123-45-67", "+7 916 123 45 67", "9161234567", "7-916-123-45-67"])
def test_phone_numbers_are_normalised(raw):
    assert phones.normalize_phone(raw) == "+79161234567"


def test_full_lifecycle_sets_timestamps_and_history(db_session, catalog, customer):
    order = place_order(db_session, customer, catalog.cards)
    advance(db_session, order, S.confirmed, S.in_production, S.ready, S.handed_over, S.completed)
    assert order.status == S.completed
    for stamp in ("confirmed_at", "ready_at", "shipped_at", "completed_at"):
        assert getattr(order, stamp).tzinfo is not None
    fields = db_session.scalars(
        sa.select(OrderHistory.new_value).where(OrderHistory.order_id == order.id).order_by(OrderHistory.id)
    ).all()
    assert fields == ["new", "confirmed", "in_production", "ready", "handed_over", "completed"]


@pytest.mark.parametrize(
    ("path", "target", "message"),
    [
        ([], S.in_production, "нельзя из «Новый» в «В печати»"),
        ([S.confirmed, S.in_production, S.ready, S.handed_over], S.in_production, "нельзя из «Выдан» в «В печати»"),
        ([S.cancelled], S.confirmed, "нельзя из «Отменён»"),
        ([S.confirmed, S.in_production, S.ready], S.shipped, "самовывоз не отправляют"),
        ([S.cancelled], S.refunded, "не оплачен"),
        ([], S.new, "уже в статусе"),
    ],
)
def test_invalid_transitions_are_refused_and_change_nothing(db_session, catalog, customer, path, target, message):
    order = advance(db_session, place_order(db_session, customer, catalog.cards), *path)
    before = order.status
    with pytest.raises(InvalidTransition, match=message):
        lifecycle.change_status(db_session, order, target, actor=SYSTEM)
    assert order.status == before


def test_unknown_status_is_refused(db_session, catalog, customer):
    order = place_order(db_session, customer, catalog.cards)
    with pytest.raises(InvalidTransition, match="Неизвестный статус"):
        lifecycle.change_status(db_session, order, "lost", actor=SYSTEM)


def test_courier_order_is_shipped_not_handed_over(db_session, catalog, customer):
    order = place_order(db_session, customer, catalog.cards, delivery="courier", address="Москва, Арбат, д. 1, кв. 2")
    advance(db_session, order, S.confirmed, S.in_production, S.ready)
    assert lifecycle.allowed_targets(order) == [S.shipped, S.cancelled]
    with pytest.raises(InvalidTransition, match="не выдают"):
        lifecycle.change_status(db_session, order, S.handed_over, actor=SYSTEM)


def test_payment_state_is_separate_and_refund_requires_payment(db_session, catalog, customer):
    order = place_order(db_session, customer, catalog.cards)
    lifecycle.mark_paid(db_session, order, actor=SYSTEM)
    assert order.payment_status == PaymentStatus.paid and order.paid_at.tzinfo is not None
    assert order.status == S.new
    with pytest.raises(InvalidTransition, match="уже оплачен"):
        lifecycle.mark_paid(db_session, order, actor=SYSTEM)
    advance(db_session, order, S.cancelled, S.refunded)
    assert order.payment_status == PaymentStatus.refunded and order.refunded_at is not None


def test_cancelled_order_cannot_be_marked_paid(db_session, catalog, customer):
    order = advance(db_session, place_order(db_session, customer, catalog.cards), S.cancelled)
    with pytest.raises(InvalidTransition, match="нельзя отметить оплаченным"):
        lifecycle.mark_paid(db_session, order, actor=SYSTEM)


def test_concurrent_numbering_never_repeats_a_number(app, backend):
    """Order numbers come from an atomic counter: parallel transactions get distinct numbers."""
    from app.extensions import db

    results: list[str] = []
    errors: list[Exception] = []

    def take(n: int) -> None:
        with app.app_context():
            try:
                for _ in range(n):
                    results.append(order_placing.next_order_number(db.session, 2026))
                    db.session.commit()
            except Exception as exc:  # pragma: no cover - reported below
                errors.append(exc)
            finally:
                db.session.remove()

    threads = [threading.Thread(target=take, args=(10,)) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    assert sorted(results) == [f"2026-{i:06d}" for i in range(1, 41)]


def test_amounts_that_floats_cannot_hold_exactly_are_accepted(db_session, catalog, customer):
    """SQLite keeps NUMERIC as binary floats; the totals' CHECKs must still hold for exact kopeck amounts."""
    db_session.add(PromoCode(code="SEVEN", kind=PromoKind.percent, value=D("7")))
    db_session.commit()
    ids = catalog.defaults(catalog.cards, "Крафт 350 г/м²", "Двусторонняя 4+4")
    order = place_order(db_session, customer, catalog.cards, quantity=200, option_ids=ids, promo_code="SEVEN")
    db_session.expire_all()
    order = db_session.get(Order, order.id)
    assert order.goods_total == D("2133.68") and order.discount_total == D("149.36")
    assert order.total == D("1984.32") and order.amount_due == order.total
