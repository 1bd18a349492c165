"""A customer never sees another customer's orders or files; guests are sent to log in."""

import io
import re

from app.extensions import db
from app.services.customers import accounts
from tests.factories import login_customer, pdf_bytes, place_order


def test_another_customers_order_and_file_are_not_found(app, client, db_session, catalog, customer, other_customer):
    order = place_order(db_session, other_customer, catalog.cards)
    file_id = order.lines[0].layout_file_id
    login_customer(client, customer.email)
    assert client.get(f"/account/orders/{order.number}").status_code == 404
    assert client.get(f"/files/{file_id}").status_code == 404
    assert order.number not in client.get("/account/orders").get_data(as_text=True)


def test_owner_downloads_own_file_as_attachment(app, client, db_session, catalog, customer):
    order = place_order(db_session, customer, catalog.cards)
    login_customer(client, customer.email)
    with client.get(f"/files/{order.lines[0].layout_file_id}") as response:
        assert response.status_code == 200
        assert response.headers["Content-Disposition"].startswith("attachment")
        assert response.headers["X-Content-Type-Options"] == "nosniff"
        assert response.data.startswith(b"%PDF-")


def test_guest_sees_only_files_of_own_cart(app, catalog):
    owner, stranger = app.test_client(), app.test_client()
    ids = catalog.defaults(catalog.cards)
    form = {
        "quantity": "100",
        **{f"opt_{n}": str(i) for n, i in enumerate(ids)},
        "layout": (io.BytesIO(pdf_bytes()), "guest.pdf"),
    }
    owner.post("/product/vizitki-standart", data=form, content_type="multipart/form-data")
    file_id = re.search(r"/files/(\d+)", owner.get("/cart/").get_data(as_text=True)).group(1)
    with owner.get(f"/files/{file_id}") as response:
        assert response.status_code == 200
    assert stranger.get(f"/files/{file_id}").status_code == 404


def test_account_pages_require_login(client):
    for url in ("/account/orders", "/account/orders/2026-000001", "/checkout/"):
        response = client.get(url)
        assert response.status_code == 302 and "/account/login" in response.headers["Location"]


def test_blocked_customer_cannot_log_in(app, client, db_session, customer):

    accounts.block(db_session, customer, reason="спам")
    db_session.commit()
    response = client.post("/account/login", data={"email": customer.email, "password": "secret-pass-123"})
    assert response.status_code == 200
    assert client.get("/account/orders").status_code == 302
    with app.app_context():
        db.session.remove()
