"""Storefront flows through the test client: browse, price, upload, cart, register, checkout, my orders."""

import io
import re
from decimal import Decimal as D

import sqlalchemy as sa

from app.extensions import db
from app.models import Customer, Order, StoredFile
from tests.factories import login_customer, pdf_bytes


def _add_to_cart(client, product, option_ids, quantity, data=None, filename="maket.pdf"):
    form = {"quantity": str(quantity), **{f"opt_{i}": str(v) for i, v in enumerate(option_ids)}}
    form["layout"] = (io.BytesIO(data if data is not None else pdf_bytes()), filename)
    return client.post(f"/product/{product.slug}", data=form, content_type="multipart/form-data")


def test_catalog_pages_show_categories_products_and_prices(client, catalog):
    home = client.get("/").get_data(as_text=True)
    for name in ("Визитки", "Листовки", "Наклейки", "Баннеры"):
        assert name in home
    assert "от 790,00\u00a0₽" in home
    page = client.get("/product/vizitki-standart").get_data(as_text=True)
    assert "Дизайнерская 300 г/м²" in page and "790,00\u00a0₽" in page
    assert client.get("/product/no-such-thing").status_code == 404
    assert "Страница не найдена" in client.get("/catalog/nope").get_data(as_text=True)


def test_price_api_agrees_with_the_quote_service(client, catalog):
    ids = catalog.defaults(catalog.cards, "Крафт 350 г/м²", "Двусторонняя 4+4")
    query = "&".join(f"option={i}" for i in ids)
    data = client.get(f"/api/price/vizitki-standart?quantity=1000&{query}").get_json()
    assert data["ok"] is True
    assert D(data["total"]) == (D("2490") * D("1.35") * D("1.45")).quantize(D("0.01"))
    bad = client.get(f"/api/price/vizitki-standart?quantity=7&{query}")
    assert bad.status_code == 400 and "Тираж 7 шт. недоступен" in bad.get_json()["error"]
    assert client.get("/api/price/vizitki-standart?quantity=abc").status_code == 400


def test_no_js_recalculation_shows_the_server_price(client, catalog):
    ids = catalog.defaults(catalog.cards, "Дизайнерская 300 г/м²")
    query = "&".join(f"opt_{n}={i}" for n, i in enumerate(ids))
    page = client.get(f"/product/vizitki-standart?quantity=500&{query}").get_data(as_text=True)
    assert "2\u00a0704,00\u00a0₽" in page


def test_guest_adds_to_cart_registers_checks_out_and_sees_the_order(app, client, catalog):
    ids = catalog.defaults(catalog.cards, "Дизайнерская 300 г/м²")
    response = _add_to_cart(client, catalog.cards, ids, 500)
    assert response.status_code == 302
    cart = client.get("/cart/").get_data(as_text=True)
    assert "Визитки стандартные" in cart and "2\u00a0704,00\u00a0₽" in cart and "maket.pdf" in cart

    assert client.get("/checkout/").status_code == 302  # login required
    response = client.post(
        "/account/register",
        data={
            "email": "new.buyer@example.ru",
            "password": "long-password-1",
            "password_confirm": "long-password-1",
            "personal_data_consent": "y",
        },
    )
    assert response.status_code == 302
    page = client.get("/checkout/").get_data(as_text=True)
    assert "2\u00a0704,00\u00a0₽" in page  # the guest cart followed the new account
    token = re.search(r'name="checkout_token" value="([^"]+)"', page).group(1)
    form = {
        "contact_name": "Новый Покупатель",
        "contact_email": "new.buyer@example.ru",
        "contact_phone": "8 916 000-11-22",
        "delivery_method": "pickup",
        "payment_method": "on_receipt",
        "comment": "Позвоните перед выдачей",
        "checkout_token": token,
    }
    response = client.post("/checkout/", data=form)
    assert response.status_code == 302
    number = response.headers["Location"].rsplit("/", 1)[-1]
    again = client.post("/checkout/", data=form)  # double submit
    assert again.headers["Location"].endswith(number)

    orders_page = client.get("/account/orders").get_data(as_text=True)
    assert number in orders_page and "Новый" in orders_page
    order_page = client.get(f"/account/orders/{number}").get_data(as_text=True)
    assert "Дизайнерская 300 г/м²" in order_page and "Позвоните перед выдачей" in order_page
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(Order)) == 1
        order = db.session.scalar(sa.select(Order))
        assert order.contact_phone == "+79160001122"
        customer = db.session.scalar(sa.select(Customer).where(Customer.email == "new.buyer@example.ru"))
        assert customer.full_name == "Новый Покупатель"
        assert db.session.get(StoredFile, order.lines[0].layout_file_id).customer_id == customer.id
    assert "В корзине пока ничего нет" in client.get("/cart/").get_data(as_text=True)


def test_checkout_errors_are_shown_in_russian_and_place_nothing(app, client, catalog, customer):
    login_customer(client, customer.email)
    _add_to_cart(client, catalog.cards, catalog.defaults(catalog.cards), 100)
    response = client.post(
        "/checkout/",
        data={
            "contact_name": "Иван",
            "contact_email": customer.email,
            "contact_phone": "123",
            "delivery_method": "courier",
            "payment_method": "on_receipt",
            "checkout_token": "abc",
        },
    )
    assert response.status_code == 400
    assert "Укажите телефон в формате +7 999 123-45-67." in response.get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(Order)) == 0


def test_promo_code_can_be_applied_before_ordering(app, client, catalog, customer):
    from app.models import PromoCode, PromoKind

    with app.app_context():
        db.session.add(PromoCode(code="HELLO", kind=PromoKind.fixed, value=D("100")))
        db.session.commit()
    login_customer(client, customer.email)
    _add_to_cart(client, catalog.cards, catalog.defaults(catalog.cards), 100)
    base = {
        "contact_name": "Иван",
        "contact_email": customer.email,
        "contact_phone": "+79161234567",
        "delivery_method": "pickup",
        "payment_method": "on_receipt",
        "checkout_token": "t1",
    }
    page = client.post("/checkout/", data=base | {"promo_code": "hello", "action": "apply_promo"})
    text = page.get_data(as_text=True)
    assert "Промокод HELLO применён" in text and "690,00\u00a0₽" in text
    # A reload (GET) keeps the applied code, its discount, and the name and phone from the profile.
    again = client.get("/checkout/").get_data(as_text=True)
    assert 'value="hello"' in again and "Промокод HELLO применён" in again and "690,00\u00a0₽" in again
    assert 'value="+7 999 000-11-22"' in again and 'value="Покупатель Первый"' in again
    wrong = client.post("/checkout/", data=base | {"promo_code": "NOPE", "action": "apply_promo"})
    assert "Промокод не найден." in wrong.get_data(as_text=True)
    order = client.post("/checkout/", data=base | {"promo_code": "HELLO", "checkout_token": "t2"})
    assert order.status_code == 302 and "/account/orders/" in order.headers["Location"]
    with client.session_transaction() as stored:
        assert "checkout_promo_code" not in stored  # the next order starts without it


def test_bad_upload_is_refused_with_a_clear_message_and_nothing_is_stored(app, client, catalog):
    response = _add_to_cart(
        client,
        catalog.cards,
        catalog.defaults(catalog.cards),
        100,
        data=b"<svg onload='alert(1)'></svg>",
        filename="logo.svg",
    )
    assert response.status_code == 400
    text = response.get_data(as_text=True)
    assert "Этот тип файла не принимается. Допустимые форматы: PDF, PNG, JPEG, TIFF, AI, EPS, PSD, CDR." in text
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(StoredFile)) == 0
    assert "В корзине пока ничего нет" in client.get("/cart/").get_data(as_text=True)


def test_missing_layout_is_asked_for(client, catalog):
    response = client.post("/product/vizitki-standart", data={"quantity": "100"})
    assert response.status_code == 400
    assert "Выберите: Формат" in response.get_data(as_text=True)
    ids = catalog.defaults(catalog.cards)
    form = {"quantity": "100", **{f"opt_{n}": str(i) for n, i in enumerate(ids)}}
    assert "Загрузите файл макета." in client.post("/product/vizitki-standart", data=form).get_data(as_text=True)


def test_cart_quantity_change_and_removal(client, catalog):
    _add_to_cart(client, catalog.cards, catalog.defaults(catalog.cards), 100)
    page = client.get("/cart/").get_data(as_text=True)
    item_id = re.search(r"/cart/items/(\d+)/quantity", page).group(1)
    client.post(f"/cart/items/{item_id}/quantity", data={"quantity": "1000"})
    assert "2\u00a0490,00\u00a0₽" in client.get("/cart/").get_data(as_text=True)
    response = client.post(f"/cart/items/{item_id}/quantity", data={"quantity": "333"}, follow_redirects=True)
    assert "Тираж 333 шт. недоступен" in response.get_data(as_text=True)
    client.post(f"/cart/items/{item_id}/delete")
    assert "В корзине пока ничего нет" in client.get("/cart/").get_data(as_text=True)
    assert client.post("/cart/items/999999/delete", follow_redirects=True).status_code == 200


def test_checkout_summary_follows_the_delivery_method(client, catalog, customer):
    login_customer(client, customer.email)
    _add_to_cart(client, catalog.cards, catalog.defaults(catalog.cards), 100)
    pickup = client.get("/checkout/summary?delivery_method=pickup").get_json()
    assert (pickup["delivery"], pickup["total"]) == ("бесплатно", "790,00\u00a0₽")
    courier = client.get("/checkout/summary?delivery_method=courier").get_json()
    assert (courier["delivery"], courier["total"]) == ("400,00\u00a0₽", "1\u00a0190,00\u00a0₽")
    bad = client.get("/checkout/summary?delivery_method=teleport")
    assert bad.status_code == 400 and bad.get_json()["error"] == "Выберите способ получения."
