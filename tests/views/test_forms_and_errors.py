"""Both apps: forms refuse bad input with a Russian message and change nothing; CSRF is enforced when enabled;
errors are Russian pages in each app's own layout with a way back."""

from __future__ import annotations

import io

import pytest
import sqlalchemy as sa

from app.models import CartItem, Order
from tests.factories import login_customer, login_staff, make_staff, pdf_bytes, place_order


def _count(db_session, model) -> int:  # noqa: ANN001
    db_session.expire_all()
    return db_session.scalar(sa.select(sa.func.count()).select_from(model))


def _product_form(catalog, **changes) -> dict:  # noqa: ANN001
    form = {"quantity": "100", "layout": (io.BytesIO(pdf_bytes()), "m.pdf")}
    form |= {f"opt_{n}": str(i) for n, i in enumerate(catalog.defaults(catalog.cards))}
    return form | changes


@pytest.mark.parametrize(
    "changes",
    [{"quantity": "abc"}, {"quantity": "-5"}, {"quantity": "99999999999999999999"}, {"quantity": ""}, {"opt_0": "x"}],
)
def test_a_product_post_with_a_bad_quantity_or_option_adds_nothing(client, db_session, catalog, changes):
    response = client.post("/product/vizitki-standart", data=_product_form(catalog, **changes))
    assert response.status_code == 400
    assert "Выберите" in response.get_data(as_text=True)
    assert _count(db_session, CartItem) == 0


def test_an_option_of_another_product_is_refused(client, db_session, catalog):
    foreign = catalog.defaults(catalog.flyers)[0]
    response = client.post("/product/vizitki-standart", data=_product_form(catalog, opt_0=str(foreign)))
    assert response.status_code == 400 and "нет у этого товара" in response.get_data(as_text=True)
    assert _count(db_session, CartItem) == 0


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("contact_email", "not-an-email", "Укажите email"),
        ("contact_phone", "12", "Укажите телефон"),
        ("contact_name", "", "Укажите имя"),
        ("delivery_method", "teleport", "Неверный вариант"),
        ("company_id", "-1", "Выберите заказчика"),
        ("address_id", "abc", "Выберите адрес"),
        ("comment", "x" * 3000, "не длиннее"),
    ],
)
def test_checkout_with_a_bad_field_places_no_order(app, client, db_session, catalog, customer, field, value, message):
    login_customer(client, customer.email)
    client.post("/product/vizitki-standart", data=_product_form(catalog), content_type="multipart/form-data")
    form = {
        "contact_name": "Покупатель",
        "contact_email": "buyer@example.ru",
        "contact_phone": "+7 999 000-11-22",
        "delivery_method": "pickup",
        "payment_method": "on_receipt",
        "checkout_token": "t-1",
    }
    response = client.post("/checkout/", data=form | {field: value})
    assert response.status_code == 400
    assert message in response.get_data(as_text=True)
    assert _count(db_session, Order) == 0


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"packages": "0"}, "Мест: от 1 до 999."),
        ({"packages": "abc"}, "Мест: от 1 до 999."),
        ({"due_date": "31.02.2026"}, "Срок готовности"),
        ({"contact_email": "nobody"}, "Укажите email"),
        ({"assignee_id": "-3"}, "Выберите сотрудника"),
    ],
)
def test_order_details_with_a_bad_field_change_nothing(app, db_session, catalog, customer, changes, message):
    order = place_order(db_session, customer, catalog.cards)
    staff = app.test_client()
    login_staff(staff, make_staff(app, "Admin"))
    form = {
        "contact_name": "Новое имя",
        "contact_email": "buyer@example.ru",
        "contact_phone": "+7 999 000-11-22",
        "delivery_method": "pickup",
        "packages": "2",
    }
    response = staff.post(f"/admin/orderview/details/{order.id}", data=form | changes)
    assert response.status_code == 400
    assert message in response.get_data(as_text=True)
    db_session.expire_all()
    assert order.contact_name != "Новое имя" and order.packages == 1


def test_a_post_without_a_csrf_token_is_refused_on_both_apps(
    app, admin_app, db_session, catalog, customer, monkeypatch
):
    order = place_order(db_session, customer, catalog.cards)
    shop, staff = app.test_client(), app.test_client()
    login_customer(shop, customer.email)
    login_staff(staff, make_staff(app, "Admin"))
    for flask_app in (app, admin_app):
        monkeypatch.setitem(flask_app.config, "WTF_CSRF_ENABLED", True)
    response = shop.post("/product/vizitki-standart", data=_product_form(catalog))
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert "Страница устарела, обновите её и повторите." in page and 'data-testid="error-page"' in page
    response = staff.post(f"/admin/orderview/status/{order.id}", data={"status": "confirmed"})
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert "Страница устарела, обновите её и повторите." in page and "CSRF" not in page
    assert "appbuilder" in page  # the back office's own layout
    db_session.expire_all()
    assert order.status.value == "new" and _count(db_session, CartItem) == 0


def test_csrf_stays_enforced_outside_tests():
    from config import PROFILES

    assert all(getattr(profile, "WTF_CSRF_ENABLED", True) for profile in PROFILES.values())


def test_back_office_errors_are_russian_pages_in_its_layout(app):
    staff = app.test_client()
    login_staff(staff, make_staff(app, "ContentEditor"))
    response = staff.get("/admin/no-such-page", headers={"Referer": "http://localhost/admin/"})
    page = response.get_data(as_text=True)
    assert response.status_code == 404 and "Страница не найдена" in page and "Not Found" not in page
    assert 'data-testid="error-back"' in page and "На главную офиса" in page
    assert "office/admin.css" in page
    response = staff.get("/admin/orderview/show/1")
    assert response.status_code in (302, 403)


def test_storefront_errors_are_russian_pages_in_its_layout(client):
    response = client.get("/no-such-page")
    page = response.get_data(as_text=True)
    assert response.status_code == 404 and "Страница не найдена" in page and "На главную" in page
    assert "css/shop.css" in page


def test_admin_pages_have_no_inline_style_blocks():
    from pathlib import Path

    templates = Path(__file__).resolve().parents[2] / "app" / "templates"
    offenders = [p.name for p in templates.rglob("*.html") if "admin" in p.parts and "<style" in p.read_text()]
    assert offenders == []


def test_newsletter_send_and_banner_delete_are_fab_actions_with_a_confirmation(app, db_session):
    from tests.content_helpers import make_banner, make_item, subscriber, utc

    subscriber(db_session, "ivan@example.ru")
    item = make_item(db_session, publish_at=utc(2026, 1, 1))
    banner = make_banner(db_session, title="A", position=10)
    staff = app.test_client()
    login_staff(staff, make_staff(app, "Admin"))
    show = staff.get(f"/admin/newsitemview/show/{item.id}").get_data(as_text=True)
    assert f"/admin/newsitemview/action/send_action/{item.id}" in show and "Повторно отправить будет нельзя" in show
    listing = staff.get("/admin/bannerview/list/").get_data(as_text=True)
    assert (
        f"/admin/bannerview/action/delete_action/{banner.id}" in listing and 'data-confirm="Удалить баннер?' in listing
    )
    staff.post(f"/admin/bannerview/action/delete_action/{banner.id}")
    assert "banners-empty" in staff.get("/admin/bannerview/list/").get_data(as_text=True)


@pytest.mark.parametrize(
    ("url", "data", "message"),
    [
        (
            "/admin/promocodeview/add",
            {"code": "BIG1", "kind": "percent", "value": "5", "usage_limit": "99999999999"},
            "Не больше 2147483647.",
        ),
        ("/admin/promocodeview/add", {"code": "BIG2", "kind": "fixed", "value": "1e15"}, "Не больше 999999999999."),
    ],
)
def test_generated_back_office_forms_refuse_numbers_their_columns_cannot_hold(app, db_session, url, data, message):
    from app.models import PromoCode

    staff = app.test_client()
    login_staff(staff, make_staff(app, "Admin"))
    response = staff.post(url, data=data)
    assert response.status_code == 200 and message in response.get_data(as_text=True)
    assert _count(db_session, PromoCode) == 0


def test_the_selected_orders_page_loads_the_orders_once_and_not_at_all_when_the_post_succeeds(
    app, db_session, catalog, customer
):
    orders = [place_order(db_session, customer, catalog.cards) for _ in range(3)]
    ids = ",".join(str(o.id) for o in orders)
    staff = app.test_client()
    login_staff(staff, make_staff(app, "Admin"))
    statements: list[str] = []

    def record(_conn, _cursor, statement, *_args) -> None:  # noqa: ANN001
        if "FROM orders" in statement and "ORDER BY orders.number" in statement:
            statements.append(statement)

    sa.event.listen(sa.engine.Engine, "before_cursor_execute", record)
    try:
        for url in ("mass-status", "assign", "labels"):
            statements.clear()
            assert staff.get(f"/admin/orderview/{url}?ids={ids}").status_code == 200
            assert len(statements) == 1, url
        statements.clear()
        response = staff.post("/admin/orderview/mass-status", data={"ids": ids, "status": "confirmed"})
        assert response.status_code == 302 and "/batch/" in response.headers["Location"]
        assert statements == []
    finally:
        sa.event.remove(sa.engine.Engine, "before_cursor_execute", record)


def test_a_selection_that_is_not_a_list_of_ids_goes_back_to_the_list_with_a_message(app):
    staff = app.test_client()
    login_staff(staff, make_staff(app, "Admin"))
    response = staff.get("/admin/orderview/mass-status?ids=1,abc", follow_redirects=True)
    assert "Неверный список заказов" in response.get_data(as_text=True)
