"""The storefront's points: «Бонусы» in the account, the checkout's «Оплатить баллами» (limits, live totals from the
server, refusals that change nothing), the order page, the cart's and product page's estimate."""

from __future__ import annotations

import io
import re
import uuid

import sqlalchemy as sa

from app.models import EntryKind, LoyaltyEntry, Order
from app.services.actors import Actor
from app.services.loyalty import ledger
from app.services.orders import lifecycle
from tests.factories import PASSWORD, layout_for, login_customer, place_order

SYSTEM = Actor.system("test")


def give(session, customer, points):
    ledger.post(
        session,
        customer_id=customer.id,
        kind=EntryKind.adjust,
        key=f"adjust:{uuid.uuid4().hex}",
        actor=SYSTEM,
        available=points,
        reason="подарок",
    )
    session.commit()


def add_to_cart(client, catalog, product):
    from app.services.catalog.products import default_option_ids

    ids = default_option_ids(product)
    data = {
        "quantity": str(product.price_tiers[-1].quantity),
        **{f"opt_{n}": str(i) for n, i in enumerate(ids)},
        "layout": (io.BytesIO(layout_for(product, ids)), "maket.pdf"),
    }
    response = client.post(f"/product/{product.slug}", data=data, content_type="multipart/form-data")
    assert response.status_code in (302, 303), response.get_data(as_text=True)[:300]


def checkout_form(client, **extra):
    page = client.get("/checkout/").get_data(as_text=True)
    token = re.search(r'name="checkout_token" value="([^"]+)"', page).group(1)
    return {
        "contact_name": "Покупатель Первый",
        "contact_email": "buyer@example.ru",
        "contact_phone": "+7 999 000-11-22",
        "delivery_method": "pickup",
        "payment_method": "on_receipt",
        "checkout_token": token,
        "address_id": "",
        **extra,
    }


def test_bonuses_page_shows_balance_pending_tier_and_history_to_its_owner_only(
    client, db_session, catalog, customer, other_customer
):
    give(db_session, customer, 300)
    order = place_order(db_session, customer, catalog.cards)
    lifecycle.mark_paid(db_session, order, actor=SYSTEM)
    db_session.commit()
    login_customer(client, customer.email, PASSWORD)
    page = client.get("/account/bonuses").get_data(as_text=True)
    assert "300\u00a0баллов" in page
    assert f'заказ <a href="/account/orders/{order.number}">{order.number}</a>' in page
    assert "станут доступны через 14 дн. после завершения заказа" in page
    assert "«Старт»" in page and "До уровня «Постоянный» осталось 15\u00a0000,00\u00a0₽" in page
    assert "Корректировка" in page and "подарок" in page
    other = client.application.test_client()
    login_customer(other, other_customer.email, PASSWORD)
    theirs = other.get("/account/bonuses").get_data(as_text=True)
    assert "Пока ничего не начислено" in theirs and order.number not in theirs
    assert client.application.test_client().get("/account/bonuses").status_code in (302, 401)


def test_checkout_spends_points_within_the_limit_and_shows_them_on_the_order(client, db_session, catalog, customer):
    give(db_session, customer, 5000)
    login_customer(client, customer.email, PASSWORD)
    add_to_cart(client, catalog, catalog.cards)
    page = client.get("/checkout/").get_data(as_text=True)
    assert "Оплатить баллами" in page and "Можно списать до" in page
    limit = int(re.search(r'data-limit="(\d+)"', page).group(1))
    summary = client.get("/checkout/summary", query_string={"delivery_method": "pickup", "points": "100"}).get_json()
    assert summary["ok"] and summary["points"] == "−100,00\u00a0₽" and summary["points_error"] == ""
    too_many = client.get("/checkout/summary", query_string={"delivery_method": "pickup", "points": str(limit + 1)})
    assert f"Можно списать не больше {limit}" in too_many.get_json()["points_error"].replace("\u00a0", " ")
    # refused: nothing placed, nothing spent, the page says why
    refused = client.post("/checkout/", data=checkout_form(client, points=str(limit + 1)))
    assert refused.status_code == 400 and "Можно списать не больше" in refused.get_data(as_text=True)
    assert db_session.scalar(sa.select(sa.func.count()).select_from(Order)) == 0
    response = client.post("/checkout/", data=checkout_form(client, points="100"))
    assert response.status_code == 302
    order = db_session.scalars(sa.select(Order)).one()
    assert order.points_paid == 100 and order.total == order.goods_total - 100
    db_session.expire_all()
    assert ledger.balance(db_session, customer.id).available == 4900
    page = client.get(f"/account/orders/{order.number}").get_data(as_text=True)
    assert "Оплачено баллами" in page and "Списано: 100\u00a0баллов" in page and "начислим после оплаты" in page.lower()


def test_cart_and_product_page_say_how_many_points_the_order_earns(client, db_session, catalog, customer):
    login_customer(client, customer.email, PASSWORD)
    add_to_cart(client, catalog, catalog.cards)
    assert "За этот заказ начислим" in client.get("/cart/").get_data(as_text=True)
    ids = catalog.defaults(catalog.cards)
    query = "&".join(f"option={i}" for i in ids)
    price = client.get(f"/api/price/{catalog.cards.slug}?quantity=1000&{query}").get_json()
    assert price["earn_label"].startswith("+") and "за этот заказ" in price["earn_label"]


def test_points_entries_are_only_appended_by_checkout(client, db_session, catalog, customer):
    give(db_session, customer, 50)
    login_customer(client, customer.email, PASSWORD)
    add_to_cart(client, catalog, catalog.cards)
    page = client.get("/checkout/").get_data(as_text=True)
    assert "Баллами можно оплатить заказ с товарами от" not in page  # cards of 2000 pcs are above the minimum
    client.post("/checkout/", data=checkout_form(client, points="abc"))
    assert db_session.scalar(sa.select(sa.func.count()).select_from(LoyaltyEntry)) == 1
