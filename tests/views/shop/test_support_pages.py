"""«Поддержка» in the storefront: only for logged-in customers, each sees only their own tickets and files
(IDOR sweep), internal notes never appear, CSRF on every POST, the form, the limits, close and rate."""

import io
import re

import pytest
import sqlalchemy as sa

from app.models import OrderStatus, StoredFile, Ticket, TicketMessage, TicketState
from app.services.support import tickets
from tests.factories import advance, login_customer, pdf_bytes, place_order, png_bytes
from tests.support_helpers import open_ticket, pdf_upload, staff_actor

NOTE = "ВНУТРЕННЕЕ: клиент сложный, скидку не давать"


def count(session, model) -> int:  # noqa: ANN001
    session.expire_all()
    return session.scalar(sa.select(sa.func.count()).select_from(model))


@pytest.fixture
def buyer(client, customer):
    login_customer(client, customer.email)
    return client


@pytest.fixture
def answered(app, db_session, customer):
    """A ticket with a file from the customer, a public reply with a file and an internal note with a file."""
    ticket = open_ticket(db_session, customer, uploads=[pdf_upload("moj-maket.pdf")])
    actor = staff_actor(app, db_session)
    tickets.add_note(db_session, ticket, actor=actor, body=NOTE, uploads=[pdf_upload("vnutrenniy-raschet.pdf")])
    tickets.staff_reply(
        db_session, ticket, actor=actor, body="Исправили, смотрите файл.", uploads=[pdf_upload("ispravleno.pdf")]
    )
    db_session.commit()
    return ticket


def attachment_ids(ticket) -> dict[str, int]:  # noqa: ANN001
    return {a.file.original_name: a.id for m in ticket.messages for a in m.attachments}


def test_visitors_are_told_to_log_in_and_every_post_is_refused(client, db_session, answered):
    for url in ("/support/", "/support/new"):
        page = client.get(url)
        assert page.status_code == 200
        text = page.get_data(as_text=True)
        assert "Чтобы задать вопрос, войдите в личный кабинет." in text
        assert "/account/login?next=" in text and "/account/register" in text
        assert 'name="subject"' not in text
    ids = attachment_ids(answered)
    for url in (f"/support/{answered.id}", f"/support/{answered.id}/files/{ids['ispravleno.pdf']}"):
        response = client.get(url)
        assert response.status_code == 401 and answered.subject not in response.get_data(as_text=True)
    for url, data in (
        ("/support/new", {"topic": "order", "subject": "Вопрос гостя", "body": "Текст"}),
        (f"/support/{answered.id}/reply", {"body": "Чужой ответ"}),
        (f"/support/{answered.id}/close", {}),
        (f"/support/{answered.id}/rate", {"rating": "1"}),
    ):
        assert client.post(url, data=data).status_code == 401, url
    assert count(db_session, Ticket) == 1 and count(db_session, TicketMessage) == 3
    db_session.refresh(answered)
    assert answered.state == TicketState.waiting


def test_the_footer_and_the_account_menu_link_to_support(client, buyer):
    assert "/support/new" in client.get("/").get_data(as_text=True)
    assert 'href="/support/"' in buyer.get("/account/orders").get_data(as_text=True)


def test_a_customer_asks_about_an_order_from_its_page(buyer, db_session, catalog, customer):
    order = place_order(db_session, customer, catalog.cards)
    page = buyer.get(f"/account/orders/{order.number}").get_data(as_text=True)
    link = f"/support/new?topic=order&amp;order={order.number}"
    assert link in page and "Сообщить о браке" not in page  # not printed yet
    form = buyer.get(link.replace("&amp;", "&")).get_data(as_text=True)
    assert re.search(rf'<option value="{order.number}" selected>', form)
    assert '<option value="order" selected>' in form
    response = buyer.post(
        "/support/new",
        data={
            "topic": "order",
            "order": order.number,
            "subject": "Поменять бумагу",
            "body": "Можно ли заменить на дизайнерскую?",
            "files": [(io.BytesIO(png_bytes()), "primer.png"), (io.BytesIO(pdf_bytes()), "maket.pdf")],
        },
        content_type="multipart/form-data",
    )
    assert response.status_code == 302
    ticket = db_session.scalar(sa.select(Ticket))
    assert response.headers["Location"] == f"/support/{ticket.id}"
    page = buyer.get(f"/support/{ticket.id}").get_data(as_text=True)
    assert "Поменять бумагу" in page and "Можно ли заменить на дизайнерскую?" in page
    assert "primer.png" in page and "maket.pdf" in page and order.number in page
    listing = buyer.get("/support/").get_data(as_text=True)
    assert "Поменять бумагу" in listing and "Ответа пока нет." in listing


def test_a_printed_order_offers_to_report_a_defect(buyer, db_session, catalog, customer):
    order = place_order(db_session, customer, catalog.cards)
    advance(db_session, order, OrderStatus.confirmed, OrderStatus.in_production, OrderStatus.ready)
    page = buyer.get(f"/account/orders/{order.number}").get_data(as_text=True)
    assert f"/support/new?topic=defect&amp;order={order.number}" in page


def test_bad_input_shows_a_russian_message_and_keeps_the_form(buyer, db_session):
    response = buyer.post("/support/new", data={"topic": "order", "subject": "Тема", "body": "  "})
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert "Напишите текст сообщения." in page and 'value="Тема"' in page
    response = buyer.post(
        "/support/new",
        data={"topic": "order", "subject": "Файл", "body": "Текст", "files": [(io.BytesIO(b"GIF89a..."), "a.gif")]},
        content_type="multipart/form-data",
    )
    assert response.status_code == 400 and "«a.gif»: Этот тип файла не принимается" in response.get_data(as_text=True)
    assert count(db_session, Ticket) == 0 and count(db_session, StoredFile) == 0


def test_the_open_tickets_limit_is_explained(app, buyer, db_session, customer, monkeypatch):
    monkeypatch.setitem(app.config, "SUPPORT_MAX_OPEN_TICKETS", 1)
    open_ticket(db_session, customer)
    assert "это максимум" in buyer.get("/support/new").get_data(as_text=True)
    response = buyer.post("/support/new", data={"topic": "other", "subject": "Ещё", "body": "Ещё вопрос"})
    assert response.status_code == 400 and "уже 1 открытых обращений" in response.get_data(as_text=True)


def test_an_unconfirmed_email_is_asked_to_confirm_first(app, buyer, db_session, monkeypatch):
    monkeypatch.setitem(app.config, "SECURITY_CONFIRMABLE", True)
    page = buyer.get("/support/new").get_data(as_text=True)
    assert "Подтвердите email" in page and "disabled>Отправить" in page
    response = buyer.post("/support/new", data={"topic": "order", "subject": "Тема", "body": "Текст"})
    assert response.status_code == 403 and count(db_session, Ticket) == 0


def test_internal_notes_never_reach_the_customers_pages(buyer, answered):
    page = buyer.get(f"/support/{answered.id}").get_data(as_text=True)
    assert "Исправили, смотрите файл." in page and "ispravleno.pdf" in page and "moj-maket.pdf" in page
    assert "ВНУТРЕННЕЕ" not in page and "vnutrenniy-raschet.pdf" not in page
    listing = buyer.get("/support/").get_data(as_text=True)
    assert "Исправили, смотрите файл." in listing and "ВНУТРЕННЕЕ" not in listing
    ids = attachment_ids(answered)
    assert buyer.get(f"/support/{answered.id}/files/{ids['vnutrenniy-raschet.pdf']}").status_code == 404
    download = buyer.get(f"/support/{answered.id}/files/{ids['ispravleno.pdf']}")
    assert download.status_code == 200 and download.data.startswith(b"%PDF")
    assert "attachment" in download.headers["Content-Disposition"]
    download.close()


def test_another_customer_sees_nothing_of_a_ticket_idor_sweep(client, db_session, answered, other_customer):
    login_customer(client, other_customer.email)
    ids = attachment_ids(answered)
    files = {a.file.original_name: a.file_id for m in answered.messages for a in m.attachments}
    for url in [f"/support/{answered.id}"] + [f"/support/{answered.id}/files/{i}" for i in ids.values()]:
        response = client.get(url)
        assert response.status_code == 404, url
        assert answered.subject not in response.get_data(as_text=True)
    for file_id in files.values():  # nor through the general download route
        assert client.get(f"/files/{file_id}").status_code == 404
    mine = open_ticket(db_session, other_customer, subject="Мой собственный вопрос")
    for attachment in ids.values():  # an attachment id under my own ticket's address
        assert client.get(f"/support/{mine.id}/files/{attachment}").status_code == 404
    for url, data in (
        (f"/support/{answered.id}/reply", {"body": "Влезаю в чужое"}),
        (f"/support/{answered.id}/close", {}),
        (f"/support/{answered.id}/rate", {"rating": "1"}),
    ):
        assert client.post(url, data=data).status_code == 404, url
    assert "Когда будет готов заказ?" not in client.get("/support/").get_data(as_text=True)
    db_session.refresh(answered)
    assert answered.state == TicketState.waiting and len(answered.messages) == 3


def test_staff_files_are_served_only_through_the_ticket(buyer, db_session, answered):
    files = {a.file.original_name: a.file_id for m in answered.messages for a in m.attachments}
    own = buyer.get(f"/files/{files['moj-maket.pdf']}")
    assert own.status_code == 200  # the customer's own upload
    own.close()
    assert buyer.get(f"/files/{files['ispravleno.pdf']}").status_code == 404
    assert buyer.get(f"/files/{files['vnutrenniy-raschet.pdf']}").status_code == 404


def test_reply_close_and_rate_from_the_ticket_page(buyer, db_session, answered):
    response = buyer.post(
        f"/support/{answered.id}/reply",
        data={"body": "Спасибо, а можно ещё?", "files": [(io.BytesIO(png_bytes()), "eshe.png")]},
        content_type="multipart/form-data",
    )
    assert response.status_code == 302 and response.headers["Location"].endswith(f"/support/{answered.id}#last")
    db_session.refresh(answered)
    assert answered.state == TicketState.in_progress
    page = buyer.get(f"/support/{answered.id}").get_data(as_text=True)
    assert "Оцените" not in page and "Вопрос решён" in page
    assert buyer.post(f"/support/{answered.id}/close").status_code == 302
    page = buyer.get(f"/support/{answered.id}").get_data(as_text=True)
    assert "Оцените, как мы помогли" in page and "Вопрос решён</button>" not in page
    buyer.post(f"/support/{answered.id}/rate", data={"rating": "5", "rating_comment": "Спасибо!"})
    page = buyer.get(f"/support/{answered.id}").get_data(as_text=True)
    assert 'aria-label="5 из 5"' in page and "Спасибо!" in page
    again = buyer.post(f"/support/{answered.id}/rate", data={"rating": "1"}, follow_redirects=True)
    assert "Оценка уже поставлена" in again.get_data(as_text=True)
    db_session.refresh(answered)
    assert answered.rating == 5


def test_every_support_post_needs_a_csrf_token(app, buyer, db_session, answered, monkeypatch):
    monkeypatch.setitem(app.config, "WTF_CSRF_ENABLED", True)
    for url, data in (
        ("/support/new", {"topic": "order", "subject": "Без токена", "body": "Текст"}),
        (f"/support/{answered.id}/reply", {"body": "Без токена"}),
        (f"/support/{answered.id}/close", {}),
        (f"/support/{answered.id}/rate", {"rating": "5"}),
    ):
        assert buyer.post(url, data=data).status_code == 400, url
    assert count(db_session, Ticket) == 1 and count(db_session, TicketMessage) == 3
    page = buyer.get(f"/support/{answered.id}").get_data(as_text=True)
    token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    response = buyer.post(f"/support/{answered.id}/reply", data={"body": "С токеном", "csrf_token": token})
    assert response.status_code == 302 and count(db_session, TicketMessage) == 4
