"""Accounting figures: one date rule in the shop's time zone, VAT per line, and every reader of the journal
(metrics, VAT report and books, profit report, daily series, SQL) equal to the kopeck on random periods."""

from __future__ import annotations

import random
from collections import defaultdict
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal as D

import pytest
import sqlalchemy as sa
import time_machine
from openpyxl import load_workbook

from app.models import (
    Expense,
    ExpenseCategory,
    JournalEntry,
    JournalKind,
    Order,
    OrderStatus,
    PaymentStatus,
    PromoCode,
    PromoKind,
)
from app.reports import accounting, metrics
from app.reports.metrics import Period
from app.seed import bulk as seed_bulk
from app.services.accounting import expenses, journal
from app.services.actors import Actor
from app.services.orders import batches, editing, lifecycle, pricing, refunds
from app.services.orders.history import acting
from tests.factories import advance, place_cards_and_flyers, place_order
from tests.services.test_order_batches import staff_actor

S = OrderStatus
K = JournalKind
SYSTEM = Actor.system("test")
TO_READY = (S.confirmed, S.in_production, S.ready)
ADDRESS = "Москва, ул. Тверская, д. 7"


def priced(session, customer, product, amounts):
    """An order whose product lines cost exactly `amounts` (₽, VAT included), set by staff before production."""
    order = place_order(session, customer, product)
    editing.change_line(
        session, order, order.lines[0].id, actor=SYSTEM, quantity=order.lines[0].quantity,
        option_value_ids=[o["value_id"] for o in order.lines[0].options], price=amounts[0],
    )  # fmt: skip
    for amount in amounts[1:]:
        line = editing.add_line(session, order, actor=SYSTEM, product_id=product.id, quantity=100)
        session.flush()
        editing.change_line(
            session, order, line.id, actor=SYSTEM, quantity=line.quantity,
            option_value_ids=[o["value_id"] for o in line.options], price=amount,
        )  # fmt: skip
    session.commit()
    return order


def test_vat_vectors_of_the_reference(db_session, catalog, customer):
    with time_machine.travel(datetime(2026, 5, 12, 9, 0, tzinfo=UTC), tick=False):
        one = priced(db_session, customer, catalog.cards, [D("1220.00")])
        seven = priced(db_session, customer, catalog.flyers, [D("10.00")] * 7)
        advance(db_session, one, *TO_READY, S.handed_over)
    may = Period.month(2026, 5)
    [line] = metrics.sales_by_rate(db_session, may)
    assert (line.rate, line.base, line.vat) == (D("22.00"), D("1000.00"), D("220.00"))

    with time_machine.travel(datetime(2026, 6, 3, 9, 0, tzinfo=UTC), tick=False):
        advance(db_session, seven, *TO_READY, S.handed_over)
    report = accounting.vat_report(db_session, Period.month(2026, 6))
    assert report.output_vat == D("12.60")  # per line: 7 × 1,80 (per document it would be 12,62)
    assert report.base == D("57.40")
    assert [row.vat[D("22.00")] for row in report.sales_book] == [D("12.60")]


def test_an_order_realised_at_23_30_moscow_on_31_march_is_in_march_in_every_report(db_session, catalog, customer):
    order = advance(db_session, place_order(db_session, customer, catalog.cards, payment="invoice"), *TO_READY)
    with time_machine.travel(datetime(2026, 3, 31, 20, 30, tzinfo=UTC), tick=False):  # 23:30 MSK, 20:30 UTC
        advance(db_session, order, S.handed_over)
    march, april = Period.month(2026, 3), Period.month(2026, 4)
    total = order.total

    assert metrics.sales(db_session, march).revenue == total and metrics.sales(db_session, april).revenue == 0
    assert metrics.sales(db_session, march).orders == 1
    assert metrics.sales_by_day(db_session, march)[date(2026, 3, 31)] == total
    assert accounting.vat_report(db_session, march).base + accounting.vat_report(db_session, march).output_vat == total
    assert accounting.vat_report(db_session, april).sales_book == []
    assert [r.day for r in accounting.vat_report(db_session, march).sales_book] == [date(2026, 3, 31)]
    profit = accounting.profit_report(db_session, Period(date(2026, 3, 1), date(2026, 4, 30)))
    assert [m.sales.revenue for m in profit.months] == [total, D("0.00")]
    receivables = accounting.receivables_report(db_session, date(2026, 3, 31))
    assert [b.order_number for g in receivables.debts for b in g.balances] == [order.number]
    assert accounting.receivables_report(db_session, date(2026, 3, 30)).debts == []
    assert accounting.reconcile(db_session, march).ok


def test_zero_periods_and_empty_categories_show_zeros(db_session):
    expenses.ensure_categories(db_session)
    period = Period.month(2025, 2)
    profit = accounting.profit_report(db_session, period)
    assert profit.total.sales.revenue == 0 and profit.total.operating_profit == 0
    assert set(profit.total.expenses.values()) == {D("0")} and len(profit.total.expenses) == 7
    report = accounting.expense_report(db_session, period)
    assert [line.expenses.amount for line in report.by_category] == [D("0")] * 7
    assert accounting.vat_report(db_session, period).payable == 0
    assert accounting.reconcile(db_session, period).ok
    assert b"\xef\xbb\xbf" == accounting.to_csv(accounting.vat_tables(accounting.vat_report(db_session, period)))[:3]


def test_period_input_is_checked_with_a_russian_message():
    from app.services.errors import ValidationError

    with pytest.raises(ValidationError, match="ДД.ММ.ГГГГ"):
        Period.parse("31.02.2026", "01.03.2026")
    with pytest.raises(ValidationError, match="раньше начала"):
        Period.parse("2026-03-02", "2026-03-01")
    assert Period.parse("01.01.2026", "31.03.2026").label == "I квартал 2026"
    assert Period.parse("2026-02-01", "2026-02-28").label == "февраль 2026"


# --- the reconciliation property -------------------------------------------------------------------------

MONTH_ENDS = [
    datetime(2025, 12, 31, 20, 45, tzinfo=UTC),  # 23:45 MSK on 31 December: still 2025
    datetime(2025, 12, 31, 21, 5, tzinfo=UTC),  # 00:05 MSK on 1 January 2026
    datetime(2026, 1, 31, 20, 30, tzinfo=UTC),
    datetime(2026, 2, 28, 21, 30, tzinfo=UTC),  # 00:30 MSK on 1 March
    datetime(2026, 3, 31, 20, 59, tzinfo=UTC),
    datetime(2026, 6, 30, 21, 0, tzinfo=UTC),  # midnight MSK: 1 July
]


def _moment(rng, after):
    if rng.random() < 0.5:
        later = [m for m in MONTH_ENDS if m > after]
        if later:
            return rng.choice(later[:2])
    return after + timedelta(hours=rng.uniform(1, 24 * 40))


def _live_orders(session, catalog, customer, operator, rng):
    """Orders moved by the status path at random moments: promo codes, points, refunds, cancellations after
    payment, a mass change and its undo, an undone mass refund, lines refunded from paid orders."""
    session.add(PromoCode(code="MINUS100", kind=PromoKind.fixed, value=D("100")))
    session.commit()
    moment = datetime(2025, 12, 20, 9, 0, tzinfo=UTC)
    products = [catalog.cards, catalog.flyers, catalog.stickers]
    for i in range(14):
        moment = _moment(rng, moment)
        with time_machine.travel(moment, tick=False):
            courier = rng.random() < 0.4
            order = place_order(
                session, customer, rng.choice(products), payment="invoice",
                delivery="courier" if courier else "pickup", address=ADDRESS if courier else "",
                promo_code="minus100" if i % 3 == 0 else "",
            )  # fmt: skip
            if i % 4 == 1:  # bonus points spent on the product lines
                with acting(session, SYSTEM, comment="баллы"):
                    pricing.spread_points(order.product_lines, D("57.30"))
                    pricing.settle(order.lines)
                    pricing.recalculate_totals(order)
                session.commit()
            if rng.random() < 0.5:
                lifecycle.mark_paid(session, order, actor=SYSTEM)
            advance(session, order, *TO_READY)
        fate = rng.random()
        moment = _moment(rng, moment)
        with time_machine.travel(moment, tick=False):
            if fate < 0.15:
                advance(session, order, S.cancelled)
                if order.payment_status == PaymentStatus.paid:
                    advance(session, order, S.refunded)
                continue
            advance(session, order, S.shipped if courier else S.handed_over)
            if order.payment_status != PaymentStatus.paid and rng.random() < 0.6:
                lifecycle.mark_paid(session, order, actor=SYSTEM)
                session.commit()
        if fate > 0.6 and order.payment_status == PaymentStatus.paid:
            moment = _moment(rng, moment)
            with time_machine.travel(moment, tick=False):
                advance(session, order, S.completed, S.refunded)
    # A mass realisation taken back, and a mass refund taken back, around a month end.
    with time_machine.travel(datetime(2026, 4, 30, 20, 55, tzinfo=UTC), tick=False):
        ready = [advance(session, place_order(session, customer, catalog.cards), *TO_READY) for _ in range(2)]
        report = batches.change_status(session, order_ids=[o.id for o in ready], target=S.handed_over, actor=operator)
        session.commit()
    with time_machine.travel(datetime(2026, 4, 30, 21, 2, tzinfo=UTC), tick=False):
        batches.undo(session, batch_id=report.batch_id, actor=operator)
        session.commit()
        refund = advance(session, place_order(session, customer, catalog.cards), *TO_READY, S.handed_over)
        lifecycle.mark_paid(session, refund, actor=SYSTEM)
        advance(session, refund, S.completed)
        mass = batches.change_status(session, order_ids=[refund.id], target=S.refunded, actor=operator)
        session.commit()
        batches.undo(session, batch_id=mass.batch_id, actor=operator)
        session.commit()
    # «Вернуть позицию»: a realised order's line refunded just after a month end (its sale corrected the next
    # month), and a line of a paid order not yet realised (only the lines kept are realised later).
    with time_machine.travel(datetime(2026, 3, 31, 20, 30, tzinfo=UTC), tick=False):
        realised = advance(session, place_cards_and_flyers(session, customer, catalog), *TO_READY, S.handed_over)
        lifecycle.mark_paid(session, realised, actor=SYSTEM)
        early = advance(session, place_cards_and_flyers(session, customer, catalog), S.confirmed)
        lifecycle.mark_paid(session, early, actor=SYSTEM)
        session.commit()
    with time_machine.travel(datetime(2026, 3, 31, 21, 5, tzinfo=UTC), tick=False):
        for order in (realised, early):
            refunds.refund_line(session, order, order.product_lines[0].id, actor=operator, comment="брак")
            session.commit()
        advance(session, early, S.in_production, S.ready, S.handed_over)


def _independent_sums(session, period):
    """The journal summed in Python, row by row: revenue, net, VAT."""
    sums = defaultdict(lambda: D("0"))
    for entry in session.scalars(sa.select(JournalEntry).where(JournalEntry.kind.in_((K.sale, K.sale_return)))):
        if period.start <= entry.day <= period.end:
            sums["amount"] += entry.amount
            sums["net"] += entry.net
            sums["vat"] += entry.vat
    return sums


def test_every_reader_agrees_with_the_journal_to_the_kopeck_on_random_periods(db_session, app, catalog, customer):
    rng = random.Random(20261202)
    with time_machine.travel(datetime(2026, 6, 30, 9, 0, tzinfo=UTC), tick=False):
        seed_bulk.generate(db_session, customers=20, orders=160, days=400, seed=11)
    _live_orders(db_session, catalog, customer, staff_actor(app), rng)
    db_session.expire_all()
    kinds = set(db_session.scalars(sa.select(JournalEntry.reason).distinct()))
    assert {"backfill", "realised", "refund", "undo", "paid", "correction"} <= {k.value for k in kinds}
    assert (
        db_session.scalar(
            sa.select(sa.func.count()).where(JournalEntry.kind == K.payment_refund, JournalEntry.line_position > 0)
        )
        == 2
    )
    assert db_session.scalar(sa.select(sa.func.sum(JournalEntry.points))) > 0
    assert db_session.scalar(sa.select(sa.func.sum(JournalEntry.discount))) > 0

    first = date(2024, 5, 1)
    for _ in range(100):
        start = first + timedelta(days=rng.randrange(0, 800))
        length = rng.choice([0, 1, 6, 27, 30, 89, 180, 364, 730])
        period = Period(start, start + timedelta(days=length))
        result = accounting.reconcile(db_session, period)
        assert result.ok, (period, result.differences)
        independent = _independent_sums(db_session, period)
        assert result.figures["Выручка с НДС"]["журнал (SQL)"] == independent["amount"]
        assert result.figures["Выручка без НДС"]["журнал (SQL)"] == independent["net"]
        assert result.figures["НДС с реализации"]["журнал (SQL)"] == independent["vat"]


def test_backfill_posts_what_each_order_shows_and_posts_nothing_twice(db_session):
    with time_machine.travel(datetime(2026, 2, 10, 9, 30, tzinfo=UTC), tick=False):
        seed_bulk.generate(db_session, customers=20, orders=300, days=400, seed=3)
    db_session.expire_all()
    realised = {S.shipped, S.handed_over, S.completed}
    sale_side = defaultdict(lambda: D("0"))
    money_side = defaultdict(lambda: D("0"))
    for entry in db_session.scalars(sa.select(JournalEntry)):
        (sale_side if entry.kind in (K.sale, K.sale_return) else money_side)[entry.order_id] += entry.amount
    orders = db_session.scalars(sa.select(Order)).all()
    assert any(o.status == S.refunded for o in orders) and any(o.status in realised for o in orders)
    for order in orders:
        assert sale_side[order.id] == (order.total if order.status in realised else 0), order.number
        assert money_side[order.id] == (order.amount_due if order.payment_status == PaymentStatus.paid else 0)
    assert journal.backfill(db_session).summary().count(" 0") == 4


def test_reconcile_command_prints_the_figures_and_fails_on_a_difference(
    app, db_session, catalog, customer, monkeypatch
):
    advance(db_session, place_order(db_session, customer, catalog.cards), *TO_READY, S.handed_over)
    runner = app.test_cli_runner()
    today = date.today()
    args = ["accounting", "reconcile", "--from", (today - timedelta(days=3)).isoformat(), "--to", today.isoformat()]
    result = runner.invoke(args=args)
    assert result.exit_code == 0, result.output
    assert "Выручка с НДС: ✓" in result.output and "журнал (SQL)" in result.output

    real = metrics.sales

    def off_by_a_kopeck(session, period, *where):
        figures = real(session, period, *where)
        figures.revenue += D("0.01")
        return figures

    monkeypatch.setattr(metrics, "sales", off_by_a_kopeck)
    result = runner.invoke(args=args)
    assert result.exit_code == 1 and "Выручка с НДС: РАСХОЖДЕНИЕ" in result.output
    bad = runner.invoke(args=["accounting", "reconcile", "--from", "вчера", "--to", today.isoformat()])
    assert bad.exit_code == 2 and "ДД.ММ.ГГГГ" in bad.output


def test_expenses_feed_the_vat_profit_and_expense_reports(db_session, catalog, customer):
    expenses.ensure_categories(db_session)
    paper = db_session.scalar(sa.select(ExpenseCategory).where(ExpenseCategory.name == "Бумага"))
    rent = db_session.scalar(sa.select(ExpenseCategory).where(ExpenseCategory.name == "Аренда"))
    with time_machine.travel(datetime(2026, 5, 20, 9, 0, tzinfo=UTC), tick=False):
        order = priced(db_session, customer, catalog.cards, [D("12200.00")])
        catalog.cards.cost_price = D("2")
        db_session.commit()
        advance(db_session, order, *TO_READY, S.handed_over)
        expenses.add_expense(
            db_session,
            Expense(day=date(2026, 5, 5), category=paper, supplier_name="ООО «Бумага»", supplier_inn="7707083893",
                    amount=D("2440.00"), vat_rate=D("22"), document_number="17", document_date=date(2026, 5, 5)),
            actor=SYSTEM,
        )  # fmt: skip
        rent_bill = expenses.add_expense(
            db_session,
            Expense(day=date(2026, 5, 1), category=rent, supplier_name="ИП Арендодатель", amount=D("30000")),
            actor=SYSTEM,
        )
        expenses.reverse_expense(db_session, rent_bill.id, actor=SYSTEM, reason="ошибочный счёт")
        db_session.commit()
    may = Period.month(2026, 5)
    vat = accounting.vat_report(db_session, may)
    assert (vat.output_vat, vat.input_vat, vat.payable) == (D("2200.00"), D("440.00"), D("1760.00"))
    assert [(r.supplier, r.vat) for r in vat.purchase_book] == [("ООО «Бумага»", D("440.00"))]
    profit = accounting.profit_report(db_session, may)
    cost = D(order.lines[0].quantity * 2)
    assert profit.total.sales.cost_of_goods == cost
    assert profit.total.expenses["Бумага"] == D("2000.00") and profit.total.expenses["Аренда"] == D("0.00")
    assert profit.total.operating_profit == D("10000.00") - cost - D("2000.00")
    report = accounting.expense_report(db_session, may)
    assert report.total.amount == D("2440.00") and report.total.count == 3
    xlsx = accounting.to_xlsx(accounting.vat_tables(vat))
    import io

    book = load_workbook(io.BytesIO(xlsx))
    assert book.sheetnames[:2] == ["НДС за май 2026", "Книга продаж"]
    assert book["Книга покупок"]["I3"].value == 440.0
