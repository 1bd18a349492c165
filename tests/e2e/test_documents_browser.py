"""In a real browser: the accountant finds the УПД of a handed-over company order, opens it, cancels the old счёт
with a reason; the company's owner downloads the УПД from «Документы» — the same bytes as issued."""

from datetime import date
from pathlib import Path

import pytest
import sqlalchemy as sa

from app.models import Document, DocumentKind, OrderStatus
from app.services.actors import Actor
from app.services.documents import issuing
from tests.document_helpers import set_shop_requisites
from tests.factories import PASSWORD, advance, make_company, make_staff, place_order

pytestmark = pytest.mark.browser
S = OrderStatus


def test_accountant_works_documents_and_the_owner_downloads_them(
    app, live_server, page, browser, db_session, catalog, customer
):
    set_shop_requisites(db_session, valid_from=date(2020, 1, 1))
    company = make_company(db_session, customer)
    order = place_order(db_session, customer, catalog.cards, company=company, payment="invoice")
    invoice = issuing.issue_invoice(db_session, order, actor=Actor.system("test"))
    db_session.commit()
    advance(db_session, order, S.confirmed, S.in_production, S.ready, S.handed_over)
    upd = db_session.scalar(sa.select(Document).where(Document.kind == DocumentKind.upd))

    page.goto(f"{live_server}/admin/login/")
    page.fill("#username", make_staff(app, "Accountant"))
    page.fill("#password", PASSWORD)
    page.get_by_role("button", name="Вход").click()
    page.goto(f"{live_server}/admin/orderview/show/{order.id}")
    documents = page.get_by_test_id("order-documents")
    assert upd.title in documents.inner_text() and invoice.title in documents.inner_text()
    documents.get_by_role("link", name=invoice.title).click()
    page.fill("#cancel-reason", "Счёт выставлен повторно")
    page.get_by_role("button", name="Аннулировать").click()
    assert "аннулирован" in page.locator("h1").inner_text()
    page.goto(f"{live_server}/admin/documentview/list/")
    page.locator(f"a[href$='/documentview/show/{upd.id}']").first.click()
    with page.expect_download() as download:
        page.get_by_role("link", name="Скачать").click()
    assert Path(download.value.path()).read_bytes() == issuing.pdf_bytes(upd)

    context = browser.new_context(viewport={"width": 390, "height": 844}, locale="ru-RU")
    owner = context.new_page()
    owner.goto(f"{live_server}/account/login")
    owner.get_by_label("Email адрес").fill(customer.email)
    owner.get_by_label("Пароль").fill(PASSWORD)
    owner.get_by_role("button", name="Войти").click()
    owner.goto(f"{live_server}/companies/{company.id}")
    owner.get_by_test_id("company-documents-link").click()
    rows = owner.get_by_test_id("company-document")
    assert rows.count() == 2 and "аннулирован" in owner.content()
    with owner.expect_download() as download:
        rows.filter(has_text="УПД").get_by_role("link").click()
    assert Path(download.value.path()).read_bytes() == issuing.pdf_bytes(upd)
    context.close()
    assert page.js_errors == []
