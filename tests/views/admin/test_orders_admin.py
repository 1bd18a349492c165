"""Staff work with orders: list filters and search, the order page, status changes, payment, files."""

import pytest

from app.models import OrderStatus
from tests.factories import advance, login_staff, make_customer, make_staff, place_order


@pytest.fixture
def operator(app, staff_client):
    login_staff(staff_client, make_staff(app, "Operator", email="oleg@pechatnydvor.ru"))
    return staff_client


def test_order_list_filters_and_searches(operator, db_session, catalog, customer, other_customer):
    first = place_order(db_session, customer, catalog.cards)
    second = place_order(db_session, other_customer, catalog.flyers, delivery="courier", address="Москва, Арбат, 1")
    advance(db_session, second, OrderStatus.confirmed)

    page = operator.get("/admin/orderview/list/").get_data(as_text=True)
    assert first.number in page and second.number in page and "Принят" in page and "Новый" in page
    confirmed = operator.get("/admin/orderview/list/?_flt_0_status=confirmed").get_data(as_text=True)
    assert second.number in confirmed and first.number not in confirmed
    courier = operator.get("/admin/orderview/list/?_flt_0_delivery_method=courier").get_data(as_text=True)
    assert second.number in courier and first.number not in courier
    by_email = operator.get("/admin/orderview/find?q=other@example").headers["Location"]
    listed = operator.get(by_email).get_data(as_text=True)
    assert second.number in listed and first.number not in listed
    by_phone = operator.get(operator.get("/admin/orderview/find?q=999 000-11-22").headers["Location"])
    assert first.number in by_phone.get_data(as_text=True)
    exact = operator.get(f"/admin/orderview/find?q={first.number}")
    assert exact.headers["Location"].endswith(f"/admin/orderview/show/{first.id}")
    today = first.created_at.astimezone().strftime("%Y-%m-%d")
    dated = operator.get(f"/admin/orderview/list/?_flt_0_created_at={today}").get_data(as_text=True)
    assert first.number in dated
    future = operator.get("/admin/orderview/list/?_flt_0_created_at=2999-01-01").get_data(as_text=True)
    assert first.number not in future
    by_customer = operator.get("/admin/orderview/list/?_flt_0_customer=Второй").get_data(as_text=True)
    assert second.number in by_customer and first.number not in by_customer


def test_order_page_shows_lines_file_and_history_and_status_changes(operator, db_session, catalog, customer):
    order = place_order(db_session, customer, catalog.cards)
    page = operator.get(f"/admin/orderview/show/{order.id}").get_data(as_text=True)
    assert "Визитки стандартные" in page and "maket.pdf" in page
    assert f"Заказ оформлен покупателем: {customer.full_name}" in page and "оформил заказ" not in page
    response = operator.post(
        f"/admin/orderview/status/{order.id}", data={"status": "confirmed", "comment": "ок"}, follow_redirects=True
    )
    text = response.get_data(as_text=True)
    assert "Статус заказа" in text and "Тестов O. изменил статус: Новый → Принят" in text and "«ок»" in text
    bad = operator.post(f"/admin/orderview/status/{order.id}", data={"status": "completed"}, follow_redirects=True)
    assert "нельзя из «Принят» в «Завершён»" in bad.get_data(as_text=True)
    db_session.expire_all()
    assert order.status == OrderStatus.confirmed


def test_staff_downloads_the_layout(operator, db_session, catalog, customer):
    order = place_order(db_session, customer, catalog.cards)
    with operator.get(f"/admin/orderview/file/{order.lines[0].layout_file_id}") as response:
        assert response.status_code == 200 and response.data.startswith(b"%PDF")
    assert operator.get("/admin/orderview/file/99999").status_code == 404
    assert operator.get("/admin/orderview/show/99999").status_code == 404


def test_mass_action_needs_a_csrf_token(app, admin_app, db_session, customer, monkeypatch):
    monkeypatch.setitem(admin_app.config, "WTF_CSRF_ENABLED", True)
    client = app.test_client()
    login_staff_with_csrf(client, make_staff(app, "Admin"))
    response = client.post("/admin/customerview/action_post", data={"action": "block_action", "rowid": [customer.id]})
    assert response.status_code == 400
    db_session.expire_all()
    assert customer.active


def login_staff_with_csrf(client, email):
    import re

    page = client.get("/admin/login/").get_data(as_text=True)
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)
    response = client.post(
        "/admin/login/", data={"username": email, "password": "secret-pass-123", "csrf_token": token}
    )
    assert response.status_code == 302


def test_history_names_a_customer_without_a_profile_name_by_the_checkout_name(operator, db_session, catalog):
    anna = make_customer(db_session, email="anna.kuznetsova@example.ru")
    order = place_order(db_session, anna, catalog.cards, contact_name="Анна Кузнецова")
    page = operator.get(f"/admin/orderview/show/{order.id}").get_data(as_text=True)
    assert "Заказ оформлен покупателем: Анна Кузнецова" in page
    assert "anna.kuznetsova@example.ru оформил" not in page


def test_marking_paid_asks_for_the_amount_and_day_and_refuses_a_wrong_one(operator, db_session, catalog, customer):
    from datetime import timedelta

    from app.services.shoptime import shop_today, to_shop

    order = place_order(db_session, customer, catalog.cards)
    page = operator.get(f"/admin/orderview/show/{order.id}").get_data(as_text=True)
    assert 'name="amount"' in page and 'value="790,00"' in page and 'name="paid_on"' in page
    assert "data-confirm-payment=" in page
    url = f"/admin/orderview/paid/{order.id}"
    today = shop_today()
    for data, message in (
        ({"amount": "700", "paid_on": today.isoformat()}, "не равна сумме к оплате"),
        ({"amount": "семьсот", "paid_on": today.isoformat()}, "Укажите сумму оплаты числом"),
        ({"amount": "790", "paid_on": (today + timedelta(days=2)).isoformat()}, "дата оплаты в будущем"),
        ({"amount": "790", "paid_on": ""}, "Укажите дату оплаты"),
    ):
        text = operator.post(url, data=data, follow_redirects=True).get_data(as_text=True)
        assert message in text, data
        db_session.expire_all()
        assert order.payment_status.value == "unpaid" and order.paid_at is None
    day = today - timedelta(days=3)
    text = operator.post(url, data={"amount": "790,00", "paid_on": day.strftime("%d.%m.%Y")}, follow_redirects=True)
    assert "отмечен оплаченным" in text.get_data(as_text=True)
    db_session.expire_all()
    assert order.payment_status.value == "paid" and to_shop(order.paid_at).date() == day


def test_order_page_shows_the_layout_thumbnail(app, operator, db_session, catalog, customer):
    order = place_order(db_session, customer, catalog.cards)
    file_id = order.lines[0].layout_file.id
    page = operator.get(f"/admin/orderview/show/{order.id}").get_data(as_text=True)
    assert f'src="/admin/orderview/file/{file_id}/thumbnail.png"' in page and 'data-testid="admin-layout-thumb"' in page
    picture = operator.get(f"/admin/orderview/file/{file_id}/thumbnail.png")
    assert picture.status_code == 200 and picture.mimetype == "image/png" and picture.data.startswith(b"\x89PNG")
    picture.close()
    assert operator.get("/admin/orderview/file/999999/thumbnail.png").status_code == 404
    anonymous = app.test_client().get(f"/admin/orderview/file/{file_id}/thumbnail.png")
    assert anonymous.status_code in (302, 401, 403)


def test_order_list_keeps_active_filters_in_view_and_common_ones_one_click_away(
    operator, db_session, catalog, customer
):
    import html
    import re

    pickup = place_order(db_session, customer, catalog.cards)
    courier = place_order(db_session, customer, catalog.cards, delivery="courier", address="Москва, ул. Тверская, д. 7")
    page = operator.get("/admin/orderview/list/").get_data(as_text=True)
    assert 'data-testid="quick-filters"' in page and 'data-testid="active-filters"' not in page
    links = {
        text: html.unescape(href)
        for href, text in re.findall(r'<a class="btn btn-xs btn-default" href="([^"]+)"\s*>([^<]+)</a>', page)
    }
    for label in ("Новые", "Не оплачены", "Курьер", "Компании", "Частные лица", "Сегодня"):
        assert label in links, label
    filtered = operator.get(links["Курьер"]).get_data(as_text=True)
    assert courier.number in filtered and pickup.number not in filtered
    assert "Получение: Курьер" in filtered and 'data-testid="clear-filters"' in filtered
    remove = html.unescape(re.search(r'Получение: Курьер <a href="([^"]+)"', filtered).group(1))
    assert "_flt_0_delivery_method" not in remove
    both = operator.get("/admin/orderview/list/?_flt_0_delivery_method=courier&_flt_0_status=new").get_data(
        as_text=True
    )
    assert "Получение: Курьер" in both and "Статус: Новый" in both
    assert courier.number in both and pickup.number not in both
