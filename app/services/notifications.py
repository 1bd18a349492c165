"""Notifications: what is queued in the outbox when something happens to a customer's order or account.

Messages are written to the outbox (`notification` table) in the same transaction as the event that
caused them; a job delivers them later. Texts are rendered at delivery from `event` + `payload`.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.orm import Session

from app.models import Channel, DeliveryMethod, Notification, OrderStatus
from app.models.base import utcnow

ORDER_STATUS = "order_status"  # an order moved to another status
ORDER_READY = "order_ready"  # ready for pickup, or handed to delivery

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
    """Queue the messages for these status changes (set-based: one INSERT for any number of orders)."""
    rows = [
        {
            "customer_id": change.customer_id,
            "order_id": change.order_id,
            "channel": Channel.email,
            "event": event_for(change),
            "recipient": change.email,
            "payload": {"number": change.order_number, "old": change.old.value, "new": change.new.value},
        }
        for change in changes
        if change.new in NOTIFY_STATUSES
    ]
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
    """Queue many messages with one executemany INSERT; each row holds Notification column values."""
    moment = utcnow()
    batch = [{"payload": {}, "recipient": "", "created_at": moment, "next_attempt_at": moment} | row for row in rows]
    if batch:
        session.execute(sa.insert(Notification), batch)
    return len(batch)
