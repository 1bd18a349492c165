"""The profile pages: address book, newsletter switch (JSON and plain form), settings, Telegram link, checkout."""

import re

import sqlalchemy as sa

from app.models import Address, Channel, ConsentSource, Customer, NewsletterConsent, NewsletterRequest, Order
from app.services.customers import addresses
from app.services.messaging import notifications, subscriptions
from tests.factories import login_customer
from tests.services.test_addresses import data
from tests.views.shop.test_shopping import _add_to_cart

FORM = {
    "label": "Дом",
    "recipient_name": "Иван Петров",
    "phone": "+7 916 555-44-33",
    "city": "Москва",
    "street": "ул. Тверская",
    "house": "7",
    "flat": "12",
    "postcode": "125009",
    "comment": "Код 12К",
}


def test_profile_requires_login_and_is_linked_from_the_menu(client, customer):
    assert "/account/login" in client.get("/account/profile").headers["Location"]
    login_customer(client, customer.email)
    page = client.get("/account/orders").get_data(as_text=True)
    assert 'href="/account/profile">Профиль</a>' in page
    text = client.get("/account/profile").get_data(as_text=True)
    assert "Сохранённых адресов пока нет." in text and "Получать новости и акции" in text


def test_customer_adds_edits_switches_and_deletes_addresses(app, client, customer, db_session):
    login_customer(client, customer.email)
    assert client.post("/account/addresses", data=FORM).status_code == 302
    assert client.post("/account/addresses", data=FORM | {"label": "Работа", "house": "30"}).status_code == 302
    home, work = addresses.addresses_of(db_session, customer.id)
    assert (home.label, home.is_primary, home.phone) == ("Дом", True, "+79165554433")
    page = client.get("/account/profile").get_data(as_text=True)
    assert "125009, Москва, ул. Тверская, д. 7, кв./офис 12" in page and "Доставка по умолчанию" in page
    assert client.post(f"/account/addresses/{work.id}/primary").status_code == 302
    response = client.post(f"/account/addresses/{work.id}/edit", data=FORM | {"label": "Офис", "street": "Арбат"})
    assert response.status_code == 302
    db_session.expire_all()
    assert [(a.label, a.street, a.is_primary) for a in addresses.addresses_of(db_session, customer.id)] == [
        ("Офис", "Арбат", True),
        ("Дом", "ул. Тверская", False),
    ]
    assert client.post(f"/account/addresses/{work.id}/delete").status_code == 302
    db_session.expire_all()
    assert [(a.label, a.is_primary) for a in addresses.addresses_of(db_session, customer.id)] == [("Дом", True)]


def test_bad_address_form_shows_the_error_and_keeps_the_input(client, customer, db_session):
    login_customer(client, customer.email)
    response = client.post("/account/addresses", data=FORM | {"postcode": "12345", "city": "Тверь"})
    text = response.get_data(as_text=True)
    assert response.status_code == 400
    assert "Индекс — 6 цифр, например 101000." in text and 'value="Тверь"' in text
    assert db_session.scalar(sa.select(sa.func.count()).select_from(Address)) == 0


def test_another_customers_address_id_is_404_everywhere(client, customer, other_customer, db_session):
    theirs = addresses.add_address(db_session, customer_id=other_customer.id, data=data())
    db_session.commit()
    login_customer(client, customer.email)
    assert client.get(f"/account/addresses/{theirs.id}/edit").status_code == 404
    assert client.post(f"/account/addresses/{theirs.id}/edit", data=FORM | {"city": "Взлом"}).status_code == 404
    assert client.post(f"/account/addresses/{theirs.id}/primary").status_code == 404
    assert client.post(f"/account/addresses/{theirs.id}/delete").status_code == 404
    assert client.get("/account/addresses/999999/edit").status_code == 404
    db_session.expire_all()
    assert addresses.customer_address(db_session, other_customer.id, theirs.id).city == "Москва"
    assert "ул. Тверская" not in client.get("/account/profile").get_data(as_text=True)


def test_newsletter_switch_with_fetch_and_without_js(client, customer, db_session):
    login_customer(client, customer.email)
    response = client.post(
        "/account/profile/newsletter", data={"subscribed": "1"}, headers={"Accept": "application/json"}
    )
    assert response.json["subscribed"] is False and response.json["pending"] is True  # double opt-in
    token = db_session.scalar(sa.select(NewsletterRequest.token))
    client.post(f"/newsletter/confirm/{token}")
    response = client.post(
        "/account/profile/newsletter", data={"subscribed": "1"}, headers={"Accept": "application/json"}
    )
    assert response.json == {
        "ok": True,
        "subscribed": True,
        "pending": False,
        "message": "Вы подписаны на новости и акции.",
    }
    response = client.post("/account/profile/newsletter", data={})  # a plain form: the unchecked box sends nothing
    assert response.status_code == 302 and response.headers["Location"].endswith("/account/profile#newsletter")
    client.post("/account/profile/newsletter", data={})  # no change: no new history entry
    db_session.expire_all()
    assert db_session.get(Customer, customer.id).newsletter_subscribed is False
    assert [(h.subscribed, h.source) for h in subscriptions.history(db_session, customer.id)] == [
        (False, ConsentSource.profile),
        (True, ConsentSource.profile),
    ]


def test_bad_unsubscribe_link_is_refused(client, customer, db_session):
    subscriptions.set_subscription(db_session, customer, subscribed=True, source=ConsentSource.profile)
    token = subscriptions.unsubscribe_token(db_session, customer)
    db_session.commit()
    response = client.get(f"/unsubscribe/{token[:-2]}xx")
    assert response.status_code == 404 and "Ссылка для отписки недействительна." in response.get_data(as_text=True)
    db_session.expire_all()
    assert db_session.get(Customer, customer.id).newsletter_subscribed is True
    assert client.post(f"/unsubscribe/{token[:-2]}xx").status_code == 404

    # Opening the link (as a mail scanner or link preview would) only asks; the button unsubscribes.
    page = client.get(f"/unsubscribe/{token}").get_data(as_text=True)
    assert "Отписаться от рассылки?" in page and customer.email in page and 'method="post"' in page
    db_session.expire_all()
    assert db_session.get(Customer, customer.id).newsletter_subscribed is True
    page = client.post(f"/unsubscribe/{token}").get_data(as_text=True)
    assert "Вы отписались от рассылки" in page and customer.email in page
    db_session.expire_all()
    assert db_session.get(Customer, customer.id).newsletter_subscribed is False
    page = client.get(f"/unsubscribe/{token}").get_data(as_text=True)
    assert "Вы не подписаны на рассылку" in page and "Отписаться</button>" not in page


def test_mail_client_one_click_unsubscribe_answers_in_plain_text(client, customer, db_session):
    subscriptions.set_subscription(db_session, customer, subscribed=True, source=ConsentSource.profile)
    token = subscriptions.unsubscribe_token(db_session, customer)
    db_session.commit()
    response = client.post(f"/unsubscribe/{token}", data={"List-Unsubscribe": "One-Click"})
    assert response.status_code == 200 and response.mimetype == "text/plain"
    assert response.get_data(as_text=True) == "Вы отписались от рассылки."
    db_session.expire_all()
    assert db_session.get(Customer, customer.id).newsletter_subscribed is False


def test_notification_settings_are_saved_and_bad_ones_refused(client, customer, db_session):

    login_customer(client, customer.email)
    form = {"ch_order_status": ["email"], "ch_order_ready": ["email", "telegram"], "status": ["ready", "cancelled"]}
    form |= {"quiet_hours": "1", "quiet_from": "23", "quiet_to": "8"}
    assert client.post("/account/profile/notifications", data=form).status_code == 302
    prefs = notifications.preferences(db_session, customer.id)
    assert prefs.channels["order_status"] == {notifications.Channel.email}
    assert {s.value for s in prefs.order_statuses} == {"ready", "cancelled"}
    assert (prefs.quiet_hours, prefs.quiet_from, prefs.quiet_to, prefs.quiet_email) == (True, 23, 8, False)
    client.post("/account/profile/notifications", data=form | {"quiet_email": "1"})
    db_session.expire_all()
    assert notifications.preferences(db_session, customer.id).quiet_email is True
    assert 'id="quiet_email" value="1" checked' in client.get("/account/profile").get_data(as_text=True)
    client.post("/account/profile/notifications", data=form | {"quiet_from": "99"})
    page = client.get("/account/profile").get_data(as_text=True)
    assert "Тихие часы: укажите час от 0 до 23." in page
    db_session.expire_all()
    assert notifications.preferences(db_session, customer.id).quiet_from == 23


def test_telegram_link_shows_a_one_time_deep_link(app, client, customer, monkeypatch):
    login_customer(client, customer.email)
    assert "Уведомления в Telegram пока недоступны." in client.get("/account/profile").get_data(as_text=True)
    monkeypatch.setitem(app.config, "TELEGRAM_BOT_USERNAME", "pechatny_dvor_bot")
    client.post("/account/profile/telegram")
    page = client.get("/account/profile").get_data(as_text=True)
    link = re.search(r'href="(https://t\.me/pechatny_dvor_bot\?start=[\w-]+)"', page)
    assert link and "Ссылка одноразовая" in page


def test_checkout_offers_saved_addresses_and_orders_keep_a_snapshot(app, client, catalog, customer, db_session):
    home = addresses.add_address(db_session, customer_id=customer.id, data=data())
    work = addresses.add_address(db_session, customer_id=customer.id, data=data(label="Работа", street="Арбат"))
    addresses.set_primary(db_session, customer_id=customer.id, address_id=work.id)
    db_session.commit()
    login_customer(client, customer.email)
    _add_to_cart(client, catalog.cards, catalog.defaults(catalog.cards), 100)
    page = client.get("/checkout/").get_data(as_text=True)
    assert re.search(rf'name="address_id" id="address-{work.id}" value="{work.id}" checked', page)
    assert f'value="{home.id}" checked' not in page
    base = {
        "contact_name": "Иван Петров",
        "contact_email": customer.email,
        "contact_phone": "+79161234567",
        "delivery_method": "courier",
        "payment_method": "on_receipt",
        "checkout_token": "t-snap",
        "address_id": str(home.id),
    }
    assert client.post("/checkout/", data=base).status_code == 302
    addresses.update_address(db_session, customer_id=customer.id, address_id=home.id, data=data(street="Новая"))
    db_session.commit()
    order = db_session.scalar(sa.select(Order))
    assert order.delivery_address_snapshot["street"] == "ул. Тверская"
    assert order.delivery_address.startswith("125009, Москва, ул. Тверская, д. 7")
    assert "ул. Тверская" in client.get(f"/account/orders/{order.number}").get_data(as_text=True)


def test_checkout_can_save_a_new_address_or_reports_what_is_missing(app, client, catalog, customer, db_session):
    login_customer(client, customer.email)
    _add_to_cart(client, catalog.cards, catalog.defaults(catalog.cards), 100)
    base = {
        "contact_name": "Иван Петров",
        "contact_email": customer.email,
        "contact_phone": "+79161234567",
        "delivery_method": "courier",
        "payment_method": "on_receipt",
        "checkout_token": "t-new",
        "address_id": "new",
        "save_address": "1",
        "addr_city": "Москва",
        "addr_street": "Ленинский проспект",
        "addr_house": "",
    }
    response = client.post("/checkout/", data=base)
    assert response.status_code == 400 and "Укажите номер дома." in response.get_data(as_text=True)
    assert db_session.scalar(sa.select(sa.func.count()).select_from(Address)) == 0
    assert db_session.scalar(sa.select(sa.func.count()).select_from(Order)) == 0
    assert client.post("/checkout/", data=base | {"addr_house": "30"}).status_code == 302
    [saved] = addresses.addresses_of(db_session, customer.id)
    assert (saved.street, saved.is_primary, saved.recipient_name, saved.phone) == (
        "Ленинский проспект",
        True,
        "Иван Петров",
        "+79161234567",
    )
    order = db_session.scalar(sa.select(Order))
    assert order.delivery_address_snapshot["address_id"] == saved.id


def test_checkout_refuses_another_customers_address(app, client, catalog, customer, other_customer, db_session):
    theirs = addresses.add_address(db_session, customer_id=other_customer.id, data=data())
    db_session.commit()
    login_customer(client, customer.email)
    _add_to_cart(client, catalog.cards, catalog.defaults(catalog.cards), 100)
    response = client.post(
        "/checkout/",
        data={
            "contact_name": "Иван",
            "contact_email": customer.email,
            "contact_phone": "+79161234567",
            "delivery_method": "courier",
            "payment_method": "on_receipt",
            "checkout_token": "t-theirs",
            "address_id": str(theirs.id),
        },
    )
    assert response.status_code == 400
    assert "Выбранный адрес не найден" in response.get_data(as_text=True)
    assert db_session.scalar(sa.select(sa.func.count()).select_from(Order)) == 0


def test_consent_history_records_each_change_only(db_session, customer):
    for value in (True, True, False, True):
        subscriptions.set_subscription(db_session, customer, subscribed=value, source=ConsentSource.staff, actor="Тест")
    db_session.commit()
    assert db_session.scalar(sa.select(sa.func.count()).select_from(NewsletterConsent)) == 3
    assert all(h.actor == "Тест" for h in subscriptions.history(db_session, customer.id))


def test_settings_offer_only_working_features_and_lock_telegram_until_it_is_linked(client, db_session, customer):
    from app.models import TelegramLink

    login_customer(client, customer.email)
    page = client.get("/account/profile").get_data(as_text=True)
    assert "Ответ службы поддержки" in page and "Заказ принят" in page
    assert "Начисление бонусных баллов" in page  # points are credited now (loyalty), so it is offered
    # Every event offered is one some feature sends (a new event must be added here once it is sent).
    sent = {"order_placed", "order_status", "order_ready", "ticket_reply", "ticket_status", "points_credited"}
    sent |= {"points_expiring", "review_decision", "review_invite", "company_status", "order_line_refunded"}
    assert set(re.findall(r'name="ch_([a-z_]+)"', page)) <= sent
    assert "Начисление бонусных баллов" in page and "Скорое сгорание бонусных баллов" in page  # points work now
    box = re.search(r'<input[^>]*data-testid="channel-order_status-telegram"[^>]*>', page, re.S).group(0)
    assert "disabled" in box and "checked" not in box
    email_box = re.search(r'<input[^>]*data-testid="channel-order_status-email"[^>]*>', page, re.S).group(0)
    assert "disabled" not in email_box and "checked" in email_box
    # Saving with Telegram locked keeps the Telegram choice for when the chat is linked.
    client.post("/account/profile/notifications", data={"ch_order_status": ["email", "telegram"], "status": ["ready"]})
    assert Channel.telegram in notifications.preferences(db_session, customer.id).channels["order_status"]
    db_session.add(TelegramLink(customer_id=customer.id, chat_id=4242))
    db_session.commit()
    page = client.get("/account/profile").get_data(as_text=True)
    box = re.search(r'<input[^>]*data-testid="channel-order_status-telegram"[^>]*>', page, re.S).group(0)
    assert "disabled" not in box and "checked" in box


def test_registration_needs_consent_to_personal_data_processing_and_records_it(app, client, db_session):
    from app.models import PersonalDataConsent
    from app.services.actors import Actor
    from app.services.content import pages as content_pages

    content_pages.save_page(
        db_session,
        data=content_pages.PageData(
            title="Политика обработки персональных данных", slug="privacy", body="Текст политики.", is_published=True
        ),
        actor=Actor.system("test"),
    )
    db_session.commit()
    page = client.get("/account/register").get_data(as_text=True)
    assert 'href="/pages/privacy"' in page and "согласие на обработку персональных данных" in page
    form = {"email": "bez.soglasiya@example.ru", "password": "long-password-1", "password_confirm": "long-password-1"}
    refused = client.post("/account/register", data=form).get_data(as_text=True)
    assert "дайте согласие на обработку персональных данных" in refused
    assert db_session.scalar(sa.select(Customer).where(Customer.email == form["email"])) is None

    app.test_client().post("/account/register", data=form | {"personal_data_consent": "y"})
    db_session.expire_all()
    customer = db_session.scalar(sa.select(Customer).where(Customer.email == form["email"]))
    [consent] = db_session.scalars(sa.select(PersonalDataConsent)).all()
    assert consent.customer_id == customer.id and consent.source == ConsentSource.registration
    assert consent.document == "Политика обработки персональных данных (/pages/privacy)" and consent.edition
    assert client.get("/pages/privacy").status_code == 200


def test_profile_marks_a_billing_address_apart_from_the_delivery_one(client, customer, other_customer, db_session):
    login_customer(client, customer.email)
    client.post("/account/addresses", data=FORM)
    client.post("/account/addresses", data=FORM | {"label": "Бухгалтерия", "street": "Арбат", "is_billing": "1"})
    home, office = addresses.addresses_of(db_session, customer.id)
    page = client.get("/account/profile").get_data(as_text=True)
    assert 'data-testid="default-delivery">Дом<' in page
    assert 'data-testid="default-billing">Бухгалтерия<' in page
    assert "юридический адрес компании" in page
    assert client.post("/account/addresses/billing/clear").status_code == 302
    page = client.get("/account/profile").get_data(as_text=True)
    assert "В документах будет адрес доставки по умолчанию." in page
    assert 'data-testid="default-billing">Дом <span class="fw-normal text-secondary">(как у доставки)' in page
    assert client.post(f"/account/addresses/{office.id}/billing").status_code == 302
    db_session.expire_all()
    assert addresses.billing_address(db_session, customer.id).id == office.id
    theirs = addresses.add_address(db_session, customer_id=other_customer.id, data=data())
    db_session.commit()
    assert client.post(f"/account/addresses/{theirs.id}/billing").status_code == 404
    db_session.expire_all()
    assert not addresses.customer_address(db_session, other_customer.id, theirs.id).is_billing


def test_checkout_prefills_delivery_and_the_confirmation_names_the_billing_address(
    app, client, catalog, customer, db_session
):
    from datetime import date

    from tests.document_helpers import pdftotext, set_shop_requisites

    set_shop_requisites(db_session, valid_from=date(2020, 1, 1))
    home = addresses.add_address(db_session, customer_id=customer.id, data=data())
    addresses.add_address(
        db_session, customer_id=customer.id, make_billing=True,
        data=data(label="Для документов", recipient_name="Петрова Анна", city="Тверь", street="ул. Советская",
                  house="3", flat="", postcode="170100"),
    )  # fmt: skip
    db_session.commit()
    login_customer(client, customer.email)
    _add_to_cart(client, catalog.cards, catalog.defaults(catalog.cards), 100)
    page = client.get("/checkout/").get_data(as_text=True)
    assert re.search(rf'name="address_id" id="address-{home.id}" value="{home.id}" checked', page)
    assert "Плательщик в подтверждении заказа: Петрова Анна, 170100, Тверь, ул. Советская, д. 3" in page
    form = {
        "contact_name": "Иван Петров",
        "contact_email": customer.email,
        "contact_phone": "+79161234567",
        "delivery_method": "courier",
        "payment_method": "on_receipt",
        "checkout_token": "t-billing",
        "address_id": str(home.id),
    }
    assert client.post("/checkout/", data=form).status_code == 302
    order = db_session.scalar(sa.select(Order))
    assert order.delivery_address_snapshot["city"] == "Москва"
    assert order.billing_address_snapshot["city"] == "Тверь"
    # The order keeps its copy: a later change of the book does not change its documents.
    addresses.clear_billing(db_session, customer_id=customer.id)
    db_session.commit()
    order_page = client.get(f"/account/orders/{order.number}").get_data(as_text=True)
    assert "Петрова Анна, 170100, Тверь, ул. Советская, д. 3" in order_page
    text = " ".join(pdftotext(client.get(f"/account/orders/{order.number}/confirmation.pdf").data).split())
    assert "Покупатель: Петрова Анна, 170100, Тверь, ул. Советская, д. 3" in text
    assert "Тверская" not in text
    # Staff see the payer on the order page too.
    from tests.factories import login_staff, make_staff

    staff = app.test_client()
    login_staff(staff, make_staff(app, "Operator"))
    admin_page = staff.get(f"/admin/orderview/show/{order.id}").get_data(as_text=True)
    assert "Плательщик (подтверждение заказа): Петрова Анна, 170100, Тверь, ул. Советская, д. 3" in admin_page
