"""«Выбрать все N заказов по фильтру» in the back office: the count on the list, the action pages with the
filter, the change applied to every matching order (not only the page), CSV, mass payment, roles."""

import csv
import io

import pytest
import sqlalchemy as sa

from app.models import Order, OrderBatch, OrderStatus, PaymentStatus
from bench.support import build_orders
from tests.factories import login_staff, make_staff

S = OrderStatus
CONFIRMED = "_flt_0_status=confirmed"


@pytest.fixture
def orders(db_session):
    """60 confirmed orders (more than a page of the list) and 3 new ones."""
    return build_orders(db_session, 60), build_orders(db_session, 3, status="new")


def _login(app, client, role):
    login_staff(client, make_staff(app, role))
    return client


def test_the_list_offers_every_order_the_filter_matches(app, staff_client, orders):
    client = _login(app, staff_client, "Operator")
    page = client.get(f"/admin/orderview/list/?{CONFIRMED}").get_data(as_text=True)
    assert "Выбрать все 60\u00a0заказов по фильтру" in page
    assert f"/admin/orderview/mass-status?scope=filter&amp;{CONFIRMED}" in page
    assert 'data-testid="filter-export"' not in page  # an operator does not export
    assert "по фильтру" not in client.get("/admin/orderview/list/").get_data(as_text=True)  # no filter, no offer


def test_a_status_change_by_filter_moves_all_matching_orders_and_undoes(app, staff_client, db_session, orders):
    client = _login(app, staff_client, "Operator")
    page = client.get(f"/admin/orderview/mass-status?scope=filter&{CONFIRMED}").get_data(as_text=True)
    assert "Все заказы по фильтру: 60\u00a0заказов" in page and "показаны первые 50" in page
    response = client.post(f"/admin/orderview/mass-status?scope=filter&{CONFIRMED}", data={"status": "in_production"})
    assert response.status_code == 302 and "/batch/" in response.headers["Location"]
    statuses = dict(db_session.execute(sa.select(Order.status, sa.func.count()).group_by(Order.status)).all())
    assert statuses == {S.in_production: 60, S.new: 3}
    batch = db_session.scalar(sa.select(OrderBatch))
    assert batch.changed_count == 60
    assert "60 изменено, 0 пропущено" in client.get(response.headers["Location"]).get_data(as_text=True)
    client.post(f"/admin/orderview/batch/{batch.id}/undo")
    db_session.expire_all()
    assert db_session.scalar(sa.select(sa.func.count()).where(Order.status == S.confirmed)) == 60


def test_without_a_filter_nothing_is_done_to_every_order(app, staff_client, db_session, orders):
    client = _login(app, staff_client, "Operator")
    response = client.post("/admin/orderview/mass-status?scope=filter", data={"status": "cancelled"})
    assert response.status_code == 302 and response.headers["Location"].endswith("/orderview/list/")
    assert "Задайте фильтр списка" in client.get("/admin/orderview/list/").get_data(as_text=True)
    assert db_session.scalar(sa.select(sa.func.count()).where(Order.status == S.cancelled)) == 0


def test_assignment_and_csv_by_filter(app, staff_client, db_session, orders):
    manager = _login(app, staff_client, "Manager")
    response = manager.get(f"/admin/orderview/export-filter?{CONFIRMED}")
    assert response.status_code == 200 and response.mimetype == "text/csv"
    rows = list(csv.reader(io.StringIO(response.get_data(as_text=True).lstrip("\ufeff")), delimiter=";"))
    assert len(rows) == 1 + 60
    from flask_appbuilder.security.sqla.models import User

    staff_id = db_session.scalar(sa.select(User.id).where(User.email.like("manager-%")))
    manager.post(f"/admin/orderview/assign?scope=filter&{CONFIRMED}", data={"assignee_id": str(staff_id)})
    assert db_session.scalar(sa.select(sa.func.count()).where(Order.assignee_id == staff_id)) == 60


def test_mass_payment_by_filter_checks_the_sum_and_follows_roles(app, staff_client, db_session, orders):
    accountant = _login(app, staff_client, "Accountant")
    page = accountant.get(f"/admin/orderview/mass-paid?scope=filter&{CONFIRMED}").get_data(as_text=True)
    assert "Можно отметить: 60\u00a0заказов на сумму" in page and "47\u00a0400,00\u00a0₽" in page
    response = accountant.post(
        f"/admin/orderview/mass-paid?scope=filter&{CONFIRMED}", data={"total": "47 000"}, follow_redirects=True
    )
    assert "не равна сумме к оплате" in response.get_data(as_text=True)
    assert db_session.scalar(sa.select(sa.func.count()).where(Order.payment_status == PaymentStatus.paid)) == 0
    accountant.post(f"/admin/orderview/mass-paid?scope=filter&{CONFIRMED}", data={"total": "47 400,00"})
    assert db_session.scalar(sa.select(sa.func.count()).where(Order.payment_status == PaymentStatus.paid)) == 60
    # An accountant marks payments but does not change statuses, by filter or not.
    response = accountant.post(f"/admin/orderview/mass-status?scope=filter&{CONFIRMED}", data={"status": "cancelled"})
    assert response.status_code in (302, 403)
    assert db_session.scalar(sa.select(sa.func.count()).where(Order.status == S.cancelled)) == 0


def test_support_staff_cannot_mark_payments(app, staff_client, db_session, orders):
    support = _login(app, staff_client, "Support")
    support.post(f"/admin/orderview/mass-paid?scope=filter&{CONFIRMED}", data={"total": "47 400,00"})
    assert db_session.scalar(sa.select(sa.func.count()).where(Order.payment_status == PaymentStatus.paid)) == 0


def test_company_orders_are_marked_and_filtered(app, staff_client, db_session, catalog, customer, other_customer):
    from tests.factories import make_company, place_cards_and_flyers, place_order

    company = make_company(db_session, customer)
    company_order = place_cards_and_flyers(db_session, customer, catalog, company_id=company.id)
    private = place_order(db_session, other_customer, catalog.cards)
    client = _login(app, staff_client, "Manager")
    page = client.get("/admin/orderview/list/?_flt_0_company=company").get_data(as_text=True)
    assert company_order.number in page and private.number not in page
    assert "ООО «Ромашка»" in page and "Выбрать все 1\u00a0заказ по фильтру" in page
    page = client.get("/admin/orderview/list/?_flt_0_company=private").get_data(as_text=True)
    assert private.number in page and company_order.number not in page and "частное лицо" in page
