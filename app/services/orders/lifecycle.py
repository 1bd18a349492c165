"""The order state machine: the statuses an order may move to, their timestamps, the payment rules, and the
effects of a change."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from app.models import (
    DeliveryMethod,
    Order,
    OrderStatus,
    PaymentStatus,
)
from app.services.actors import Actor
from app.services.catalog import promo
from app.services.errors import InvalidTransition
from app.services.messaging import notifications
from app.services.orders.history import acting
from app.services.shoptime import now

S = OrderStatus

# The state machine: from each status, the statuses an order may move to.
TRANSITIONS: dict[OrderStatus, frozenset[OrderStatus]] = {
    S.new: frozenset({S.confirmed, S.cancelled}),
    S.confirmed: frozenset({S.in_production, S.cancelled}),
    S.in_production: frozenset({S.ready, S.cancelled}),
    S.ready: frozenset({S.shipped, S.handed_over, S.cancelled}),
    S.shipped: frozenset({S.completed}),
    S.handed_over: frozenset({S.completed}),
    S.completed: frozenset({S.refunded}),
    S.cancelled: frozenset({S.refunded}),
    S.refunded: frozenset(),
}

# The timestamp each status sets when an order enters it.
STATUS_TIMESTAMPS = {
    S.confirmed: "confirmed_at",
    S.ready: "ready_at",
    S.shipped: "shipped_at",
    S.handed_over: "shipped_at",
    S.completed: "completed_at",
    S.cancelled: "cancelled_at",
    S.refunded: "refunded_at",
}

OPEN_STATUSES = frozenset({S.new, S.confirmed, S.in_production, S.ready, S.shipped, S.handed_over})
# Realised (реализован): handed to the customer or to the carrier. A sale is recognised on entering
# «Выдан» / «Отправлен»; a later refund is a return, not an un-realisation.
REALISATION_STATUSES = frozenset({S.shipped, S.handed_over})
REALISED_STATUSES = frozenset({S.shipped, S.handed_over, S.completed})


def transition_refusal(
    current: OrderStatus, target: OrderStatus, *, delivery_method: DeliveryMethod, payment_status: PaymentStatus
) -> str | None:
    """Why an order in `current` cannot move to `target` (a Russian phrase), or None when it can.

    The one definition of the state machine's rules, on plain values: single changes (`transition_error`)
    and mass changes (app/services/order_batches.py) both ask it.
    """
    if target == current:
        return f"уже в статусе «{current.label}»"
    if target not in TRANSITIONS[current]:
        return f"нельзя из «{current.label}» в «{target.label}»"
    if target == S.shipped and delivery_method == DeliveryMethod.pickup:
        return f"самовывоз не отправляют — выберите «{S.handed_over.label}»"
    if target == S.handed_over and delivery_method != DeliveryMethod.pickup:
        return f"доставку не выдают в офисе — выберите «{S.shipped.label}»"
    if target == S.refunded and payment_status != PaymentStatus.paid:
        return "не оплачен — возвращать нечего"
    return None


def transition_error(order: Order, target: OrderStatus) -> str | None:
    """Why `order` cannot move to `target` (a Russian sentence), or None when it can."""
    reason = transition_refusal(
        order.status, target, delivery_method=order.delivery_method, payment_status=order.payment_status
    )
    return None if reason is None else f"Заказ {order.number}: {reason}."


def allowed_targets(order: Order) -> list[OrderStatus]:
    return [s for s in OrderStatus if s in TRANSITIONS[order.status] and transition_error(order, s) is None]


def parse_status(value: OrderStatus | str) -> OrderStatus:
    try:
        return OrderStatus(value)
    except ValueError:
        raise InvalidTransition(f"Неизвестный статус: {value}.") from None


def status_entry_values(target: OrderStatus, moment: datetime) -> dict[str, object]:
    """The order columns set when an order enters `target` (the status, its timestamp, a refund)."""
    values: dict[str, object] = {"status": target}
    if target in STATUS_TIMESTAMPS:
        values[STATUS_TIMESTAMPS[target]] = moment
    if target == S.refunded:
        values["payment_status"] = PaymentStatus.refunded
    return values


def change_status(
    session: Session,
    order: Order,
    target: OrderStatus | str,
    *,
    actor: Actor,
    comment: str = "",
    batch_id: str | None = None,
) -> Order:
    """Move the order to `target` through the state machine, recording it; InvalidTransition if not allowed."""
    target = parse_status(target)
    error = transition_error(order, target)
    if error:
        raise InvalidTransition(error)
    old = order.status
    with acting(session, actor, comment=comment, batch_id=batch_id):
        for column, value in status_entry_values(target, now()).items():
            setattr(order, column, value)
        if target == S.cancelled and order.promo_code_id is not None:
            promo.release(session, order.promo_code_id)
    notifications.order_status_changed(session, [notifications.status_change(order, old)])
    return order


def can_mark_paid(order: Order) -> bool:
    """Whether the order may be marked paid now (what `mark_paid` accepts)."""
    return order.payment_status == PaymentStatus.unpaid and order.status not in (S.cancelled, S.refunded)


def mark_paid(
    session: Session, order: Order, *, actor: Actor, paid_at: datetime | None = None, comment: str = ""
) -> Order:
    if order.payment_status == PaymentStatus.paid:
        raise InvalidTransition(f"Заказ {order.number} уже оплачен.")
    if order.payment_status == PaymentStatus.refunded or order.status in (S.cancelled, S.refunded):
        raise InvalidTransition(f"Заказ {order.number} в статусе «{order.status.label}» нельзя отметить оплаченным.")
    with acting(session, actor, comment=comment):
        order.payment_status = PaymentStatus.paid
        order.paid_at = paid_at or now()
    return order
