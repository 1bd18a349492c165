"""Storefront pages of saved projects and companies: the flows through the test client, and who gets 404/403."""

import io
import re
from decimal import Decimal as D

import sqlalchemy as sa

from app.models import CartItem, Company, CompanyStatus, Order, Project
from app.services.actors import Actor
from app.services.companies import addresses, registry
from app.services.companies import invites as company_invites
from app.services.orders.history import acting
from app.services.projects import projects
from tests.factories import (
    ROMASHKA,
    add_member,
    login_customer,
    make_company,
    make_customer,
    pdf_bytes,
    place_order,
)


def _add_card(client, catalog, data=None, names=()):
    ids = catalog.defaults(catalog.cards, *names)
    form = {"quantity": "100", **{f"opt_{n}": str(i) for n, i in enumerate(ids)}}
    form["layout"] = (io.BytesIO(data or pdf_bytes(94, 54)), "vizitka.pdf")
    return client.post("/product/vizitki-standart", data=form, content_type="multipart/form-data")


def _checkout(client, company_id="", payment="invoice", **extra):
    page = client.get("/checkout/").get_data(as_text=True)
    token = re.search(r'name="checkout_token" value="([^"]+)"', page).group(1)
    return client.post(
        "/checkout/",
        data={
            "contact_name": "Анна Кузнецова",
            "contact_email": "a@example.ru",
            "contact_phone": "+7 916 000-00-00",
            "delivery_method": "pickup",
            "payment_method": payment,
            "checkout_token": token,
            "company_id": str(company_id),
        }
        | extra,
    )


def test_save_from_cart_list_rename_duplicate_and_delete(app, client, db_session, catalog, customer):
    login_customer(client, customer.email)
    _add_card(client, catalog)
    item_id = db_session.scalar(sa.select(CartItem.id))
    cart = client.get("/cart/").get_data(as_text=True)
    assert "Проверка макета: Макет в порядке" in cart and "Сохранить как проект" in cart
    response = client.post(f"/account/projects/from-cart/{item_id}", data={"name": "Визитки — Петров"})
    assert response.status_code == 302
    project = db_session.scalar(sa.select(Project))
    listing = client.get("/account/projects/").get_data(as_text=True)
    assert "Визитки — Петров" in listing and "Ещё не заказывался" in listing
    with client.get(f"/account/projects/{project.id}/thumbnail.png") as thumb:
        assert thumb.status_code == 200 and thumb.mimetype == "image/png" and thumb.data[:8] == b"\x89PNG\r\n\x1a\n"

    client.post(f"/account/projects/{project.id}/rename", data={"name": "Визитки — Петров, склад"})
    empty = client.post(f"/account/projects/{project.id}/rename", data={"name": " "}, follow_redirects=True)
    assert "Назовите проект" in empty.get_data(as_text=True)
    db_session.expire_all()
    assert project.name == "Визитки — Петров, склад"
    client.post(f"/account/projects/{project.id}/duplicate")
    assert db_session.scalar(sa.select(sa.func.count()).select_from(Project)) == 2
    confirm = client.get(f"/account/projects/{project.id}/delete").get_data(as_text=True)
    assert "Удалить проект «Визитки — Петров, склад»?" in confirm
    assert db_session.scalar(sa.select(sa.func.count()).select_from(Project)) == 2  # GET only asks
    client.post(f"/account/projects/{project.id}/delete")
    db_session.expire_all()
    assert [p.name for p in db_session.scalars(sa.select(Project))] == ["Визитки — Петров, склад (копия)"]


def test_reorder_from_a_past_order_shows_old_and_new_price(app, client, db_session, catalog, customer):
    order = place_order(db_session, customer, catalog.cards, quantity=100)
    login_customer(client, customer.email)
    page = client.get(f"/account/orders/{order.number}").get_data(as_text=True)
    assert "Сохранить как проект" in page
    line_id = order.product_lines[0].id
    response = client.post(f"/account/projects/from-order/{order.number}/{line_id}", data={"name": "Визитки"})
    project = db_session.scalar(sa.select(Project))
    assert response.headers["Location"].endswith(f"/account/projects/{project.id}")
    catalog.cards.price_tiers[0].price = D("850.00")
    db_session.commit()
    response = client.post(f"/account/projects/{project.id}/reorder", follow_redirects=True)
    text = response.get_data(as_text=True)
    assert "Цена изменилась: в прошлый раз 790,00\u00a0₽, сейчас 850,00\u00a0₽." in text
    assert "Прошлая цена 790,00\u00a0₽ → сейчас 850,00\u00a0₽" in text


def test_reorder_of_a_disabled_product_is_refused_on_the_page(app, client, db_session, catalog, customer):
    order = place_order(db_session, customer, catalog.cards)
    project = projects.save_from_order_line(
        db_session, order, order.product_lines[0].id, customer=customer, name="Визитки"
    )
    catalog.cards.is_active = False
    db_session.commit()
    login_customer(client, customer.email)
    response = client.post(f"/account/projects/{project.id}/reorder", follow_redirects=True)
    assert "больше не продаётся — повторить этот проект нельзя" in response.get_data(as_text=True)
    assert db_session.scalar(sa.select(sa.func.count()).select_from(CartItem)) == 0


def test_print_as_is_in_the_cart_unblocks_checkout(app, client, db_session, catalog, customer):
    login_customer(client, customer.email)
    _add_card(client, catalog, data=pdf_bytes(210, 297))
    cart = client.get("/cart/").get_data(as_text=True)
    assert "Проверка макета: Есть ошибки" in cart and "Печатать как есть" in cart
    blocked = _checkout(client, payment="on_receipt")
    assert blocked.status_code == 400 and "не прошёл проверку" in blocked.get_data(as_text=True)
    assert db_session.scalar(sa.select(sa.func.count()).select_from(Order)) == 0
    item_id = db_session.scalar(sa.select(CartItem.id))
    client.post(f"/cart/items/{item_id}/as-is", data={"accept": "1"})
    assert _checkout(client, payment="on_receipt").status_code == 302
    order = db_session.scalar(sa.select(Order))
    assert order.product_lines[0].print_as_is


def test_changing_paper_in_the_cart_keeps_the_file(app, client, db_session, catalog, customer):
    login_customer(client, customer.email)
    _add_card(client, catalog)
    item = db_session.scalar(sa.select(CartItem))
    file_id = item.layout_file_id
    page = client.get(f"/cart/items/{item.id}/edit").get_data(as_text=True)
    assert "Крафт 350 г/м²" in page
    ids = catalog.defaults(catalog.cards, "Крафт 350 г/м²")
    form = {"quantity": "500", **{f"opt_{n}": str(i) for n, i in enumerate(ids)}}
    assert client.post(f"/cart/items/{item.id}/edit", data=form).status_code == 302
    bad = client.post(f"/cart/items/{item.id}/edit", data=form | {"quantity": "7"})
    assert bad.status_code == 400 and "Тираж 7 шт. недоступен" in bad.get_data(as_text=True)
    db_session.expire_all()
    assert item.quantity == 500 and item.layout_file_id == file_id
    assert catalog.value(catalog.cards, "Крафт 350 г/м²") in item.option_value_ids


def test_create_a_company_with_errors_then_valid(app, client, db_session, customer):
    login_customer(client, customer.email)
    assert "Вы пока не состоите ни в одной компании" in client.get("/companies/").get_data(as_text=True)
    bad = client.post("/companies/new", data=ROMASHKA | {"inn": "7707083894", "bik": "04452522"})
    text = bad.get_data(as_text=True)
    assert bad.status_code == 400
    assert "ИНН с ошибкой: не сходится контрольная цифра" in text and "БИК — 9 цифр." in text
    assert db_session.scalar(sa.select(sa.func.count()).select_from(Company)) == 0
    response = client.post("/companies/new", data=ROMASHKA | {"vat_payer": "1"})
    assert response.status_code == 302
    company = db_session.scalar(sa.select(Company))
    page = client.get(f"/companies/{company.id}").get_data(as_text=True)
    assert "На проверке" in page and "7707083893/773601001" in page


def test_non_members_get_404_on_company_pages_projects_orders_and_files(
    app, client, db_session, catalog, customer, other_customer
):
    company = make_company(db_session, customer)
    order = place_order(db_session, customer, catalog.cards)
    with acting(db_session, Actor.system("test")):
        order.company_id = company.id
    project = projects.save_from_order_line(
        db_session, order, order.product_lines[0].id, customer=customer, name="Общий", company_id=company.id
    )
    db_session.commit()
    version_file = project.current_version.file_id
    login_customer(client, other_customer.email)
    for url in (
        f"/companies/{company.id}",
        f"/companies/{company.id}/requisites",
        f"/account/projects/{project.id}",
        f"/account/projects/{project.id}/thumbnail.png",
        f"/account/projects/{project.id}/versions/1/file",
        f"/account/orders/{order.number}",
        f"/files/{order.product_lines[0].layout_file_id}",
        f"/files/{version_file}",
    ):
        assert client.get(url).status_code == 404, url
    for url in (
        f"/companies/{company.id}/invites",
        f"/account/projects/{project.id}/reorder",
        f"/account/projects/{project.id}/delete",
        f"/account/projects/from-order/{order.number}/{order.product_lines[0].id}",
    ):
        assert client.post(url, data={"email": "x@example.ru", "role": "owner", "name": "x"}).status_code == 404, url
    assert "ООО «Ромашка»" not in client.get("/companies/").get_data(as_text=True)
    assert "Общий" not in client.get("/account/projects/").get_data(as_text=True)
    assert db_session.scalar(sa.select(sa.func.count()).select_from(Project)) == 1


def test_a_buyer_cannot_edit_requisites_or_manage_members(app, client, db_session, customer, other_customer):
    company = make_company(db_session, customer)
    add_member(db_session, company, other_customer, "buyer")
    login_customer(client, other_customer.email)
    page = client.get(f"/companies/{company.id}").get_data(as_text=True)
    assert "ООО «Ромашка»" in page and "Изменить</a>" not in page and "Пригласить сотрудника" not in page
    assert client.get(f"/companies/{company.id}/requisites").status_code == 403
    response = client.post(f"/companies/{company.id}/requisites", data=ROMASHKA | {"short_name": "Взлом"})
    assert response.status_code == 403 and "Доступ запрещён" in response.get_data(as_text=True)
    assert client.post(f"/companies/{company.id}/invites", data={"email": "x@example.ru"}).status_code == 403
    owner_member = company.members[0].id
    assert client.post(f"/companies/{company.id}/members/{owner_member}/remove").status_code == 403
    db_session.expire_all()
    assert company.short_name == "ООО «Ромашка»" and len(company.members) == 2


def test_a_blocked_company_cannot_order_in_the_ui(app, client, db_session, catalog, customer):
    company = make_company(db_session, customer)
    registry.review(db_session, company, CompanyStatus.blocked, actor=Actor.system("t"), reason="Долг по оплате")
    db_session.commit()
    login_customer(client, customer.email)
    _add_card(client, catalog)
    page = client.get("/checkout/").get_data(as_text=True)
    option = re.search(rf'<option value="{company.id}"[^>]*>', page).group(0)
    assert "disabled" in option
    assert "«ООО «Ромашка»»: заблокирована — заказы от имени компании недоступны (Долг по оплате)" in page
    assert "Компания заблокирована" in client.get(f"/companies/{company.id}").get_data(as_text=True)
    response = _checkout(client, company.id)
    assert response.status_code == 400
    assert "Компания «ООО «Ромашка»» заблокирована — заказы от её имени недоступны" in response.get_data(as_text=True)
    assert db_session.scalar(sa.select(sa.func.count()).select_from(Order)) == 0
    assert _checkout(client, "", payment="on_receipt").status_code == 302  # personally it works


def test_invitation_link_for_a_guest_then_register_and_join(app, client, db_session, customer):
    company = make_company(db_session, customer)
    login_customer(client, customer.email)
    client.post(f"/companies/{company.id}/invites", data={"email": "new.person@example.ru", "role": "buyer"})
    page = client.get(f"/companies/{company.id}").get_data(as_text=True)
    link = re.search(r'value="(http[^"]+/companies/invite/[^"]+)"', page).group(1)
    path = link.split("127.0.0.1:5000", 1)[-1] if "127.0.0.1:5000" in link else "/" + link.split("/", 3)[3]

    guest = app.test_client()
    landing = guest.get(path).get_data(as_text=True)
    assert "Вас приглашают в компанию <strong>ООО «Ромашка»</strong>" in landing
    register = re.search(r'href="(/account/register\?next=[^"]+)"', landing).group(1)
    response = guest.post(
        register.replace("&amp;", "&"),
        data={
            "email": "new.person@example.ru",
            "password": "long-enough-1",
            "password_confirm": "long-enough-1",
            "personal_data_consent": "y",
        },
    )
    assert response.status_code == 302 and "/companies/invite/" in response.headers["Location"]
    joined = guest.post(path)
    assert joined.status_code == 302 and joined.headers["Location"].endswith(f"/companies/{company.id}")
    db_session.expire_all()
    assert sorted(m.customer.email for m in company.members) == ["buyer@example.ru", "new.person@example.ru"]
    assert guest.get(path).status_code == 410  # used


def test_a_wrong_account_cannot_use_someone_elses_invitation(app, client, db_session, customer, other_customer):
    company = make_company(db_session, customer)
    invite = company_invites.invite(db_session, company, email="someone@example.ru", role="buyer", by=customer)
    db_session.commit()
    login_customer(client, other_customer.email)
    response = client.post(f"/companies/invite/{company_invites.invite_token(invite)}")
    assert response.status_code == 400 and "Приглашение отправлено на someone@example.ru" in response.get_data(
        as_text=True
    )
    assert client.get("/companies/invite/garbage").status_code == 404
    assert len(company.members) == 1


def test_ordering_for_the_company_defaults_to_invoice_and_offers_its_addresses(
    app, client, db_session, catalog, customer
):
    company = make_company(db_session, customer)
    addresses.add_address(
        db_session, company, label="Склад", address="Москва, ул. Складская, д. 1", actor=Actor.customer(customer)
    )
    db_session.commit()
    login_customer(client, customer.email)
    _add_card(client, catalog)
    page = client.get(f"/checkout/?company={company.id}").get_data(as_text=True)
    assert re.search(rf'<option value="{company.id}"\s+selected', page)
    assert re.search(r'id="payment-invoice" value="invoice" checked', page)
    address = re.search(rf'value="(company:{company.id}:a\d+)"', page).group(1)
    assert "Склад:</span> Москва, ул. Складская, д. 1" in page
    # A company address only for an order on behalf of that company.
    refused = _checkout(client, "", delivery_method="courier", address_id=address)
    assert refused.status_code == 400
    assert "только для заказа от её имени" in refused.get_data(as_text=True)
    assert _checkout(client, company.id, delivery_method="courier", address_id=address).status_code == 302
    order = db_session.scalar(sa.select(Order))
    assert order.company_id == company.id and order.payment_method.value == "invoice"
    assert order.delivery_address == "Москва, ул. Складская, д. 1"
    assert order.delivery_address_snapshot == {
        "company_id": company.id,
        "label": "Склад",
        "text": "Москва, ул. Складская, д. 1",
    }
    assert "от имени" in client.get(f"/account/orders/{order.number}").get_data(as_text=True)


def test_a_project_page_replace_file_makes_a_new_version(app, client, db_session, catalog, customer):
    order = place_order(db_session, customer, catalog.cards)
    project = projects.save_from_order_line(db_session, order, order.product_lines[0].id, customer=customer, name="В")
    db_session.commit()
    login_customer(client, customer.email)
    data = {"layout": (io.BytesIO(pdf_bytes(94, 54, text="Версия 2")), "v2.pdf")}
    client.post(f"/account/projects/{project.id}/replace", data=data, content_type="multipart/form-data")
    bad = client.post(
        f"/account/projects/{project.id}/replace",
        data={"layout": (io.BytesIO(b"hello"), "v3.txt")},
        content_type="multipart/form-data",
        follow_redirects=True,
    )
    assert "Этот тип файла не принимается" in bad.get_data(as_text=True)
    page = client.get(f"/account/projects/{project.id}").get_data(as_text=True)
    assert "Версия 2" in page and "Версия 1" in page and "v2.pdf" in page
    with client.get(f"/account/projects/{project.id}/versions/1/file") as download:
        assert download.status_code == 200 and download.headers["Content-Disposition"].startswith("attachment")
    assert client.get(f"/account/projects/{project.id}/versions/3/file").status_code == 404
    stranger = make_customer(db_session, email="s@example.ru")
    other = app.test_client()
    login_customer(other, stranger.email)
    assert other.post(f"/account/projects/{project.id}/rename", data={"name": "x"}).status_code == 404
