"""Mass actions on everything a filter matches (not only ticked rows), and the mass «Отметить оплаченными»:
one path through the state machine, the same per-order report and undo, refusals that change nothing."""

from decimal import Decimal as D

import pytest
import sqlalchemy as sa

from app.models import BatchKind, Order, OrderBatch, OrderHistory, OrderStatus, PaymentStatus
from app.services.errors import ValidationError
from app.services.orders import batches
from bench.support import build_orders
from tests.factories import advance, place_order
from tests.services.test_order_batches import count, staff_actor

S = OrderStatus


@pytest.fixture
def operator(app):
    return staff_actor(app)


def _statuses(session):
    return dict(session.execute(sa.select(Order.status, sa.func.count()).group_by(Order.status)).all())


def test_a_status_change_on_a_filter_takes_every_matching_order_and_undoes_as_one(db_session, operator):
    confirmed = build_orders(db_session, 70)  # more than one page of the list (50)
    new = build_orders(db_session, 5, status="new")
    matching = sa.select(Order.id).where(Order.status == S.confirmed)
    report = batches.change_status(db_session, matching=matching, target=S.in_production, actor=operator)
    db_session.commit()
    assert len(report.changed) == 70 and report.skipped == []
    assert _statuses(db_session) == {S.in_production: 70, S.new: 5}
    assert count(db_session, OrderHistory, OrderHistory.batch_id == report.batch_id) == 70
    assert set(batches.batch_orders(db_session, report.batch_id)) <= set(
        db_session.execute(sa.select(Order.id, Order.number).where(Order.id.in_(confirmed))).all()
    )
    undone = batches.undo(db_session, batch_id=report.batch_id, actor=operator)
    db_session.commit()
    assert len(undone.changed) == 70
    assert _statuses(db_session) == {S.confirmed: 70, S.new: 5}
    assert new  # untouched throughout


def test_orders_the_filter_matches_that_cannot_move_are_reported_with_the_reason(
    db_session, catalog, customer, operator
):
    build_orders(db_session, 3)
    handed = advance(
        db_session, place_order(db_session, customer, catalog.cards), S.confirmed, S.in_production, S.ready
    )
    advance(db_session, handed, S.handed_over)
    matching = sa.select(Order.id).where(Order.status.in_([S.confirmed, S.handed_over]))
    report = batches.change_status(db_session, matching=matching, target=S.in_production, actor=operator)
    assert len(report.changed) == 3
    assert [(s.number, s.reason) for s in report.skipped] == [(handed.number, "нельзя из «Выдан» в «В печати»")]


def test_an_empty_or_too_large_filter_is_refused_and_nothing_changes(db_session, operator, monkeypatch):
    build_orders(db_session, 6)
    with pytest.raises(ValidationError, match="По фильтру не найдено ни одного заказа"):
        batches.change_status(
            db_session, matching=sa.select(Order.id).where(Order.status == S.ready), target=S.shipped, actor=operator
        )
    db_session.rollback()
    monkeypatch.setattr(batches, "MAX_MATCHING", 5)
    with pytest.raises(ValidationError, match="больше 5 заказов"):
        batches.change_status(db_session, matching=sa.select(Order.id), target=S.in_production, actor=operator)
    db_session.rollback()
    assert _statuses(db_session) == {S.confirmed: 6}
    assert count(db_session, OrderBatch) == 0


def test_assignment_by_filter(db_session, app, operator):
    ids = build_orders(db_session, 55)
    report = batches.assign(
        db_session, matching=sa.select(Order.id).where(Order.id.in_(ids)), assignee_id=operator.staff_id, actor=operator
    )
    db_session.commit()
    assert len(report.changed) == 55
    assert count(db_session, Order, Order.assignee_id == operator.staff_id) == 55


def test_mass_mark_paid_needs_the_sum_received_to_match(db_session, catalog, customer, operator):
    ids = build_orders(db_session, 4)  # 790,00 ₽ each
    paid = advance(db_session, place_order(db_session, customer, catalog.cards), S.confirmed)
    paid_id = paid.id
    batches.mark_paid(db_session, order_ids=[paid_id], total=str(paid.amount_due), actor=operator)
    db_session.commit()
    matching = sa.select(Order.id).where(Order.status == S.confirmed)
    assert batches.payable(db_session, matching=matching) == batches.Payable(4, D("3160.00"))
    # A typo in the bank statement: refused, nothing is marked.
    with pytest.raises(ValidationError) as caught:
        batches.mark_paid(db_session, matching=matching, total="3 150,00", actor=operator)
    assert caught.value.message == (
        "Сумма 3\u00a0150,00\u00a0₽ не равна сумме к оплате 3\u00a0160,00\u00a0₽ по 4 заказам, которые можно "
        "отметить оплаченными. Ничего не изменено."
    )
    db_session.rollback()
    assert count(db_session, Order, Order.payment_status == PaymentStatus.paid) == 1
    with pytest.raises(ValidationError, match="числом"):
        batches.mark_paid(db_session, matching=matching, total="три тысячи", actor=operator)
    db_session.rollback()
    # The right sum: the four are paid, the paid one is reported, the history names the batch.
    report = batches.mark_paid(db_session, matching=matching, total="3 160,00 ₽", actor=operator, comment="п/п 77")
    db_session.commit()
    assert len(report.changed) == 4 and report.kind == BatchKind.payment
    assert [s.reason for s in report.skipped] == ["уже оплачен"]
    assert count(db_session, Order, Order.id.in_(ids), Order.payment_status == PaymentStatus.paid) == 4
    entries = db_session.scalars(sa.select(OrderHistory).where(OrderHistory.batch_id == report.batch_id)).all()
    assert {(e.field, e.new_value, e.comment) for e in entries} == {("payment_status", "paid", "п/п 77")}
    batch = db_session.get(OrderBatch, report.batch_id)
    assert batch.target == "3\u00a0160,00\u00a0₽" and batch.changed_count == 4
    with pytest.raises(ValidationError, match="нет таких"):
        batches.mark_paid(db_session, matching=matching, total="1", actor=operator)
