"""«Повторить заказ» in «Мои заказы»: the buttons, the cart it fills, and who gets a 404 or a refusal."""

import sqlalchemy as sa

from app.models import CartItem
from tests.factories import (
    add_member,
    login_customer,
    make_company,
    make_customer,
    place_cards_and_flyers,
    place_order,
)


def test_reorder_from_the_list_and_a_line_from_the_order_page(client, db_session, catalog, customer):
    order = place_order(db_session, customer, catalog.cards, quantity=500)
    login_customer(client, customer.email)
    listing = client.get("/account/orders").get_data(as_text=True)
    assert f'action="/account/orders/{order.number}/reorder"' in listing and "Повторить" in listing
    page = client.get(f"/account/orders/{order.number}").get_data(as_text=True)
    assert "Повторить заказ" in page and "Повторить позицию" in page
    response = client.post(f"/account/orders/{order.number}/reorder")
    assert response.status_code == 302 and response.headers["Location"].endswith("/cart/")
    cart = client.get("/cart/").get_data(as_text=True)
    assert f"Заказ {order.number}: в корзину добавлено позиций — 1" in cart
    assert "Визитки стандартные" in cart
    line_id = order.product_lines[0].id
    client.post(f"/account/orders/{order.number}/lines/{line_id}/reorder")
    items = list(db_session.scalars(sa.select(CartItem)))
    assert [i.quantity for i in items] == [500, 500]


def test_someone_elses_order_is_a_404_and_nothing_is_added(client, db_session, catalog, customer, other_customer):
    order = place_order(db_session, customer, catalog.cards)
    login_customer(client, other_customer.email)
    assert client.post(f"/account/orders/{order.number}/reorder").status_code == 404
    line_id = order.product_lines[0].id
    assert client.post(f"/account/orders/{order.number}/lines/{line_id}/reorder").status_code == 404
    assert db_session.scalar(sa.select(sa.func.count()).select_from(CartItem)) == 0


def test_an_off_sale_product_is_explained_and_the_cart_stays_empty(client, db_session, catalog, customer):
    order = place_order(db_session, customer, catalog.cards)
    catalog.cards.is_active = False
    db_session.commit()
    login_customer(client, customer.email)
    response = client.post(f"/account/orders/{order.number}/reorder", follow_redirects=True)
    assert "Товар «Визитки стандартные» больше не продаётся" in response.get_data(as_text=True)
    assert db_session.scalar(sa.select(sa.func.count()).select_from(CartItem)) == 0


def test_a_company_accountant_sees_the_order_without_the_button_and_is_refused(client, db_session, catalog, customer):
    company = make_company(db_session, customer)
    accountant = make_customer(db_session, email="buh@example.ru")
    add_member(db_session, company, accountant, "accountant")
    order = place_cards_and_flyers(db_session, customer, catalog, company_id=company.id)
    assert order.company_id == company.id
    login_customer(client, accountant.email)
    page = client.get(f"/account/orders/{order.number}").get_data(as_text=True)
    assert "Повторить заказ" not in page
    response = client.post(f"/account/orders/{order.number}/reorder", follow_redirects=True)
    assert "Заказывать от имени компании могут владелец и закупщики." in response.get_data(as_text=True)
    assert db_session.scalar(sa.select(sa.func.count()).select_from(CartItem)) == 0
