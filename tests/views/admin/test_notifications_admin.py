"""Back office: the outbox (filters, error text, resend) and subscribers (CSV export, unsubscribe), role by role."""

import csv
import io

import pytest
import sqlalchemy as sa

from app.models import Channel, ConsentSource, DeliveryState, Notification
from app.services.messaging import notifications, subscriptions
from app.views.admin.permissions import STAFF_ROLES
from tests.factories import login_staff, make_customer, make_staff
from tests.views.admin.test_admin_access import _allowed

CAN_SEE_OUTBOX = {"Admin", "Manager", "Support"}
CAN_RESEND = {"Admin", "Manager", "Support"}
CAN_SEE_SUBSCRIBERS = {"Admin", "Manager", "ContentEditor"}
CAN_EXPORT = {"Admin", "Manager", "ContentEditor"}
CAN_UNSUBSCRIBE = {"Admin", "Manager"}


def failed_message(session, customer) -> Notification:  # noqa: ANN001
    message = notifications.queue(
        session,
        channel=Channel.email,
        event=notifications.ORDER_STATUS,
        recipient=customer.email,
        customer_id=customer.id,
        payload={"number": "2026-000007", "old": "new", "new": "confirmed"},
    )
    message.state = DeliveryState.failed
    message.last_error = "Адрес отклонён сервером: 550 mailbox unavailable"
    session.commit()
    return message


@pytest.mark.parametrize("role", STAFF_ROLES)
def test_outbox_and_subscribers_follow_the_role(app, staff_client, db_session, customer, role):
    message = failed_message(db_session, customer)
    subscriptions.set_subscription(db_session, customer, subscribed=True, source=ConsentSource.profile)
    db_session.commit()
    login_staff(staff_client, make_staff(app, role))
    assert _allowed(staff_client.get("/admin/notificationview/list/")) == (role in CAN_SEE_OUTBOX)
    assert _allowed(staff_client.get(f"/admin/notificationview/show/{message.id}")) == (role in CAN_SEE_OUTBOX)
    assert _allowed(staff_client.get("/admin/subscriberview/list/")) == (role in CAN_SEE_SUBSCRIBERS)
    assert _allowed(staff_client.get("/admin/newsletterconsentview/list/")) == (role in CAN_SEE_SUBSCRIBERS)
    assert _allowed(staff_client.get("/admin/subscriberview/export.csv")) == (role in CAN_EXPORT)
    staff_client.post("/admin/notificationview/action_post", data={"action": "resend_action", "rowid": [message.id]})
    staff_client.post(
        "/admin/subscriberview/action_post", data={"action": "unsubscribe_action", "rowid": [customer.id]}
    )
    db_session.expire_all()
    assert (db_session.get(Notification, message.id).state == DeliveryState.pending) == (role in CAN_RESEND)
    assert (not customer.newsletter_subscribed) == (role in CAN_UNSUBSCRIBE)
    if role in CAN_UNSUBSCRIBE:
        [latest, _] = subscriptions.history(db_session, customer.id)
        assert (latest.source, latest.actor) == (ConsentSource.staff, f"Тестов {role}")


def test_outbox_filters_and_shows_the_error(app, staff_client, db_session, customer):
    failed = failed_message(db_session, customer)
    notifications.queue(db_session, channel=Channel.telegram, event=notifications.TICKET_REPLY, customer_id=customer.id)
    db_session.commit()
    login_staff(staff_client, make_staff(app, "Support"))
    page = staff_client.get("/admin/notificationview/list/?_flt_0_state=failed").get_data(as_text=True)
    assert "550 mailbox unavailable" in page and "Ошибка" in page and "Изменение статуса заказа" in page
    assert "Ответ службы поддержки" not in page
    page = staff_client.get("/admin/notificationview/list/?_flt_0_channel=telegram").get_data(as_text=True)
    assert "Ответ службы поддержки" in page and "550 mailbox" not in page
    page = staff_client.get("/admin/notificationview/list/?_flt_0_event=ticket_reply").get_data(as_text=True)
    assert "Ответ службы поддержки" in page and "550 mailbox" not in page
    show = staff_client.get(f"/admin/notificationview/show/{failed.id}").get_data(as_text=True)
    assert "Адрес отклонён сервером: 550 mailbox unavailable" in show


def test_subscribers_csv_lists_active_subscribers_with_consent(app, staff_client, db_session, customer, other_customer):
    subscriptions.set_subscription(db_session, customer, subscribed=True, source=ConsentSource.registration)
    blocked = make_customer(db_session, email="blocked@example.ru", active=False)
    subscriptions.set_subscription(db_session, blocked, subscribed=True, source=ConsentSource.profile)
    formula = make_customer(db_session, email="formula@example.ru", full_name="=HYPERLINK(1)")
    subscriptions.set_subscription(db_session, formula, subscribed=True, source=ConsentSource.profile)
    db_session.commit()
    login_staff(staff_client, make_staff(app, "ContentEditor"))
    response = staff_client.get("/admin/subscriberview/export.csv")
    assert response.status_code == 200
    assert response.headers["Content-Disposition"].startswith('attachment; filename="subscribers-')
    text = response.get_data(as_text=True)
    assert text.startswith("\ufeff")
    table = list(csv.reader(io.StringIO(text[1:]), delimiter=";"))
    assert table[0] == ["Email", "Имя", "Телефон", "Подписан", "Источник"]
    assert [row[0] for row in table[1:]] == ["buyer@example.ru", "formula@example.ru"]
    assert table[1][1] == "Покупатель Первый" and table[1][4] == "Регистрация" and table[1][3]
    assert table[2][1] == "'=HYPERLINK(1)"  # no formula runs in a spreadsheet
    page = staff_client.get("/admin/subscriberview/list/").get_data(as_text=True)
    assert "buyer@example.ru" in page and "other@example.ru" not in page and "blocked@example.ru" not in page


def test_resend_skips_messages_still_in_the_queue(app, staff_client, db_session, customer):
    pending = notifications.queue(db_session, channel=Channel.email, event="order_status", recipient=customer.email)
    db_session.commit()
    login_staff(staff_client, make_staff(app, "Manager"))
    response = staff_client.post(
        "/admin/notificationview/action_post",
        data={"action": "resend_action", "rowid": [pending.id]},
        follow_redirects=True,
    )
    assert "Поставлено в очередь: 0. Пропущено (ещё в очереди): 1." in response.get_data(as_text=True)
    assert db_session.scalar(sa.select(Notification.attempts).where(Notification.id == pending.id)) == 0


def test_a_queued_message_is_shown_as_it_will_be_sent(app, db_session, catalog, customer):
    from tests.factories import place_order

    order = place_order(db_session, customer, catalog.cards)
    row = db_session.scalar(sa.select(Notification).where(Notification.event == notifications.ORDER_PLACED))
    assert row.state == DeliveryState.pending and row.subject == "" and row.body_text == ""
    client = app.test_client()
    login_staff(client, make_staff(app, "Manager"))
    page = client.get(f"/admin/notificationview/show/{row.id}").get_data(as_text=True)
    assert 'data-testid="outbox-preview"' in page
    assert f'<span data-testid="outbox-preview-subject">Заказ {order.number} принят</span>' in page
    assert "Визитки стандартные, 100 шт." in page and f"/account/orders/{order.number}" in page
    assert f"Email, {customer.email}" in page or f"{customer.email}" in page
    assert "flask scheduler" in page  # who sends it, and that it must run
    assert db_session.get(Notification, row.id).state == DeliveryState.pending  # nothing was sent or changed
