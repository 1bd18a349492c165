"""The sales journal: every path that realises, returns or pays an order posts exactly the expected entries,
once, in the same transaction; the entries are never changed afterwards."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal as D

import pytest
import sqlalchemy as sa
import time_machine
from sqlalchemy.exc import DBAPIError, IntegrityError

from app.extensions import db
from app.models import JournalEntry, JournalKind, JournalReason, OrderStatus, PromoCode, PromoKind
from app.models.base import AppendOnlyRowChanged
from app.services.accounting import journal
from app.services.actors import Actor
from app.services.errors import InvalidTransition, ValidationError
from app.services.orders import batches, editing, lifecycle
from app.services.shoptime import now, shop_today
from tests.factories import advance, place_order
from tests.services.test_order_batches import staff_actor

S = OrderStatus
K = JournalKind
SYSTEM = Actor.system("test")
ADDRESS = "Москва, ул. Тверская, д. 7"
TO_READY = (S.confirmed, S.in_production, S.ready)


def entries(session, order_id):
    session.expire_all()
    return journal.order_entries(session, order_id)


def totals(rows, kind=None):
    rows = [r for r in rows if kind is None or r.kind == kind]
    return tuple(sum((getattr(r, f) for r in rows), D("0")) for f in ("gross", "discount", "points", "amount", "vat"))


@pytest.fixture
def operator(app):
    return staff_actor(app)


def test_handing_over_posts_one_sale_entry_per_line_with_the_lines_amounts(db_session, catalog, customer):
    catalog.cards.cost_price = D("0.5")
    db_session.add(PromoCode(code="MINUS100", kind=PromoKind.fixed, value=D("100")))
    db_session.commit()
    order = place_order(db_session, customer, catalog.cards, quantity=500, promo_code="minus100")
    advance(db_session, order, *TO_READY)
    assert entries(db_session, order.id) == []  # nothing is posted before realisation

    advance(db_session, order, S.handed_over)

    rows = entries(db_session, order.id)
    lines = sorted(order.lines, key=lambda line: line.position)
    assert [(r.kind, r.reason, r.cycle, r.line_position) for r in rows] == [
        (K.sale, JournalReason.realised, 1, line.position) for line in lines
    ]
    for row, line in zip(rows, lines, strict=True):
        assert (row.gross, row.discount, row.points, row.amount, row.net, row.vat, row.vat_rate, row.quantity) == (
            line.gross_amount,
            line.discount,
            line.points,
            line.total,
            line.net_amount,
            line.vat_amount,
            line.vat_rate,
            line.quantity,
        )
        assert (row.product_id, row.category_id, row.category_name) == (
            catalog.cards.id,
            catalog.cards.category_id,
            catalog.cards.category.name,
        )
        assert (row.customer_id, row.company_id, row.day) == (customer.id, None, shop_today())
    assert totals(rows)[3] == order.total and totals(rows)[1] == order.discount_total == D("100.00")
    assert rows[0].cost == D("250.00")  # 500 cards × 0,50 ₽


def test_a_realised_order_is_posted_once_whatever_repeats(db_session, catalog, customer):
    order = advance(db_session, place_order(db_session, customer, catalog.cards), *TO_READY, S.handed_over)
    before = entries(db_session, order.id)
    posting = journal.Posting(now(), SYSTEM, JournalReason.realised)

    assert journal.post_sales(db_session, [order.id], posting) == []  # a sale is open: nothing more
    with pytest.raises(InvalidTransition):
        lifecycle.change_status(db_session, order, S.handed_over, actor=SYSTEM)
    db_session.commit()
    assert len(entries(db_session, order.id)) == len(before)

    # Two writers racing past the check would insert the same posting: the unique key refuses the second.
    duplicate = {c.key: getattr(before[0], c.key) for c in JournalEntry.__table__.columns if c.key != "id"}
    with pytest.raises(IntegrityError):
        db_session.execute(sa.insert(JournalEntry), [duplicate])
    db_session.rollback()


def test_a_refund_after_realisation_returns_exactly_what_was_posted_and_the_money(db_session, catalog, customer):
    order = advance(
        db_session,
        place_order(db_session, customer, catalog.flyers, delivery="courier", address=ADDRESS, payment="invoice"),
        *TO_READY,
    )
    lifecycle.mark_paid(db_session, order, actor=SYSTEM)
    advance(db_session, order, S.shipped, S.completed)
    lifecycle.change_status(db_session, order, S.refunded, actor=SYSTEM, comment="брак")
    db_session.commit()

    rows = entries(db_session, order.id)
    sales = [r for r in rows if r.kind == K.sale]
    returns = [r for r in rows if r.kind == K.sale_return]
    assert len(sales) == len(returns) == len(order.lines)
    for sale, back in zip(sales, returns, strict=True):
        assert (back.line_position, back.cycle, back.vat_rate, back.product_id) == (
            sale.line_position,
            sale.cycle,
            sale.vat_rate,
            sale.product_id,
        )
        assert (back.gross, back.amount, back.net, back.vat, back.quantity, back.cost) == (
            -sale.gross,
            -sale.amount,
            -sale.net,
            -sale.vat,
            -sale.quantity,
            -sale.cost,
        )
        assert (back.reason, back.comment) == (JournalReason.refund, "брак")
    payments = [(r.kind, r.amount, r.payment_method.value) for r in rows if r.kind in (K.payment, K.payment_refund)]
    assert payments == [(K.payment, order.total, "invoice"), (K.payment_refund, -order.total, "invoice")]
    assert totals(rows) == (D("0"),) * 5


def test_a_cancellation_before_realisation_posts_no_sale_but_gives_the_money_back(db_session, catalog, customer):
    order = place_order(db_session, customer, catalog.cards, payment="invoice")
    lifecycle.mark_paid(db_session, order, actor=SYSTEM)
    advance(db_session, order, S.cancelled, S.refunded)
    rows = entries(db_session, order.id)
    assert [(r.kind, r.amount) for r in rows] == [(K.payment, order.total), (K.payment_refund, -order.total)]


def test_a_mass_realisation_posts_every_order_and_its_undo_reverses_it(db_session, catalog, customer, operator):
    orders = [
        advance(db_session, place_order(db_session, customer, catalog.cards), *TO_READY),
        advance(db_session, place_order(db_session, customer, catalog.cards), *TO_READY),
        advance(db_session, place_order(db_session, customer, catalog.cards), S.confirmed),  # refused: not ready
    ]
    already = advance(db_session, place_order(db_session, customer, catalog.cards), *TO_READY, S.handed_over)
    before_already = len(entries(db_session, already.id))
    ids = [o.id for o in orders] + [already.id]

    report = batches.change_status(db_session, order_ids=ids, target=S.handed_over, actor=operator)
    db_session.commit()
    assert len(report.changed) == 2
    for order in orders[:2]:
        rows = entries(db_session, order.id)
        assert {(r.kind, r.batch_id) for r in rows} == {(K.sale, report.batch_id)}
        assert totals(rows)[3] == order.total
    assert entries(db_session, orders[2].id) == []
    assert len(entries(db_session, already.id)) == before_already

    undo = batches.undo(db_session, batch_id=report.batch_id, actor=operator)
    db_session.commit()
    for order in orders[:2]:
        rows = entries(db_session, order.id)
        assert [r.kind for r in rows].count(K.sale_return) == len(order.lines)
        assert {r.reason for r in rows if r.kind == K.sale_return} == {JournalReason.undo}
        assert {r.batch_id for r in rows if r.kind == K.sale_return} == {undo.batch_id}
        assert totals(rows) == (D("0"),) * 5
    assert len(entries(db_session, already.id)) == before_already  # the batch skipped it: the undo too

    # Realised again later: a second sale (cycle 2), and the journal holds one open sale.
    advance(db_session, orders[0], S.handed_over)
    rows = entries(db_session, orders[0].id)
    assert [r.cycle for r in rows if r.kind == K.sale] == [1] * len(orders[0].lines) + [2] * len(orders[0].lines)
    assert totals(rows)[3] == orders[0].total


def test_undoing_a_mass_refund_posts_the_sale_and_the_payment_again(db_session, catalog, customer, operator):
    order = advance(db_session, place_order(db_session, customer, catalog.cards), *TO_READY, S.handed_over)
    lifecycle.mark_paid(db_session, order, actor=SYSTEM)
    advance(db_session, order, S.completed)
    report = batches.change_status(db_session, order_ids=[order.id], target=S.refunded, actor=operator)
    db_session.commit()
    assert totals(entries(db_session, order.id), K.sale)[3] + totals(entries(db_session, order.id), K.sale_return)[
        3
    ] == D("0")

    batches.undo(db_session, batch_id=report.batch_id, actor=operator)
    db_session.commit()
    rows = entries(db_session, order.id)
    sale_side = [r for r in rows if r.kind in (K.sale, K.sale_return)]
    money = [r for r in rows if r.kind in (K.payment, K.payment_refund)]
    assert sum(r.amount for r in sale_side) == order.total
    assert sum(r.amount for r in money) == order.total
    assert [r.kind for r in money] == [K.payment, K.payment_refund, K.payment]


def test_a_payment_is_dated_the_day_the_money_came_with_its_method(db_session, catalog, customer):
    order = place_order(db_session, customer, catalog.cards, payment="invoice")
    paid_at = datetime(2026, 3, 31, 20, 30, tzinfo=UTC)  # 23:30 in Moscow
    with time_machine.travel(datetime(2026, 4, 2, 9, 0, tzinfo=UTC), tick=False):
        lifecycle.mark_paid(db_session, order, actor=SYSTEM, paid_at=paid_at)
    db_session.commit()
    [row] = entries(db_session, order.id)
    assert (row.kind, row.day, row.amount, row.payment_method.value) == (
        K.payment,
        date(2026, 3, 31),
        order.total,
        "invoice",
    )


def test_an_order_realised_at_23_30_moscow_on_31_march_is_posted_in_march(db_session, catalog, customer):
    order = advance(db_session, place_order(db_session, customer, catalog.cards), *TO_READY)
    with time_machine.travel(datetime(2026, 3, 31, 20, 30, tzinfo=UTC), tick=False):
        advance(db_session, order, S.handed_over)
    days = {r.day for r in entries(db_session, order.id)}
    assert days == {date(2026, 3, 31)}


def test_lines_of_a_realised_order_cannot_be_edited_so_its_sale_stands(db_session, catalog, customer):
    order = advance(db_session, place_order(db_session, customer, catalog.cards), *TO_READY, S.handed_over)
    before = [(r.id, r.amount) for r in entries(db_session, order.id)]
    with pytest.raises(ValidationError):
        editing.remove_line(db_session, order, order.lines[0].id, actor=SYSTEM)
    db_session.rollback()
    assert [(r.id, r.amount) for r in entries(db_session, order.id)] == before


def test_a_correction_returns_the_recorded_sale_and_posts_the_new_lines(db_session, catalog, customer):
    order = advance(db_session, place_order(db_session, customer, catalog.cards), *TO_READY, S.handed_over)
    posted = totals(entries(db_session, order.id))
    assert journal.repost_orders(db_session, [order.id], actor=SYSTEM, comment="пересчёт") == [order.id]
    db_session.commit()
    rows = entries(db_session, order.id)
    assert [r.reason for r in rows if r.kind == K.sale_return] == [JournalReason.correction] * len(order.lines)
    assert totals(rows, K.sale_return) == tuple(-x for x in posted)
    assert totals(rows) == posted
    assert journal.repost_orders(db_session, [place_order(db_session, customer, catalog.cards).id], actor=SYSTEM) == []


def test_no_orm_call_or_sql_statement_changes_or_deletes_an_entry(db_session, catalog, customer):
    order = advance(db_session, place_order(db_session, customer, catalog.cards), *TO_READY, S.handed_over)
    entry = entries(db_session, order.id)[0]
    entry.amount = D("1.00")
    with pytest.raises(AppendOnlyRowChanged):
        db_session.flush()
    db_session.rollback()
    db_session.delete(entries(db_session, order.id)[0])
    with pytest.raises(AppendOnlyRowChanged):
        db_session.flush()
    db_session.rollback()
    with pytest.raises(AppendOnlyRowChanged):
        db_session.execute(sa.update(JournalEntry).values(comment="x"))
    db_session.rollback()
    for statement in ("UPDATE journal_entry SET amount = 0", "DELETE FROM journal_entry"):
        with db.engine.connect() as conn, pytest.raises(DBAPIError, match="append-only"):
            conn.execute(sa.text(statement))
    assert totals(entries(db_session, order.id))[3] == order.total
