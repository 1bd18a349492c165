"""Outbox delivery over a real SMTP server: bodies, headers, marketing consent, retries, nothing lost or doubled."""

from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa
import time_machine

from app.models import Channel, ConsentSource, DeliveryState, Notification, OrderStatus
from app.services.companies import invites
from app.services.messaging import messages, notifications, outbox, subscriptions
from tests.factories import advance, drop_order_placed_messages, place_order

S = OrderStatus


@pytest.fixture
def newsletter_renderer():
    """The CMS brings the real newsletter renderer; this stands in for it, through the same registry."""

    def render(ctx: messages.MessageContext) -> messages.Rendered:
        item = ctx.payload["item_id"]
        return messages.Rendered(
            subject=f"Новости №{item}",
            text=f"Скидка 15% на визитки до конца месяца (выпуск {item}).",
            html=f"<p>Скидка <b>15%</b> на визитки (выпуск {item}).</p>",
        )

    real = messages.RENDERERS.get(notifications.NEWSLETTER)
    messages.register_renderer(notifications.NEWSLETTER, render)
    yield render
    if real is None:
        messages.RENDERERS.pop(notifications.NEWSLETTER, None)
    else:
        messages.register_renderer(notifications.NEWSLETTER, real)


def rows(session) -> list[Notification]:
    session.expire_all()
    return list(session.scalars(sa.select(Notification).order_by(Notification.id)))


def test_order_status_email_arrives_with_both_bodies(db_session, catalog, customer, smtp_server):
    order = place_order(db_session, customer, catalog.cards)
    drop_order_placed_messages(db_session)
    advance(db_session, order, S.confirmed)
    report = outbox.deliver_due(db_session)
    assert (report.sent, report.failed, report.retried) == (1, 0, 0)
    [message] = smtp_server.messages
    assert message["To"] == customer.email
    assert message["X-Envelope-To"] == customer.email
    assert message["Subject"] == f"Заказ {order.number}: Принят"
    text = smtp_server.mailbox.body(message)
    html = smtp_server.mailbox.body(message, "html")
    assert "«Новый» → «Принят»" in text and f"/account/orders/{order.number}" in text
    assert "<strong>«Принят»</strong>" in html and "Печатный двор" in html
    assert "List-Unsubscribe" not in message  # service messages are not marketing
    [row] = rows(db_session)
    assert row.state == DeliveryState.sent and row.attempts == 1 and row.sent_at is not None
    assert row.subject == message["Subject"] and "«Принят»" in row.body_text
    assert outbox.deliver_due(db_session).handled == 0  # delivered once, never again
    assert len(smtp_server.messages) == 1


def test_newsletter_carries_one_click_unsubscribe(
    app, client, db_session, customer, smtp_server, newsletter_renderer, monkeypatch
):
    monkeypatch.setitem(app.config, "WTF_CSRF_ENABLED", True)  # the signed token authenticates the POST
    subscriptions.set_subscription(db_session, customer, subscribed=True, source=ConsentSource.profile)
    notifications.queue_many(
        db_session,
        [
            {
                "customer_id": customer.id,
                "channel": Channel.email,
                "event": notifications.NEWSLETTER,
                "recipient": customer.email,
                "payload": {"item_id": 7},
                "dedupe_key": f"newsletter:7:{customer.id}",
            }
        ],
    )
    db_session.commit()
    assert outbox.deliver_due(db_session).sent == 1
    [message] = smtp_server.messages
    url = subscriptions.unsubscribe_url(db_session, customer)
    assert message["List-Unsubscribe"].strip() == f"<{url}>"  # folded onto its own line: long header
    assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert f"Отписаться от рассылки: {url}" in smtp_server.mailbox.body(message)
    assert url in smtp_server.mailbox.body(message, "html")
    # The link works without a login (one click, as a mail client posts it).
    path = "/" + url.split("/", 3)[3]
    assert client.post(path, data={"List-Unsubscribe": "One-Click"}).status_code == 200
    db_session.expire_all()
    assert customer.newsletter_subscribed is False
    assert [(h.subscribed, h.source) for h in subscriptions.history(db_session, customer.id)] == [
        (False, ConsentSource.unsubscribe_link),
        (True, ConsentSource.profile),
    ]


def test_newsletter_to_someone_who_unsubscribed_meanwhile_is_cancelled(
    db_session, customer, smtp_server, newsletter_renderer
):
    subscriptions.set_subscription(db_session, customer, subscribed=True, source=ConsentSource.registration)
    notifications.queue_many(
        db_session,
        [{"customer_id": customer.id, "channel": Channel.email, "event": "newsletter", "payload": {"item_id": 1}}],
    )
    subscriptions.set_subscription(db_session, customer, subscribed=False, source=ConsentSource.profile)
    db_session.commit()
    report = outbox.deliver_due(db_session)
    assert report.cancelled == 1 and smtp_server.messages == []
    assert rows(db_session)[0].state == DeliveryState.cancelled


def test_same_dedupe_key_is_queued_once(db_session, customer):
    row = {"customer_id": customer.id, "channel": Channel.email, "event": "newsletter", "dedupe_key": "newsletter:1:1"}
    notifications.queue_many(db_session, [row])
    notifications.queue_many(db_session, [row])
    db_session.commit()
    assert len(rows(db_session)) == 1


def test_smtp_down_mid_run_loses_nothing_and_sends_each_once(db_session, catalog, customer, smtp_server):
    order = place_order(db_session, customer, catalog.cards)
    drop_order_placed_messages(db_session)
    advance(db_session, order, S.confirmed, S.in_production, S.ready)
    assert outbox.deliver_due(db_session, limit=1).sent == 1
    smtp_server.stop()
    report = outbox.deliver_due(db_session)
    assert (report.sent, report.retried) == (0, 2)
    waiting = [r for r in rows(db_session) if r.state == DeliveryState.pending]
    assert len(waiting) == 2 and all("SMTP" in r.last_error for r in waiting)
    assert all(r.next_attempt_at > datetime.now(UTC) + timedelta(seconds=50) for r in waiting)  # backoff
    assert outbox.deliver_due(db_session).handled == 0  # not due yet
    smtp_server.start()
    with time_machine.travel(datetime.now(UTC) + timedelta(minutes=5), tick=True):
        assert outbox.deliver_due(db_session).sent == 2
    subjects = sorted(m["Subject"] for m in smtp_server.messages)
    assert subjects == sorted(
        [f"Заказ {order.number}: Принят", f"Заказ {order.number}: В печати", f"Заказ {order.number} готов к выдаче"]
    )
    assert all(r.state == DeliveryState.sent for r in rows(db_session))


def test_invalid_address_fails_for_good(db_session, customer, smtp_server):
    notifications.queue(
        db_session,
        channel=Channel.email,
        event=notifications.ORDER_STATUS,
        recipient="no-at-sign",
        payload={"number": "2026-000001", "old": "new", "new": "confirmed"},
    )
    db_session.commit()
    assert outbox.deliver_due(db_session).failed == 1
    [row] = rows(db_session)
    assert row.state == DeliveryState.failed and "Неверный адрес" in row.last_error
    with time_machine.travel(datetime.now(UTC) + timedelta(days=1), tick=True):
        assert outbox.deliver_due(db_session).handled == 0  # never retried
    assert smtp_server.messages == []


def test_gives_up_after_the_last_attempt(app, db_session, customer, smtp_server, monkeypatch):
    monkeypatch.setitem(app.config, "NOTIFICATION_MAX_ATTEMPTS", 2)
    smtp_server.stop()
    notifications.queue(
        db_session,
        channel=Channel.email,
        event=notifications.ORDER_STATUS,
        recipient=customer.email,
        payload={"number": "2026-000001", "old": "new", "new": "confirmed"},
    )
    db_session.commit()
    assert outbox.deliver_due(db_session).retried == 1
    with time_machine.travel(datetime.now(UTC) + timedelta(hours=1), tick=True):
        assert outbox.deliver_due(db_session).failed == 1
    [row] = rows(db_session)
    assert row.state == DeliveryState.failed and row.attempts == 2 and "попыток: 2" in row.last_error


def test_unknown_event_without_template_fails_with_a_clear_error(db_session, customer):
    notifications.queue(db_session, channel=Channel.email, event="no_such_event", recipient=customer.email)
    db_session.commit()
    assert outbox.deliver_due(db_session).failed == 1
    assert rows(db_session)[0].last_error == "Нет шаблона для события «no_such_event»."


def test_a_crashed_senders_claim_is_taken_over_after_its_lease(db_session, customer, smtp_server):
    notifications.queue(
        db_session,
        channel=Channel.email,
        event=notifications.ORDER_STATUS,
        recipient=customer.email,
        payload={"number": "2026-000001", "old": "new", "new": "confirmed"},
    )
    db_session.commit()
    token, ids = outbox.claim(db_session, limit=10, lease_seconds=60)  # and then the sender dies
    assert len(ids) == 1 and outbox.deliver_due(db_session).handled == 0
    with time_machine.travel(datetime.now(UTC) + timedelta(seconds=61), tick=True):
        assert outbox.deliver_due(db_session).sent == 1
        assert outbox.deliver_one(db_session, ids[0], token) == "lost"  # the old claim can no longer write
    assert len(smtp_server.messages) == 1


def test_resend_queues_failed_messages_again(db_session, customer, smtp_server):
    message = notifications.queue(
        db_session,
        channel=Channel.email,
        event=notifications.ORDER_STATUS,
        recipient=customer.email,
        payload={"number": "2026-000001", "old": "new", "new": "confirmed"},
    )
    message.state = DeliveryState.failed
    message.last_error = "SMTP: отказ"
    db_session.commit()
    assert outbox.resend(db_session, [message.id]) == 1
    db_session.commit()
    assert outbox.deliver_due(db_session).sent == 1 and len(smtp_server.messages) == 1


def test_settings_choose_channels_and_statuses(db_session, catalog, customer):
    notifications.save_preferences(
        db_session,
        customer_id=customer.id,
        channels={notifications.ORDER_STATUS: ["email"], notifications.ORDER_READY: []},
        order_statuses=["cancelled"],
    )
    db_session.commit()
    order = place_order(db_session, customer, catalog.cards)
    advance(db_session, order, S.confirmed, S.in_production, S.ready, S.cancelled)
    assert [(r.event, r.payload["new"]) for r in rows(db_session)] == [("order_status", "cancelled")]


def test_bad_settings_are_refused_and_change_nothing(db_session, customer):
    from app.services.errors import ValidationError

    for kwargs, message in [
        ({"channels": {"order_status": ["sms"]}, "order_statuses": []}, "Неизвестный канал уведомлений."),
        ({"channels": {}, "order_statuses": ["new"]}, "Неизвестный статус заказа."),
        ({"channels": {}, "order_statuses": [], "quiet_hours": True, "quiet_from": 25}, "Тихие часы: укажите час"),
        ({"channels": {}, "order_statuses": [], "quiet_hours": True, "quiet_from": 8, "quiet_to": 8}, "не должны"),
    ]:
        with pytest.raises(ValidationError, match=message):
            notifications.save_preferences(db_session, customer_id=customer.id, **kwargs)
        db_session.rollback()
    assert notifications.preferences(db_session, customer.id).order_statuses == notifications.NOTIFY_STATUSES


def test_bulk_status_changes_read_settings_once_and_insert_once(
    app, backend, db_session, catalog, customer, other_customer
):
    from app.extensions import db

    orders = [place_order(db_session, who, catalog.cards) for who in (customer, other_customer) for _ in range(10)]
    changes = [
        notifications.StatusChange(
            o.id, o.number, o.customer_id, o.contact_email, o.delivery_method, S.new, S.confirmed
        )
        for o in orders
        for _ in range(2)  # a change named twice still gives one message per order
    ]
    statements: list[str] = []

    def count(conn, cursor, statement, parameters, context, executemany):  # noqa: ANN001, PLR0913
        statements.append(statement)

    sa.event.listen(db.engine, "before_cursor_execute", count)
    try:
        assert notifications.order_status_changed(db_session, changes) == 20
    finally:
        sa.event.remove(db.engine, "before_cursor_execute", count)
    assert statements[0].lstrip().upper().startswith("SELECT")
    # The rows are built by the database (INSERT … SELECT from the orders), at most one statement per group of
    # the same move and send time (here two customers), however many orders change: never one per order.
    inserts = statements[1:]
    assert 1 <= len(inserts) <= 2, "\n".join(s[:200] for s in statements)
    assert all(s.lstrip().upper().startswith("INSERT") for s in inserts)
    queued = (
        sa.select(sa.func.count()).select_from(Notification).where(Notification.event == notifications.ORDER_STATUS)
    )
    assert db_session.scalar(queued) == 20


def test_quiet_hours_hold_telegram_until_morning():
    from zoneinfo import ZoneInfo

    msk = ZoneInfo("Europe/Moscow")
    late = datetime(2026, 11, 26, 23, 30, tzinfo=msk).astimezone(UTC)
    assert outbox.in_quiet_hours(late, 22, 9) == datetime(2026, 11, 27, 9, 0, tzinfo=msk).astimezone(UTC)
    early = datetime(2026, 11, 27, 3, 0, tzinfo=msk).astimezone(UTC)
    assert outbox.in_quiet_hours(early, 22, 9) == datetime(2026, 11, 27, 9, 0, tzinfo=msk).astimezone(UTC)
    assert outbox.in_quiet_hours(datetime(2026, 11, 27, 12, 0, tzinfo=msk), 22, 9) is None
    assert outbox.in_quiet_hours(datetime(2026, 11, 27, 14, 0, tzinfo=msk), 13, 15) is not None


def test_company_invitation_arrives_with_its_link(db_session, customer, smtp_server):

    from tests.factories import make_company

    company = make_company(db_session, customer)  # approved: its owner hears of it (a message of its own)
    invite = invites.invite(db_session, company, email="colleague@example.ru", role="buyer", by=customer)
    db_session.commit()
    report = outbox.deliver_due(db_session)
    assert report.sent == 2
    [message] = [m for m in smtp_server.messages if m["To"] != customer.email]
    assert message["To"] == "colleague@example.ru"
    assert message["Subject"] == f"Приглашение в компанию «{company.short_name}»"
    text = smtp_server.mailbox.body(message)
    assert "роль: Закупщик" in text
    import re

    token = re.search(r"/companies/invite/(\S+)", text).group(1)
    assert invites.invite_by_token(db_session, token).id == invite.id  # the link opens this invitation
    assert f"/companies/invite/{token}" in smtp_server.mailbox.body(message, "html")


def test_long_cyrillic_subjects_keep_their_spaces():
    import email as email_lib

    from app.services.messaging.mail import build_message

    subject = "Заказ 2026-000123: «Готов к выдаче» — приходите в офис на Тверской улице, дом 7, строение 2"
    message = build_message(
        to="a@example.ru",
        subject=subject,
        text="Текст " * 40,
        html="<p>Текст</p>",
        sender="Печатный двор <shop@example.ru>",
    )
    raw = message.as_bytes()
    assert max(len(line) for line in raw.split(b"\n")) <= 998
    parsed = email_lib.message_from_bytes(raw, policy=email_lib.policy.default)
    assert parsed["Subject"] == subject
    assert parsed.get_body(("plain",)).get_content().strip() == ("Текст " * 40).strip()


def test_quiet_hours_hold_order_emails_until_morning_when_asked_but_never_account_emails(
    db_session, catalog, customer, smtp_server
):
    from zoneinfo import ZoneInfo

    from app.services.customers import accounts

    order = place_order(db_session, customer, catalog.cards)
    drop_order_placed_messages(db_session)
    notifications.save_preferences(
        db_session,
        customer_id=customer.id,
        channels={notifications.ORDER_STATUS: ["email"]},
        order_statuses=["confirmed", "in_production"],
        quiet_hours=True,
        quiet_from=22,
        quiet_to=9,
    )
    db_session.commit()
    night = datetime(2026, 11, 26, 23, 15, tzinfo=ZoneInfo("Europe/Moscow"))
    morning = datetime(2026, 11, 27, 9, 0, tzinfo=ZoneInfo("Europe/Moscow"))
    with time_machine.travel(night, tick=False):
        advance(db_session, order, S.confirmed)
        assert outbox.deliver_due(db_session).sent == 1  # quiet hours for Telegram only: the email goes
        notifications.save_preferences(
            db_session,
            customer_id=customer.id,
            channels={notifications.ORDER_STATUS: ["email"]},
            order_statuses=["confirmed", "in_production"],
            quiet_hours=True,
            quiet_from=22,
            quiet_to=9,
            quiet_email=True,
        )
        db_session.commit()
        advance(db_session, order, S.in_production)
        accounts.notify_registration_attempt(db_session, customer)
        subscriptions.request_subscription(db_session, customer, source=ConsentSource.profile)
        db_session.commit()
        report = outbox.deliver_due(db_session)
        assert (report.sent, report.held) == (2, 1)
    assert [m["Subject"] for m in smtp_server.messages[1:]] == [
        "Попытка регистрации с вашим адресом",
        "Подтвердите подписку на новости Печатный двор",
    ]
    held = next(r for r in rows(db_session) if r.state == DeliveryState.pending)
    assert held.event == notifications.ORDER_STATUS and held.next_attempt_at == morning.astimezone(UTC)
    with time_machine.travel(morning + timedelta(minutes=1), tick=False):
        assert outbox.deliver_due(db_session).sent == 1
    assert smtp_server.messages[-1]["Subject"] == f"Заказ {order.number}: В печати"


def test_quiet_email_needs_quiet_hours(db_session, customer):
    row = notifications.save_preferences(
        db_session, customer_id=customer.id, channels={}, order_statuses=[], quiet_hours=False, quiet_email=True
    )
    assert row.quiet_email is False
