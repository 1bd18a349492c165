"""Invitations to review: N days after an order is realised (shipped or handed over), its buyer is asked once,
through the outbox and their notification settings. One invitation per order, claimed by a unique key first."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session, selectinload

from app.models import LineKind, Order
from app.models.reviews import Review, ReviewInvitation
from app.services.orders.lifecycle import REALISED_STATUSES
from app.services.reviews import notices, settings
from app.services.shoptime import now

# Orders realised longer ago than the wait plus this are never invited: turning invitations on (or a long
# pause of the scheduler) must not mail every customer of the past years.
CATCH_UP_DAYS = 30
BATCH = 500


@dataclass
class InvitationReport:
    orders: int = 0  # invitations recorded (one per order)
    messages: int = 0  # messages queued (0 for an order whose buyer turned invitations off)

    def __str__(self) -> str:
        return f"Заказов: {self.orders}, сообщений в очереди: {self.messages}"


def due_orders(session: Session, moment: datetime, days: int, limit: int = BATCH) -> list[Order]:
    due_before = moment - timedelta(days=days)
    return list(
        session.scalars(
            sa.select(Order)
            .outerjoin(ReviewInvitation, ReviewInvitation.order_id == Order.id)
            .where(
                Order.status.in_(REALISED_STATUSES),
                Order.shipped_at <= due_before,
                Order.shipped_at > due_before - timedelta(days=CATCH_UP_DAYS),
                ReviewInvitation.order_id.is_(None),
            )
            .order_by(Order.shipped_at, Order.id)
            .limit(limit)
            .options(selectinload(Order.lines), selectinload(Order.customer))
        )
    )


def _claim(session: Session, order_id: int, moment: datetime) -> bool:
    """Record the invitation; False when another run already did (the primary key refuses a second one)."""
    dialect = session.get_bind().dialect.name
    insert = (postgresql.insert if dialect == "postgresql" else sqlite.insert)(ReviewInvitation)
    claimed = session.execute(
        insert.values(order_id=order_id, created_at=moment, messages=0)
        .on_conflict_do_nothing(index_elements=["order_id"])
        .returning(ReviewInvitation.order_id)
    ).scalar_one_or_none()
    return claimed is not None


def send_due(session: Session, *, moment: datetime | None = None) -> InvitationReport:
    """Invite the buyers of orders realised `invite_after_days` ago (the shop's setting; 0 turns it off).

    An order whose lines are all reviewed already, or whose buyer is blocked, is recorded without a message.
    """
    report = InvitationReport()
    days = settings.current(session).invite_after_days
    if days <= 0:
        return report
    moment = moment or now()
    orders = due_orders(session, moment, days)
    if not orders:
        return report
    line_ids = [line.id for order in orders for line in order.lines]
    reviewed = set(session.scalars(sa.select(Review.order_line_id).where(Review.order_line_id.in_(line_ids))))
    for order in orders:
        if not _claim(session, order.id, moment):
            continue
        report.orders += 1
        products = [
            line.product_name
            for line in order.lines
            if line.kind == LineKind.product and line.product_id is not None and line.id not in reviewed
        ]
        if not products or not order.customer.active:
            continue
        queued = notices.invite(
            session,
            customer_id=order.customer_id,
            order_id=order.id,
            payload={"number": order.number, "products": products},
        )
        if queued:
            session.execute(
                sa.update(ReviewInvitation).where(ReviewInvitation.order_id == order.id).values(messages=queued)
            )
        report.messages += queued
    session.flush()
    return report
