"""The one status path: single and mass changes leave the same effects, concurrent changes cannot break the
state machine, effects receive the set of orders that changed, payments follow the same rules."""

from __future__ import annotations

import threading
from datetime import timedelta
from decimal import Decimal as D

import pytest
import sqlalchemy as sa

from app.extensions import db
from app.models import (
    Notification,
    Order,
    OrderHistory,
    OrderStatus,
    PaymentStatus,
    PromoCode,
    PromoKind,
)
from app.services.actors import Actor
from app.services.errors import InvalidTransition
from app.services.orders import batches, lifecycle
from app.services.shoptime import now
from tests.factories import advance, place_order

S = OrderStatus
STAFF = Actor.system("test")


def history(session, order_id):
    return [
        (h.field, h.old_value, h.new_value, h.actor_name, h.comment)
        for h in session.scalars(
            sa.select(OrderHistory).where(OrderHistory.order_id == order_id, OrderHistory.field != "created")
        )
    ]


def messages(session, order_id):
    return sorted(
        (n.event, n.channel.value, n.payload["new"])
        for n in session.scalars(
            sa.select(Notification).where(Notification.order_id == order_id, Notification.event != "order_placed")
        )
    )


def test_a_refund_leaves_the_same_history_and_messages_whether_single_or_mass(db_session, catalog, customer):
    single, mass = (
        advance(
            db_session,
            place_order(db_session, customer, catalog.cards),
            S.confirmed,
            S.in_production,
            S.ready,
            S.handed_over,
        )
        for _ in range(2)
    )
    for order in (single, mass):
        lifecycle.mark_paid(db_session, order, actor=STAFF)
        advance(db_session, order, S.completed)
    lifecycle.change_status(db_session, single, S.refunded, actor=STAFF, comment="брак")
    report = batches.change_status(db_session, order_ids=[mass.id], target=S.refunded, actor=STAFF, comment="брак")
    db_session.commit()
    assert report.changed == [mass.number]
    db_session.expire_all()
    assert (single.status, single.payment_status) == (mass.status, mass.payment_status) == (S.refunded, "refunded")
    assert single.refunded_at is not None and mass.refunded_at is not None
    assert history(db_session, single.id) == history(db_session, mass.id)
    assert history(db_session, single.id)[-2:] == [
        ("status", "completed", "refunded", STAFF.name, "брак"),
        ("payment_status", "paid", "refunded", STAFF.name, "брак"),
    ]
    assert messages(db_session, single.id) == messages(db_session, mass.id)


def test_a_cancellation_gives_the_promo_use_back_whether_single_or_mass(db_session, catalog, customer):
    db_session.add(PromoCode(code="MINUS100", kind=PromoKind.fixed, value=D("100")))
    db_session.commit()
    single, mass = (place_order(db_session, customer, catalog.cards, promo_code="minus100") for _ in range(2))
    code = db_session.scalar(sa.select(PromoCode).where(PromoCode.code == "MINUS100"))
    assert code.times_used == 2
    lifecycle.change_status(db_session, single, S.cancelled, actor=STAFF)
    db_session.commit()
    db_session.refresh(code)
    assert code.times_used == 1
    batches.change_status(db_session, order_ids=[mass.id], target=S.cancelled, actor=STAFF)
    db_session.commit()
    db_session.refresh(code)
    assert code.times_used == 0
    assert history(db_session, single.id) == history(db_session, mass.id)


def test_a_stale_order_object_cannot_take_a_forbidden_transition(app, db_session, catalog, customer):
    """Two sessions load an order in «Готов»; A cancels it, then B (still seeing «Готов») hands it over."""
    order = advance(db_session, place_order(db_session, customer, catalog.cards), S.confirmed, S.in_production, S.ready)
    order_id = order.id
    db_session.remove()
    with app.app_context():
        seen_by_b = db.session.get(Order, order_id)
        assert seen_by_b.status == S.ready
        with app.app_context():
            lifecycle.change_status(db.session, db.session.get(Order, order_id), S.cancelled, actor=STAFF)
            db.session.commit()
            db.session.remove()
        with pytest.raises(InvalidTransition, match="нельзя из «Отменён» в «Выдан»"):
            lifecycle.change_status(db.session, seen_by_b, S.handed_over, actor=STAFF)
        db.session.rollback()
        assert seen_by_b.status == S.cancelled
        statuses = db.session.scalars(
            sa.select(OrderHistory.new_value).where(OrderHistory.order_id == order_id, OrderHistory.field == "status")
        ).all()
        assert statuses[-1] == "cancelled" and "handed_over" not in statuses
        db.session.remove()


def race(app, order_id: int, targets: list[OrderStatus]) -> dict[str, str]:
    """Each target in its own thread and session, all starting together: "ok" or the refusal, per target."""
    start = threading.Barrier(len(targets))
    results: dict[str, str] = {}

    def attempt(target: OrderStatus) -> None:
        with app.app_context():
            try:
                loaded = db.session.get(Order, order_id)
                assert loaded.status == S.ready
                start.wait()
                lifecycle.change_status(db.session, loaded, target, actor=STAFF)
                db.session.commit()
                results[target.value] = "ok"
            except InvalidTransition as exc:
                db.session.rollback()
                results[target.value] = exc.message
            finally:
                db.session.remove()

    threads = [threading.Thread(target=attempt, args=(t,)) for t in targets]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return results


@pytest.mark.postgres_only
def test_concurrent_status_changes_give_one_success_and_one_clear_refusal(app, db_session, catalog, customer):
    """Two sessions change one order at the same moment: cancel vs hand over. One wins, the other is refused
    with the reason, and the history shows one change from «Готов»."""
    for _ in range(5):
        order = advance(
            db_session, place_order(db_session, customer, catalog.cards), S.confirmed, S.in_production, S.ready
        )
        results = race(app, order.id, [S.cancelled, S.handed_over])
        assert sorted(results.values()).count("ok") == 1, results
        refusal = next(v for v in results.values() if v != "ok")
        assert refusal.startswith(f"Заказ {order.number}: "), refusal
        status_entries = db_session.execute(
            sa.select(OrderHistory.old_value, OrderHistory.new_value).where(
                OrderHistory.order_id == order.id, OrderHistory.field == "status", OrderHistory.old_value == "ready"
            )
        ).all()
        assert len(status_entries) == 1
        db_session.expire_all()
        assert order.status.value == status_entries[0].new_value


def test_effects_receive_the_set_of_orders_that_changed(db_session, catalog, customer):
    seen: list[tuple[int, list[tuple[str, str]]]] = []

    @lifecycle.on_status_change(order=50)
    def spy(transition: lifecycle.Transition) -> None:
        seen.append((len(transition.changes), [(c.old.value, c.new.value) for c in transition.changes]))

    try:
        orders = [place_order(db_session, customer, catalog.cards) for _ in range(3)]
        lifecycle.change_status(db_session, orders[0], S.confirmed, actor=STAFF)
        batches.change_status(db_session, order_ids=[o.id for o in orders], target=S.confirmed, actor=STAFF)
        db_session.commit()
    finally:
        lifecycle._STATUS_EFFECTS[:] = [e for e in lifecycle._STATUS_EFFECTS if e[2] is not spy]
    # a set of one, then the two that could still move (the first was already confirmed)
    assert seen == [(1, [("new", "confirmed")]), (2, [("new", "confirmed"), ("new", "confirmed")])]


def test_the_registered_effects_run_in_a_fixed_order():
    names = lifecycle.status_effects()
    assert names.index("app.services.orders.lifecycle.release_promo_codes") < names.index(
        "app.services.orders.lifecycle.notify_customers"
    )
    assert names[-1] == "app.services.orders.lifecycle.notify_customers"


def test_an_undo_runs_the_effects_in_reverse(db_session, catalog, customer):
    db_session.add(PromoCode(code="MINUS100", kind=PromoKind.fixed, value=D("100")))
    db_session.commit()
    order = place_order(db_session, customer, catalog.cards, promo_code="minus100")
    operator = Actor(STAFF.kind, "Оператор", staff_id=None)
    report = batches.change_status(db_session, order_ids=[order.id], target=S.cancelled, actor=operator)
    db_session.commit()
    code = db_session.scalar(sa.select(PromoCode).where(PromoCode.code == "MINUS100"))
    assert code.times_used == 0
    undone = lifecycle.apply_status(
        db_session,
        {order.id: S.new},
        actor=operator,
        undoes=report.batch_id,
        undone_at=now() - timedelta(seconds=1),
        expected={order.id: S.cancelled},
    )
    db_session.commit()
    db_session.expire_all()
    assert [c.number for c in undone.changed] == [order.number]
    assert (order.status, order.cancelled_at, code.times_used) == (S.new, None, 1)


def test_marking_paid_checks_the_amount_and_the_date(db_session, catalog, customer):
    order = place_order(db_session, customer, catalog.cards)
    with pytest.raises(InvalidTransition, match="не равна сумме к оплате"):
        lifecycle.mark_paid(db_session, order, actor=STAFF, amount=order.amount_due - D("1"))
    with pytest.raises(InvalidTransition, match="в будущем"):
        lifecycle.mark_paid(db_session, order, actor=STAFF, paid_at=now() + timedelta(days=1))
    db_session.rollback()
    assert order.payment_status == PaymentStatus.unpaid
    lifecycle.mark_paid(db_session, order, actor=STAFF, amount=order.amount_due, comment="выписка № 12")
    db_session.commit()
    assert order.payment_status == PaymentStatus.paid and order.paid_at is not None
    assert history(db_session, order.id) == [("payment_status", "unpaid", "paid", STAFF.name, "выписка № 12")]
    assert not lifecycle.can_mark_paid(order)


def test_payment_effects_receive_the_payments(db_session, catalog, customer):
    seen = []

    @lifecycle.on_payment(order=50)
    def spy(payment: lifecycle.Payment) -> None:
        seen.extend((c.number, c.amount) for c in payment.changes)

    try:
        orders = [place_order(db_session, customer, catalog.cards) for _ in range(2)]
        outcome = lifecycle.apply_payment(db_session, [o.id for o in orders], actor=STAFF)
        db_session.commit()
    finally:
        lifecycle._PAYMENT_EFFECTS[:] = [e for e in lifecycle._PAYMENT_EFFECTS if e[2] is not spy]
    assert seen == [(o.number, o.amount_due) for o in orders]
    assert outcome.refused == {}
