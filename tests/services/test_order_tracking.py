"""Tracking numbers: per order or package, checked per carrier, shown to the customer with the carrier's link,
recorded in the order's history; staff by permission."""

import pytest
import sqlalchemy as sa

from app.models import OrderHistory, OrderTracking
from app.reports.order_timeline import staff_timeline
from app.services.actors import Actor
from app.services.errors import ValidationError
from app.services.orders import tracking
from app.services.orders.history import acting
from tests.factories import PASSWORD, login_customer, login_staff, make_staff, place_order

STAFF = Actor.system("test")


@pytest.fixture
def shipped(db_session, catalog, customer):
    address = "101000, Москва, ул. Мясницкая, 1"
    order = place_order(db_session, customer, catalog.cards, delivery="post", payment="invoice", address=address)
    with acting(db_session, STAFF):
        order.packages = 2
    db_session.commit()
    return order


def test_numbers_are_checked_per_carrier_and_recorded_in_the_history(db_session, shipped):
    entry = tracking.add_tracking(
        db_session, shipped, carrier="pochta", number=" 8008 5290 1234 56 ", package="", actor=STAFF
    )
    tracking.add_tracking(db_session, shipped, carrier="cdek", number="1234567890", package=2, actor=STAFF)
    db_session.commit()
    assert entry.number == "80085290123456"
    assert [link.label for link in tracking.links(shipped)] == [
        "Почта России 80085290123456",
        "СДЭК 1234567890, место 2",
    ]
    assert tracking.links(shipped)[0].url == "https://www.pochta.ru/tracking?barcode=80085290123456"
    texts = [item.text for item in staff_timeline(shipped.history) if item.field == "tracking"]
    assert texts == [
        "Система (test) добавила трек-номер: Почта России 80085290123456",
        "Система (test) добавила трек-номер: СДЭК 1234567890, место 2",
    ]
    tracking.remove_tracking(db_session, shipped, entry.id, actor=STAFF)
    db_session.commit()
    assert db_session.scalar(sa.select(sa.func.count()).select_from(OrderTracking)) == 1
    last = db_session.scalars(sa.select(OrderHistory).order_by(OrderHistory.id.desc())).first()
    assert (last.field, last.old_value, last.new_value) == ("tracking", "Почта России 80085290123456", None)


@pytest.mark.parametrize(
    ("carrier", "number", "package", "message"),
    [
        ("pochta", "12345", "", "Трек-номер Почта России выглядит иначе"),
        ("ups", "1Z999", "", "Выберите службу доставки из списка"),
        ("cdek", "", "", "Укажите трек-номер"),
        ("cdek", "1234567890", "3", "Место — число от 1 до 2"),
        ("cdek", "1234567890", "два", "Место — число"),
    ],
)
def test_bad_input_is_refused_and_nothing_changes(db_session, shipped, carrier, number, package, message):
    with pytest.raises(ValidationError, match=message):
        tracking.add_tracking(db_session, shipped, carrier=carrier, number=number, package=package, actor=STAFF)
    db_session.rollback()
    assert db_session.scalar(sa.select(sa.func.count()).select_from(OrderTracking)) == 0


def test_a_number_twice_and_a_pickup_order_are_refused(db_session, catalog, customer, shipped):
    tracking.add_tracking(db_session, shipped, carrier="cdek", number="1234567890", package=None, actor=STAFF)
    with pytest.raises(ValidationError, match="уже указан"):
        tracking.add_tracking(db_session, shipped, carrier="cdek", number="1234567890", package=None, actor=STAFF)
    pickup = place_order(db_session, customer, catalog.cards)
    with pytest.raises(ValidationError, match="Самовывоз не отправляют"):
        tracking.add_tracking(db_session, pickup, carrier="cdek", number="1234567890", package=None, actor=STAFF)


def test_staff_add_numbers_and_only_the_customer_sees_them(
    app, client, staff_client, db_session, customer, other_customer, shipped
):
    login_staff(staff_client, make_staff(app, "Operator"))
    staff_client.post(f"/admin/orderview/tracking/{shipped.id}", data={"carrier": "pochta", "number": "RA123456789RU"})
    page = staff_client.get(f"/admin/orderview/show/{shipped.id}").get_data(as_text=True)
    assert "Почта России RA123456789RU" in page and "добавил трек-номер" in page
    login_customer(client, customer.email)
    page = client.get(f"/account/orders/{shipped.number}").get_data(as_text=True)
    assert 'href="https://www.pochta.ru/tracking?barcode=RA123456789RU"' in page and "Отслеживание" in page
    client.post("/account/logout")
    login_customer(client, other_customer.email, PASSWORD)
    assert client.get(f"/account/orders/{shipped.number}").status_code == 404
    # Support staff read orders but do not edit them.
    support = app.test_client()
    login_staff(support, make_staff(app, "Support"))
    support.post(f"/admin/orderview/tracking/{shipped.id}", data={"carrier": "cdek", "number": "1234567890"})
    assert db_session.scalar(sa.select(sa.func.count()).select_from(OrderTracking)) == 1
