"""What payments and status changes do to referrals, registered with the order state machine: a friend's first
paid order is judged (granted, held or refused); a cancel or refund of it takes the rewards back."""

from __future__ import annotations

from app.models import OrderStatus
from app.services.orders import lifecycle
from app.services.orders.lifecycle import Payment, Transition
from app.services.referrals import programme


@lifecycle.on_payment(order=30)
def judge_on_payment(payment: Payment) -> None:
    orders = [(c.order_id, c.customer_id) for c in payment.changes]
    if orders:
        programme.judge_first_orders(payment.session, orders, payment.actor)


@lifecycle.on_status_change(order=30)
def reverse_on_cancel(transition: Transition) -> None:
    if transition.undoes is not None:
        return  # an undone cancel leaves the referral as it was decided
    for status, why in ((OrderStatus.cancelled, programme.CANCELLED), (OrderStatus.refunded, programme.REFUNDED)):
        changes = transition.entering([status])
        if changes:
            programme.reverse(transition.session, [c.order_id for c in changes], transition.actor, why)
