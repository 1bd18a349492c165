"""Back-office documents by role: the list, the PDF (the stored bytes), ZIP, cancel, исправление, issuing from the
order page and «Отправить»; no view edits or deletes an issued document."""

from __future__ import annotations

import io
import zipfile
from datetime import date

import pytest
import sqlalchemy as sa

from app.models import Document, DocumentCancellation, DocumentKind, Notification, OrderStatus
from app.services.actors import Actor
from app.services.documents import issuing
from app.services.shoptime import shop_today
from app.views.admin.permissions import STAFF_ROLES
from tests.document_helpers import set_shop_requisites
from tests.factories import advance, login_staff, make_company, make_staff, place_order

S = OrderStatus
CAN_READ = {"Admin", "Manager", "Accountant"}
CAN_ISSUE = {"Admin", "Manager", "Accountant"}
CAN_CANCEL = {"Admin", "Accountant"}
CAN_FIX = {"Admin", "Accountant"}
TO_READY = (S.confirmed, S.in_production, S.ready)


def _allowed(response) -> bool:  # noqa: ANN001
    if response.status_code == 200:
        return True
    if response.status_code in (403, 404):
        return False
    assert response.status_code == 302, response.status_code
    location = response.headers["Location"]
    return "login" not in location and location.rstrip("/") not in ("/admin", "")


@pytest.fixture
def realised(db_session, catalog, customer):  # noqa: ANN001, ANN201
    set_shop_requisites(db_session, valid_from=date(2020, 1, 1))
    company = make_company(db_session, customer)
    order = place_order(db_session, customer, catalog.cards, company=company, payment="invoice")
    issuing.issue_invoice(db_session, order, actor=Actor.system("test"))
    db_session.commit()
    advance(db_session, order, *TO_READY, S.handed_over)
    return order


@pytest.mark.parametrize("role", STAFF_ROLES)
def test_documents_by_role(app, staff_client, db_session, realised, role):
    login_staff(staff_client, make_staff(app, role))
    invoice, upd = db_session.scalars(sa.select(Document).order_by(Document.id)).all()
    listing = staff_client.get("/admin/documentview/list/")
    assert _allowed(listing) == (role in CAN_READ)
    pdf = staff_client.get(f"/admin/documentview/pdf/{upd.id}")
    assert _allowed(pdf) == (role in CAN_READ)
    if role in CAN_READ:
        page = listing.get_data(as_text=True)
        assert "УПД" in page and "Счёт на оплату" in page and realised.number in page
        assert pdf.data == issuing.pdf_bytes(upd) and pdf.mimetype == "application/pdf"
        show = staff_client.get(f"/admin/documentview/show/{upd.id}").get_data(as_text=True)
        assert upd.sha256 in show
        assert ("Аннулировать" in show) == (role in CAN_CANCEL)
        order_page = staff_client.get(f"/admin/orderview/show/{realised.id}").get_data(as_text=True)
        assert upd.title in order_page
    response = staff_client.post(f"/admin/documentview/cancel/{invoice.id}", data={"reason": "ошибка"})
    assert _allowed(response) == (role in CAN_CANCEL)
    db_session.expire_all()
    assert (db_session.scalar(sa.select(DocumentCancellation.document_id)) == invoice.id) == (role in CAN_CANCEL)
    response = staff_client.post(f"/admin/documentview/fix/{upd.id}")
    assert _allowed(response) == (role in CAN_FIX)
    fixed = db_session.scalar(sa.select(Document).where(Document.revision == 1))
    assert (fixed is not None) == (role in CAN_FIX)
    response = staff_client.post(f"/admin/documentview/issue/{realised.id}")
    assert _allowed(response) == (role in CAN_ISSUE)
    # No add, edit or delete of a document exists for anyone.
    for url in (
        f"/admin/documentview/edit/{upd.id}",
        "/admin/documentview/add",
        f"/admin/documentview/delete/{upd.id}",
    ):
        assert staff_client.get(url).status_code in (403, 404, 405) or not _allowed(staff_client.get(url))
    assert db_session.get(Document, upd.id).total == realised.total


def test_cancel_needs_a_reason_and_changes_nothing_without_it(app, staff_client, db_session, realised):
    login_staff(staff_client, make_staff(app, "Accountant"))
    invoice = db_session.scalar(sa.select(Document).where(Document.kind == DocumentKind.invoice))
    response = staff_client.post(
        f"/admin/documentview/cancel/{invoice.id}", data={"reason": " "}, follow_redirects=True
    )
    assert "Укажите причину аннулирования." in response.get_data(as_text=True)
    assert db_session.scalar(sa.select(sa.func.count()).select_from(DocumentCancellation)) == 0


def test_zip_of_chosen_documents_and_of_a_period(app, staff_client, db_session, realised):
    login_staff(staff_client, make_staff(app, "Accountant"))
    docs = db_session.scalars(sa.select(Document).order_by(Document.id)).all()
    today = shop_today().isoformat()
    response = staff_client.get(f"/admin/documentview/zip?start={today}&end={today}")
    assert response.mimetype == "application/zip"
    archive = zipfile.ZipFile(io.BytesIO(response.data))
    assert {name: archive.read(name) for name in archive.namelist()} == {d.filename: issuing.pdf_bytes(d) for d in docs}
    response = staff_client.post("/admin/documentview/action_post", data={"action": "zip", "rowid": [str(docs[0].id)]})
    assert zipfile.ZipFile(io.BytesIO(response.data)).namelist() == [docs[0].filename]
    bad = staff_client.get("/admin/documentview/zip?start=вчера&end=2026-13-01", follow_redirects=True)
    assert "ГГГГ-ММ-ДД" in bad.get_data(as_text=True)


def test_send_queues_one_email_to_the_company_with_the_chosen_documents(app, staff_client, db_session, realised):
    login_staff(staff_client, make_staff(app, "Manager"))
    ids = [str(i) for i in db_session.scalars(sa.select(Document.id))]
    response = staff_client.post("/admin/documentview/action_post", data={"action": "send", "rowid": ids})
    assert response.status_code == 302
    [message] = db_session.scalars(sa.select(Notification).where(Notification.event == "documents_sent")).all()
    assert message.recipient == realised.customer.email
    assert sorted(message.payload["document_ids"]) == sorted(int(i) for i in ids)


def test_staff_changing_an_unpaid_order_by_invoice_gets_a_new_invoice(app, staff_client, db_session, catalog, customer):
    set_shop_requisites(db_session, valid_from=date(2020, 1, 1))
    company = make_company(db_session, customer)
    order = place_order(db_session, customer, catalog.cards, company=company, payment="invoice")
    first = issuing.issue_invoice(db_session, order, actor=Actor.system("test"))
    db_session.commit()
    login_staff(staff_client, make_staff(app, "Operator"))
    line = order.product_lines[0]
    options = [str(o["value_id"]) for o in line.options]
    response = staff_client.post(
        f"/admin/orderview/line/{order.id}/{line.id}", data={"quantity": str(line.quantity * 2), "option": options}
    )
    assert response.status_code == 302
    db_session.expire_all()
    invoices = db_session.scalars(
        sa.select(Document).where(Document.kind == DocumentKind.invoice).order_by(Document.id)
    ).all()
    assert [d.number for d in invoices] == [1, 2]
    assert invoices[0].is_cancelled and invoices[1].base_id == first.id
    assert invoices[1].total == db_session.get(type(order), order.id).total != first.total
