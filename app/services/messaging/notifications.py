"""Notifications: the events customers hear about, their settings, and queuing messages in the outbox.

Messages are written to the outbox (`notification` table) in the same transaction as the event that
caused them; a job delivers them later (app/services/messaging/outbox.py). Texts are rendered at delivery from
`event` + `payload` (app/services/messaging/messages.py). Which channels a customer gets is decided here, at
queuing, from their settings; marketing consent is checked again at delivery.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from app.models import (
    Channel,
    Customer,
    DeliveryMethod,
    DeliveryState,
    Notification,
    NotificationPreferences,
    Order,
    OrderStatus,
    TelegramLink,
)
from app.models.base import utcnow
from app.services.bulk_write import insert_rows
from app.services.errors import ValidationError

ORDER_PLACED = "order_placed"  # «Заказ принят»: the lines, sums, delivery and the promised date
ORDER_STATUS = "order_status"  # an order moved to another status
ORDER_READY = "order_ready"  # ready for pickup, or handed to delivery
ORDER_LINE_REFUNDED = "order_line_refunded"  # staff refunded one line of a paid order
TICKET_REPLY = "ticket_reply"  # staff answered a support ticket
POINTS_CREDITED = "points_credited"  # bonus points credited
POINTS_EXPIRING = "points_expiring"  # bonus points about to expire
NEWSLETTER = "newsletter"  # news and promotions (marketing; queued by the CMS)
TELEGRAM_LINKED = "telegram_linked"  # the bot confirms a linked chat (always sent)
TELEGRAM_REPLY = "telegram_reply"  # the bot answers a chat that is not (or no longer) linked
REVIEW_INVITE = "review_invite"  # some days after an order is realised: how was it? (one per order)
REVIEW_DECISION = "review_decision"  # a moderator published or rejected the customer's review

# Statuses a customer hears about (a new order is confirmed by the checkout page itself).
NOTIFY_STATUSES = frozenset(
    {
        OrderStatus.confirmed,
        OrderStatus.in_production,
        OrderStatus.ready,
        OrderStatus.shipped,
        OrderStatus.handed_over,
        OrderStatus.completed,
        OrderStatus.cancelled,
        OrderStatus.refunded,
    }
)

EMAIL_AND_TELEGRAM = frozenset({Channel.email, Channel.telegram})


@dataclass(frozen=True)
class EventInfo:
    """An event customers can be told about: its label in the settings, default channels, kind."""

    name: str
    label: str
    default_channels: frozenset[Channel] = EMAIL_AND_TELEGRAM
    configurable: bool = True  # offered in the profile's notification settings
    marketing: bool = False  # needs marketing consent; carries the one-click unsubscribe link


EVENTS: dict[str, EventInfo] = {}
# Events that need the newsletter consent at delivery (unsubscribed meanwhile: the message is cancelled).
MARKETING_EVENTS: set[str] = set()


def register_event(
    name: str,
    label: str,
    *,
    default_channels: Iterable[Channel] = EMAIL_AND_TELEGRAM,
    configurable: bool = True,
    marketing: bool = False,
) -> EventInfo:
    info = EventInfo(name, label, frozenset(default_channels), configurable, marketing)
    EVENTS[name] = info
    if marketing:
        MARKETING_EVENTS.add(name)
    return info


register_event(ORDER_PLACED, "Заказ принят")
register_event(ORDER_STATUS, "Изменение статуса заказа")
register_event(ORDER_READY, "Заказ готов к выдаче или отправлен")
register_event(ORDER_LINE_REFUNDED, "Возврат позиции заказа", default_channels={Channel.email})
register_event(TICKET_REPLY, "Ответ службы поддержки")
# Offered in the settings because the loyalty programme sends them (app/services/loyalty/maturity.py); an event
# no feature sends is registered with configurable=False until it does.
register_event(POINTS_CREDITED, "Начисление бонусных баллов", default_channels={Channel.telegram})
register_event(POINTS_EXPIRING, "Скорое сгорание бонусных баллов")
register_event(NEWSLETTER, "Новости и акции", default_channels={Channel.email}, configurable=False, marketing=True)
register_event(TELEGRAM_LINKED, "Telegram подключён", default_channels={Channel.telegram}, configurable=False)
register_event(TELEGRAM_REPLY, "Ответ бота", default_channels={Channel.telegram}, configurable=False)
register_event(REVIEW_INVITE, "Приглашение оставить отзыв о заказе", default_channels={Channel.email})
register_event(REVIEW_DECISION, "Отзыв опубликован или отклонён")


def held_by_quiet_hours(event: str, channel: Channel, prefs: Preferences) -> bool:
    """Whether quiet hours hold this message: Telegram when the customer set quiet hours; email too when they
    asked for it — but only the notifications they can choose in the profile (orders, support, points …), never
    account emails (registration, password, subscription confirmation)."""
    if not prefs.quiet_hours:
        return False
    if channel == Channel.telegram:
        return True
    info = EVENTS.get(event)
    return prefs.quiet_email and info is not None and (info.configurable or info.marketing)


def configurable_events() -> list[EventInfo]:
    return [info for info in EVENTS.values() if info.configurable]


@dataclass(frozen=True)
class Preferences:
    """A customer's settings with the defaults filled in, and the linked Telegram chat (if any)."""

    customer_id: int
    channels: dict[str, frozenset[Channel]] = field(default_factory=dict)
    order_statuses: frozenset[OrderStatus] = NOTIFY_STATUSES
    quiet_hours: bool = False
    quiet_email: bool = False
    quiet_from: int = 22
    quiet_to: int = 9
    telegram_chat_id: int | None = None
    email: str = ""

    def wants(self, event: str, channel: Channel) -> bool:
        info = EVENTS.get(event)
        chosen = self.channels.get(event, info.default_channels if info else frozenset({Channel.email}))
        if channel not in chosen:
            return False
        return channel != Channel.telegram or self.telegram_chat_id is not None

    def channels_for(self, event: str) -> list[Channel]:
        return [channel for channel in Channel if self.wants(event, channel)]


def _resolve(customer_id: int, row: NotificationPreferences | None, chat_id: int | None, email: str) -> Preferences:
    stored = row.channels if row is not None else {}
    channels = {}
    for name, info in EVENTS.items():
        if info.configurable and isinstance(stored.get(name), list):
            channels[name] = frozenset(Channel(c) for c in stored[name] if c in Channel._value2member_map_)
        else:
            channels[name] = info.default_channels
    statuses = NOTIFY_STATUSES
    if row is not None and row.order_statuses is not None:
        statuses = frozenset(OrderStatus(s) for s in row.order_statuses if s in OrderStatus._value2member_map_)
    return Preferences(
        customer_id=customer_id,
        channels=channels,
        order_statuses=statuses,
        quiet_hours=row.quiet_hours if row is not None else False,
        quiet_email=row.quiet_email if row is not None else False,
        quiet_from=row.quiet_from if row is not None else 22,
        quiet_to=row.quiet_to if row is not None else 9,
        telegram_chat_id=chat_id,
        email=email,
    )


def preferences_for(session: Session, customer_ids: Iterable[int]) -> dict[int, Preferences]:
    """The settings of many customers with ONE query (for bulk status changes of thousands of orders)."""
    ids = sorted({cid for cid in customer_ids if cid is not None})
    if not ids:
        return {}
    rows = session.execute(
        sa.select(Customer.id, Customer.email, NotificationPreferences, TelegramLink.chat_id)
        .outerjoin(NotificationPreferences, NotificationPreferences.customer_id == Customer.id)
        .outerjoin(TelegramLink, TelegramLink.customer_id == Customer.id)
        .where(Customer.id.in_(ids))
    ).all()
    return {cid: _resolve(cid, prefs, chat_id, email) for cid, email, prefs, chat_id in rows}


def preferences(session: Session, customer_id: int) -> Preferences:
    return preferences_for(session, [customer_id]).get(customer_id) or Preferences(customer_id=customer_id)


def save_preferences(
    session: Session,
    *,
    customer_id: int,
    channels: dict[str, Iterable[str]],
    order_statuses: Iterable[str],
    quiet_hours: bool = False,
    quiet_from: int | str = 22,
    quiet_to: int | str = 9,
    quiet_email: bool = False,
) -> NotificationPreferences:
    """Store the customer's choices; ValidationError (nothing changed) for anything unknown."""
    clean: dict[str, list[str]] = {}
    for info in configurable_events():
        values = set(channels.get(info.name, ()))
        unknown = values - set(Channel._value2member_map_)
        if unknown:
            raise ValidationError("Неизвестный канал уведомлений.", field="channels")
        clean[info.name] = [c.value for c in Channel if c.value in values]
    statuses = set(order_statuses)
    if statuses - {s.value for s in NOTIFY_STATUSES}:
        raise ValidationError("Неизвестный статус заказа.", field="order_statuses")
    try:
        start, end = int(quiet_from), int(quiet_to)
    except (TypeError, ValueError):
        raise ValidationError("Тихие часы: укажите час от 0 до 23.", field="quiet_hours") from None
    if not (0 <= start <= 23 and 0 <= end <= 23):
        raise ValidationError("Тихие часы: укажите час от 0 до 23.", field="quiet_hours")
    if quiet_hours and start == end:
        raise ValidationError("Тихие часы: начало и конец не должны совпадать.", field="quiet_hours")
    row = session.get(NotificationPreferences, customer_id)
    if row is None:
        row = NotificationPreferences(customer_id=customer_id)
        session.add(row)
    row.channels = clean
    row.order_statuses = [s.value for s in OrderStatus if s.value in statuses]
    row.quiet_hours = bool(quiet_hours)
    row.quiet_email = bool(quiet_hours) and bool(quiet_email)
    row.quiet_from, row.quiet_to = start, end
    session.flush()
    return row


@dataclass(frozen=True)
class StatusChange:
    """One order's status change, with what the message needs (no lazy loads in bulk paths)."""

    order_id: int
    order_number: str
    customer_id: int
    email: str
    delivery_method: DeliveryMethod
    old: OrderStatus
    new: OrderStatus


def status_change(order, old: OrderStatus) -> StatusChange:  # noqa: ANN001 - an Order
    return StatusChange(
        order_id=order.id,
        order_number=order.number,
        customer_id=order.customer_id,
        email=order.contact_email,
        delivery_method=order.delivery_method,
        old=old,
        new=order.status,
    )


def event_for(change: StatusChange) -> str:
    if change.new == OrderStatus.shipped or (
        change.new == OrderStatus.ready and change.delivery_method == DeliveryMethod.pickup
    ):
        return ORDER_READY
    return ORDER_STATUS


def order_status_changed(session: Session, changes: Sequence[StatusChange]) -> int:
    """Queue the messages for these status changes, by each customer's settings.

    Set-based for mass changes: one query reads the settings of every customer of the batch; the messages
    are written by the database from the orders themselves, one INSERT … SELECT per channel, event and
    move (no Python per message). Email goes to the order's contact address.
    """
    relevant = [change for change in changes if change.new in NOTIFY_STATUSES]
    prefs = preferences_for(session, (change.customer_id for change in relevant))
    groups: dict[tuple[Channel, str, OrderStatus, OrderStatus], list[int]] = defaultdict(list)
    for change in relevant:
        event = event_for(change)
        settings = prefs.get(change.customer_id) or Preferences(customer_id=change.customer_id)
        if event == ORDER_STATUS and change.new not in settings.order_statuses:
            continue
        for channel in settings.channels_for(event):
            groups[(channel, event, change.old, change.new)].append(change.order_id)
    moment = utcnow()
    queued = 0
    for (channel, event, old, new), order_ids in groups.items():
        unique = list(dict.fromkeys(order_ids))  # one message per order, as the rows come from the orders
        _queue_from_orders(session, unique, channel=channel, event=event, old=old, new=new, moment=moment)
        queued += len(unique)
    return queued


STATUS_MESSAGE_COLUMNS = (
    "customer_id",
    "order_id",
    "channel",
    "event",
    "recipient",
    "payload",
    "created_at",
    "next_attempt_at",
    "subject",
    "body_text",
    "last_error",
    "attempts",
    "state",
)


def _queue_from_orders(
    session: Session,
    order_ids: Sequence[int],
    *,
    channel: Channel,
    event: str,
    old: OrderStatus,
    new: OrderStatus,
    moment: datetime,
) -> None:
    table = Notification.__table__
    postgres = session.get_bind().dialect.name == "postgresql"

    def constant(value: object, name: str) -> sa.ColumnElement:
        """Typed on PostgreSQL; SQLite's CAST would turn a datetime's text into a number."""
        literal = sa.literal(value, table.c[name].type)
        return sa.cast(literal, table.c[name].type) if postgres else literal

    build = sa.func.jsonb_build_object if postgres else sa.func.json_object
    payload = build(
        "number", Order.number, "old", sa.literal(old.value, sa.String), "new", sa.literal(new.value, sa.String)
    )
    recipient = Order.contact_email if channel == Channel.email else constant("", "recipient")
    size = len(order_ids) if postgres else 500
    for start in range(0, len(order_ids), size):
        chunk = list(order_ids[start : start + size])
        ids = (
            Order.id == sa.any_(sa.bindparam("ids", chunk, type_=postgresql.ARRAY(sa.Integer)))
            if postgres
            else Order.id.in_(chunk)
        )
        select = sa.select(
            Order.customer_id,
            Order.id,
            constant(channel, "channel"),
            constant(event, "event"),
            recipient,
            sa.type_coerce(payload, table.c.payload.type),
            constant(moment, "created_at"),
            constant(moment, "next_attempt_at"),
            constant("", "subject"),
            constant("", "body_text"),
            constant("", "last_error"),
            constant(0, "attempts"),
            constant(DeliveryState.pending, "state"),
        ).where(ids)
        session.execute(sa.insert(Notification).from_select(list(STATUS_MESSAGE_COLUMNS), select))


def order_placed(session: Session, order) -> int:  # noqa: ANN001 - an Order, just placed
    """Queue «Заказ принят» by the customer's settings (email to the order's contact address), with what the
    message shows, written down now: the lines, sums, delivery and the promised ready date."""
    from app.services.money import format_money
    from app.services.shoptime import format_date_long

    settings = preferences(session, order.customer_id)
    promised = order.promised_date
    delivery_price = sum((line.gross_amount for line in order.lines if line.kind.value == "delivery"), Decimal(0))
    payload = {
        "number": order.number,
        "lines": [
            {"name": line.product_name, "quantity": line.quantity, "amount": format_money(line.gross_amount)}
            for line in order.lines
            if line.kind.value == "product"
        ],
        "discount": format_money(order.discount_total + order.points_paid)
        if order.discount_total or order.points_paid
        else "",
        "delivery": order.delivery_method.label,
        "delivery_price": format_money(delivery_price) if delivery_price else "бесплатно",
        "address": order.delivery_address,
        "payment": order.payment_method.label,
        "payment_method": order.payment_method.value,
        "total": format_money(order.total),
        "ready": promised.isoformat() if promised else "",
        "ready_label": format_date_long(promised) if promised else "",
    }
    rows = [
        {
            "customer_id": order.customer_id,
            "order_id": order.id,
            "channel": channel,
            "event": ORDER_PLACED,
            "recipient": order.contact_email if channel == Channel.email else "",
            "payload": payload,
            "dedupe_key": f"{ORDER_PLACED}:{order.id}" + (":tg" if channel == Channel.telegram else ""),
        }
        for channel in settings.channels_for(ORDER_PLACED)
    ]
    return queue_many(session, rows)


def withdraw_status_messages(
    session: Session, order_ids: Sequence[int], status: OrderStatus, *, since: datetime
) -> tuple[set[int], int]:
    """Take back the messages about orders moving to `status` that have not gone out yet.

    Used when a status change is undone soon after: a customer who has not been told yet is not told
    twice («готов», then «передумали»). Returns the orders whose customer did hear of the change
    (a message sent or being sent), who should hear of the revert, and how many messages were withdrawn.
    """
    heard: set[int] = set()
    withdrawn = 0
    events = (ORDER_STATUS, ORDER_READY)
    for start in range(0, len(order_ids), 500):
        chunk = list(order_ids[start : start + 500])
        messages = session.execute(
            sa.select(Notification.id, Notification.order_id, Notification.state, Notification.payload).where(
                Notification.order_id.in_(chunk),
                Notification.event.in_(events),
                Notification.created_at >= since,
            )
        ).all()
        pending = []
        for message_id, order_id, state, payload in messages:
            if (payload or {}).get("new") != status.value:
                continue
            if state == DeliveryState.pending:
                pending.append(message_id)
            elif state in (DeliveryState.sent, DeliveryState.sending):
                heard.add(order_id)
        if pending:
            withdrawn += session.execute(  # type: ignore[attr-defined]
                sa.update(Notification)
                .where(Notification.id.in_(pending), Notification.state == DeliveryState.pending)
                .values(state=DeliveryState.cancelled, last_error="Изменение статуса отменено до отправки")
                .execution_options(synchronize_session=False)
            ).rowcount
    return heard, withdrawn


def notify(
    session: Session,
    *,
    customer_id: int,
    event: str,
    payload: dict | None = None,
    order_id: int | None = None,
    dedupe_key: str | None = None,
) -> int:
    """Queue an event for one customer on the channels they chose (tickets, bonus points, ...)."""
    return notify_many(
        session,
        event,
        [{"customer_id": customer_id, "payload": payload or {}, "order_id": order_id, "dedupe_key": dedupe_key}],
    )


def notify_many(session: Session, event: str, items: Sequence[dict]) -> int:
    """Queue an event for many customers by their settings: one settings query, one INSERT.

    Each item: customer_id, payload, and optionally order_id, dedupe_key (suffixed by the channel
    for Telegram, so one key covers both channels). Email goes to the customer's account address.
    """
    if event not in EVENTS:
        raise ValueError(f"unknown notification event {event!r}; register it with register_event()")
    prefs = preferences_for(session, (item["customer_id"] for item in items))
    rows = []
    for item in items:
        settings = prefs.get(item["customer_id"])
        if settings is None:
            continue
        for channel in settings.channels_for(event):
            key = item.get("dedupe_key")
            rows.append(
                {
                    "customer_id": item["customer_id"],
                    "order_id": item.get("order_id"),
                    "channel": channel,
                    "event": event,
                    "recipient": settings.email if channel == Channel.email else "",
                    "payload": item.get("payload") or {},
                    "dedupe_key": f"{key}:tg" if key and channel == Channel.telegram else key,
                }
            )
    return queue_many(session, rows)


def queue(
    session: Session,
    *,
    channel: Channel,
    event: str,
    recipient: str = "",
    payload: dict | None = None,
    customer_id: int | None = None,
    order_id: int | None = None,
    dedupe_key: str | None = None,
) -> Notification:
    """Queue one message in the outbox (in the caller's transaction)."""
    message = Notification(
        channel=channel,
        event=event,
        recipient=recipient,
        payload=payload or {},
        customer_id=customer_id,
        order_id=order_id,
        dedupe_key=dedupe_key,
    )
    session.add(message)
    session.flush()
    return message


def queue_many(session: Session, rows: Iterable[dict]) -> int:
    """Queue many messages with one executemany INSERT; each row holds Notification column values.

    A row whose dedupe_key is already queued is skipped (a newsletter queued twice reaches nobody twice).
    """
    moment = utcnow()
    batch = [
        {
            "payload": {},
            "recipient": "",
            "created_at": moment,
            "next_attempt_at": moment,
            "order_id": None,
            "customer_id": None,
            "dedupe_key": None,
            "subject": "",
            "body_text": "",
            "last_error": "",
            "attempts": 0,
            "state": DeliveryState.pending,
        }
        | row
        for row in rows
    ]
    if batch:
        if all(row["dedupe_key"] is None for row in batch):
            insert_rows(session, Notification.__table__, batch)  # nothing to skip: COPY on PostgreSQL
            return len(batch)
        dialect = session.get_bind().dialect.name
        insert = (postgresql.insert if dialect == "postgresql" else sqlite.insert)(Notification)
        session.execute(insert.on_conflict_do_nothing(index_elements=["dedupe_key"]), batch)
    return len(batch)
