"""Every staff role against every back-office view: what it may open and change, and what it may not."""

import pytest

from app.services.shoptime import shop_today
from app.views.admin.permissions import STAFF_ROLES
from tests.factories import login_staff, make_staff, place_order

LIST_URLS = {
    "OrderView": "/admin/orderview/list/",
    "PromoCodeView": "/admin/promocodeview/list/",
    "CustomerView": "/admin/customerview/list/",
    "CategoryView": "/admin/categoryview/list/",
    "ProductView": "/admin/productview/list/",
    "OptionGroupView": "/admin/optiongroupview/list/",
    "OptionValueView": "/admin/optionvalueview/list/",
    "PriceTierView": "/admin/pricetierview/list/",
    "VatRateView": "/admin/vatrateview/list/",
    "Users": "/admin/users/list/",
    "Roles": "/admin/roles/list/",
    "DocumentView": "/admin/documentview/list/",
}
ADD_URLS = {
    "PromoCodeView": "/admin/promocodeview/add",
    "CategoryView": "/admin/categoryview/add",
    "ProductView": "/admin/productview/add",
    "VatRateView": "/admin/vatrateview/add",
    "Users": "/admin/users/add",
}

CATALOG = {"CategoryView", "ProductView", "OptionGroupView", "OptionValueView", "PriceTierView"}
# The expected matrix, written out by hand: role → views it may list, views it may add to, extra rights.
CAN_LIST = {
    "Admin": set(LIST_URLS),
    "Manager": CATALOG | {"VatRateView", "PromoCodeView", "OrderView", "CustomerView", "DocumentView"},
    "Operator": CATALOG | {"OrderView", "CustomerView"},
    "Accountant": {"OrderView", "CustomerView", "PromoCodeView", "VatRateView", "DocumentView"},
    "ContentEditor": CATALOG,
    "Support": {"OrderView", "CustomerView"},
}
CAN_ADD = {
    "Admin": set(ADD_URLS),
    "Manager": {"PromoCodeView", "CategoryView", "ProductView"},
    "Operator": set(),
    "Accountant": {"VatRateView"},
    "ContentEditor": set(),
    "Support": set(),
}
CAN_CHANGE_STATUS = {"Admin", "Manager", "Operator"}
CAN_MARK_PAID = {"Admin", "Manager", "Operator", "Accountant"}
CAN_BLOCK = {"Admin", "Manager"}


def _allowed(response) -> bool:
    """200 (or a redirect back to the page) is allowed; 403 or a redirect to login/start is denied."""
    if response.status_code == 200:
        return True
    if response.status_code == 403:
        return False
    assert response.status_code == 302, response.status_code
    location = response.headers["Location"]
    return "login" not in location and location.rstrip("/") not in ("/admin", "")


@pytest.mark.parametrize("role", STAFF_ROLES)
def test_role_sees_exactly_its_views(app, staff_client, role):
    login_staff(staff_client, make_staff(app, role))
    for view, url in LIST_URLS.items():
        response = staff_client.get(url)
        assert _allowed(response) == (view in CAN_LIST[role]), f"{role} list {view}: {response.status_code}"
    for view, url in ADD_URLS.items():
        response = staff_client.get(url)
        assert _allowed(response) == (view in CAN_ADD[role]), f"{role} add {view}: {response.status_code}"


@pytest.mark.parametrize("role", STAFF_ROLES)
def test_order_actions_follow_the_role(app, staff_client, db_session, catalog, customer, role):
    order = place_order(db_session, customer, catalog.cards)
    login_staff(staff_client, make_staff(app, role))
    response = staff_client.post(f"/admin/orderview/status/{order.id}", data={"status": "confirmed"})
    assert _allowed(response) == (role in CAN_CHANGE_STATUS)
    paid = {"amount": str(order.amount_due), "paid_on": shop_today().isoformat()}
    response = staff_client.post(f"/admin/orderview/paid/{order.id}", data=paid)
    assert _allowed(response) == (role in CAN_MARK_PAID)
    db_session.expire_all()
    assert (order.status.value == "confirmed") == (role in CAN_CHANGE_STATUS)
    assert (order.payment_status.value == "paid") == (role in CAN_MARK_PAID)


@pytest.mark.parametrize("role", STAFF_ROLES)
def test_blocking_customers_follows_the_role(app, staff_client, db_session, customer, role):
    login_staff(staff_client, make_staff(app, role))
    staff_client.post("/admin/customerview/action_post", data={"action": "block_action", "rowid": [customer.id]})
    db_session.expire_all()
    assert (not customer.active) == (role in CAN_BLOCK)


def test_anonymous_is_sent_to_the_login_page(staff_client, app):
    for url in LIST_URLS.values():
        response = staff_client.get(url)
        assert response.status_code == 302 and "/admin/login" in response.headers["Location"]


def test_staff_and_customer_sessions_are_separate(app, client, customer):
    from tests.factories import login_customer

    login_customer(client, customer.email)
    assert client.get("/admin/orderview/list/").status_code == 302  # a customer is no staff
    login_staff(client, make_staff(app, "Operator"))
    assert client.get("/account/orders").status_code == 200  # both logins live side by side
    assert client.get("/admin/orderview/list/").status_code == 200
    cookies = {c.key: c.path for c in client._cookies.values()}
    assert cookies["shop_session"] == "/" and cookies["admin_session"] == "/admin"


@pytest.mark.parametrize("role", STAFF_ROLES)
def test_start_page_offers_each_role_only_what_it_may_open(app, role):
    client = app.test_client()
    login_staff(client, make_staff(app, role))
    page = client.get("/admin/").get_data(as_text=True)
    works_orders = "OrderView" in CAN_LIST[role]
    assert ("Заказы в работе" in page) is works_orders
    assert ("Найти заказ" in page) is works_orders
    assert ('href="/admin/orderview/list/' in page) is works_orders
    assert 'data-testid="start-sections"' in page
    for view, url in LIST_URLS.items():
        if view not in CAN_LIST[role]:
            assert f'href="{url}"' not in page, (role, view)
    if role == "ContentEditor":
        assert 'href="/admin/pageview/list/"' in page


def test_failed_back_office_login_says_so_in_correct_russian(app):
    client = app.test_client()
    email = make_staff(app, "Operator")
    response = client.post("/admin/login/", data={"username": email, "password": "неверный"}, follow_redirects=True)
    page = response.get_data(as_text=True)
    assert "Неверный email или пароль." in page
    assert "аторизации" not in page
