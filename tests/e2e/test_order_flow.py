"""A customer orders business cards with a layout in a real browser; staff then see the order and its file."""

import re

import pytest

from tests.e2e.conftest import open_account_menu
from tests.factories import PASSWORD, make_staff, pdf_bytes

pytestmark = pytest.mark.browser


def test_customer_orders_business_cards_and_staff_see_it(app, live_server, page, catalog, customer, tmp_path):
    layout = tmp_path / "vizitka-petrov.pdf"
    layout.write_bytes(pdf_bytes(94, 54))

    page.goto(f"{live_server}/")
    page.get_by_role("link", name="Визитки стандартные").click()
    price = page.locator("#price-total")
    assert price.inner_text() == "790,00\u00a0₽"
    # The price follows every choice, computed by the server.
    page.get_by_label("Дизайнерская 300 г/м²").check()
    page.get_by_label("Тираж").select_option("500")
    page.get_by_label("Скругление углов").check()
    expected = "3\u00a0054,00\u00a0₽"  # 1690 × 1.6 + 350
    page.wait_for_function("expected => document.getElementById('price-total').textContent === expected", arg=expected)
    page.get_by_label("Макет").set_input_files(str(layout))
    page.get_by_role("button", name="В корзину").click()

    page.wait_for_url(re.compile(r"/cart/$"))
    assert "vizitka-petrov.pdf" in page.content()
    assert page.get_by_test_id("cart-total").inner_text() == expected
    page.get_by_test_id("to-checkout").click()

    page.wait_for_url(re.compile(r"/account/login"))
    page.get_by_label("Email адрес").fill(customer.email)
    page.get_by_label("Пароль").fill(PASSWORD)
    page.get_by_role("button", name="Войти").click()

    page.wait_for_url(re.compile(r"/checkout/"))
    page.get_by_label("Телефон").fill("+7 916 555-44-33")
    page.get_by_test_id("checkout-total").wait_for()
    assert page.get_by_test_id("checkout-total").inner_text() == expected
    # Courier delivery is added to the total at once; back to pickup it goes away again.
    page.get_by_role("radio", name="Курьер").check()
    page.wait_for_function(
        "() => document.querySelector('[data-testid=checkout-total]').textContent === '3\u00a0454,00\u00a0₽'"
    )
    assert page.get_by_test_id("checkout-delivery").inner_text() == "400,00\u00a0₽"
    page.get_by_role("radio", name="Самовывоз").check()
    page.wait_for_function(
        "expected => document.querySelector('[data-testid=checkout-total]').textContent === expected", arg=expected
    )
    page.get_by_role("button", name="Подтвердить заказ").click()

    page.wait_for_url(re.compile(r"/account/orders/\d{4}-\d{6}$"))
    number = page.url.rsplit("/", 1)[-1]
    assert page.get_by_test_id("order-status").inner_text() == "Новый"
    assert page.get_by_test_id("order-total").inner_text() == expected
    open_account_menu(page)
    page.locator(".dropdown-menu").get_by_role("link", name="Мои заказы").click()
    assert number in page.locator("[data-testid=order-row]").first.inner_text()
    assert page.js_errors == []

    staff_email = make_staff(app, "Operator")
    staff = page.context.browser.new_context(viewport={"width": 1280, "height": 900}).new_page()
    staff.goto(f"{live_server}/admin/login/")
    staff.fill("#username", staff_email)
    staff.fill("#password", PASSWORD)
    staff.get_by_role("button", name="Вход").click()
    staff.goto(f"{live_server}/admin/orderview/list/")
    staff.fill("#order-quick-search", number)
    staff.get_by_role("button", name="Найти").click()
    staff.wait_for_url(re.compile(r"/admin/orderview/show/\d+"))
    assert staff.get_by_test_id("admin-order-status").inner_text() == "Новый"
    with staff.expect_download() as download:
        staff.get_by_test_id("admin-file-link").click()
    assert download.value.suggested_filename == "vizitka-petrov.pdf"
    staff.select_option("#status", "confirmed")
    staff.get_by_role("button", name="Изменить статус").click()
    assert staff.get_by_test_id("admin-order-status").inner_text() == "Принят"
    page.goto(f"{live_server}/account/orders/{number}")
    assert page.get_by_test_id("order-status").inner_text() == "Принят"
