"""«Вернуть позицию»: one line of a paid order refunded — the money as a partial refund of the payment, the realised
sale corrected, the line's spent points back and the earned points taken back in proportion, the УКД of a company
order; refusals change nothing; a double submit refunds once; the journal, the metrics and the reconciliation
stay equal."""

from __future__ import annotations

import os
import threading
from datetime import date, timedelta
from decimal import ROUND_DOWN, Decimal
from pathlib import Path

import pytest
import sqlalchemy as sa
import time_machine
from sqlalchemy.exc import IntegrityError

from app.models import (
    DocumentKind,
    EntryKind,
    JournalEntry,
    JournalKind,
    JournalReason,
    LineKind,
    LoyaltyEntry,
    Notification,
    OrderHistory,
    OrderStatus,
)
from app.reports import accounting, dashboard, metrics, order_timeline
from app.reports.metrics import Period
from app.services.accounting import journal
from app.services.actors import Actor
from app.services.documents import issuing
from app.services.documents.data import DocumentData
from app.services.errors import NotFound, ValidationError
from app.services.loyalty import effects, maturity
from app.services.messaging import messages, notifications, outbox
from app.services.money import format_money
from app.services.orders import batches, lifecycle, refunds
from app.services.shoptime import now, shop_today
from tests.document_helpers import pdftotext, render_pages, set_shop_requisites
from tests.factories import advance, make_company, place_cards_and_flyers
from tests.services.test_loyalty import assert_ledger_consistent, bal, fill_cart, give, order_with_points

S = OrderStatus
K = JournalKind
STAFF = Actor.system("менеджер")
TO_READY = (S.confirmed, S.in_production, S.ready)


def paid_order_with_points(session, customer, catalog, *, points=900, balance=2000):
    """A personal order of cards and flyers, part paid with points, handed over and paid (points pending)."""
    give(session, customer, balance)
    fill_cart(session, customer, catalog.cards)
    order = order_with_points(session, customer, catalog.flyers, points)  # the cart holds cards and flyers
    advance(session, order, *TO_READY, S.handed_over)
    lifecycle.mark_paid(session, order, actor=STAFF)
    session.commit()
    return order


def cards_line(order, catalog):
    return next(line for line in order.product_lines if line.product_id == catalog.cards.id)


def journal_rows(session, order):
    session.expire_all()
    return journal.order_entries(session, order.id)


def footprint(session, order):
    """Everything a refund could touch, to prove a refusal touched nothing."""
    session.expire_all()
    return (
        [(line.id, line.total, line.points) for line in order.lines],
        (order.total, order.amount_due, order.points_paid),
        session.scalar(sa.select(sa.func.count()).select_from(JournalEntry)),
        session.scalar(sa.select(sa.func.count()).select_from(LoyaltyEntry)),
        session.scalar(sa.select(sa.func.count()).where(OrderHistory.order_id == order.id)),
    )


def assert_figures_agree(session):
    """Revenue by every reader, the dashboard's rollup and the received money are the journal's sums."""
    session.expire_all()
    today = shop_today()
    period = Period(today - timedelta(days=1), today + timedelta(days=1))
    check = accounting.reconcile(session, period)
    assert check.ok, check.differences
    assert dashboard.reconcile_month(session, Period.month(today.year, today.month)).ok
    rows = list(session.scalars(sa.select(JournalEntry)))
    sale_side = sum((r.amount for r in rows if r.kind in (K.sale, K.sale_return)), Decimal("0"))
    money_side = sum((r.amount for r in rows if r.kind in (K.payment, K.payment_refund)), Decimal("0"))
    assert metrics.sales(session, period).revenue == sale_side
    received = metrics.received(session, period)
    assert received.net == money_side
    assert received.payments == sum((r.amount for r in rows if r.kind == K.payment), Decimal("0"))
    # no order is left with a debt or an advance: what was realised is what was paid
    assert metrics.balances(session, today) == []


def test_a_refunded_line_gives_back_its_money_its_points_and_a_share_of_the_earned_ones(db_session, catalog, customer):
    order = paid_order_with_points(db_session, customer, catalog)
    cards = cards_line(order, catalog)
    flyers = next(line for line in order.product_lines if line.id != cards.id)
    kept = (flyers.id, flyers.gross_amount, flyers.discount, flyers.points, flyers.total, flyers.vat_amount)
    paid_before, line_total, line_points = order.total, cards.total, cards.points
    earned = effects.order_points(db_session, [order.id])[order.id].pending
    assert earned > 0 and 0 < line_points == int(line_points)
    before = bal(db_session, customer)

    refund = refunds.refund_line(db_session, order, cards.id, actor=STAFF, comment="брак печати")
    db_session.commit()
    db_session.expire_all()

    # The order keeps the other line exactly as paid; its totals are the sums of what is left.
    assert [line.id for line in order.product_lines] == [flyers.id]
    line = order.product_lines[0]
    assert (line.id, line.gross_amount, line.discount, line.points, line.total, line.vat_amount) == kept
    assert order.total == order.amount_due == paid_before - line_total
    assert order.points_paid == line.points and order.payment_status.value == "paid"
    assert refund.amount == line_total and refund.serial == 1

    # Points: the line's spent points back, the earned points taken back by the line's share of the money paid.
    kept_earned = int((Decimal(earned) * (paid_before - line_total) / paid_before).to_integral_value(ROUND_DOWN))
    after = bal(db_session, customer)
    assert after.available == before.available + int(line_points)
    assert after.pending == before.pending - (earned - kept_earned)
    entries = db_session.scalars(
        sa.select(LoyaltyEntry).where(LoyaltyEntry.order_id == order.id).order_by(LoyaltyEntry.id)
    ).all()
    assert [(e.kind, e.available, e.pending) for e in entries[-2:]] == [
        (EntryKind.return_spent, int(line_points), 0),
        (EntryKind.reverse, 0, -(earned - kept_earned)),
    ]
    assert all(e.reason == f"Возврат позиции «{cards.product_name}» заказа {order.number}" for e in entries[-2:])
    assert_ledger_consistent(db_session)

    # Journal: a partial refund of the payment at the line's position; the sale corrected («Исправление»).
    rows = journal_rows(db_session, order)
    partial = [r for r in rows if r.kind == K.payment_refund]
    assert [(r.amount, r.cycle, r.line_position, r.reason) for r in partial] == [
        (-line_total, 1, cards.position, JournalReason.refund)
    ]
    assert {r.reason for r in rows if r.kind == K.sale_return} == {JournalReason.correction}
    assert sorted(r.line_position for r in rows if r.kind == K.sale and r.cycle == 2) == sorted(
        line.position for line in order.lines
    )
    balance = journal.order_balance(db_session, order.id)
    assert balance.realised == balance.paid == order.total
    assert journal.open_cycles(db_session, [order.id], money=True) == {order.id: 1}
    assert_figures_agree(db_session)

    # History: one entry says what was refunded and for how much, with the reason.
    entry = db_session.scalars(
        sa.select(OrderHistory).where(OrderHistory.order_id == order.id, OrderHistory.field == "line_refunded")
    ).one()
    assert entry.comment == "брак печати" and Decimal(entry.new_value) == line_total
    text = order_timeline.sentence(entry)
    assert text.startswith("Система (менеджер) вернула позицию: ")
    assert cards.product_name in text and "к возврату" in text

    # The customer is told by email (their settings): the line and the money, the points recomputed.
    [message] = db_session.scalars(
        sa.select(Notification).where(Notification.event == notifications.ORDER_LINE_REFUNDED)
    ).all()
    rendered = messages.render(outbox._context(db_session, message, customer))
    assert rendered.subject == f"Заказ {order.number}: возврат позиции «{cards.product_name}»"
    assert (
        f"К возврату: {format_money(line_total)}." in rendered.text
        and "Бонусные баллы заказа пересчитаны" in rendered.text
    )


def test_a_full_refund_after_a_partial_one_settles_the_rest_and_its_undo_restores_it(db_session, catalog, customer):
    order = paid_order_with_points(db_session, customer, catalog)
    refunds.refund_line(db_session, order, cards_line(order, catalog).id, actor=STAFF, comment="не нужен")
    db_session.commit()
    advance(db_session, order, S.completed, S.refunded)
    db_session.expire_all()
    balance = journal.order_balance(db_session, order.id)
    assert balance.realised == balance.paid == 0
    state = effects.order_points(db_session, [order.id])[order.id]
    assert state.spent == 0 and state.earned == 0
    assert bal(db_session, customer).available == 2000 and bal(db_session, customer).pending == 0
    assert_figures_agree(db_session)
    assert_ledger_consistent(db_session)


def test_undoing_a_mass_refund_after_a_line_refund_restores_only_what_the_kept_lines_carry(
    app, db_session, catalog, customer
):
    from tests.services.test_order_batches import staff_actor

    operator = staff_actor(app)
    order = paid_order_with_points(db_session, customer, catalog)
    refunds.refund_line(db_session, order, cards_line(order, catalog).id, actor=STAFF, comment="брак")
    db_session.commit()
    db_session.expire_all()
    kept = effects.order_points(db_session, [order.id])[order.id]
    assert kept.line_reversed > 0 and kept.earned == kept.earned_kept
    balance_then = bal(db_session, customer)
    advance(db_session, order, S.completed)
    report = batches.change_status(db_session, order_ids=[order.id], target=S.refunded, actor=operator)
    db_session.commit()
    batches.undo(db_session, batch_id=report.batch_id, actor=operator)
    db_session.commit()
    db_session.expire_all()
    assert order.status == S.completed
    again = effects.order_points(db_session, [order.id])[order.id]
    assert (again.spent, again.earned) == (kept.spent, kept.earned)  # not the points of the refunded line
    assert bal(db_session, customer) == balance_then
    balance = journal.order_balance(db_session, order.id)
    assert balance.realised == balance.paid == order.total
    assert_figures_agree(db_session)
    assert_ledger_consistent(db_session)


def test_a_refund_after_the_points_became_available_and_were_spent_leaves_a_debt(db_session, catalog, customer):
    order = paid_order_with_points(db_session, customer, catalog, points=0, balance=0)
    advance(db_session, order, S.completed)
    with time_machine.travel(now() + timedelta(days=20)):
        maturity.activate_due(db_session)
        db_session.commit()
        earned = bal(db_session, customer).available
        assert earned > 0
        give(db_session, customer, -earned)  # spent elsewhere
        cards = cards_line(order, catalog)
        refunds.refund_line(db_session, order, cards.id, actor=STAFF, comment="возврат визиток")
        db_session.commit()
    take = effects.line_refund_reversal(earned, order.total + cards.total, cards.total)
    assert take > 0 and bal(db_session, customer).available == -take and bal(db_session, customer).pending == 0
    assert_ledger_consistent(db_session)


def test_a_paid_order_not_yet_handed_over_posts_only_the_remaining_lines_when_realised(db_session, catalog, customer):
    order = place_cards_and_flyers(db_session, customer, catalog)
    advance(db_session, order, S.confirmed)
    lifecycle.mark_paid(db_session, order, actor=STAFF)
    db_session.commit()
    cards = cards_line(order, catalog)
    refunds.refund_line(db_session, order, cards.id, actor=STAFF, comment="клиент передумал")
    db_session.commit()
    assert not [r for r in journal_rows(db_session, order) if r.kind in (K.sale, K.sale_return)]
    advance(db_session, order, S.in_production, S.ready, S.handed_over)
    rows = journal_rows(db_session, order)
    assert cards.position not in {r.line_position for r in rows if r.kind == K.sale}
    balance = journal.order_balance(db_session, order.id)
    assert balance.realised == balance.paid == order.total
    assert_figures_agree(db_session)


def test_refusals_say_why_and_change_nothing(db_session, catalog, customer):
    unpaid = place_cards_and_flyers(db_session, customer, catalog)
    one_line = advance(db_session, place_cards_and_flyers(db_session, customer, catalog), S.confirmed)
    lifecycle.mark_paid(db_session, one_line, actor=STAFF)
    db_session.commit()
    refunds.refund_line(db_session, one_line, cards_line(one_line, catalog).id, actor=STAFF, comment="первая")
    db_session.commit()
    cancelled = advance(db_session, place_cards_and_flyers(db_session, customer, catalog), S.cancelled)
    delivery_order = order_with_points(
        db_session, customer, catalog.flyers, 0, delivery="courier", address="Москва, ул. Тверская, д. 7, кв. 1"
    )
    lifecycle.mark_paid(db_session, delivery_order, actor=STAFF)
    db_session.commit()
    delivery = next((line for line in delivery_order.lines if line.kind == LineKind.delivery), None)

    cases = [
        (unpaid, cards_line(unpaid, catalog).id, "брак", "не оплачен"),
        (one_line, one_line.product_lines[0].id, "брак", "последняя позиция"),
        (cancelled, cards_line(cancelled, catalog).id, "брак", "«Отменён»"),
        (one_line, one_line.product_lines[0].id, "  ", "причину"),
        (one_line, 10**9, "брак", "уже вернули"),
    ]
    if delivery is not None:
        cases.append((delivery_order, delivery.id, "брак", "Доставка"))
    for order, line_id, comment, words in cases:
        before = footprint(db_session, order)
        with pytest.raises((ValidationError, NotFound)) as refused:
            refunds.refund_line(db_session, order, line_id, actor=STAFF, comment=comment)
        db_session.rollback()
        assert words in str(refused.value), (words, str(refused.value))
        assert footprint(db_session, order) == before


def test_a_line_the_customer_reviewed_is_refused_and_the_order_can_go_back_whole(db_session, catalog, customer):
    from tests.review_helpers import write_review

    order = paid_order_with_points(db_session, customer, catalog)
    review = write_review(db_session, customer, order)  # of the first product line
    before = footprint(db_session, order)
    with pytest.raises(ValidationError, match="написал отзыв"):
        refunds.refund_line(db_session, order, review.order_line_id, actor=STAFF, comment="брак")
    db_session.rollback()
    assert footprint(db_session, order) == before
    advance(db_session, order, S.completed, S.refunded)
    assert journal.order_balance(db_session, order.id).paid == 0


def test_a_double_submit_refunds_once(db_session, catalog, customer):
    order = paid_order_with_points(db_session, customer, catalog)
    cards = cards_line(order, catalog)
    line_id, position = cards.id, cards.position
    refunds.refund_line(db_session, order, line_id, actor=STAFF, comment="брак")
    db_session.commit()
    before = footprint(db_session, order)
    with pytest.raises(NotFound):
        refunds.refund_line(db_session, order, line_id, actor=STAFF, comment="брак")
    db_session.rollback()
    assert footprint(db_session, order) == before
    # and the database's key refuses a second refund of the same line from the same payment
    with pytest.raises(IntegrityError):
        journal.post_line_refund(
            db_session,
            order.id,
            position=position,
            amount=Decimal("1.00"),
            posting=journal.Posting(now(), STAFF, JournalReason.refund),
        )
    db_session.rollback()
    assert footprint(db_session, order) == before


@pytest.mark.postgres_only
def test_two_simultaneous_clicks_refund_the_line_once(app, backend, db_session, catalog, customer):
    from app.extensions import db
    from app.models import Order

    order = paid_order_with_points(db_session, customer, catalog)
    order_id, line_id = order.id, cards_line(order, catalog).id
    start = threading.Barrier(2)
    outcomes: list[str] = []

    def click() -> None:
        with app.app_context():
            try:
                mine = db.session.get(Order, order_id)
                start.wait()
                refunds.refund_line(db.session, mine, line_id, actor=STAFF, comment="двойной клик")
                db.session.commit()
                outcomes.append("refunded")
            except NotFound:
                db.session.rollback()
                outcomes.append("not found")
            except BaseException as exc:  # noqa: BLE001 - reported to the test
                db.session.rollback()
                outcomes.append(repr(exc))
            finally:
                db.session.remove()

    threads = [threading.Thread(target=click) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert sorted(outcomes) == ["not found", "refunded"]
    db_session.expire_all()
    partial = db_session.scalar(
        sa.select(sa.func.count()).where(JournalEntry.order_id == order_id, JournalEntry.kind == K.payment_refund)
    )
    reversals = db_session.scalar(
        sa.select(sa.func.count()).where(LoyaltyEntry.order_id == order_id, LoyaltyEntry.key.like("%:line:%"))
    )
    assert (partial, reversals) == (1, 2)
    balance = journal.order_balance(db_session, order_id)
    assert balance.realised == balance.paid == db_session.get(Order, order_id).total
    assert_ledger_consistent(db_session)


def test_a_company_order_realised_with_a_upd_gets_a_decrease_correction(db_session, catalog, customer, tmp_path):
    set_shop_requisites(db_session, valid_from=date(2020, 1, 1))
    company = make_company(db_session, customer)
    order = place_cards_and_flyers(db_session, customer, catalog, company_id=company.id)
    advance(db_session, order, *TO_READY, S.handed_over)
    lifecycle.mark_paid(db_session, order, actor=STAFF)
    db_session.commit()
    upd = next(d for d in issuing.order_documents(db_session, order.id) if d.kind == DocumentKind.upd)
    cards = cards_line(order, catalog)
    total_before, line_total = order.total, cards.total

    refunds.refund_line(db_session, order, cards.id, actor=STAFF, comment="возврат части тиража")
    db_session.commit()

    corrections = [d for d in issuing.order_documents(db_session, order.id) if d.kind == DocumentKind.correction]
    assert len(corrections) == 1
    correction = corrections[0]
    data = DocumentData.from_json(correction.snapshot)
    assert correction.base_id == upd.id and correction.total == -line_total
    assert data.total_before == total_before and data.total == total_before - line_total
    returned = [r for r in journal_rows(db_session, order) if r.kind == K.sale_return]
    assert data.total_before == -sum(r.amount for r in returned)
    # the returned goods are named as the УПД named them (with their options), the decrease is the line's amount
    upd_names = [line.name for line in DocumentData.from_json(upd.snapshot).lines]
    assert [line.name for line in data.lines_before] == upd_names == [line.name for line in data.lines]
    assert [line.total for line in data.lines if line.quantity == 0] == [0]
    pdf = issuing.pdf_bytes(correction)
    text = pdftotext(pdf)
    assert "Изменение стоимости" in text and "Г (уменьшение)" in text
    assert f"№ {upd.number}" in text and "Скругление углов" in text
    assert format_money(line_total, currency=False).replace("\u00a0", " ") in text
    render_pages(pdf, tmp_path)
    if os.environ.get("SCREENSHOT_DIR"):
        render_pages(pdf, Path(os.environ["SCREENSHOT_DIR"]), dpi=80, name="ukd")
    assert not effects.order_points(db_session, [order.id])[order.id].earned  # a company order earns no points
    assert_figures_agree(db_session)
