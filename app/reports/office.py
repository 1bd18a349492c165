"""Figures for the back office's start page."""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.orm import Session

from app.models import Order, OrderStatus, PaymentStatus
from app.services.orders.lifecycle import OPEN_STATUSES


def order_summary(session: Session) -> dict:
    """Open orders by status, and how many of them are unpaid."""
    rows = session.execute(
        sa.select(Order.status, sa.func.count()).where(Order.status.in_(OPEN_STATUSES)).group_by(Order.status)
    ).all()
    by_status = {status: count for status, count in rows}
    unpaid = session.scalar(
        sa.select(sa.func.count())
        .select_from(Order)
        .where(Order.status.in_(OPEN_STATUSES), Order.payment_status == PaymentStatus.unpaid)
    )
    return {
        "by_status": [(s, by_status.get(s, 0)) for s in OrderStatus if s in OPEN_STATUSES],
        "unpaid": unpaid or 0,
    }
