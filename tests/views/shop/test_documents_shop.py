"""Documents in the storefront: a company's owner and accountant see all of its documents, a buyer those of the
orders they placed, nobody else any; the PDF is the stored one; a private order's confirmation; the счёт is
issued at checkout for an order paid by invoice."""

from __future__ import annotations

import re
from datetime import date

import sqlalchemy as sa

from app.models import Document, DocumentKind, OrderStatus
from app.services.documents import issuing
from tests.document_helpers import pdftotext, set_shop_requisites
from tests.factories import add_member, advance, login_customer, make_company, make_customer, place_order
from tests.views.shop.test_shopping import _add_to_cart

S = OrderStatus
TO_READY = (S.confirmed, S.in_production, S.ready)


def test_company_documents_are_seen_by_owner_and_accountant_and_buyers_see_their_own(
    app, db_session, catalog, customer, other_customer
):
    set_shop_requisites(db_session, valid_from=date(2020, 1, 1))
    company = make_company(db_session, customer)
    buyer = make_customer(db_session, email="zakupki@romashka.ru", full_name="Закупщик")
    accountant = make_customer(db_session, email="buh@romashka.ru", full_name="Бухгалтер")
    add_member(db_session, company, buyer, "buyer")
    add_member(db_session, company, accountant, "accountant")
    by_owner = advance(db_session, place_order(db_session, customer, catalog.cards, company=company), *TO_READY,
                       S.handed_over)  # fmt: skip
    by_buyer = advance(db_session, place_order(db_session, buyer, catalog.cards, company=company), *TO_READY,
                       S.handed_over)  # fmt: skip
    owner_doc = db_session.scalar(sa.select(Document).where(Document.order_id == by_owner.id))
    buyer_doc = db_session.scalar(sa.select(Document).where(Document.order_id == by_buyer.id))
    expected = {
        customer.email: {owner_doc.id, buyer_doc.id},
        accountant.email: {owner_doc.id, buyer_doc.id},
        buyer.email: {buyer_doc.id},
        other_customer.email: set(),
    }
    for email, allowed in expected.items():
        client = app.test_client()
        login_customer(client, email)
        page = client.get(f"/companies/{company.id}/documents")
        if email == other_customer.email:
            assert page.status_code == 404
        else:
            text = page.get_data(as_text=True)
            assert page.status_code == 200
            assert text.count('data-testid="company-document"') == len(allowed), email
        for document in (owner_doc, buyer_doc):
            response = client.get(f"/documents/{document.id}")
            if document.id in allowed:
                assert response.status_code == 200 and response.data == issuing.pdf_bytes(document)
                assert response.headers["Content-Disposition"].startswith("attachment")
            else:
                assert response.status_code == 404, (email, document.id)
    anonymous = app.test_client().get(f"/documents/{owner_doc.id}")
    assert anonymous.status_code in (302, 401)


def test_checkout_by_invoice_issues_the_invoice_the_customer_downloads(app, db_session, catalog, customer):
    set_shop_requisites(db_session, valid_from=date(2020, 1, 1))
    company = make_company(db_session, customer)
    client = app.test_client()
    login_customer(client, customer.email)
    _add_to_cart(client, catalog.cards, catalog.defaults(catalog.cards), 500)
    page = client.get("/checkout/").get_data(as_text=True)
    token = re.search(r'name="checkout_token" value="([^"]+)"', page).group(1)
    form = {
        "contact_name": "Иван Петров",
        "contact_email": customer.email,
        "contact_phone": "8 916 000-11-22",
        "delivery_method": "pickup",
        "payment_method": "invoice",
        "company_id": str(company.id),
        "checkout_token": token,
    }
    response = client.post("/checkout/", data=form)
    assert response.status_code == 302, response.get_data(as_text=True)[:2000]
    number = response.headers["Location"].rsplit("/", 1)[-1]
    invoice = db_session.scalar(sa.select(Document).where(Document.kind == DocumentKind.invoice))
    assert invoice is not None and invoice.order.number == number and invoice.total == invoice.order.total
    page = client.get(f"/account/orders/{number}").get_data(as_text=True)
    assert invoice.title in page
    assert "Счёт на оплату — в документах заказа ниже" in page and "Счёт пришлёт менеджер" not in page
    text = pdftotext(client.get(f"/documents/{invoice.id}").data)
    assert f"Счёт на оплату № {invoice.number}" in text and company.inn in text


def test_a_private_customer_downloads_the_order_confirmation_with_vat(
    app, db_session, catalog, customer, other_customer
):
    set_shop_requisites(db_session, valid_from=date(2020, 1, 1))
    order = place_order(db_session, customer, catalog.cards)
    client = app.test_client()
    login_customer(client, customer.email)
    assert "Подтверждение заказа (PDF)" in client.get(f"/account/orders/{order.number}").get_data(as_text=True)
    response = client.get(f"/account/orders/{order.number}/confirmation.pdf")
    text = pdftotext(response.data)
    assert f"Подтверждение заказа № {order.number}" in text and "В том числе НДС (22%)" in text
    other = app.test_client()
    login_customer(other, other_customer.email)
    assert other.get(f"/account/orders/{order.number}/confirmation.pdf").status_code == 404


def test_a_company_order_keeps_the_companys_legal_address_not_the_buyers_billing_address(
    app, db_session, catalog, customer
):
    from app.services.customers import addresses
    from tests.services.test_addresses import data

    set_shop_requisites(db_session, valid_from=date(2020, 1, 1))
    addresses.add_address(db_session, customer_id=customer.id, data=data(city="Тверь"), make_billing=True)
    company = make_company(db_session, customer)
    order = place_order(db_session, customer, catalog.cards, company=company, payment="invoice")
    assert order.billing_address_snapshot is None
    from app.services.actors import Actor

    invoice = issuing.issue_invoice(db_session, order, actor=Actor.system("test"))
    assert invoice.snapshot["buyer"]["address"] == company.legal_address
    db_session.commit()
    client = app.test_client()
    login_customer(client, customer.email)
    page = client.get(f"/account/orders/{order.number}").get_data(as_text=True)
    assert "В документах — юридический адрес компании из её реквизитов: " + company.legal_address in page
    assert "Тверь" not in page


def test_an_advance_invoice_is_in_the_companys_documents_and_on_the_order_page_in_the_back_office(
    app, db_session, staff_client, catalog, customer, other_customer
):
    from app.services.actors import Actor
    from app.services.orders import lifecycle
    from tests.factories import login_staff, make_staff

    set_shop_requisites(db_session, valid_from=date(2020, 1, 1))
    company = make_company(db_session, customer)
    order = place_order(db_session, customer, catalog.cards, company=company, payment="invoice")
    lifecycle.mark_paid(db_session, order, actor=Actor.system("test"))
    db_session.commit()
    adv = db_session.scalar(sa.select(Document).where(Document.kind == DocumentKind.advance_invoice))
    owner = app.test_client()
    login_customer(owner, customer.email)
    page = owner.get(f"/companies/{company.id}/documents").get_data(as_text=True)
    assert "Счёт-фактура на аванс" in page and f"№ {adv.number}" in page
    assert owner.get(f"/documents/{adv.id}").data == issuing.pdf_bytes(adv)
    stranger = app.test_client()
    login_customer(stranger, other_customer.email)
    assert stranger.get(f"/documents/{adv.id}").status_code == 404
    login_staff(staff_client, make_staff(app, "Accountant"))
    assert adv.title in staff_client.get(f"/admin/orderview/show/{order.id}").get_data(as_text=True)
    assert "Счёт-фактура на аванс" in staff_client.get("/admin/documentview/list/").get_data(as_text=True)
