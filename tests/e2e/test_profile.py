"""In a real browser: the customer adds two addresses, switches the primary, toggles the newsletter (fetch)."""

import re

import pytest
import sqlalchemy as sa

from app.models import Address, ConsentSource
from app.services.messaging import outbox, subscriptions
from tests.e2e.conftest import open_account_menu
from tests.factories import PASSWORD

pytestmark = pytest.mark.browser


def add_address(page, live_server: str, **fields: str) -> None:  # noqa: ANN001
    page.get_by_test_id("add-address").click()
    page.wait_for_url(re.compile(r"/account/addresses/new$"))
    for name, value in fields.items():
        page.locator(f"#{name}").fill(value)
    page.get_by_role("button", name="Сохранить").click()
    page.wait_for_url(re.compile(r"/account/profile"))


def test_customer_manages_addresses_and_newsletter(app, live_server, page, db_session, customer, smtp_server):
    page.set_default_timeout(10000)
    page.goto(f"{live_server}/account/login")
    page.get_by_label("Email адрес").fill(customer.email)
    page.get_by_label("Пароль").fill(PASSWORD)
    page.get_by_role("button", name="Войти").click()
    open_account_menu(page)
    page.get_by_role("link", name="Профиль").click()
    page.wait_for_url(re.compile(r"/account/profile$"))
    assert page.get_by_test_id("addresses-empty").is_visible()

    add_address(page, live_server, label="Дом", city="Москва", street="ул. Тверская", house="7")
    # A mistake first: the form says what is wrong and keeps the input.
    page.get_by_test_id("add-address").click()
    page.locator("#label").fill("Работа")
    page.locator("#city").fill("Москва")
    page.locator("#street").fill("Ленинский проспект")
    page.locator("#house").fill("30")
    page.get_by_label("Индекс").fill("1190")
    page.get_by_role("button", name="Сохранить").click()
    assert page.locator("#address-error").inner_text() == "Индекс — 6 цифр, например 101000."
    page.get_by_label("Индекс").fill("119071")
    page.get_by_role("button", name="Сохранить").click()
    page.wait_for_url(re.compile(r"/account/profile"))

    cards = page.get_by_test_id("address-card")
    assert cards.count() == 2
    primary = page.locator("[data-testid=address-card]:has([data-testid=primary-badge])")
    assert "Дом" in primary.inner_text()
    page.locator("[data-testid=address-card]", has_text="Работа").get_by_role("button", name="Для доставки").click()
    page.wait_for_url(re.compile(r"/account/profile"))
    assert "Работа" in page.locator("[data-testid=address-card]:has([data-testid=primary-badge])").inner_text()
    db_session.expire_all()
    rows = db_session.execute(sa.select(Address.label, Address.is_primary).order_by(Address.id)).all()
    assert rows == [("Дом", False), ("Работа", True)]

    switch = page.get_by_label("Получать новости и акции")
    assert not switch.is_checked()
    assert not page.locator("#newsletter-save").is_visible()  # with JS the switch saves itself
    url_before = page.url
    switch.check()
    page.wait_for_function("() => document.getElementById('newsletter-status').textContent.includes('подтвердите')")
    assert page.url == url_before  # no page reload
    assert not switch.is_checked()  # double opt-in: nothing starts before the emailed link is confirmed
    assert outbox.deliver_due(db_session).sent == 1
    [message] = smtp_server.messages
    link = re.search(r"/newsletter/confirm/\S+", smtp_server.mailbox.body(message)).group(0)
    page.goto(live_server + link)
    page.get_by_test_id("newsletter-confirm").click()
    page.get_by_test_id("newsletter-confirmed").wait_for()
    page.goto(url_before)
    switch = page.get_by_label("Получать новости и акции")
    assert switch.is_checked()
    switch.uncheck()
    page.wait_for_function("() => document.getElementById('newsletter-status').textContent.includes('отписались')")
    page.reload()
    assert not page.get_by_label("Получать новости и акции").is_checked()
    db_session.expire_all()
    assert [(h.subscribed, h.source) for h in subscriptions.history(db_session, customer.id)] == [
        (False, ConsentSource.profile),
        (True, ConsentSource.profile),
    ]
    # The only console error: the refused address form answered 400, as it should.
    assert [e for e in page.js_errors if "status of 400" not in e] == []


def test_unsubscribe_link_takes_one_click_in_a_browser_and_a_plain_fetch_changes_nothing(
    live_server, page, db_session, customer
):
    import requests

    subscriptions.set_subscription(db_session, customer, subscribed=True, source=ConsentSource.profile)
    url = f"{live_server}/unsubscribe/{subscriptions.unsubscribe_token(db_session, customer)}"
    db_session.commit()

    # What a mail scanner or a link preview does: fetch the page without running it.
    fetched = requests.get(url, timeout=10)
    assert fetched.status_code == 200 and "Отписаться от рассылки?" in fetched.text
    db_session.expire_all()
    assert customer.newsletter_subscribed is True

    page.goto(url)
    page.get_by_test_id("unsubscribed").wait_for()
    assert customer.email in page.inner_text("main")
    assert page.js_errors == []
    db_session.expire_all()
    assert customer.newsletter_subscribed is False
    assert subscriptions.history(db_session, customer.id)[0].source == ConsentSource.unsubscribe_link


def test_customer_marks_an_address_for_documents_at_desktop_and_phone_width(live_server, page, db_session, customer):
    from app.services.customers import addresses
    from tests.services.test_addresses import data

    addresses.add_address(db_session, customer_id=customer.id, data=data())
    addresses.add_address(db_session, customer_id=customer.id, data=data(label="Бухгалтерия", street="Арбат"))
    db_session.commit()
    page.set_default_timeout(10000)
    page.goto(f"{live_server}/account/login")
    page.get_by_label("Email адрес").fill(customer.email)
    page.get_by_label("Пароль").fill(PASSWORD)
    page.get_by_role("button", name="Войти").click()
    page.goto(f"{live_server}/account/profile")
    assert "(как у доставки)" in page.get_by_test_id("default-billing").inner_text()
    card = page.locator("[data-testid=address-card]", has_text="Бухгалтерия")
    card.get_by_role("button", name="Для документов").click()
    page.wait_for_url(re.compile(r"/account/profile"))
    assert page.get_by_test_id("default-billing").inner_text().strip() == "Бухгалтерия"
    assert "Дом" in page.locator("[data-testid=address-card]:has([data-testid=primary-badge])").inner_text()
    assert "Бухгалтерия" in page.locator("[data-testid=address-card]:has([data-testid=billing-badge])").inner_text()
    db_session.expire_all()
    rows = db_session.execute(sa.select(Address.label, Address.is_primary, Address.is_billing).order_by(Address.id))
    assert rows.all() == [("Дом", True, False), ("Бухгалтерия", False, True)]
    # At a phone's width the address book fits: no sideways scrolling.
    page.set_viewport_size({"width": 390, "height": 844})
    page.goto(f"{live_server}/account/profile")
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    assert page.get_by_test_id("billing-badge").is_visible()
