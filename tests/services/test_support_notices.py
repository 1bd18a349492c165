"""Ticket messages through the outbox: email with the reply's text (real SMTP on loopback), Telegram with a short
notice and a link (a local server speaking the Bot API), the customer's channel choices — and internal notes
never reach an email or a Telegram message."""

import json

import pytest
import sqlalchemy as sa

from app.models import Channel, DeliveryState, Notification
from app.services.messaging import notifications, outbox, telegram
from app.services.support import notices, tickets
from tests.support_helpers import open_ticket, pdf_upload, staff_actor
from tests.support_helpers import outbox as outbox_rows

TOKEN = "123456:TEST-token"
SEND = f"/bot{TOKEN}/sendMessage"
CHAT = 555000111
NOTE = "СЕКРЕТ: клиент должен нам 500 ₽, не говорить"


@pytest.fixture
def bot(app, httpserver, monkeypatch):
    for key, value in {
        "TELEGRAM_API_BASE": httpserver.url_for("/").rstrip("/"),
        "TELEGRAM_BOT_TOKEN": TOKEN,
        "TELEGRAM_BOT_USERNAME": "pechatny_dvor_bot",
    }.items():
        monkeypatch.setitem(app.config, key, value)
    httpserver.expect_request(SEND, method="POST").respond_with_json({"ok": True, "result": {"message_id": 1}})
    return httpserver


def link_telegram(db_session, customer) -> None:  # noqa: ANN001
    invite = telegram.create_link_token(db_session, customer_id=customer.id)
    telegram.link_chat(db_session, token=invite.token, chat_id=CHAT, username="buyer")
    db_session.execute(sa.delete(Notification))  # the "linked" greeting is tested elsewhere
    db_session.commit()


def telegram_texts(httpserver) -> list[str]:
    return [json.loads(req.data)["text"] for req, _ in httpserver.log if req.path == SEND]


def test_ticket_events_are_offered_in_the_profile_settings():
    offered = {info.name: info for info in notifications.configurable_events()}
    assert offered[notices.TICKET_REPLY].label == "Ответ службы поддержки"
    assert offered[notices.TICKET_STATUS].default_channels == {Channel.email, Channel.telegram}
    assert notices.TICKET_SLA_ALERT not in offered  # staff alerts are not a customer's choice


def test_a_reply_arrives_by_email_with_its_text_and_by_telegram_as_a_short_link(
    app, db_session, customer, smtp_server, bot
):
    link_telegram(db_session, customer)
    ticket = open_ticket(db_session, customer, subject="Срок по заказу")
    actor = staff_actor(app, db_session)
    tickets.add_note(db_session, ticket, actor=actor, body=NOTE)
    tickets.staff_reply(
        db_session, ticket, actor=actor, body="Заказ будет готов в пятницу.\nЖдём вас!", uploads=[pdf_upload()]
    )
    db_session.commit()
    report = outbox.deliver_due(db_session)
    assert report.sent == 2
    [email] = smtp_server.messages
    assert email["To"] == customer.email
    assert email["Subject"] == f"Ответ поддержки по обращению № {ticket.id}: Срок по заказу"
    text = smtp_server.mailbox.body(email).replace("\r\n", "\n")
    html = smtp_server.mailbox.body(email, "html")
    assert "Заказ будет готов в пятницу.\nЖдём вас!" in text and "Вложения (1)" in text
    assert f"/support/{ticket.id}" in text and "Заказ будет готов в пятницу." in html
    [short] = telegram_texts(bot)
    assert short.startswith(f"Служба поддержки ответила на обращение № {ticket.id}")
    assert f"http://127.0.0.1:5000/support/{ticket.id}" in short and "пятницу" not in short
    for body in (text, html, short, *(r.body_text for r in outbox_rows(db_session))):
        assert "СЕКРЕТ" not in body and "500 ₽" not in body


def test_internal_notes_never_queue_a_message(app, db_session, customer):
    ticket = open_ticket(db_session, customer)
    note = tickets.add_note(db_session, ticket, actor=staff_actor(app, db_session), body=NOTE)
    db_session.commit()
    assert outbox_rows(db_session) == []
    with pytest.raises(ValueError, match="never sent"):
        notices.reply_sent(db_session, note)


def test_a_queued_message_pointing_at_a_note_is_never_delivered(app, db_session, customer, smtp_server):
    ticket = open_ticket(db_session, customer)
    note = tickets.add_note(db_session, ticket, actor=staff_actor(app, db_session), body=NOTE)
    forged = notifications.queue(
        db_session,
        channel=Channel.email,
        event=notices.TICKET_REPLY,
        recipient=customer.email,
        customer_id=customer.id,
        payload={"ticket_id": ticket.id, "message_id": note.id},
    )
    db_session.commit()
    assert outbox.deliver_due(db_session).failed == 1
    assert smtp_server.messages == []
    db_session.refresh(forged)
    assert forged.state == DeliveryState.failed and "не предназначен покупателю" in forged.last_error
    assert "СЕКРЕТ" not in forged.body_text


def test_a_reply_of_another_customers_ticket_is_never_rendered_for_this_one(
    app, db_session, customer, other_customer, smtp_server
):
    theirs = open_ticket(db_session, other_customer)
    reply = tickets.staff_reply(db_session, theirs, actor=staff_actor(app, db_session), body="Чужой ответ")
    notifications.queue(
        db_session,
        channel=Channel.email,
        event=notices.TICKET_REPLY,
        recipient=customer.email,
        customer_id=customer.id,
        payload={"ticket_id": theirs.id, "message_id": reply.id},
    )
    db_session.commit()
    outbox.deliver_due(db_session)
    assert [m["To"] for m in smtp_server.messages] == [other_customer.email]


def test_the_customers_channel_choice_is_respected(app, db_session, customer, smtp_server):
    notifications.save_preferences(
        db_session,
        customer_id=customer.id,
        channels={notices.TICKET_REPLY: [], notices.TICKET_STATUS: ["email"]},
        order_statuses=[],
    )
    ticket = open_ticket(db_session, customer)
    actor = staff_actor(app, db_session)
    tickets.staff_reply(db_session, ticket, actor=actor, body="Ответ без уведомления", then="in_progress")
    tickets.change_state(db_session, ticket, "resolved", actor=actor)
    db_session.commit()
    assert [r.event for r in outbox_rows(db_session)] == [notices.TICKET_STATUS]
    outbox.deliver_due(db_session)
    [message] = smtp_server.messages
    assert "решённым" in smtp_server.mailbox.body(message)
