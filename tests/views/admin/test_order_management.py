"""Back-office order management: every action and page by role, CSRF, mass status with undo, labels,
assignment, CSV export, edits of details and lines, scanned-code search, and history nobody can edit."""

import csv
import io
import re

import pytest
import sqlalchemy as sa

from app.models import Order, OrderBatch, OrderHistory, OrderStatus
from app.views.admin.permissions import STAFF_ROLES
from tests.factories import PASSWORD, advance, login_staff, make_staff, pdf_bytes, place_order

S = OrderStatus
CAN_CHANGE_STATUS = {"Admin", "Manager", "Operator"}
CAN_EDIT = {"Admin", "Manager", "Operator"}
CAN_ASSIGN = {"Admin", "Manager", "Operator"}
CAN_PRINT = {"Admin", "Manager", "Operator"}
CAN_EXPORT = {"Admin", "Manager", "Accountant"}
CAN_LIST = {"Admin", "Manager", "Operator", "Accountant", "Support"}


def denied(response) -> bool:
    """403, or a redirect to the login page or back with FAB's "access denied"."""
    if response.status_code == 403:
        return True
    if response.status_code == 302:
        location = response.headers["Location"]
        return "login" in location or location.rstrip("/").endswith(("/admin", "/orderview/list", "."))
    return False


def action(client, name, *orders):
    return client.post("/admin/orderview/action_post", data={"action": name, "rowid": [o.id for o in orders]})


def history_count(session, order=None):
    query = sa.select(sa.func.count()).select_from(OrderHistory)
    if order is not None:
        query = query.where(OrderHistory.order_id == order.id)
    return session.scalar(query)


def staff_id(app, email):
    from flask_appbuilder.security.sqla.models import User

    from app.extensions import db

    with app.app_context():
        found = db.session.scalar(sa.select(User.id).where(User.email == email))
        db.session.remove()
    return found


@pytest.fixture
def operator(app, staff_client):
    email = make_staff(app, "Operator", email="oleg@pechatnydvor.ru")
    login_staff(staff_client, email)
    staff_client.staff_id = staff_id(app, email)
    return staff_client


@pytest.mark.parametrize("role", STAFF_ROLES)
def test_order_management_follows_the_role(app, staff_client, db_session, catalog, customer, role):
    first = place_order(db_session, customer, catalog.cards)
    second = place_order(db_session, customer, catalog.flyers)
    email = make_staff(app, role)
    login_staff(staff_client, email)
    ids = f"{first.id},{second.id}"

    # Mass status: the action, its page, the change itself.
    response = action(staff_client, "mass_status_action", first, second)
    assert (response.status_code == 302 and "/mass-status?ids=" in response.headers["Location"]) == (
        role in CAN_CHANGE_STATUS
    ), role
    assert denied(staff_client.get(f"/admin/orderview/mass-status?ids={ids}")) == (role not in CAN_CHANGE_STATUS)
    staff_client.post("/admin/orderview/mass-status", data={"ids": ids, "status": "confirmed"})
    db_session.expire_all()
    assert (first.status == S.confirmed) == (role in CAN_CHANGE_STATUS)

    # Labels, assignment, export.
    assert denied(staff_client.get(f"/admin/orderview/labels?ids={ids}")) == (role not in CAN_PRINT)
    response = staff_client.post("/admin/orderview/labels", data={"ids": ids, "format": "a4_3x8"})
    assert (response.mimetype == "application/pdf") == (role in CAN_PRINT)
    assert denied(staff_client.get(f"/admin/orderview/assign?ids={ids}")) == (role not in CAN_ASSIGN)
    staff_client.post("/admin/orderview/assign", data={"ids": ids, "assignee_id": staff_id(app, email)})
    db_session.expire_all()
    assert (first.assignee_id is not None) == (role in CAN_ASSIGN)
    response = action(staff_client, "export_action", first, second)
    assert (response.mimetype == "text/csv") == (role in CAN_EXPORT)
    for name, allowed in (("labels_action", CAN_PRINT), ("assign_action", CAN_ASSIGN)):
        response = action(staff_client, name, first)
        assert (response.status_code == 302 and "ids=" in response.headers["Location"]) == (role in allowed)

    # Editing one order.
    assert denied(staff_client.get(f"/admin/orderview/details/{second.id}")) == (role not in CAN_EDIT)
    details = {
        "contact_name": "Новое Имя",
        "contact_email": "buyer@example.ru",
        "contact_phone": "+79990001122",
        "delivery_method": "pickup",
        "packages": "2",
    }
    staff_client.post(f"/admin/orderview/details/{second.id}", data=details)
    assert denied(staff_client.get(f"/admin/orderview/line-add/{second.id}")) == (role not in CAN_EDIT)
    line_id = second.lines[0].id
    staff_client.post(f"/admin/orderview/line/{second.id}/{line_id}", data={"quantity": "1000", "option": []})
    staff_client.post(
        f"/admin/orderview/line/{second.id}/{line_id}/layout",
        data={"layout": (io.BytesIO(pdf_bytes()), "new.pdf")},
        content_type="multipart/form-data",
    )
    db_session.expire_all()
    assert (second.contact_name == "Новое Имя") == (role in CAN_EDIT)
    assert (second.packages == 2) == (role in CAN_EDIT)
    assert (second.lines[0].layout_file.original_name == "new.pdf") == (role in CAN_EDIT)

    # Batch pages are part of the list; anything else about orders is closed to the content editor.
    batch_id = db_session.scalar(sa.select(OrderBatch.id).limit(1))
    if batch_id:
        assert denied(staff_client.get(f"/admin/orderview/batch/{batch_id}")) == (role not in CAN_LIST)


def test_an_action_post_and_every_form_need_a_csrf_token(app, admin_app, db_session, catalog, customer, monkeypatch):
    from tests.views.admin.test_orders_admin import login_staff_with_csrf

    order = place_order(db_session, customer, catalog.cards)
    monkeypatch.setitem(admin_app.config, "WTF_CSRF_ENABLED", True)
    client = app.test_client()
    login_staff_with_csrf(client, make_staff(app, "Admin"))
    assert action(client, "mass_status_action", order).status_code == 400
    ids = str(order.id)
    for url, data in (
        ("/admin/orderview/mass-status", {"ids": ids, "status": "confirmed"}),
        ("/admin/orderview/labels", {"ids": ids, "format": "a4_2x4"}),
        ("/admin/orderview/assign", {"ids": ids, "assignee_id": ""}),
        (f"/admin/orderview/details/{order.id}", {"contact_name": "X"}),
        (f"/admin/orderview/line/{order.id}/{order.lines[0].id}/remove", {}),
    ):
        assert client.post(url, data=data).status_code == 400, url
    db_session.expire_all()
    assert order.status == S.new and history_count(db_session, order) == 1
    page = client.get(f"/admin/orderview/mass-status?ids={ids}").get_data(as_text=True)
    token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    response = client.post(
        "/admin/orderview/mass-status", data={"ids": ids, "status": "confirmed", "csrf_token": token}
    )
    assert response.status_code == 302 and "/batch/" in response.headers["Location"]


def test_mass_status_reports_each_order_and_the_author_can_undo(operator, db_session, catalog, customer):
    good = place_order(db_session, customer, catalog.cards)
    closed = advance(
        db_session,
        place_order(db_session, customer, catalog.cards),
        S.confirmed,
        S.in_production,
        S.ready,
        S.handed_over,
    )
    location = action(operator, "mass_status_action", good, closed).headers["Location"]
    form = operator.get(location).get_data(as_text=True)
    assert good.number in form and closed.number in form and "Выдан" in form
    response = operator.post(
        "/admin/orderview/mass-status",
        data={"ids": f"{good.id},{closed.id}", "status": "confirmed", "comment": "партия"},
        follow_redirects=True,
    )
    page = response.get_data(as_text=True)
    assert f"1 изменено, 1 пропущено: заказ {closed.number} — нельзя из «Выдан» в «Принят»" in page
    assert f"заказ {closed.number} — нельзя из «Выдан» в «Принят»" in page and "Отменить операцию" in page
    batch_id = db_session.scalar(sa.select(OrderBatch.id))
    undone = operator.post(f"/admin/orderview/batch/{batch_id}/undo", follow_redirects=True).get_data(as_text=True)
    assert "Операция отменена: 1 изменено, 0 пропущено" in undone
    db_session.expire_all()
    assert (good.status, closed.status) == (S.new, S.handed_over)
    again = operator.get(f"/admin/orderview/batch/{batch_id}").get_data(as_text=True)
    assert "Эта операция отменена" in again and "Отменить операцию" not in again
    timeline = operator.get(f"/admin/orderview/show/{good.id}").get_data(as_text=True)
    assert "Сидоров" not in timeline  # nobody of that name here: the operator is «Тестов Operator»
    assert "Тестов O. изменил статус: Новый → Принят" in timeline
    assert "Тестов O. изменил статус: Принят → Новый" in timeline and "Отмена массовой операции от" in timeline


def test_another_staff_member_cannot_undo(app, operator, db_session, catalog, customer):
    order = place_order(db_session, customer, catalog.cards)
    operator.post("/admin/orderview/mass-status", data={"ids": str(order.id), "status": "confirmed"})
    batch_id = db_session.scalar(sa.select(OrderBatch.id))
    manager = app.test_client()
    login_staff(manager, make_staff(app, "Manager"))
    assert "Отменить операцию" not in manager.get(f"/admin/orderview/batch/{batch_id}").get_data(as_text=True)
    page = manager.post(f"/admin/orderview/batch/{batch_id}/undo", follow_redirects=True).get_data(as_text=True)
    assert "только тот, кто её выполнил" in page
    db_session.expire_all()
    assert order.status == S.confirmed


def test_labels_are_a_pdf_and_each_print_is_recorded(admin_app, operator, db_session, catalog, customer, monkeypatch):
    order = place_order(db_session, customer, catalog.cards)
    response = operator.post("/admin/orderview/labels", data={"ids": str(order.id), "format": "thermal_58x40"})
    assert response.mimetype == "application/pdf" and response.data.startswith(b"%PDF")
    assert f"labels-{order.number}-thermal_58x40.pdf" in response.headers["Content-Disposition"]
    operator.post("/admin/orderview/labels", data={"ids": str(order.id), "format": "label_100x150"})
    page = operator.get(f"/admin/orderview/show/{order.id}").get_data(as_text=True)
    assert "Тестов O. напечатал этикетку (Термоэтикетка 58×40 мм)" in page
    assert "Тестов O. повторно напечатал этикетку (Этикетка 100×150 мм), 2-й раз" in page

    monkeypatch.setitem(admin_app.config, "PDF_FONT_REGULAR", "/nonexistent/font.ttf")
    response = operator.post(
        "/admin/orderview/labels", data={"ids": str(order.id), "format": "a4_2x4"}, follow_redirects=True
    )
    assert "Не найден шрифт для PDF: /nonexistent/font.ttf" in response.get_data(as_text=True)
    assert history_count(db_session, order) == 3  # created + two prints; the failed one recorded nothing
    bad = operator.post("/admin/orderview/labels", data={"ids": str(order.id), "format": "a5"}, follow_redirects=True)
    assert "Выберите формат этикеток" in bad.get_data(as_text=True)


def test_assignment_and_csv_export_from_the_list(app, operator, db_session, catalog, customer, other_customer):
    first = place_order(db_session, customer, catalog.cards)
    second = place_order(db_session, other_customer, catalog.flyers)
    response = operator.post(
        "/admin/orderview/assign",
        data={"ids": f"{first.id},{second.id}", "assignee_id": str(operator.staff_id)},
        follow_redirects=True,
    )
    assert "2 изменено, 0 пропущено" in response.get_data(as_text=True)
    listing = operator.get("/admin/orderview/list/").get_data(as_text=True)
    assert listing.count("Тестов Operator") >= 2
    wrong = operator.post(
        "/admin/orderview/assign", data={"ids": str(first.id), "assignee_id": "abc"}, follow_redirects=True
    )
    assert "Выберите сотрудника из списка" in wrong.get_data(as_text=True)

    manager = app.test_client()
    login_staff(manager, make_staff(app, "Manager"))
    response = action(manager, "export_action", first, second)
    assert response.data.startswith("\ufeff".encode())
    rows = list(csv.reader(io.StringIO(response.data.decode("utf-8-sig")), delimiter=";"))
    assert [r[0] for r in rows[1:]] == [first.number, second.number] and rows[1][13] == "Тестов Operator"


def test_editing_details_and_lines_through_the_pages(operator, db_session, catalog, customer):
    order = place_order(db_session, customer, catalog.cards, quantity=100)
    form = operator.get(f"/admin/orderview/details/{order.id}").get_data(as_text=True)
    assert 'value="Покупатель Первый"' in form
    data = {
        "contact_name": "Покупатель Первый",
        "contact_email": "buyer@example.ru",
        "contact_phone": "+7 999 000-11-22",
        "delivery_method": "courier",
        "delivery_address": "Москва, ул. Тверская, д. 7",
        "due_date": "2026-12-03",
        "packages": "2",
        "assignee_id": "",
        "order_comment": "",
        "note": "клиент попросил",
    }
    page = operator.post(f"/admin/orderview/details/{order.id}", data=data, follow_redirects=True)
    text = page.get_data(as_text=True)
    assert "изменено полей — 4" in text and "Тестов O. изменил способ получения: Самовывоз → Курьер" in text
    assert "«клиент попросил»" in text and "Доставка: Курьер" in text
    bad = operator.post(
        f"/admin/orderview/details/{order.id}", data=data | {"contact_phone": "123"}, follow_redirects=True
    )
    assert "Укажите телефон в формате" in bad.get_data(as_text=True)

    chooser = operator.get(f"/admin/orderview/line-add/{order.id}").get_data(as_text=True)
    assert "Листовки" in chooser
    line_form = operator.get(f"/admin/orderview/line-add/{order.id}?product_id={catalog.flyers.id}")
    assert "Тираж" in line_form.get_data(as_text=True)
    operator.post(
        f"/admin/orderview/line-add/{order.id}?product_id={catalog.flyers.id}",
        data={"quantity": "1000", "option": [str(i) for i in catalog.defaults(catalog.flyers)]},
    )
    refused = operator.post(
        f"/admin/orderview/line-add/{order.id}?product_id={catalog.flyers.id}",
        data={"quantity": "333", "option": [str(i) for i in catalog.defaults(catalog.flyers)]},
    )
    assert "Тираж 333 шт. недоступен" in refused.get_data(as_text=True)
    db_session.expire_all()
    kinds = [(line.position, line.kind.value, line.product_name) for line in order.lines]
    assert kinds == [
        (1, "product", "Визитки стандартные"),
        (2, "product", "Листовки"),
        (3, "delivery", "Доставка: Курьер"),
    ]
    assert order.total == sum(line.total for line in order.lines)
    assert order.vat_total == sum(line.vat_amount for line in order.lines)
    card = order.lines[0]
    operator.post(
        f"/admin/orderview/line/{order.id}/{card.id}",
        data={"quantity": "500", "option": [str(i) for i in catalog.defaults(catalog.cards)], "price": "1500,00"},
    )
    operator.post(f"/admin/orderview/line/{order.id}/{order.lines[1].id}/remove")
    db_session.expire_all()
    assert [(line.product_name, line.quantity, line.gross_amount) for line in order.product_lines] == [
        ("Визитки стандартные", 500, 1500)
    ]
    page = operator.get(f"/admin/orderview/show/{order.id}").get_data(as_text=True)
    assert "Тестов O. удалил позицию: Листовки" in page and "Тестов O. изменил тираж (поз. 1" in page


@pytest.mark.parametrize("typed", ["{number}", " {number}\n", "{digits}", "ЗАКАЗ {number}"])
def test_a_scanned_label_opens_the_order(operator, db_session, catalog, customer, typed):
    order = place_order(db_session, customer, catalog.cards)
    query = typed.format(number=order.number, digits=order.number.replace("-", ""))
    response = operator.get("/admin/orderview/find", query_string={"q": query})
    assert response.headers["Location"].endswith(f"/admin/orderview/show/{order.id}")


def test_no_admin_page_edits_or_deletes_history(app, admin_app, db_session, catalog, customer):
    order = place_order(db_session, customer, catalog.cards)
    advance(db_session, order, S.confirmed)
    client = app.test_client()
    login_staff(client, make_staff(app, "Admin"))
    before = history_count(db_session)
    views = admin_app.appbuilder.baseviews
    assert not [v for v in views if getattr(getattr(v, "datamodel", None), "obj", None) is OrderHistory]
    for url in (f"/admin/orderview/edit/{order.id}", f"/admin/orderview/delete/{order.id}"):
        assert client.get(url).status_code in (403, 404, 405)
        assert client.post(url).status_code in (403, 404, 405)
    assert history_count(db_session) == before and db_session.get(Order, order.id) is not None


def test_the_customer_sees_statuses_but_no_staff_names_or_comments(
    app, operator, client, db_session, catalog, customer
):
    from tests.factories import login_customer

    order = place_order(db_session, customer, catalog.cards)
    operator.post(f"/admin/orderview/status/{order.id}", data={"status": "confirmed", "comment": "секретная пометка"})
    operator.post("/admin/orderview/labels", data={"ids": str(order.id), "format": "a4_2x4"})
    login_customer(client, customer.email)
    page = client.get(f"/account/orders/{order.number}").get_data(as_text=True)
    assert 'data-testid="order-status-history"' in page and "Принят" in page and "Новый" in page
    for secret in ("Тестов", "Operator", "секретная пометка", "этикетк"):
        assert secret not in page


def test_another_customer_gets_404_for_the_order_and_its_history(client, db_session, catalog, customer, other_customer):
    from tests.factories import login_customer

    order = place_order(db_session, customer, catalog.cards)
    login_customer(client, other_customer.email, PASSWORD)
    assert client.get(f"/account/orders/{order.number}").status_code == 404
