"""Invite a friend in a real browser: customer A copies the link, a new visitor opens it, registers and orders
with the personal discount filled in, staff mark the order paid and complete it, and after the return window (time
travel, the nightly job) A sees the reward."""

import re
from datetime import UTC, datetime, timedelta

import pytest
import time_machine

from app.jobs import loyalty_daily
from tests.e2e.conftest import open_account_menu
from tests.factories import PASSWORD, make_staff, pdf_bytes

pytestmark = pytest.mark.browser
NEW_PASSWORD = "friend-password-1"


def test_a_friend_registers_through_the_link_orders_and_the_referrer_gets_the_reward(
    app, live_server, page, db_session, catalog, customer, tmp_path
):
    customer.full_name = "Анна Петрова"
    db_session.commit()
    layout = tmp_path / "vizitka.pdf"
    layout.write_bytes(pdf_bytes(94, 54))

    # A: «Пригласить друга», copy the link
    page.context.grant_permissions(["clipboard-read", "clipboard-write"], origin=live_server)
    page.goto(f"{live_server}/account/login")
    page.get_by_label("Email адрес").fill(customer.email)
    page.get_by_label("Пароль").fill(PASSWORD)
    page.get_by_role("button", name="Войти").click()
    page.wait_for_load_state("load")
    open_account_menu(page)
    page.get_by_role("link", name="Пригласить друга").click()
    page.wait_for_load_state("load")  # the copy button's script
    page.get_by_test_id("copy-link").click()
    page.get_by_text("Ссылка скопирована").wait_for()
    link = page.get_by_test_id("referral-link").input_value()
    assert re.fullmatch(rf"{live_server}/r/[a-z0-9]{{8}}", link)
    assert page.evaluate("() => navigator.clipboard.readText()") == link
    assert page.locator("[data-testid=referral-qr]").evaluate("img => img.naturalWidth") > 0
    assert "Пока никого" in page.content()

    # a new visitor opens the link in their own browser
    friend = page.context.browser.new_context(viewport={"width": 390, "height": 844}, locale="ru-RU").new_page()
    friend.goto(link)
    banner = friend.get_by_test_id("referral-banner").inner_text()
    assert "Анна приглашает вас" in banner and "скидка 10 % на первый заказ" in banner
    assert "Петрова" not in friend.content()
    friend.get_by_test_id("referral-register").click()
    friend.get_by_label("Email адрес").fill("boris.friend@example.ru")
    friend.get_by_label("Пароль", exact=True).fill(NEW_PASSWORD)
    friend.get_by_label("Подтверждение пароля").fill(NEW_PASSWORD)
    friend.get_by_label("Я даю согласие на обработку персональных данных").check()
    friend.get_by_role("button", name="Зарегистрироваться").click()
    friend.wait_for_load_state("load")

    # the friend orders; the personal discount code is filled in at checkout
    friend.goto(f"{live_server}/product/{catalog.cards.slug}")
    friend.get_by_label("Тираж").select_option("1000")
    friend.get_by_label("Макет").set_input_files(str(layout))
    friend.get_by_role("button", name="В корзину").click()
    friend.wait_for_url(re.compile(r"/cart/$"))
    friend.get_by_test_id("to-checkout").click()
    friend.wait_for_url(re.compile(r"/checkout/"))
    assert friend.locator("#promo_code").input_value().startswith("DRUG-")
    assert "применён" in friend.locator("#promo-feedback").inner_text()
    friend.get_by_label("Имя").first.fill("Борис")
    friend.get_by_label("Телефон").fill("+7 926 555-44-33")
    friend.get_by_role("button", name="Подтвердить заказ").click()
    friend.wait_for_url(re.compile(r"/account/orders/\d{4}-\d{6}$"))
    number = friend.url.rsplit("/", 1)[1]

    page.reload()
    assert "Первый заказ" not in page.get_by_test_id("friends").inner_text()
    assert "Зарегистрировался" in page.get_by_test_id("friends").inner_text()

    # staff take the payment and complete the order
    staff = page.context.browser.new_context(viewport={"width": 1280, "height": 900}).new_page()
    staff.goto(f"{live_server}/admin/login/")
    staff.fill("#username", make_staff(app, "Manager"))
    staff.fill("#password", PASSWORD)
    staff.get_by_role("button", name="Вход").click()
    staff.goto(f"{live_server}/admin/orderview/list/")
    staff.fill("#order-quick-search", number)
    staff.get_by_role("button", name="Найти").click()
    staff.wait_for_url(re.compile(r"/admin/orderview/show/\d+"))
    staff.once("dialog", lambda dialog: dialog.accept())  # «Отметить заказ … оплаченным: … ₽ от …?»
    staff.get_by_role("button", name="Отметить оплаченным").click()
    staff.wait_for_load_state("load")
    staff.locator("span.label-success", has_text="Оплачен").first.wait_for()
    for status in ("confirmed", "in_production", "ready", "handed_over", "completed"):
        staff.select_option("#status", status)
        staff.get_by_role("button", name="Изменить статус").click()
        staff.wait_for_load_state("load")
    assert staff.get_by_test_id("admin-order-status").inner_text() == "Завершён"

    page.reload()
    assert "бонус ожидает окончания срока возврата" in page.get_by_test_id("friends").inner_text()

    # the return window passes; the nightly job runs (twice: nothing more happens)
    with time_machine.travel(datetime.now(UTC) + timedelta(days=15), tick=False):
        loyalty_daily(app)
        loyalty_daily(app)
    page.reload()
    state = page.get_by_test_id("friends").inner_text()
    assert "Бонус начислен" in state and "500" in state
    open_account_menu(page)
    page.get_by_role("link", name="Бонусы").click()
    assert page.get_by_test_id("points-available").inner_text() == "500\u00a0баллов"
    assert page.js_errors == []
