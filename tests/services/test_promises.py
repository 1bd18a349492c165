"""The ready date an order is promised: production days on the working calendar, shown and sent to the customer."""

from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa
import time_machine

from app.models import Notification
from app.services import storage
from app.services.actors import Actor
from app.services.catalog.products import default_option_ids
from app.services.messaging import notifications, outbox
from app.services.orders import cart as cart_service
from app.services.orders import promises
from app.services.orders.history import acting
from app.services.shoptime import format_date_long, now
from tests.factories import layout_for, login_customer, place_order

MSK = ZoneInfo("Europe/Moscow")


@pytest.mark.parametrize(
    ("placed", "days", "ready"),
    [
        (datetime(2026, 12, 2, 10, 0, tzinfo=MSK), 2, date(2026, 12, 4)),  # Wednesday morning: Friday
        (datetime(2026, 12, 2, 19, 30, tzinfo=MSK), 2, date(2026, 12, 7)),  # after closing: starts Thursday
        (datetime(2026, 12, 5, 11, 0, tzinfo=MSK), 2, date(2026, 12, 9)),  # Saturday: starts Monday
        (datetime(2026, 12, 2, 10, 0, tzinfo=MSK), 0, date(2026, 12, 2)),  # same day
        (datetime(2026, 11, 3, 10, 0, tzinfo=MSK), 1, date(2026, 11, 5)),  # 4 November is a holiday
        (datetime(2026, 12, 30, 12, 0, tzinfo=MSK), 2, date(2027, 1, 12)),  # New Year holidays
    ],
)
def test_ready_date_counts_working_days_from_the_first_working_moment(placed, days, ready, app):
    assert promises.ready_date(days, placed) == ready


def test_the_slowest_product_decides_and_nothing_promises_nothing(app):
    placed = datetime(2026, 12, 2, 10, 0, tzinfo=MSK)
    assert promises.ready_date_of([1, 3, 2], placed) == date(2026, 12, 7)
    assert promises.ready_date_of([], placed) is None


def test_order_keeps_its_promise_and_staff_due_date_wins(app, client, db_session, catalog, customer):
    catalog.flyers.production_days = 4
    db_session.commit()
    with time_machine.travel(datetime(2026, 12, 2, 10, 0, tzinfo=MSK), tick=False):
        order = place_order(db_session, customer, catalog.cards)
        both = place_order(db_session, customer, catalog.flyers)
    assert order.expected_date == date(2026, 12, 4) == order.promised_date
    assert both.expected_date == date(2026, 12, 8)
    login_customer(client, customer.email)
    page = client.get(f"/account/orders/{order.number}").get_data(as_text=True)
    assert "Ожидаемая готовность: <strong>4 декабря 2026 г.</strong>" in page
    with acting(db_session, Actor.system("test")):
        order.due_date = date(2026, 12, 10)
    db_session.commit()
    page = client.get(f"/account/orders/{order.number}").get_data(as_text=True)
    assert "Срок готовности: <strong>10 декабря 2026 г.</strong>" in page and "4 декабря" not in page


def test_product_cart_and_checkout_show_when_an_order_placed_now_is_ready(app, client, db_session, catalog, customer):
    expected = promises.ready_date(catalog.cards.production_days, now())
    label = format_date_long(expected)
    product = client.get(f"/product/{catalog.cards.slug}").get_data(as_text=True)
    assert f"Готовность при заказе сегодня: <strong>{label}</strong>" in product
    login_customer(client, customer.email)
    options = default_option_ids(catalog.cards)
    layout = storage.store_bytes(
        db_session, data=layout_for(catalog.cards, options), filename="maket.pdf", customer_id=customer.id
    )
    cart = cart_service.get_or_create_cart(db_session, token=None, customer_id=customer.id)
    cart_service.add_item(
        db_session, cart, product=catalog.cards, quantity=100, option_value_ids=options, layout=layout
    )
    db_session.commit()
    assert f"<strong>{label}</strong>" in client.get("/cart/").get_data(as_text=True)
    assert f"Ожидаемая готовность: <strong>{label}</strong>" in client.get("/checkout/").get_data(as_text=True)


def test_order_accepted_message_goes_by_the_customers_settings_with_lines_sums_and_date(
    app, db_session, catalog, customer, smtp_server
):
    with time_machine.travel(datetime(2026, 12, 2, 10, 0, tzinfo=MSK), tick=False):
        order = place_order(
            db_session, customer, catalog.cards, delivery="courier", address="Москва, ул. Тверская, д. 7"
        )
    [row] = db_session.scalars(sa.select(Notification).where(Notification.event == notifications.ORDER_PLACED)).all()
    assert (row.order_id, row.recipient, row.channel.value) == (order.id, order.contact_email, "email")
    assert outbox.deliver_due(db_session).sent == 1
    [message] = smtp_server.messages
    assert message["Subject"] == f"Заказ {order.number} принят"
    text = smtp_server.mailbox.body(message)
    for part in ("Визитки стандартные, 100 шт.: 790,00", "Курьер — Москва, ул. Тверская, д. 7", "Итого: 1\u00a0190,00"):
        assert part in text, part
    assert "Ожидаемая готовность: 4 декабря 2026 г." in text
    assert "4 декабря 2026 г." in smtp_server.mailbox.body(message, "html")


def test_no_order_accepted_message_for_a_customer_who_turned_it_off(db_session, catalog, customer):
    notifications.save_preferences(
        db_session,
        customer_id=customer.id,
        channels={notifications.ORDER_PLACED: set()},
        order_statuses=[s.value for s in notifications.NOTIFY_STATUSES],
    )
    db_session.commit()
    place_order(db_session, customer, catalog.cards)
    assert db_session.scalar(sa.select(sa.func.count()).select_from(Notification)) == 0


def test_paying_by_invoice_is_told_who_sends_the_invoice(app, client, db_session, catalog, customer):
    login_customer(client, customer.email)
    order = place_order(db_session, customer, catalog.cards, payment="invoice")
    page = client.get(f"/account/orders/{order.number}").get_data(as_text=True)
    assert 'data-testid="invoice-note"' in page and "в печать заказ уйдёт после оплаты" in page
    from app.services.messaging import messages, outbox

    [row] = db_session.scalars(sa.select(Notification).where(Notification.event == notifications.ORDER_PLACED)).all()
    rendered = messages.render(outbox._context(db_session, row, customer))
    assert "счёт на оплату на странице заказа в личном кабинете" in rendered.text
