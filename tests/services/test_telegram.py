"""Telegram against a local HTTP server speaking the Bot API: linking, sending, 429, 403, 5xx, polling, webhook."""

import json
from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa
import time_machine
from werkzeug import Response

from app.models import Channel, DeliveryState, Notification, TelegramLink, TelegramUpdateOffset
from app.services.errors import ValidationError
from app.services.messaging import notifications, outbox, telegram

TOKEN = "123456:TEST-token"
SEND = f"/bot{TOKEN}/sendMessage"
UPDATES = f"/bot{TOKEN}/getUpdates"
CHAT = 987654321


@pytest.fixture
def bot(app, httpserver, monkeypatch):
    """The real client, pointed at the local server by configuration."""
    for key, value in {
        "TELEGRAM_API_BASE": httpserver.url_for("/").rstrip("/"),
        "TELEGRAM_BOT_TOKEN": TOKEN,
        "TELEGRAM_BOT_USERNAME": "pechatny_dvor_bot",
        "TELEGRAM_MODE": "polling",
        "TELEGRAM_WEBHOOK_SECRET": "s3cret-path",
    }.items():
        monkeypatch.setitem(app.config, key, value)
    return httpserver


def ok(result=True) -> dict:  # noqa: ANN001
    return {"ok": True, "result": result}


def sent_texts(httpserver) -> list[tuple[int, str]]:
    return [
        (json.loads(req.data)["chat_id"], json.loads(req.data)["text"]) for req, _ in httpserver.log if req.path == SEND
    ]


def start_update(update_id: int, text: str, chat_id: int = CHAT) -> dict:
    return {
        "update_id": update_id,
        "message": {
            "message_id": update_id,
            "from": {"id": chat_id, "username": "ivan_petrov"},
            "chat": {"id": chat_id, "type": "private"},
            "text": text,
        },
    }


def linked(db_session, customer) -> TelegramLink:  # noqa: ANN001
    invite = telegram.create_link_token(db_session, customer_id=customer.id)
    telegram.link_chat(db_session, token=invite.token, chat_id=CHAT, username="ivan")
    db_session.query(Notification).delete()  # the "linked" greeting is tested elsewhere
    db_session.commit()
    return telegram.link_of(db_session, customer.id)


def queue_status(db_session, customer) -> Notification:  # noqa: ANN001
    message = notifications.queue(
        db_session,
        channel=Channel.telegram,
        event=notifications.ORDER_STATUS,
        customer_id=customer.id,
        payload={"number": "2026-000042", "old": "new", "new": "confirmed"},
    )
    db_session.commit()
    return message


def test_linking_by_polling_start_token(bot, db_session, customer):
    invite = telegram.create_link_token(db_session, customer_id=customer.id)
    db_session.commit()
    assert invite.url == f"https://t.me/pechatny_dvor_bot?start={invite.token}"
    bot.expect_ordered_request(UPDATES, method="POST").respond_with_json(
        ok([start_update(500, f"/start {invite.token}")])
    )
    bot.expect_ordered_request(UPDATES, method="POST").respond_with_json(ok([]))
    bot.expect_request(SEND, method="POST").respond_with_json(ok({"message_id": 1}))
    assert telegram.poll_updates(db_session) == 1
    db_session.commit()
    link = telegram.link_of(db_session, customer.id)
    assert (link.chat_id, link.username) == (CHAT, "ivan_petrov")
    assert db_session.get(TelegramUpdateOffset, 1).last_update_id == 500
    assert telegram.poll_updates(db_session) == 0
    second = [json.loads(req.data) for req, _ in bot.log if req.path == UPDATES][1]
    assert second["offset"] == 501  # the stored offset: no update is handled twice
    assert outbox.deliver_due(db_session).sent == 1
    [(chat, text)] = sent_texts(bot)
    assert chat == CHAT and text.startswith("Готово! Уведомления «Печатный двор»")


def test_tokens_are_single_use_and_expire(bot, db_session, customer, other_customer):
    invite = telegram.create_link_token(db_session, customer_id=customer.id)
    telegram.link_chat(db_session, token=invite.token, chat_id=CHAT)
    with pytest.raises(ValidationError, match="уже использована"):
        telegram.link_chat(db_session, token=invite.token, chat_id=111)
    late = telegram.create_link_token(db_session, customer_id=other_customer.id)
    db_session.commit()
    with time_machine.travel(datetime.now(UTC) + timedelta(minutes=31)), pytest.raises(ValidationError, match="истёк"):
        telegram.link_chat(db_session, token=late.token, chat_id=222)
    db_session.rollback()
    assert telegram.link_of(db_session, other_customer.id) is None
    # A new token replaces the old one; the old one stops working.
    first = telegram.create_link_token(db_session, customer_id=other_customer.id)
    telegram.create_link_token(db_session, customer_id=other_customer.id)
    with pytest.raises(ValidationError):
        telegram.link_chat(db_session, token=first.token, chat_id=333)


def test_webhook_needs_the_secret_and_links_the_chat(bot, app, client, db_session, customer, monkeypatch):
    monkeypatch.setitem(app.config, "TELEGRAM_MODE", "webhook")
    monkeypatch.setitem(app.config, "WTF_CSRF_ENABLED", True)  # exempt from CSRF: the secret authenticates
    invite = telegram.create_link_token(db_session, customer_id=customer.id)
    db_session.commit()
    update = start_update(1, f"/start {invite.token}")
    assert client.post("/telegram/webhook/wrong", json=update).status_code == 403
    assert client.post("/telegram/webhook", json=update).status_code == 403
    headers = {"X-Telegram-Bot-Api-Secret-Token": "wrong"}
    assert client.post("/telegram/webhook/s3cret-path", json=update, headers=headers).status_code == 403
    db_session.expire_all()
    assert telegram.link_of(db_session, customer.id) is None  # refused requests change nothing
    headers = {"X-Telegram-Bot-Api-Secret-Token": "s3cret-path"}
    assert client.post("/telegram/webhook/s3cret-path", json=update, headers=headers).status_code == 200
    db_session.expire_all()
    assert telegram.link_of(db_session, customer.id).chat_id == CHAT
    # /stop from the chat unlinks it (header-only authentication works too).
    assert client.post("/telegram/webhook", json=start_update(2, "/stop"), headers=headers).status_code == 200
    db_session.expire_all()
    assert telegram.link_of(db_session, customer.id) is None


def test_webhook_is_off_in_polling_mode(bot, client):
    assert client.post("/telegram/webhook/s3cret-path", json=start_update(1, "/stop")).status_code == 404


def test_send_message_reaches_the_linked_chat(bot, db_session, customer):
    linked(db_session, customer)
    queue_status(db_session, customer)
    bot.expect_request(SEND, method="POST").respond_with_json(ok({"message_id": 10}))
    assert outbox.deliver_due(db_session).sent == 1
    [(chat, text)] = sent_texts(bot)
    assert chat == CHAT and "Статус заказа 2026-000042 изменился: «Новый» → «Принят»." in text


def test_429_waits_as_long_as_telegram_asks(bot, db_session, customer):
    linked(db_session, customer)
    message = queue_status(db_session, customer)
    bot.expect_ordered_request(SEND, method="POST").respond_with_json(
        {
            "ok": False,
            "error_code": 429,
            "description": "Too Many Requests: retry after 37",
            "parameters": {"retry_after": 37},
        },
        status=429,
    )
    bot.expect_ordered_request(SEND, method="POST").respond_with_json(ok({"message_id": 11}))
    before = datetime.now(UTC)
    assert outbox.deliver_due(db_session).retried == 1
    db_session.expire_all()
    row = db_session.get(Notification, message.id)
    assert row.state == DeliveryState.pending and "429" in row.last_error
    assert before + timedelta(seconds=36) <= row.next_attempt_at <= datetime.now(UTC) + timedelta(seconds=38)
    with time_machine.travel(datetime.now(UTC) + timedelta(seconds=20), tick=True):
        assert outbox.deliver_due(db_session).handled == 0  # too early
    with time_machine.travel(datetime.now(UTC) + timedelta(seconds=40), tick=True):
        assert outbox.deliver_due(db_session).sent == 1
    assert len(sent_texts(bot)) == 2


def test_403_blocked_fails_for_good_and_unlinks(bot, db_session, customer):
    linked(db_session, customer)
    message = queue_status(db_session, customer)
    bot.expect_request(SEND, method="POST").respond_with_json(
        {"ok": False, "error_code": 403, "description": "Forbidden: bot was blocked by the user"}, status=403
    )
    assert outbox.deliver_due(db_session).failed == 1
    db_session.expire_all()
    row = db_session.get(Notification, message.id)
    assert row.state == DeliveryState.failed and "bot was blocked" in row.last_error
    assert telegram.link_of(db_session, customer.id) is None
    with time_machine.travel(datetime.now(UTC) + timedelta(days=1), tick=True):
        assert outbox.deliver_due(db_session).handled == 0
    assert len(sent_texts(bot)) == 1


def test_500_then_success(bot, db_session, customer):
    linked(db_session, customer)
    message = queue_status(db_session, customer)
    bot.expect_ordered_request(SEND, method="POST").respond_with_response(Response("Bad Gateway", status=502))
    bot.expect_ordered_request(SEND, method="POST").respond_with_json(
        {"ok": False, "error_code": 500, "description": "Internal Server Error"}, status=500
    )
    bot.expect_ordered_request(SEND, method="POST").respond_with_json(ok({"message_id": 12}))
    assert outbox.deliver_due(db_session).retried == 1
    with time_machine.travel(datetime.now(UTC) + timedelta(minutes=2), tick=True):
        assert outbox.deliver_due(db_session).retried == 1
    with time_machine.travel(datetime.now(UTC) + timedelta(minutes=10), tick=True):
        assert outbox.deliver_due(db_session).sent == 1
    db_session.expire_all()
    row = db_session.get(Notification, message.id)
    assert row.state == DeliveryState.sent and row.attempts == 3
    assert len(sent_texts(bot)) == 3


def test_unlinked_customer_gets_no_telegram(bot, db_session, customer):
    queue_status(db_session, customer)
    assert outbox.deliver_due(db_session).cancelled == 1
    assert sent_texts(bot) == []


def test_settings_add_telegram_only_once_linked(bot, db_session, catalog, customer):
    from app.models import OrderStatus
    from tests.factories import advance, place_order

    order = place_order(db_session, customer, catalog.cards)
    advance(db_session, order, OrderStatus.confirmed)
    linked(db_session, customer)
    advance(db_session, order, OrderStatus.in_production)
    channels = db_session.scalars(sa.select(Notification.channel).order_by(Notification.id)).all()
    assert channels == [Channel.email, Channel.telegram]


def test_quiet_hours_hold_telegram_until_morning(bot, db_session, customer):
    from zoneinfo import ZoneInfo

    linked(db_session, customer)
    notifications.save_preferences(
        db_session,
        customer_id=customer.id,
        channels={notifications.ORDER_STATUS: ["telegram"]},
        order_statuses=["confirmed"],
        quiet_hours=True,
        quiet_from=22,
        quiet_to=9,
    )
    db_session.commit()
    night = datetime(2026, 11, 26, 23, 15, tzinfo=ZoneInfo("Europe/Moscow"))
    morning = datetime(2026, 11, 27, 9, 0, tzinfo=ZoneInfo("Europe/Moscow"))
    bot.expect_request(SEND, method="POST").respond_with_json(ok({"message_id": 13}))
    with time_machine.travel(night, tick=False):
        message = queue_status(db_session, customer)
        assert outbox.deliver_due(db_session).held == 1
    db_session.expire_all()
    row = db_session.get(Notification, message.id)
    assert row.next_attempt_at == morning.astimezone(UTC) and row.attempts == 0
    assert sent_texts(bot) == []
    with time_machine.travel(morning + timedelta(minutes=1), tick=False):
        assert outbox.deliver_due(db_session).sent == 1
