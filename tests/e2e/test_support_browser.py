"""In a real browser: a customer asks about an order with an attachment, staff answer (and leave a note the
customer never sees), the customer reads the reply, closes the ticket and rates it. Markup typed into the
subject, the text and a file name stays text on every page: nothing runs."""

import re

import pytest
import sqlalchemy as sa
from playwright.sync_api import expect

from app.models import Ticket, TicketState
from tests.e2e.conftest import open_account_menu
from tests.factories import PASSWORD, make_staff, place_order, png_bytes

pytestmark = pytest.mark.browser

WAIT = 20000  # ms; the machine is shared, pages may be slow
XSS_SUBJECT = 'Срок <img src=x onerror="window.__xss=1"> по заказу'
XSS_BODY = "Когда будет готово?\n<script>window.__xss=2</script>&lt;svg onload=window.__xss=3&gt;\nСпасибо"
XSS_FILE = '"><img src=x onerror=window.__xss=4>.png'


def watch_dialogs(page) -> list[str]:  # noqa: ANN001
    seen: list[str] = []
    page.on("dialog", lambda dialog: (seen.append(dialog.message), dialog.dismiss()))
    return seen


def no_script_ran(page) -> bool:  # noqa: ANN001
    return page.evaluate("() => typeof window.__xss === 'undefined'")


def test_customer_asks_staff_reply_customer_closes_and_rates(
    app, live_server, browser, page, db_session, catalog, customer, tmp_path
):
    order = place_order(db_session, customer, catalog.cards)
    page.set_default_timeout(WAIT)
    dialogs = watch_dialogs(page)

    # A visitor is asked to log in first.
    page.goto(f"{live_server}/support/new")
    assert "войдите в личный кабинет" in page.get_by_test_id("support-login-required").inner_text()
    page.get_by_role("link", name="Войти").last.click()
    page.get_by_label("Email адрес").fill(customer.email)
    page.get_by_label("Пароль").fill(PASSWORD)
    page.get_by_role("button", name="Войти").click()

    # From the order page: «Вопрос по заказу» pre-fills the topic and the order.
    page.goto(f"{live_server}/account/orders/{order.number}")
    page.get_by_test_id("ask-about-order").click()
    page.wait_for_url(re.compile(r"/support/new\?"))
    assert page.locator("#topic").input_value() == "order"
    assert page.locator("#order").input_value() == order.number
    photo = tmp_path / XSS_FILE.replace("/", "_")
    photo.write_bytes(png_bytes())
    page.locator("#subject").fill(XSS_SUBJECT)
    page.locator("#body").fill(XSS_BODY)
    page.locator("#files").set_input_files(str(photo))
    page.get_by_role("button", name="Отправить").click()
    page.wait_for_url(re.compile(r"/support/\d+$"))
    ticket_url = page.url
    ticket_id = int(ticket_url.rsplit("/", 1)[1])
    expect(page.get_by_test_id("ticket-state")).to_have_text("Новое", timeout=WAIT)
    subject = page.get_by_test_id("ticket-subject").inner_text()
    assert "Срок" in subject and "по заказу" in subject
    message = page.get_by_test_id("ticket-message").first.inner_text()
    assert "Когда будет готово?" in message and "Спасибо" in message
    assert "img src=x onerror=window.__xss=4.png" in page.get_by_test_id("message-files").inner_text()
    assert no_script_ran(page)

    # Staff answer in the back office: a note for colleagues, then a reply with the «решён» state.
    staff = browser.new_context(viewport={"width": 1366, "height": 900}, locale="ru-RU").new_page()
    staff.set_default_timeout(WAIT)
    staff_dialogs = watch_dialogs(staff)
    staff.goto(f"{live_server}/admin/login/")
    staff.fill("#username", make_staff(app, "Support", email="helen@pechatnydvor.ru"))
    staff.fill("#password", PASSWORD)
    staff.get_by_role("button", name="Вход").click()
    staff.goto(f"{live_server}/admin/ticketview/list/")
    assert "по заказу" in staff.content() and no_script_ran(staff)
    staff.goto(f"{live_server}/admin/ticketview/show/{ticket_id}")
    assert order.number in staff.get_by_test_id("admin-ticket-order").inner_text()
    staff.locator("#note-body").fill("Проверить, не перепутали ли бумагу")
    staff.get_by_role("button", name="Добавить заметку").click()
    expect(staff.locator(".alert", has_text="Заметка добавлена")).to_be_visible(timeout=WAIT)
    staff.locator("#reply-body").fill("Заказ будет готов завтра к 12:00.")
    staff.select_option("#reply-then", "resolved")
    staff.get_by_role("button", name="Ответить покупателю").click()
    expect(staff.get_by_test_id("admin-ticket-state")).to_have_text("Решён", timeout=WAIT)
    assert no_script_ran(staff) and staff_dialogs == []
    staff.wait_for_load_state("networkidle")
    staff.context.close()

    # The customer sees the reply (never the note), closes the ticket and rates it.
    open_account_menu(page)
    page.get_by_role("link", name="Поддержка").click()
    page.wait_for_url(re.compile(r"/support/$"))
    assert "Заказ будет готов завтра" in page.get_by_test_id("ticket-last-reply").inner_text()
    page.get_by_test_id("ticket-row").first.click()
    page.wait_for_url(ticket_url)
    conversation = page.get_by_test_id("conversation").inner_text()
    assert "Заказ будет готов завтра к 12:00." in conversation and "Служба поддержки" in conversation
    assert "перепутали" not in page.content()
    assert page.get_by_test_id("ticket-state").inner_text() == "Решено"
    page.get_by_test_id("close-ticket").click()
    expect(page.get_by_test_id("ticket-state")).to_have_text("Закрыто", timeout=WAIT)
    page.locator("label[for=rating-5]").click()
    page.locator("#rating-comment").fill("Быстро и по делу")
    page.get_by_role("button", name="Оценить").click()
    expect(page.get_by_role("alert")).to_contain_text("Спасибо за оценку!", timeout=WAIT)
    assert "Быстро и по делу" in page.get_by_test_id("ticket-rating").inner_text()
    assert no_script_ran(page) and dialogs == [] and page.js_errors == []

    db_session.expire_all()
    ticket = db_session.scalar(sa.select(Ticket))
    assert (ticket.state, ticket.rating, ticket.order_id) == (TicketState.closed, 5, order.id)
    assert [m.internal for m in ticket.messages] == [False, True, False]
