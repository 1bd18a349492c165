"""Mass actions: per-order reports, nothing half-done, side effects, concurrency guards, undo, assignment."""

from datetime import timedelta
from decimal import Decimal as D

import pytest
import sqlalchemy as sa
import time_machine

from app.models import Notification, Order, OrderBatch, OrderHistory, OrderStatus, PaymentStatus, PromoCode, PromoKind
from app.services.actors import Actor
from app.services.errors import InvalidTransition, PermissionDenied, ValidationError
from app.services.messaging import outbox
from app.services.orders import batches, lifecycle, sets
from app.services.orders.history import recorded_update
from app.services.shoptime import now
from tests.factories import advance, make_staff, place_order

S = OrderStatus
SYSTEM = Actor.system("test")


def staff_actor(app, role="Operator"):
    from flask_appbuilder.security.sqla.models import User

    from app.extensions import db

    email = make_staff(app, role)
    with app.app_context():
        user = db.session.scalar(sa.select(User).where(User.email == email))
        actor = Actor.staff(user)
        db.session.remove()
    return actor


@pytest.fixture
def operator(app):
    return staff_actor(app)


def count(session, model, *where):
    return session.scalar(sa.select(sa.func.count()).select_from(model).where(*where))


@pytest.fixture
def mixed(db_session, catalog, customer):
    """Orders in different states: two new, one confirmed, one handed over, one courier order ready."""
    new1 = place_order(db_session, customer, catalog.cards)
    new2 = place_order(db_session, customer, catalog.flyers)
    confirmed = advance(db_session, place_order(db_session, customer, catalog.cards), S.confirmed)
    handed = advance(
        db_session,
        place_order(db_session, customer, catalog.cards),
        S.confirmed,
        S.in_production,
        S.ready,
        S.handed_over,
    )
    courier = advance(
        db_session,
        place_order(db_session, customer, catalog.flyers, delivery="courier", address="Москва, ул. Тверская, д. 7"),
        S.confirmed,
        S.in_production,
        S.ready,
    )
    return new1, new2, confirmed, handed, courier


def test_mixed_selection_changes_the_valid_orders_and_reports_each_skipped_one(db_session, mixed, operator):
    new1, new2, confirmed, handed, courier = mixed
    notifications_before = count(db_session, Notification)
    report = batches.change_status(
        db_session,
        order_ids=[o.id for o in mixed] + [987654],
        target=S.confirmed,
        actor=operator,
        comment="Проверили макеты",
    )
    db_session.commit()
    assert report.changed == sorted([new1.number, new2.number])
    assert [(s.number, s.reason) for s in report.skipped] == sorted(
        [
            (confirmed.number, "уже в статусе «Принят»"),
            (handed.number, "нельзя из «Выдан» в «Принят»"),
            (courier.number, "нельзя из «Готов» в «Принят»"),
        ]
    ) + [("№987654", "заказ не найден")]
    summary = report.summary()
    assert summary.startswith("2 изменено, 4 пропущено: заказ ")
    assert f"заказ {handed.number} — нельзя из «Выдан» в «Принят»" in summary

    db_session.expire_all()
    for order in (new1, new2):
        assert order.status == S.confirmed and order.confirmed_at is not None
        status_entry = db_session.scalars(
            sa.select(OrderHistory).where(OrderHistory.order_id == order.id, OrderHistory.field == "status")
        ).one()
        assert (status_entry.old_value, status_entry.new_value, status_entry.batch_id, status_entry.comment) == (
            "new",
            "confirmed",
            report.batch_id,
            "Проверили макеты",
        )
        message = db_session.scalars(
            sa.select(Notification).where(Notification.order_id == order.id, Notification.id > 0)
        ).all()[-1]
        assert message.payload == {"number": order.number, "old": "new", "new": "confirmed"}
    # Skipped orders are untouched: no entry of this batch, no new message, the same status.
    assert count(db_session, OrderHistory, OrderHistory.batch_id == report.batch_id) == 2
    assert count(db_session, Notification) == notifications_before + 2
    assert (confirmed.status, handed.status, courier.status) == (S.confirmed, S.handed_over, S.ready)
    batch = db_session.get(OrderBatch, report.batch_id)
    assert (batch.changed_count, batch.skipped_count, batch.staff_id, batch.target) == (
        2,
        4,
        operator.staff_id,
        "confirmed",
    )
    assert batch.skipped[0] == {"number": report.skipped[0].number, "reason": report.skipped[0].reason}


def test_an_order_changed_meanwhile_is_skipped_and_the_others_are_complete(db_session, mixed, operator, monkeypatch):
    """The UPDATE is guarded by the expected old status: a concurrent change loses nothing and half-does nothing."""
    new1, new2, *_ = mixed
    real_load = sets.load

    def load_then_someone_else_changes_new2(session, ids, *columns):
        rows = real_load(session, ids, *columns)
        session.execute(
            sa.update(Order).where(Order.id == new2.id).values(status=S.cancelled), execution_options=recorded_update()
        )
        return rows

    monkeypatch.setattr(sets, "load", load_then_someone_else_changes_new2)
    report = batches.change_status(db_session, order_ids=[new1.id, new2.id], target=S.confirmed, actor=operator)
    db_session.commit()
    assert report.changed == [new1.number]
    assert [(s.number, s.reason) for s in report.skipped] == [(new2.number, batches.CONCURRENT)]
    db_session.expire_all()
    assert (new1.status, new2.status, new2.confirmed_at) == (S.confirmed, S.cancelled, None)
    assert count(db_session, OrderHistory, OrderHistory.batch_id == report.batch_id) == 1
    assert count(db_session, Notification, Notification.order_id == new2.id, Notification.event != "order_placed") == 0


def test_mass_cancel_gives_promo_uses_back_and_mass_refund_refunds_payment(db_session, catalog, customer, operator):
    db_session.add(PromoCode(code="MINUS100", kind=PromoKind.fixed, value=D("100")))
    db_session.commit()
    with_promo = [place_order(db_session, customer, catalog.cards, promo_code="minus100") for _ in range(3)]
    promo = db_session.scalar(sa.select(PromoCode).where(PromoCode.code == "MINUS100"))
    assert promo.times_used == 3
    report = batches.change_status(
        db_session, order_ids=[o.id for o in with_promo[:2]], target=S.cancelled, actor=operator
    )
    db_session.commit()
    db_session.expire_all()
    assert len(report.changed) == 2 and promo.times_used == 1
    assert all(o.cancelled_at is not None for o in with_promo[:2])

    paid = place_order(db_session, customer, catalog.cards, payment="invoice")
    advance(db_session, paid, S.confirmed)
    lifecycle.mark_paid(db_session, paid, actor=SYSTEM)
    advance(db_session, paid, S.cancelled)
    unpaid = with_promo[0]
    report = batches.change_status(db_session, order_ids=[paid.id, unpaid.id], target=S.refunded, actor=operator)
    db_session.commit()
    db_session.expire_all()
    assert report.changed == [paid.number]
    assert [(s.number, s.reason) for s in report.skipped] == [(unpaid.number, "не оплачен — возвращать нечего")]
    assert (paid.status, paid.payment_status) == (S.refunded, PaymentStatus.refunded) and paid.refunded_at
    fields = db_session.scalars(
        sa.select(OrderHistory.field).where(OrderHistory.batch_id == report.batch_id).order_by(OrderHistory.id)
    ).all()
    assert fields == ["status", "payment_status"]


def test_bad_input_changes_nothing(db_session, mixed, operator):
    new1 = mixed[0]
    history_before = count(db_session, OrderHistory)
    with pytest.raises(InvalidTransition, match="Неизвестный статус"):
        batches.change_status(db_session, order_ids=[new1.id], target="printed", actor=operator)
    with pytest.raises(ValidationError, match="Не выбрано ни одного заказа"):
        batches.change_status(db_session, order_ids=[], target=S.confirmed, actor=operator)
    with pytest.raises(ValidationError, match="Неверный список заказов"):
        batches.parse_ids("1,два,3")
    db_session.rollback()
    assert count(db_session, OrderHistory) == history_before and count(db_session, OrderBatch) == 0


def test_undo_restores_statuses_timestamps_and_is_recorded(db_session, mixed, operator):
    new1, new2, confirmed, *_ = mixed
    report = batches.change_status(
        db_session, order_ids=[new1.id, new2.id, confirmed.id], target=S.confirmed, actor=operator
    )
    db_session.commit()
    undo = batches.undo(db_session, batch_id=report.batch_id, actor=operator)
    db_session.commit()
    db_session.expire_all()
    assert undo.changed == sorted([new1.number, new2.number]) and undo.skipped == []
    assert (new1.status, new1.confirmed_at, new2.status) == (S.new, None, S.new)
    assert confirmed.status == S.confirmed  # it was skipped by the batch, so the undo leaves it alone
    rows = db_session.scalars(sa.select(OrderHistory).where(OrderHistory.batch_id == undo.batch_id)).all()
    assert {(r.order_id, r.old_value, r.new_value) for r in rows} == {
        (new1.id, "confirmed", "new"),
        (new2.id, "confirmed", "new"),
    }
    assert all(r.comment.startswith("Отмена массовой операции от ") for r in rows)
    assert db_session.get(OrderBatch, undo.batch_id).undoes_id == report.batch_id
    with pytest.raises(ValidationError, match="уже отменена"):
        batches.undo(db_session, batch_id=report.batch_id, actor=operator)


def test_undo_skips_orders_changed_since_and_restores_the_rest(db_session, mixed, operator):
    new1, new2, *_ = mixed
    report = batches.change_status(db_session, order_ids=[new1.id, new2.id], target=S.confirmed, actor=operator)
    db_session.commit()
    lifecycle.change_status(db_session, db_session.get(Order, new2.id), S.in_production, actor=SYSTEM)
    db_session.commit()
    undo = batches.undo(db_session, batch_id=report.batch_id, actor=operator)
    db_session.commit()
    db_session.expire_all()
    assert undo.changed == [new1.number]
    assert [(s.number, s.reason) for s in undo.skipped] == [(new2.number, "изменён после массовой операции")]
    assert (new1.status, new2.status) == (S.new, S.in_production)


def test_undo_of_a_cancellation_takes_the_promo_use_again_or_skips_when_exhausted(
    db_session, catalog, customer, operator
):
    db_session.add(PromoCode(code="ONCE", kind=PromoKind.fixed, value=D("50"), usage_limit=1))
    db_session.commit()
    order = place_order(db_session, customer, catalog.cards, promo_code="once")
    plain = place_order(db_session, customer, catalog.cards)
    report = batches.change_status(db_session, order_ids=[order.id, plain.id], target=S.cancelled, actor=operator)
    db_session.commit()
    promo = db_session.scalar(sa.select(PromoCode).where(PromoCode.code == "ONCE"))
    assert promo.times_used == 0
    place_order(db_session, customer, catalog.cards, promo_code="once")  # someone else takes the last use
    undo = batches.undo(db_session, batch_id=report.batch_id, actor=operator)
    db_session.commit()
    db_session.expire_all()
    assert undo.changed == [plain.number]
    assert [(s.number, s.reason) for s in undo.skipped] == [(order.number, "лимит промокода ONCE исчерпан")]
    assert (order.status, plain.status, promo.times_used) == (S.cancelled, S.new, 1)


def test_undo_of_a_cancellation_takes_the_customers_once_only_use_again(db_session, catalog, customer, operator):
    """Undone, the cancellation's order holds its per-customer use again: the customer cannot spend it twice."""
    from app.models import PromoRedemption

    db_session.add(PromoCode(code="ONCE4U", kind=PromoKind.fixed, value=D("50"), per_customer_limit=1))
    db_session.commit()
    order = place_order(db_session, customer, catalog.cards, promo_code="once4u")
    report = batches.change_status(db_session, order_ids=[order.id], target=S.cancelled, actor=operator)
    db_session.commit()
    assert count(db_session, PromoRedemption, PromoRedemption.order_id == order.id) == 0
    undo = batches.undo(db_session, batch_id=report.batch_id, actor=operator)
    db_session.commit()
    assert undo.changed == [order.number]
    assert count(db_session, PromoRedemption, PromoRedemption.order_id == order.id) == 1
    with pytest.raises(ValidationError, match="уже использовали"):
        place_order(db_session, customer, catalog.flyers, promo_code="once4u")


def test_undo_withdraws_unsent_messages_and_tells_only_customers_who_heard(
    db_session, catalog, customer, operator, smtp_server
):
    from app.models import DeliveryState

    first = advance(db_session, place_order(db_session, customer, catalog.cards), S.confirmed)
    second = advance(db_session, place_order(db_session, customer, catalog.flyers), S.confirmed)
    outbox.deliver_due(db_session)  # the earlier «подтверждён» messages are out of the way
    smtp_server.messages.clear()
    report = batches.change_status(db_session, order_ids=[first.id, second.id], target=S.in_production, actor=operator)
    db_session.commit()
    assert outbox.deliver_due(db_session, limit=1).sent == 1  # one message went out before the undo
    [told] = db_session.scalars(
        sa.select(Notification.order_id).where(
            Notification.state == DeliveryState.sent,
            Notification.created_at >= db_session.get(OrderBatch, report.batch_id).created_at,
        )
    ).all()
    untold = second.id if told == first.id else first.id

    undo = batches.undo(db_session, batch_id=report.batch_id, actor=operator)
    db_session.commit()
    assert sorted(undo.changed) == sorted([first.number, second.number])
    assert undo.withdrawn == 1 and undo.summary().endswith(". Уведомлений отозвано до отправки: 1")
    untold_messages = db_session.scalars(
        sa.select(Notification).where(Notification.order_id == untold).order_by(Notification.id.desc())
    ).all()
    assert untold_messages[0].state == DeliveryState.cancelled
    assert untold_messages[0].payload["new"] == "in_production"
    assert untold_messages[0].last_error == "Изменение статуса отменено до отправки"

    assert outbox.deliver_due(db_session).sent == 1  # only the customer who heard hears of the revert
    [revert] = smtp_server.messages[1:]
    told_number = db_session.get(Order, told).number
    assert told_number in revert["Subject"]
    latest = db_session.scalars(
        sa.select(Notification).where(Notification.order_id == told).order_by(Notification.id.desc())
    ).first()
    assert (latest.payload["old"], latest.payload["new"], latest.state) == (
        "in_production",
        "confirmed",
        DeliveryState.sent,
    )


def test_only_the_same_staff_member_may_undo_and_only_for_ten_minutes(app, db_session, mixed, operator):
    new1 = mixed[0]
    report = batches.change_status(db_session, order_ids=[new1.id], target=S.confirmed, actor=operator)
    db_session.commit()
    colleague = staff_actor(app, "Manager")
    with pytest.raises(PermissionDenied, match="только тот, кто её выполнил"):
        batches.undo(db_session, batch_id=report.batch_id, actor=colleague)
    db_session.rollback()
    with time_machine.travel(now() + timedelta(minutes=10, seconds=5)):
        with pytest.raises(ValidationError, match="в течение 10 минут"):
            batches.undo(db_session, batch_id=report.batch_id, actor=operator)
    db_session.rollback()
    with time_machine.travel(now() + timedelta(minutes=9)):
        batches.undo(db_session, batch_id=report.batch_id, actor=operator)
    db_session.commit()
    db_session.expire_all()
    assert new1.status == S.new


def test_mass_assignment_records_names_and_skips_closed_orders(app, db_session, mixed, operator):
    new1, new2, confirmed, handed, courier = mixed
    advance(db_session, handed, S.completed)
    report = batches.assign(
        db_session, order_ids=[new1.id, new2.id, handed.id], assignee_id=operator.staff_id, actor=operator
    )
    db_session.commit()
    assert report.changed == sorted([new1.number, new2.number])
    assert [(s.number, s.reason) for s in report.skipped] == [(handed.number, "заказ закрыт («Завершён»)")]
    colleague = staff_actor(app, "Manager")
    again = batches.assign(
        db_session, order_ids=[new1.id, confirmed.id], assignee_id=colleague.staff_id, actor=operator, comment="отпуск"
    )
    db_session.commit()
    db_session.expire_all()
    assert (new1.assignee_id, confirmed.assignee_id, new2.assignee_id) == (
        colleague.staff_id,
        colleague.staff_id,
        operator.staff_id,
    )
    rows = db_session.scalars(
        sa.select(OrderHistory).where(OrderHistory.batch_id == again.batch_id).order_by(OrderHistory.order_id)
    ).all()
    assert [(r.order_id, r.old_value, r.new_value, r.comment) for r in rows] == [
        (new1.id, operator.name, colleague.name, "отпуск"),
        (confirmed.id, None, colleague.name, "отпуск"),
    ]
    with pytest.raises(ValidationError, match="Сотрудник не найден"):
        batches.assign(db_session, order_ids=[new1.id], assignee_id=999999, actor=operator)
