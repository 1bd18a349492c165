"""A customer with points pays part of an order with them in a real browser: the checkout shows the limit, the
totals follow the typed amount (computed by the server), and «Бонусы» shows the balance fall."""

import re
import uuid

import pytest
from playwright.sync_api import expect

from app.models import EntryKind
from app.services.actors import Actor
from app.services.loyalty import ledger
from tests.e2e.conftest import open_account_menu
from tests.factories import PASSWORD, pdf_bytes

pytestmark = pytest.mark.browser


def test_customer_pays_part_of_an_order_with_points_and_sees_the_balance_fall(
    app, live_server, page, db_session, catalog, customer, tmp_path
):
    ledger.post(
        db_session,
        customer_id=customer.id,
        kind=EntryKind.adjust,
        key=f"adjust:{uuid.uuid4().hex}",
        actor=Actor.system("test"),
        available=1000,
        reason="Приветственные баллы",
    )
    db_session.commit()
    layout = tmp_path / "vizitka.pdf"
    layout.write_bytes(pdf_bytes(94, 54))

    page.goto(f"{live_server}/account/login")
    page.get_by_label("Email адрес").fill(customer.email)
    page.get_by_label("Пароль").fill(PASSWORD)
    page.get_by_role("button", name="Войти").click()
    page.wait_for_load_state("load")
    open_account_menu(page)
    page.get_by_role("link", name="Бонусы").click()
    assert page.get_by_test_id("points-available").inner_text() == "1\u00a0000\u00a0баллов"

    page.goto(f"{live_server}/product/{catalog.cards.slug}")
    page.get_by_label("Тираж").select_option("1000")
    page.wait_for_function("() => document.getElementById('price-total').textContent === '2\u00a0490,00\u00a0₽'")
    page.wait_for_function("() => document.getElementById('price-earn').textContent.includes('за этот заказ')")
    page.get_by_label("Макет").set_input_files(str(layout))
    page.get_by_role("button", name="В корзину").click()
    page.wait_for_url(re.compile(r"/cart/$"))
    assert "За этот заказ начислим 74" in page.get_by_test_id("cart-earn").inner_text()
    page.get_by_test_id("to-checkout").click()

    page.wait_for_url(re.compile(r"/checkout/"))
    page.get_by_label("Телефон").fill("+7 916 555-44-33")
    assert "Можно списать до 498\u00a0баллов" in page.get_by_test_id("points-note").inner_text()
    assert page.get_by_test_id("checkout-total").inner_text() == "2\u00a0490,00\u00a0₽"
    page.get_by_label("Оплатить баллами").fill("600")
    page.wait_for_function(
        "() => document.querySelector('[data-testid=points-error]').textContent.includes('не больше 498')"
    )
    page.get_by_test_id("points-max").click()
    page.wait_for_function(
        "() => document.querySelector('[data-testid=checkout-total]').textContent === '1\u00a0992,00\u00a0₽'"
    )
    # The page's figures arrive from the server; each is awaited (retried) rather than read once.
    expect(page.get_by_test_id("checkout-points")).to_have_text("−498,00\u00a0₽")
    expect(page.get_by_test_id("points-error")).to_have_text("")
    expect(page.get_by_test_id("checkout-earn")).to_contain_text("59")  # 3 % of 1 992 ₽ paid in money
    page.get_by_role("button", name="Подтвердить заказ").click()

    page.wait_for_url(re.compile(r"/account/orders/\d{4}-\d{6}$"))
    assert page.get_by_test_id("order-total").inner_text() == "1\u00a0992,00\u00a0₽"
    assert page.get_by_test_id("order-points").inner_text() == "−498,00\u00a0₽"
    assert "Списано: 498\u00a0баллов" in page.get_by_test_id("order-bonus").inner_text()
    open_account_menu(page)
    page.get_by_role("link", name="Бонусы").click()
    assert page.get_by_test_id("points-available").inner_text() == "502\u00a0балла"
    assert "Списано на заказ" in page.get_by_test_id("points-history").inner_text()
    assert page.js_errors == []
