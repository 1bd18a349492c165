"""Closing documents issued from orders and the sales journal: numbering, sums equal to the journal, corrections,
immutability, cancellation, исправленные documents, акт сверки."""

from __future__ import annotations

import threading
from datetime import UTC, date, datetime
from decimal import Decimal as D

import pytest
import sqlalchemy as sa
import time_machine
from sqlalchemy.exc import DBAPIError, IntegrityError

from app.extensions import db
from app.models import (
    CompanyHistory,
    Document,
    DocumentCancellation,
    DocumentCounter,
    DocumentKind,
    JournalEntry,
    JournalKind,
    OrderHistory,
    OrderStatus,
)
from app.models.base import AppendOnlyRowChanged
from app.services.accounting import journal
from app.services.actors import Actor
from app.services.documents import issuing, statements
from app.services.documents.data import DocumentData
from app.services.documents.numbering import next_number
from app.services.errors import DomainError, ValidationError
from app.services.orders import editing, lifecycle
from tests.document_helpers import pdftotext, render_pages, set_shop_requisites
from tests.factories import advance, make_company, place_order

S = OrderStatus
K = DocumentKind
SYSTEM = Actor.system("test")
TO_READY = (S.confirmed, S.in_production, S.ready)


@pytest.fixture
def shop(db_session):  # noqa: ANN001, ANN201
    return set_shop_requisites(db_session, valid_from=date(2020, 1, 1))


@pytest.fixture
def company(db_session, customer):  # noqa: ANN001, ANN201
    return make_company(db_session, customer)


def company_order(db_session, customer, company, product, *, payment="invoice"):  # noqa: ANN001, ANN201
    return place_order(db_session, customer, product, company=company, payment=payment)


def sale_entries(session, order_id, kind=JournalKind.sale):  # noqa: ANN001, ANN201
    return list(
        session.scalars(sa.select(JournalEntry).where(JournalEntry.order_id == order_id, JournalEntry.kind == kind))
    )


def double_first_line(session, order):  # noqa: ANN001, ANN201
    line = order.product_lines[0]
    ids = [o["value_id"] for o in line.options if o.get("value_id") is not None]
    editing.change_line(session, order, line.id, quantity=line.quantity * 2, option_value_ids=ids, actor=SYSTEM)


def documents(session, order_id=None):  # noqa: ANN001, ANN201
    query = sa.select(Document).order_by(Document.id)
    if order_id is not None:
        query = query.where(Document.order_id == order_id)
    return list(session.scalars(query))


def test_a_company_order_handed_over_gets_a_upd_whose_sums_equal_the_journal(
    db_session, catalog, customer, company, shop, tmp_path
):
    order = company_order(db_session, customer, company, catalog.cards)
    advance(db_session, order, *TO_READY, S.handed_over)
    [upd] = [d for d in documents(db_session, order.id) if d.kind == K.upd]
    entries = sale_entries(db_session, order.id)
    assert upd.total == sum(e.amount for e in entries) == order.total
    assert upd.vat == sum(e.vat for e in entries) and upd.net == sum(e.net for e in entries)
    assert (upd.upd_status, upd.number, upd.year, upd.day) == (1, 1, entries[0].day.year, entries[0].day)
    assert upd.buyer_inn == company.inn and upd.company_id == company.id
    text = pdftotext(issuing.pdf_bytes(upd))
    for needle in (
        "Универсальный передаточный документ",
        "Статус: 1",
        "Счёт-фактура № 1 от",
        "Печатный двор",
        "1234567894/123401001",
        f"{company.inn}/{company.kpp}",
        order.number,
        "Всего к оплате (9)",
    ):
        assert needle in text, needle
    render_pages(issuing.pdf_bytes(upd), tmp_path)
    # Recorded in the order's and the company's history.
    assert (
        db_session.scalar(
            sa.select(OrderHistory.new_value).where(OrderHistory.order_id == order.id, OrderHistory.field == "document")
        )
        == upd.title
    )
    assert (
        db_session.scalar(
            sa.select(CompanyHistory.new_value).where(
                CompanyHistory.company_id == company.id, CompanyHistory.field == "document"
            )
        )
        == upd.title
    )
    # Again: nothing new.
    assert issuing.issue_order_documents(db_session, [order.id], actor=SYSTEM) == []


def test_a_private_order_gets_no_closing_documents(db_session, catalog, customer, shop):
    order = advance(db_session, place_order(db_session, customer, catalog.cards), *TO_READY, S.handed_over)
    assert documents(db_session, order.id) == []


def test_without_the_shops_requisites_the_order_is_still_realised_and_documents_come_later(
    db_session, catalog, customer, company
):
    order = advance(db_session, company_order(db_session, customer, company, catalog.cards), *TO_READY, S.handed_over)
    assert order.status == S.handed_over and documents(db_session) == []
    set_shop_requisites(db_session, valid_from=date(2020, 1, 1))
    [upd] = issuing.issue_order_documents(db_session, [order.id], actor=SYSTEM)
    assert upd.kind == K.upd and upd.total == order.total


def test_the_act_form_issues_an_act_and_a_vat_invoice_sharing_the_invoice_sequence(
    app, db_session, catalog, customer, company, shop, monkeypatch
):
    monkeypatch.setitem(app.config, "DOCUMENTS_REALISATION_FORM", "act")
    first = advance(db_session, company_order(db_session, customer, company, catalog.cards), *TO_READY, S.handed_over)
    monkeypatch.setitem(app.config, "DOCUMENTS_REALISATION_FORM", "upd")
    second = advance(db_session, company_order(db_session, customer, company, catalog.cards), *TO_READY, S.handed_over)
    act, invoice = documents(db_session, first.id)[-2:]
    [upd] = [d for d in documents(db_session, second.id) if d.kind == K.upd]
    assert (act.kind, act.series, act.number) == (K.act, "act", 1)
    assert (invoice.kind, invoice.series, invoice.number) == (K.vat_invoice, "vat_invoice", 1)
    assert (upd.series, upd.number) == ("vat_invoice", 2)
    text = pdftotext(issuing.pdf_bytes(invoice))
    assert "Счёт-фактура № 1" in text and f"№ {act.number} от" in text and "Универсальный" not in text
    assert act.total == invoice.total == first.total


def test_a_shop_without_vat_issues_upd_status_2(db_session, catalog, customer, company):
    set_shop_requisites(db_session, valid_from=date(2020, 1, 1), vat_regime="usn_exempt")
    order = advance(db_session, company_order(db_session, customer, company, catalog.cards), *TO_READY, S.handed_over)
    [upd] = [d for d in documents(db_session, order.id) if d.kind == K.upd]
    assert upd.upd_status == 2
    assert "Статус: 2" in pdftotext(issuing.pdf_bytes(upd))


def test_a_return_after_realisation_issues_a_correction_equal_to_the_journal(
    db_session, catalog, customer, company, shop, tmp_path
):
    order = advance(db_session, company_order(db_session, customer, company, catalog.cards), *TO_READY, S.handed_over)
    lifecycle.mark_paid(db_session, order, actor=SYSTEM)
    db_session.commit()
    advance(db_session, order, S.completed, S.refunded)
    upd, correction = [d for d in documents(db_session, order.id) if d.kind in (K.upd, K.correction)]
    returned = sale_entries(db_session, order.id, JournalKind.sale_return)
    assert correction.kind == K.correction and correction.base_id == upd.id
    assert correction.total == sum(e.amount for e in returned) == -order.total
    assert correction.vat == sum(e.vat for e in returned)
    assert correction.number == upd.number + 1  # the shared счёт-фактура sequence
    data = DocumentData.from_json(correction.snapshot)
    assert data.total_before == order.total and data.total == 0
    text = pdftotext(issuing.pdf_bytes(correction))
    assert f"к счёту-фактуре (счетам-фактурам) № {upd.number}" in text and "Г (уменьшение)" in text
    render_pages(issuing.pdf_bytes(correction), tmp_path)


def test_a_changed_realised_order_gets_one_correction_with_before_and_after(
    db_session, catalog, customer, company, shop
):
    order = advance(db_session, company_order(db_session, customer, company, catalog.cards), *TO_READY, S.handed_over)
    journal.repost_orders(db_session, [order.id], actor=SYSTEM, comment="пересчёт")
    made = issuing.issue_order_documents(db_session, [order.id], actor=SYSTEM)
    db_session.commit()
    assert [d.kind for d in made] == [K.correction]
    data = DocumentData.from_json(made[0].snapshot)
    assert data.total_before == data.total == order.total and made[0].total == 0
    assert [d.kind for d in documents(db_session, order.id)].count(K.upd) == 1


def test_an_invoice_is_issued_once_and_reissued_when_the_lines_change_before_payment(
    db_session, catalog, customer, company, shop
):
    order = company_order(db_session, customer, company, catalog.cards)
    first = issuing.ensure_invoice(db_session, order, actor=SYSTEM)
    assert issuing.ensure_invoice(db_session, order, actor=SYSTEM) is first
    db_session.commit()
    assert (first.kind, first.number, first.total) == (K.invoice, 1, order.total)
    double_first_line(db_session, order)
    second = issuing.ensure_invoice(db_session, order, actor=SYSTEM)
    db_session.commit()
    assert second.number == 2 and second.base_id == first.id and second.total == order.total != first.total
    assert first.is_cancelled and not second.is_cancelled
    assert issuing.current_invoice(db_session, order.id) is second


def test_an_invoice_only_for_orders_paid_by_invoice(db_session, catalog, customer, shop):
    order = place_order(db_session, customer, catalog.cards, payment="on_receipt")
    with pytest.raises(ValidationError, match="оплатой по счёту"):
        issuing.issue_invoice(db_session, order, actor=SYSTEM)
    assert issuing.ensure_invoice(db_session, order, actor=SYSTEM) is None


def test_numbers_restart_with_the_year_and_cancellation_keeps_the_number(db_session, catalog, customer, company, shop):
    order = company_order(db_session, customer, company, catalog.cards)
    with time_machine.travel(date(2026, 12, 31), tick=False):
        dec = issuing.issue_invoice(db_session, order, actor=SYSTEM)
        issuing.cancel_document(db_session, dec, actor=SYSTEM, reason="ошибка в счёте")
        db_session.commit()
    double_first_line(db_session, order)
    with time_machine.travel(date(2027, 1, 2), tick=False):
        jan = issuing.issue_invoice(db_session, order, actor=SYSTEM)
        db_session.commit()
    assert (dec.year, dec.number, jan.year, jan.number) == (2026, 1, 2027, 1)
    assert dec.is_cancelled and dec.state_label == "аннулирован"
    with pytest.raises(DomainError, match="уже аннулирован"):
        issuing.cancel_document(db_session, dec, actor=SYSTEM, reason="ещё раз")
    with pytest.raises(ValidationError, match="причину"):
        issuing.cancel_document(db_session, jan, actor=SYSTEM, reason="  ")
    db_session.rollback()
    assert next_number(db_session, "invoice", 2026) == 2


def test_an_issued_document_is_immutable_bytes_stay_after_a_requisites_change_and_a_fix_is_a_new_document(
    db_session, catalog, customer, company, shop
):
    order = advance(db_session, company_order(db_session, customer, company, catalog.cards), *TO_READY, S.handed_over)
    [upd] = [d for d in documents(db_session, order.id) if d.kind == K.upd]
    original = issuing.pdf_bytes(upd)
    company.full_name = "Общество с ограниченной ответственностью «Ромашка Плюс»"
    db_session.commit()
    set_shop_requisites(db_session, valid_from=date(2020, 1, 1), director="Генеральный директор Новиков Н. Н.")
    assert issuing.pdf_bytes(db_session.get(Document, upd.id)) == original
    assert "Ромашка Плюс" not in pdftotext(original)
    fixed = issuing.issue_revision(db_session, upd, actor=SYSTEM)
    db_session.commit()
    assert (fixed.number, fixed.revision, fixed.day, fixed.base_id) == (upd.number, 1, upd.day, upd.id)
    text = pdftotext(issuing.pdf_bytes(fixed))
    assert "Ромашка Плюс" in text and "Исправление № 1 от" in text and "Новиков Н. Н." in text
    assert issuing.pdf_bytes(upd) == original
    # Neither the ORM nor SQL changes or deletes an issued document.
    upd.total = D("1.00")
    with pytest.raises(AppendOnlyRowChanged):
        db_session.flush()
    db_session.rollback()
    for statement in (
        sa.text("UPDATE document SET total = 1 WHERE id = :id"),
        sa.text("DELETE FROM document WHERE id = :id"),
        sa.text("DELETE FROM document_cancellation WHERE document_id = :id"),
    ):
        with pytest.raises((DBAPIError, IntegrityError)):
            with db.engine.begin() as conn:
                conn.execute(
                    sa.text(
                        "INSERT INTO document_cancellation (document_id, created_at, actor_name, "
                        "reason) SELECT :id, CURRENT_TIMESTAMP, 't', 'r' WHERE NOT EXISTS (SELECT 1 "
                        "FROM document_cancellation WHERE document_id = :id)"
                    ),
                    {"id": upd.id},
                )
                conn.execute(statement, {"id": upd.id})
    assert db_session.get(Document, upd.id).total == order.total


def test_a_statement_has_the_opening_balance_each_posting_and_the_closing_balance(
    db_session, catalog, customer, company, shop
):
    with time_machine.travel(date(2026, 10, 20), tick=False):
        old = advance(db_session, company_order(db_session, customer, company, catalog.cards), *TO_READY, S.handed_over)
    with time_machine.travel(date(2026, 11, 10), tick=False):
        lifecycle.mark_paid(db_session, old, actor=SYSTEM)
        db_session.commit()
        new = advance(db_session, company_order(db_session, customer, company, catalog.cards), *TO_READY, S.handed_over)
    with time_machine.travel(date(2026, 12, 1), tick=False):
        act = statements.issue_statement(db_session, company, date(2026, 11, 1), date(2026, 11, 30), actor=SYSTEM)
        db_session.commit()
        again = statements.issue_statement(db_session, company, date(2026, 11, 1), date(2026, 11, 30), actor=SYSTEM)
        with pytest.raises(ValidationError, match="прошедший"):
            statements.issue_statement(db_session, company, date(2026, 12, 1), date(2026, 12, 31), actor=SYSTEM)
    assert again.id == act.id
    data = DocumentData.from_json(act.snapshot)
    assert data.opening == old.total
    assert [(r.debit, r.credit) for r in data.rows] == [(0, old.total), (new.total, 0)]
    assert act.total == data.closing == new.total
    text = pdftotext(issuing.pdf_bytes(act))
    assert "Сальдо начальное" in text and "задолженность в пользу ООО «Печатный двор»" in text


def test_the_sum_of_issued_documents_equals_the_journal_for_the_period(
    app, db_session, catalog, customer, company, shop
):
    from datetime import timedelta

    from app.reports import accounting
    from app.reports.metrics import Period

    orders = [
        advance(db_session, company_order(db_session, customer, company, catalog.cards), *TO_READY, S.handed_over)
        for _ in range(3)
    ]
    lifecycle.mark_paid(db_session, orders[0], actor=SYSTEM)
    db_session.commit()
    advance(db_session, orders[0], S.completed, S.refunded)
    journal.repost_orders(db_session, [orders[1].id], actor=SYSTEM)
    issuing.issue_order_documents(db_session, [orders[1].id], actor=SYSTEM)
    db_session.commit()
    day = orders[0].shipped_at.date()
    period = Period(day - timedelta(days=1), day + timedelta(days=1))
    journal_sum = db_session.scalar(
        sa.select(sa.func.sum(JournalEntry.amount)).where(
            JournalEntry.kind.in_((JournalKind.sale, JournalKind.sale_return))
        )
    )
    assert issuing.issued_sales_total(db_session, period.start, period.end) == journal_sum
    assert journal_sum == orders[1].total + orders[2].total
    result = accounting.reconcile(db_session, period)
    figure = result.figures["Закрывающие документы (реализация компаниям)"]
    assert set(figure.values()) == {orders[1].total + orders[2].total} and result.ok


@pytest.mark.postgres_only
def test_fifty_concurrent_issuances_take_numbers_1_to_50_without_gaps(app, backend, db_session, shop):
    from app.services.documents.data import Party

    errors: list[BaseException] = []
    start = threading.Barrier(10)
    party = Party(name="ООО «Покупатель»", inn="7707083893")

    def worker(n: int) -> None:
        with app.app_context():
            try:
                start.wait()
                for i in range(5):
                    key = f"test:{n}:{i}"
                    day = date(2026, 11, 20)
                    issuing.issue(
                        db.session,
                        kind=K.act,
                        day=day,
                        source_key=key,
                        actor=SYSTEM,
                        build=lambda number, day=day: DocumentData(
                            kind="act", number=number, day=day, seller=party, buyer=party
                        ),
                    )
                    db.session.commit()
            except BaseException as exc:  # noqa: BLE001 - reported to the test
                errors.append(exc)
            finally:
                db.session.remove()

    threads = [threading.Thread(target=worker, args=(n,)) for n in range(10)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=180)
    assert errors == []
    numbers = sorted(db_session.scalars(sa.select(Document.number).where(Document.kind == K.act)))
    assert numbers == list(range(1, 51))
    assert db_session.scalar(sa.select(DocumentCounter.last_value).where(DocumentCounter.series == "act")) == 50


def test_a_cancellation_row_refuses_changes(db_session, catalog, customer, company, shop):
    order = company_order(db_session, customer, company, catalog.cards)
    invoice = issuing.issue_invoice(db_session, order, actor=SYSTEM)
    cancellation = issuing.cancel_document(db_session, invoice, actor=SYSTEM, reason="ошибка")
    db_session.commit()
    cancellation.reason = "другое"
    with pytest.raises(AppendOnlyRowChanged):
        db_session.flush()
    db_session.rollback()
    assert db_session.scalar(sa.select(DocumentCancellation.reason)) == "ошибка"


def test_the_monthly_run_twice_issues_and_emails_each_document_once(
    app, db_session, catalog, customer, other_customer, company, smtp_server
):
    from app.services.documents import dispatch
    from app.services.messaging import outbox
    from tests.factories import add_member

    add_member(db_session, company, other_customer, "accountant")
    with time_machine.travel(date(2026, 11, 12), tick=False):
        first = advance(db_session, company_order(db_session, customer, company, catalog.cards), *TO_READY)
        second = advance(db_session, company_order(db_session, customer, company, catalog.flyers), *TO_READY)
        # Realised while the shop had no requisites yet: the monthly run issues what is missing.
        advance(db_session, first, S.handed_over)
        set_shop_requisites(db_session, valid_from=date(2020, 1, 1))
    with time_machine.travel(date(2026, 11, 13), tick=False):
        advance(db_session, second, S.handed_over)
    with time_machine.travel(datetime(2026, 12, 1, 9, tzinfo=UTC), tick=False):
        runner = app.test_cli_runner()
        results = [runner.invoke(args=["documents", "monthly", "--month", "2026-11"]) for _ in range(2)]
        assert [r.exit_code for r in results] == [0, 0], results[0].output
        assert "компаний 1, выставлено документов 1, писем в очереди 1" in results[0].output
        assert "писем в очереди 0" in results[1].output
        outbox.deliver_due(db_session)
        db_session.commit()
        outbox.deliver_due(db_session)
    [message] = [m for m in smtp_server.messages if "Закрывающие документы" in m["Subject"]]
    assert message["To"] == other_customer.email
    assert message["Subject"] == "Закрывающие документы за ноябрь 2026 — ООО «Ромашка»"
    body = smtp_server.mailbox.body(message)
    assert "УПД (статус 1) № 1 от 13.11.2026" in body and "УПД (статус 1) № 2 от 12.11.2026" in body, body
    attachments = {part.get_filename(): part.get_content() for part in message.iter_attachments()}
    kinds = sorted(name.split("-")[0] for name in attachments)
    assert kinds == ["akt", "upd", "upd"]
    upds = [d for d in documents(db_session) if d.kind == K.upd]
    assert len(upds) == 2 and {d.total for d in upds} == {first.total, second.total}
    for document in documents(db_session):
        assert attachments[document.filename] == issuing.pdf_bytes(document)
    bad = app.test_cli_runner().invoke(args=["documents", "monthly", "--month", "ноябрь"])
    assert bad.exit_code != 0 and "ГГГГ-ММ" in bad.output
    assert dispatch.previous_month(date(2026, 1, 15)) == date(2025, 12, 1)


# --- счёт-фактура на аванс ------------------------------------------------------------------------------------


def advance_invoices(session, order_id=None):  # noqa: ANN001, ANN201
    return [d for d in documents(session, order_id) if d.kind == K.advance_invoice]


def test_a_company_paying_before_realisation_gets_an_advance_invoice_that_the_upd_then_names(
    app, db_session, catalog, customer, company, shop, tmp_path
):
    from datetime import timedelta

    from app.reports import accounting
    from app.reports.metrics import Period
    from app.services.money import extract_vat
    from app.services.shoptime import shop_today

    order = company_order(db_session, customer, company, catalog.cards)
    lifecycle.mark_paid(db_session, order, actor=SYSTEM)
    db_session.commit()
    [adv] = advance_invoices(db_session, order.id)
    [payment] = sale_entries(db_session, order.id, JournalKind.payment)
    # The sum received, VAT at the calculated rate 22/122 of each line, to the kopeck.
    expected_vat = sum((extract_vat(line.total, line.vat_rate)[1] for line in order.lines), D("0"))
    assert adv.total == payment.amount == order.amount_due
    assert adv.vat == expected_vat == order.vat_total and adv.net == adv.total - adv.vat
    assert (adv.series, adv.number, adv.day, adv.company_id) == ("vat_invoice", 1, shop_today(), company.id)
    assert adv.title == f"Счёт-фактура на аванс № 1 от {adv.day:%d.%m.%Y}"
    text = pdftotext(issuing.pdf_bytes(adv))
    for needle in (
        "Счёт-фактура № 1 от",
        f"К платёжно-расчётному документу № {order.number} от {payment.day:%d.%m.%Y}",
        "Предварительная оплата: ",
        "22/122",
        "Грузоотправитель и его адрес: —",
        f"{company.inn}/{company.kpp}",
    ):
        assert needle in text, needle
    assert "Универсальный" not in text and "Документ об отгрузке —" in text
    render_pages(issuing.pdf_bytes(adv), tmp_path)
    # Once per payment, whatever calls it again; recorded in the order's history.
    assert issuing.issue_advance_invoices(db_session, [order.id], actor=SYSTEM) == []
    assert (
        adv.title
        in db_session.scalars(
            sa.select(OrderHistory.new_value).where(OrderHistory.order_id == order.id, OrderHistory.field == "document")
        ).all()
    )

    # Realised: the УПД takes the next number of the same sequence and names the payment (5) and the advance (5б).
    advance(db_session, order, *TO_READY, S.handed_over)
    [upd] = [d for d in documents(db_session, order.id) if d.kind == K.upd]
    assert upd.number == 2 and upd.total == adv.total
    upd_text = pdftotext(issuing.pdf_bytes(upd))
    assert f"К платёжно-расчётному документу № {order.number} от {payment.day:%d.%m.%Y}" in upd_text
    assert f"Счёт-фактура на аванс (зачтённый): № 1 от {adv.day:%d.%m.%Y}" in upd_text
    assert issuing.DocumentData.from_json(upd.snapshot).extra["advance_invoices"] == f"№ 1 от {adv.day:%d.%m.%Y}"

    # An advance invoice fixed later is named on 5б with its latest исправление (the next УПД of the order).
    fixed = issuing.issue_revision(db_session, adv, actor=SYSTEM)
    assert (fixed.kind, fixed.number, fixed.revision) == (K.advance_invoice, 1, 1)
    label = issuing.advance_invoices_label(issuing.advance_invoices(db_session, order.id))
    assert label == f"№ 1 от {adv.day:%d.%m.%Y}, исправление № 1 от {shop_today():%d.%m.%Y}"

    # The reconcile check is unchanged: advance invoices are not sales.
    period = Period(upd.day - timedelta(days=1), upd.day + timedelta(days=1))
    assert issuing.issued_sales_total(db_session, period.start, period.end) == order.total
    assert accounting.reconcile(db_session, period).ok


def test_no_advance_invoice_for_a_private_customer_a_payment_after_realisation_or_a_shop_without_vat(
    db_session, catalog, customer, company, shop
):
    private = place_order(db_session, customer, catalog.cards, payment="invoice")
    lifecycle.mark_paid(db_session, private, actor=SYSTEM)
    late = advance(db_session, company_order(db_session, customer, company, catalog.cards), *TO_READY, S.handed_over)
    lifecycle.mark_paid(db_session, late, actor=SYSTEM)
    db_session.commit()
    assert advance_invoices(db_session) == []
    [upd] = [d for d in documents(db_session, late.id) if d.kind == K.upd]
    assert "Счёт-фактура на аванс (зачтённый): —" in pdftotext(issuing.pdf_bytes(upd))

    set_shop_requisites(db_session, valid_from=date(2020, 1, 1), vat_regime="usn_exempt")
    exempt = company_order(db_session, customer, company, catalog.cards)
    lifecycle.mark_paid(db_session, exempt, actor=SYSTEM)
    db_session.commit()
    assert advance_invoices(db_session) == []


def test_a_mass_payment_issues_an_advance_invoice_per_company_order_numbered_with_the_invoices(
    db_session, catalog, customer, company, shop
):
    from app.services.orders import batches

    first = advance(db_session, company_order(db_session, customer, company, catalog.cards), *TO_READY, S.handed_over)
    others = [company_order(db_session, customer, company, catalog.cards) for _ in range(2)]
    batches.mark_paid(
        db_session, order_ids=[o.id for o in others], total=sum((o.amount_due for o in others), D("0")), actor=SYSTEM
    )
    db_session.commit()
    [upd] = [d for d in documents(db_session, first.id) if d.kind == K.upd]
    numbers = sorted((d.number, d.order_id) for d in advance_invoices(db_session))
    assert upd.number == 1 and numbers == [(2, others[0].id), (3, others[1].id)]
    assert [d.total for d in sorted(advance_invoices(db_session), key=lambda d: d.number)] == [
        o.amount_due for o in others
    ]


def test_without_the_shops_requisites_the_payment_is_recorded_and_the_advance_invoice_comes_later(
    db_session, catalog, customer, company
):
    order = company_order(db_session, customer, company, catalog.cards)
    lifecycle.mark_paid(db_session, order, actor=SYSTEM)
    db_session.commit()
    db_session.refresh(order)
    assert order.paid_at is not None and advance_invoices(db_session) == []
    set_shop_requisites(db_session, valid_from=date(2020, 1, 1))
    [adv] = issuing.issue_order_documents(db_session, [order.id], actor=SYSTEM)
    assert adv.kind == K.advance_invoice and adv.total == order.amount_due
    assert issuing.issue_order_documents(db_session, [order.id], actor=SYSTEM) == []
