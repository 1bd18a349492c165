"""Bonus points: earning on what was paid in money, pending → available after the return window, spending at
checkout within the limits, cancel/refund by the recorded amounts (also by a mass change and its undo), expiry
FIFO with a warning, tiers, idempotency, the ledger's append-only rule and balances equal to its sums."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from decimal import ROUND_DOWN, Decimal

import pytest
import sqlalchemy as sa
import time_machine

from app.models import EntryKind, LoyaltyAccount, LoyaltyEntry, Notification, OrderStatus, Tier
from app.models.base import AppendOnlyRowChanged
from app.services import storage
from app.services.actors import Actor
from app.services.errors import InvalidTransition, ValidationError
from app.services.loyalty import checkout, effects, ledger, maturity, rules, tiers
from app.services.orders import batches, lifecycle, placing
from app.services.orders import cart as cart_service
from tests.factories import advance, layout_for, make_company, make_staff, place_order

S = OrderStatus
SYSTEM = Actor.system("test")
REALISE = (S.confirmed, S.in_production, S.ready, S.handed_over)


def give(session, customer, points, *, at=None):
    """Available points for a customer, as a staff adjustment would."""
    ledger.post(
        session,
        customer_id=customer.id,
        kind=EntryKind.adjust,
        key=f"adjust:{uuid.uuid4().hex}",
        actor=SYSTEM,
        available=points,
        reason="тест",
        moment=at,
    )
    session.commit()


def fill_cart(session, customer, product, quantity=None):
    cart = cart_service.get_or_create_cart(session, token=None, customer_id=customer.id)
    from app.services.catalog.products import default_option_ids

    ids = default_option_ids(product)
    layout = storage.store_bytes(session, data=layout_for(product, ids), filename="m.pdf", customer_id=customer.id)
    cart_service.add_item(
        session,
        cart,
        product=product,
        quantity=quantity or product.price_tiers[-1].quantity,
        option_value_ids=ids,
        layout=layout,
    )
    session.commit()
    return cart


def checkout_data(customer, *, token=None, delivery="pickup", address="", company_id=""):
    return placing.CheckoutData(
        contact_name="Покупатель",
        contact_email=customer.email,
        contact_phone="+7 999 000-11-22",
        delivery_method=delivery,
        payment_method="invoice" if delivery == "post" else "on_receipt",
        delivery_address=address,
        checkout_token=token or uuid.uuid4().hex,
        company_id=company_id,
    )


def order_with_points(session, customer, product, points, **kwargs):
    cart = fill_cart(session, customer, product)
    order = checkout.place_order(
        session, customer=customer, cart=cart, data=checkout_data(customer, **kwargs), points=points
    )
    session.commit()
    return order


def kinds(session, customer):
    return [
        (e.kind, e.available, e.pending)
        for e in session.scalars(
            sa.select(LoyaltyEntry).where(LoyaltyEntry.customer_id == customer.id).order_by(LoyaltyEntry.id)
        )
    ]


def bal(session, customer):
    session.expire_all()
    return ledger.balance(session, customer.id)


def assert_ledger_consistent(session):
    session.expire_all()
    assert ledger.check_balances(session) == {}


def complete(session, order):
    advance(session, order, *REALISE)
    lifecycle.mark_paid(session, order, actor=SYSTEM)
    session.commit()
    advance(session, order, S.completed)
    return order


def floor_rate(amount, rate):
    return int((amount * Decimal(rate) / 100).to_integral_value(rounding=ROUND_DOWN))


# --- earning --------------------------------------------------------------------------------------------------


def test_points_are_earned_on_the_money_paid_for_products_only(db_session, catalog, customer):
    give(db_session, customer, 1000)
    order = order_with_points(
        db_session, customer, catalog.cards, 300, delivery="courier", address="г. Москва, ул. Ленина, д. 1"
    )
    products_money = sum(line.total for line in order.product_lines)
    assert order.points_paid == Decimal("300.00")
    assert sum(line.points for line in order.product_lines) == Decimal("300.00")
    assert bal(db_session, customer).available == 700
    lifecycle.mark_paid(db_session, order, actor=SYSTEM)
    db_session.commit()
    expected = floor_rate(products_money, 3)  # delivery and the points part earn nothing
    assert (EntryKind.earn_pending, 0, expected) in kinds(db_session, customer)
    assert bal(db_session, customer).pending == expected
    # paying again (a repeated click) earns nothing more
    with pytest.raises(InvalidTransition, match="уже оплачен"):
        lifecycle.mark_paid(db_session, order, actor=SYSTEM)
    db_session.rollback()
    effects.earn(db_session, [(order.id, customer.id, order.number)], SYSTEM)
    db_session.commit()
    assert bal(db_session, customer).pending == expected
    assert_ledger_consistent(db_session)


def test_a_company_order_neither_spends_nor_earns_personal_points(db_session, catalog, customer):
    give(db_session, customer, 1000)
    company = make_company(db_session, customer)
    cart = fill_cart(db_session, customer, catalog.cards)
    with pytest.raises(ValidationError, match="компании"):
        checkout.place_order(
            db_session,
            customer=customer,
            cart=cart,
            data=checkout_data(customer, company_id=str(company.id)),
            points=100,
        )
    db_session.rollback()
    order = checkout.place_order(
        db_session, customer=customer, cart=cart, data=checkout_data(customer, company_id=str(company.id)), points=""
    )
    db_session.commit()
    lifecycle.mark_paid(db_session, order, actor=SYSTEM)
    db_session.commit()
    assert bal(db_session, customer) == ledger.Balance(1000, 0)


# --- pending → available ----------------------------------------------------------------------------------------


def test_pending_points_become_available_only_after_completion_and_the_return_window(db_session, catalog, customer):
    from app.services.messaging import notifications

    notifications.save_preferences(
        db_session,
        customer_id=customer.id,
        channels={notifications.POINTS_CREDITED: ["email"]},
        order_statuses=[],
    )
    order = place_order(db_session, customer, catalog.cards)
    lifecycle.mark_paid(db_session, order, actor=SYSTEM)
    db_session.commit()
    earned = bal(db_session, customer).pending
    assert earned > 0
    # paid but not completed: a year later still pending
    with time_machine.travel(datetime.now(UTC) + timedelta(days=400), tick=False):
        assert maturity.activate_due(db_session).activated_points == 0
    advance(db_session, order, *REALISE, S.completed)
    with time_machine.travel(datetime.now(UTC) + timedelta(days=13), tick=False):
        assert maturity.activate_due(db_session).activated_points == 0
    with time_machine.travel(datetime.now(UTC) + timedelta(days=14, minutes=1), tick=False):
        report = maturity.activate_due(db_session)
        db_session.commit()
        assert report.activated_points == earned
        assert maturity.activate_due(db_session).activated_points == 0  # the job run twice
        db_session.commit()
    assert bal(db_session, customer) == ledger.Balance(earned, 0)
    assert [k for k, _, _ in kinds(db_session, customer)] == [EntryKind.earn_pending, EntryKind.activate]
    credited = db_session.scalars(sa.select(Notification).where(Notification.event == "points_credited")).all()
    assert [(n.channel.value, n.payload["points"], n.payload["balance"]) for n in credited] == [
        ("email", earned, earned)
    ]
    assert_ledger_consistent(db_session)


# --- cancel and refund --------------------------------------------------------------------------------------------


def test_cancel_before_activation_returns_spent_points_and_removes_pending_ones(db_session, catalog, customer):
    give(db_session, customer, 500)
    order = order_with_points(db_session, customer, catalog.cards, 200)
    lifecycle.mark_paid(db_session, order, actor=SYSTEM)
    db_session.commit()
    earned = bal(db_session, customer).pending
    assert bal(db_session, customer) == ledger.Balance(300, earned)
    lifecycle.change_status(db_session, order, S.cancelled, actor=SYSTEM)
    db_session.commit()
    assert bal(db_session, customer) == ledger.Balance(500, 0)
    # cancelled → refunded gives nothing twice
    lifecycle.change_status(db_session, order, S.refunded, actor=SYSTEM)
    db_session.commit()
    assert bal(db_session, customer) == ledger.Balance(500, 0)
    assert [k for k, _, _ in kinds(db_session, customer)].count(EntryKind.return_spent) == 1
    assert_ledger_consistent(db_session)


def test_refund_after_the_earned_points_were_spent_leaves_a_debt(db_session, catalog, customer):
    order = complete(db_session, place_order(db_session, customer, catalog.cards))
    earned = bal(db_session, customer).pending
    with time_machine.travel(datetime.now(UTC) + timedelta(days=15), tick=False):
        maturity.activate_due(db_session)
        db_session.commit()
        assert bal(db_session, customer).available == earned
        ledger.spend(db_session, customer_id=customer.id, points=earned, key="spend:test", actor=SYSTEM)
        db_session.commit()
        lifecycle.change_status(db_session, order, S.refunded, actor=SYSTEM, comment="брак")
        db_session.commit()
    assert bal(db_session, customer) == ledger.Balance(-earned, 0)
    assert kinds(db_session, customer)[-1] == (EntryKind.reverse, -earned, 0)
    # future earnings pay the debt off
    give(db_session, customer, earned + 10)
    assert bal(db_session, customer).available == 10
    assert_ledger_consistent(db_session)


def test_mass_cancel_and_its_undo_move_points_the_same_way(app, db_session, catalog, customer):
    email = make_staff(app, "Operator")
    from flask_appbuilder.security.sqla.models import User

    staff = Actor.staff(db_session.scalar(sa.select(User).where(User.email == email)))
    give(db_session, customer, 600)
    first = order_with_points(db_session, customer, catalog.cards, 200)
    second = order_with_points(db_session, customer, catalog.cards, 300)
    assert bal(db_session, customer).available == 100
    report = batches.change_status(db_session, order_ids=[first.id, second.id], target=S.cancelled, actor=staff)
    db_session.commit()
    assert sorted(report.changed) == sorted([first.number, second.number])
    assert bal(db_session, customer).available == 600
    # the customer spends some meanwhile: the second order can no longer take its points back
    ledger.spend(db_session, customer_id=customer.id, points=350, key="spend:elsewhere", actor=SYSTEM)
    db_session.commit()
    undo = batches.undo(db_session, batch_id=report.batch_id, actor=staff)
    db_session.commit()
    assert undo.changed == [first.number]
    assert [s.number for s in undo.skipped] == [second.number]
    assert "баллов уже недостаточно" in undo.skipped[0].reason
    db_session.expire_all()
    assert (first.status, second.status) == (S.new, S.cancelled)
    assert bal(db_session, customer).available == 50
    assert_ledger_consistent(db_session)


# --- spending -----------------------------------------------------------------------------------------------------


def test_spending_is_limited_by_the_cap_the_minimum_order_and_the_balance(db_session, catalog, customer):
    give(db_session, customer, 100000)
    cart = fill_cart(db_session, customer, catalog.cards)
    priced = placing.price_order(db_session, customer_id=customer.id, cart=cart, delivery=placing.DeliveryMethod.pickup)
    cap = floor_rate(priced.products_after_discount, 20)
    limit = checkout.spend_limit(
        db_session, customer_id=customer.id, products_amount=priced.products_after_discount, for_company=False
    )
    assert limit.limit == cap and "можно списать до" in limit.note.lower()
    assert "не больше 20\u00a0% стоимости товаров (уровень «Старт»)" in limit.note
    with pytest.raises(ValidationError, match="не больше"):
        checkout.place_order(db_session, customer=customer, cart=cart, data=checkout_data(customer), points=cap + 1)
    db_session.rollback()
    for bad in ("12,5", "-3", "много"):
        with pytest.raises(ValidationError, match="целое число"):
            checkout.place_order(db_session, customer=customer, cart=cart, data=checkout_data(customer), points=bad)
        db_session.rollback()
    assert db_session.scalar(sa.select(sa.func.count()).select_from(LoyaltyEntry)) == 1  # only the gift
    small = checkout.spend_limit(
        db_session, customer_id=customer.id, products_amount=Decimal("499.99"), for_company=False
    )
    assert small.limit == 0 and "от 500,00" in small.note
    poor = checkout.spend_limit(
        db_session, customer_id=customer.id, products_amount=Decimal("100000"), for_company=False
    )
    assert poor.limit == 20000
    give(db_session, customer, -99950)
    assert (
        checkout.spend_limit(
            db_session, customer_id=customer.id, products_amount=Decimal("100000"), for_company=False
        ).limit
        == 50
    )


def test_a_double_submitted_checkout_spends_once(db_session, catalog, customer):
    give(db_session, customer, 500)
    token = uuid.uuid4().hex
    first = order_with_points(db_session, customer, catalog.cards, 100, token=token)
    cart = cart_service.get_or_create_cart(db_session, token=None, customer_id=customer.id)
    again = checkout.place_order(
        db_session, customer=customer, cart=cart, data=checkout_data(customer, token=token), points=100
    )
    db_session.commit()
    assert again.id == first.id
    assert bal(db_session, customer).available == 400


def test_spending_more_points_than_the_balance_is_refused_and_nothing_changes(db_session, catalog, customer):
    give(db_session, customer, 50)
    with pytest.raises(ledger.NotEnoughPoints, match="недостаточно"):
        ledger.spend(db_session, customer_id=customer.id, points=51, key="k", actor=SYSTEM)
    db_session.rollback()
    assert bal(db_session, customer).available == 50


# --- expiry -------------------------------------------------------------------------------------------------------


def test_points_expire_fifo_with_a_warning_before(db_session, catalog, customer):
    start = datetime.now(UTC)
    give(db_session, customer, 100, at=start)
    give(db_session, customer, 50, at=start + timedelta(days=100))
    ledger.spend(db_session, customer_id=customer.id, points=30, key="s1", actor=SYSTEM)  # takes the oldest first
    db_session.commit()
    with time_machine.travel(start + timedelta(days=355), tick=False):
        report = maturity.warn_expiring(db_session)
        maturity.warn_expiring(db_session)
        db_session.commit()
        warnings = db_session.scalars(sa.select(Notification).where(Notification.event == "points_expiring")).all()
        assert warnings and {w.payload["points"] for w in warnings} == {70}
        assert len({w.dedupe_key for w in warnings}) == len(warnings)
        assert report.warned_customers == 1
        assert maturity.expire_due(db_session).expired_points == 0
    with time_machine.travel(start + timedelta(days=366), tick=False):
        assert maturity.expire_due(db_session).expired_points == 70
        assert maturity.expire_due(db_session).expired_points == 0
        db_session.commit()
    assert bal(db_session, customer).available == 50
    with time_machine.travel(start + timedelta(days=470), tick=False):
        assert maturity.expire_due(db_session).expired_points == 50
        db_session.commit()
    assert bal(db_session, customer).available == 0
    assert_ledger_consistent(db_session)


# --- tiers --------------------------------------------------------------------------------------------------------


def test_tier_goes_up_with_completed_orders_and_down_when_they_age_out_or_are_refunded(db_session, catalog, customer):
    db_session.add_all([])
    rules.save(
        db_session,
        {**rules.DEFAULTS, "regular_from": "700", "partner_from": "1500"},
        actor=SYSTEM,
    )
    db_session.commit()
    first = complete(db_session, place_order(db_session, customer, catalog.cards))
    assert tiers.tier_of(db_session, customer.id) == Tier.regular
    second = complete(db_session, place_order(db_session, customer, catalog.cards))
    assert tiers.tier_of(db_session, customer.id) == Tier.partner
    # a paid order now earns at the partner rate
    third = place_order(db_session, customer, catalog.cards)
    lifecycle.mark_paid(db_session, third, actor=SYSTEM)
    db_session.commit()
    earned = kinds(db_session, customer)[-1][2]
    assert earned == floor_rate(sum(line.total for line in third.product_lines), 7)
    lifecycle.change_status(db_session, second, S.refunded, actor=SYSTEM)
    db_session.commit()
    assert tiers.tier_of(db_session, customer.id) == Tier.regular
    with time_machine.travel(first.completed_at + timedelta(days=366), tick=False):
        maturity.run_daily(db_session)
        db_session.commit()
    assert tiers.tier_of(db_session, customer.id) == Tier.start


# --- the ledger ---------------------------------------------------------------------------------------------------


def test_the_ledger_refuses_updates_and_deletes(app, db_session, customer):
    from app.extensions import db

    give(db_session, customer, 10)
    entry = db_session.scalars(sa.select(LoyaltyEntry)).one()
    entry.available = 1000
    with pytest.raises(AppendOnlyRowChanged):
        db_session.flush()
    db_session.rollback()
    for sql in ("UPDATE loyalty_entry SET available = 1000", "DELETE FROM loyalty_entry"):
        with db.engine.connect() as conn, pytest.raises(sa.exc.DatabaseError, match="append-only"):
            conn.execute(sa.text(sql))
    assert bal(db_session, customer).available == 10


def test_a_staff_adjustment_needs_a_reason_and_names_the_staff_member(db_session, customer):
    staff = Actor(kind=SYSTEM.kind.__class__("staff"), name="Тестов Менеджер")
    with pytest.raises(ValidationError, match="причину"):
        ledger.adjust(db_session, customer_id=customer.id, points="100", reason="", actor=staff, key="a1")
    with pytest.raises(ValidationError, match="целое число"):
        ledger.adjust(db_session, customer_id=customer.id, points="10.5", reason="компенсация", actor=staff, key="a1")
    db_session.rollback()
    ledger.adjust(db_session, customer_id=customer.id, points="-40", reason="ошибка начисления", actor=staff, key="a2")
    with pytest.raises(ValidationError, match="уже проведена"):
        ledger.adjust(
            db_session, customer_id=customer.id, points="-40", reason="ошибка начисления", actor=staff, key="a2"
        )
    db_session.rollback()
    ledger.adjust(db_session, customer_id=customer.id, points="-40", reason="ошибка начисления", actor=staff, key="a2")
    db_session.commit()
    entry = db_session.scalars(sa.select(LoyaltyEntry)).one()
    assert (entry.kind, entry.available, entry.actor_name, entry.reason) == (
        EntryKind.adjust,
        -40,
        "Тестов Менеджер",
        "ошибка начисления",
    )
    assert db_session.get(LoyaltyAccount, customer.id).available == -40


def test_settings_are_checked_and_every_change_is_kept(db_session):
    with pytest.raises(ValidationError, match="от 0 до 100"):
        rules.save(db_session, {**rules.DEFAULTS, "start_rate": "150"}, actor=SYSTEM)
    with pytest.raises(ValidationError, match="Партнёр"):
        rules.save(db_session, {**rules.DEFAULTS, "partner_from": "100"}, actor=SYSTEM)
    db_session.rollback()
    rules.save(db_session, {**rules.DEFAULTS, "start_rate": "4,5"}, actor=SYSTEM)
    rules.save(db_session, {**rules.DEFAULTS, "expiry_days": "180"}, actor=SYSTEM)
    db_session.commit()
    assert rules.current(db_session).expiry_days == 180 and rules.current(db_session).start_rate == Decimal("3")
    assert [row.start_rate for row in rules.history(db_session)] == [Decimal("3.00"), Decimal("4.50")]


def test_the_order_status_email_names_the_points_spent_and_earned(db_session, catalog, customer, smtp_server):
    from app.services.messaging import outbox

    give(db_session, customer, 500)
    order = order_with_points(db_session, customer, catalog.cards, 100)
    lifecycle.mark_paid(db_session, order, actor=SYSTEM)
    advance(db_session, order, S.confirmed)
    earned = bal(db_session, customer).pending
    outbox.deliver_due(db_session)
    db_session.commit()
    placed = next(m for m in smtp_server.messages if m["Subject"].endswith("принят"))
    assert "Оплачено баллами: 100\u00a0баллов" in smtp_server.mailbox.body(placed)
    mail = next(m for m in smtp_server.messages if "Принят" in m["Subject"])
    text = smtp_server.mailbox.body(mail)
    assert "Оплачено баллами: 100\u00a0баллов" in text
    assert f"Бонусные баллы за заказ: {checkout.format_points(earned)} — ожидают окончания срока возврата" in text
    assert "Оплачено баллами: 100\u00a0баллов" in smtp_server.mailbox.body(mail, "html")


def test_a_line_removed_by_staff_gives_back_exactly_its_points(db_session, catalog, customer):
    from app.services.orders import editing

    give(db_session, customer, 2000)
    fill_cart(db_session, customer, catalog.cards)
    order = order_with_points(db_session, customer, catalog.flyers, 900)  # the cart holds cards and flyers
    assert len(order.product_lines) == 2 and order.points_paid == 900
    cards = next(line for line in order.product_lines if line.product_id == catalog.cards.id)
    cards_points = cards.points
    assert 0 < cards_points < 900 and cards_points == int(cards_points)
    staff = Actor.system("оператор")
    editing.remove_line(db_session, order, cards.id, actor=staff, comment="клиент передумал")
    db_session.commit()
    db_session.expire_all()
    assert order.points_paid == 900 - cards_points
    assert order.total == order.goods_total - order.discount_total - order.points_paid
    assert bal(db_session, customer).available == 2000 - 900 + int(cards_points)
    assert kinds(db_session, customer)[-1] == (EntryKind.return_spent, int(cards_points), 0)
    # a cheaper remaining line keeps at most its own amount in points; the rest comes back too
    flyers = order.product_lines[0]
    editing.change_line(
        db_session,
        order,
        flyers.id,
        actor=staff,
        quantity=flyers.quantity,
        option_value_ids=[o["value_id"] for o in flyers.options],
        price="500",
    )
    db_session.commit()
    db_session.expire_all()
    assert order.points_paid == 500 and order.total == order.amount_due
    assert bal(db_session, customer).available == 1500
    # cancelling gives back what is still spent, not the original 900
    lifecycle.change_status(db_session, order, S.cancelled, actor=staff)
    db_session.commit()
    assert bal(db_session, customer).available == 2000
    assert_ledger_consistent(db_session)
