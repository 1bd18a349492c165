"""Ids out of range (a 25-digit number, 0, -1) in a URL, a query or a form field: 404 or a form error, never 500."""

from __future__ import annotations

import io
import re

import pytest

from tests.factories import login_customer, login_staff, make_company, make_staff, pdf_bytes, place_order

HUGE = "9999999999999999999999999"
BAD_IDS = (HUGE, "0", "-1")
ARGUMENT = re.compile(r"<(?:(?P<converter>[a-z]+)(?:\([^)]*\))?:)?(?P<name>[a-z_]+)>")
# Arguments that are not ids: a plain word is fine for them.
WORDS = {"filename": "x.css", "variant": "small", "direction": "up", "name": "x", "lang": "ru"}


def _is_id(converter: str | None, name: str) -> bool:
    return converter == "int" or name in ("pk", "id") or name.endswith("_id") or name == "number"


def _urls(app, prefix: str = "") -> list[tuple[str, str]]:
    """(method, url) for every rule with an id argument, each id replaced by every bad value."""
    found = []
    for rule in app.url_map.iter_rules():
        arguments = list(ARGUMENT.finditer(rule.rule))
        if not any(_is_id(m["converter"], m["name"]) for m in arguments):
            continue
        method = "GET" if "GET" in rule.methods else "POST"
        for bad in BAD_IDS:
            url = ARGUMENT.sub(
                lambda m, bad=bad: bad if _is_id(m["converter"], m["name"]) else WORDS.get(m["name"], "x"), rule.rule
            )
            found.append((method, prefix + url))
    return found


def _failures(client, urls: list[tuple[str, str]]) -> list[tuple[str, str, str]]:
    """Every request that gave a 500 (the test apps re-raise the error instead of answering 500)."""
    failures = []
    for method, url in urls:
        try:
            status = str(client.open(url, method=method).status_code)
        except Exception as exc:  # noqa: BLE001 - what broke is the finding
            status = type(exc).__name__
        if not status.isdigit() or int(status) >= 500:
            failures.append((method, url, status))
    return failures


@pytest.fixture
def shop_state(app, db_session, catalog, customer):
    """A customer with an order, a company, a cart line and a project: every id lookup reaches the database."""
    order = place_order(db_session, customer, catalog.cards)
    make_company(db_session, customer)
    client = app.test_client()
    login_customer(client, customer.email)
    form = {"quantity": "100", "layout": (io.BytesIO(pdf_bytes()), "m.pdf")}
    form |= {f"opt_{n}": str(i) for n, i in enumerate(catalog.defaults(catalog.cards))}
    client.post("/product/vizitki-standart", data=form, content_type="multipart/form-data")
    return client, order


def test_no_storefront_url_answers_500_to_an_id_out_of_range(app, shop_state):
    client, _order = shop_state
    urls = _urls(app)
    assert len(urls) > 40
    failures = _failures(client, urls)
    assert failures == [], "\n".join(map(str, failures))


def test_storefront_id_routes_answer_404_to_an_id_out_of_range(app, shop_state):
    client, _order = shop_state
    for url in (f"/files/{HUGE}", f"/account/projects/{HUGE}", "/account/projects/0", f"/media/{HUGE}/small"):
        assert client.get(url).status_code == 404, url
    assert client.post(f"/cart/items/{HUGE}/delete").status_code == 404


def test_no_back_office_url_answers_500_to_an_id_out_of_range(app, admin_app, shop_state):
    client = app.test_client()
    login_staff(client, make_staff(app, "Admin"))
    urls = _urls(admin_app, "/admin")
    assert len(urls) > 60
    failures = _failures(client, urls)
    assert failures == [], "\n".join(map(str, failures))


def test_back_office_show_edit_delete_answer_404_to_an_id_out_of_range(app, shop_state):
    client = app.test_client()
    login_staff(client, make_staff(app, "Admin"))
    for bad in BAD_IDS:
        for url in (
            f"/admin/orderview/show/{bad}",
            f"/admin/productview/show/{bad}",
            f"/admin/productview/edit/{bad}",
            f"/admin/promocodeview/show/{bad}",
            f"/admin/companyview/show/{bad}",
            f"/admin/pageview/show/{bad}",
        ):
            assert client.get(url).status_code == 404, url
        assert client.post(f"/admin/productview/delete/{bad}").status_code == 404


def test_ids_out_of_range_in_queries_and_form_fields_are_refused_without_500(app, db_session, shop_state, catalog):
    client, order = shop_state
    staff = app.test_client()
    login_staff(staff, make_staff(app, "Admin"))
    for url in (
        f"/news/?page={HUGE}",
        f"/checkout/?company={HUGE}",
        f"/api/price/vizitki-standart?quantity=100&option={HUGE}",
        f"/product/vizitki-standart?quantity={HUGE}",
    ):
        assert client.get(url).status_code < 500, url
    for url in (
        f"/admin/orderview/mass-status?ids={HUGE}",
        f"/admin/orderview/labels?ids={HUGE}",
        f"/admin/orderview/assign?ids={HUGE},{order.id}",
        f"/admin/orderview/line-add/{order.id}?product_id={HUGE}",
        f"/admin/pageview/revision/1?with={HUGE}",
        f"/admin/orderview/list/?_flt_0_number={HUGE}",
        f"/admin/orderview/list/?page_OrderView={HUGE}",
        f"/admin/resetpassword/form?pk={HUGE}",
        f"/admin/users/show/1?pk={HUGE}",
    ):
        assert staff.get(url).status_code < 500, url
    password = {"password": "new-pass-12345", "conf_password": "new-pass-12345"}
    assert staff.post(f"/admin/resetpassword/form?pk={HUGE}", data=password).status_code == 404
    response = client.post(
        "/checkout/",
        data={
            "contact_name": "Покупатель",
            "contact_email": "buyer@example.ru",
            "contact_phone": "+7 999 000-11-22",
            "delivery_method": "courier",
            "payment_method": "on_receipt",
            "checkout_token": "t-1",
            "company_id": HUGE,
            "address_id": HUGE,
        },
    )
    assert response.status_code == 400
    response = client.post(
        "/checkout/",
        data={
            "contact_name": "Покупатель",
            "contact_email": "buyer@example.ru",
            "contact_phone": "+7 999 000-11-22",
            "delivery_method": "courier",
            "payment_method": "on_receipt",
            "checkout_token": "t-2",
            "address_id": HUGE,
        },
    )
    assert response.status_code == 400
    for data in ({"quantity": HUGE}, {"quantity": "100", "opt_1": HUGE}):
        assert client.post("/product/vizitki-standart", data=data).status_code == 400
    assert staff.post(f"/admin/orderview/mass-status?ids={HUGE}", data={"status": "ready"}).status_code < 500
    response = staff.post(
        f"/admin/orderview/details/{order.id}",
        data={
            "contact_name": "Покупатель",
            "contact_email": "buyer@example.ru",
            "contact_phone": "+7 999 000-11-22",
            "delivery_method": "pickup",
            "packages": HUGE,
            "assignee_id": HUGE,
        },
    )
    assert response.status_code == 400
