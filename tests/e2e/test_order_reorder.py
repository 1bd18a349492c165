"""In a real browser: «Повторить заказ» from «Мои заказы» fills the cart with the same cards at today's price,
and «Повторить позицию» on the order page adds one line again; then the cart goes to checkout as usual."""

import re
from decimal import Decimal as D

import pytest
import sqlalchemy as sa

from app.models import CartItem, Order
from tests.e2e.conftest import open_account_menu
from tests.factories import PASSWORD, place_cards_and_flyers

pytestmark = pytest.mark.browser


def test_customer_repeats_a_past_order_and_one_of_its_lines(app, live_server, page, db_session, catalog, customer):
    page.set_default_timeout(10000)
    order = place_cards_and_flyers(db_session, customer, catalog)
    tier = next(t for t in catalog.cards.price_tiers if t.quantity == 500)
    tier.price = D("1790.00")
    db_session.commit()

    page.goto(f"{live_server}/account/login")
    page.get_by_label("Email адрес").fill(customer.email)
    page.get_by_label("Пароль").fill(PASSWORD)
    page.get_by_role("button", name="Войти").click()
    open_account_menu(page)
    page.get_by_role("link", name="Мои заказы").click()
    page.wait_for_url(re.compile(r"/account/orders$"))
    page.get_by_test_id("order-row").filter(has_text=order.number).get_by_test_id("reorder-order").click()
    page.wait_for_url(re.compile(r"/cart/$"))
    body = page.locator("main").inner_text()
    assert f"Заказ {order.number}: в корзину добавлено позиций — 2" in body
    assert "цена изменилась — в заказе 3 054,00 ₽, сейчас 3 214,00 ₽" in body.replace("\xa0", " ")
    assert "Визитки стандартные" in body and "Листовки" in body

    # One line again, from the order page.
    page.goto(f"{live_server}/account/orders/{order.number}")
    page.get_by_test_id("order-line").filter(has_text="Листовки").get_by_test_id("reorder-line").click()
    page.wait_for_url(re.compile(r"/cart/$"))
    assert "добавлено позиций — 1" in page.locator("main").inner_text()
    db_session.expire_all()
    items = list(db_session.scalars(sa.select(CartItem).order_by(CartItem.id)))
    assert [i.product_id for i in items] == [catalog.cards.id, catalog.flyers.id, catalog.flyers.id]
    assert all(i.layout_file is not None and i.preflight["status"] == "ok" for i in items)
    assert db_session.scalar(sa.select(sa.func.count()).select_from(Order)) == 1
    assert page.js_errors == []
