"""What a customer sees of their points: balances, pending points with the day each becomes available, points
expiring soon, the tier and what the next one needs, the full history — and one order's points and their state."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

import sqlalchemy as sa
from sqlalchemy.orm import Session

from app.models import EntryKind, LoyaltyEntry, Order, OrderStatus
from app.services.loyalty import ledger, maturity, rules, tiers
from app.services.loyalty.effects import order_points
from app.services.shoptime import shop_today


@dataclass(frozen=True)
class PendingItem:
    order_number: str
    points: int
    available_on: date | None  # None: when the order is completed (+ the return window)


@dataclass(frozen=True)
class Statement:
    balance: ledger.Balance
    pending: list[PendingItem]
    expiring: list[maturity.Lot]
    progress: tiers.TierProgress
    history: list[LoyaltyEntry]
    return_window_days: int
    expiry_days: int


def pending_items(session: Session, customer_id: int, window_days: int) -> list[PendingItem]:
    rows = session.execute(
        sa.select(LoyaltyEntry.order_id, sa.func.sum(LoyaltyEntry.pending))
        .where(LoyaltyEntry.customer_id == customer_id, LoyaltyEntry.order_id.is_not(None))
        .group_by(LoyaltyEntry.order_id)
        .having(sa.func.sum(LoyaltyEntry.pending) > 0)
    ).all()
    orders = {
        o.id: o for o in session.scalars(sa.select(Order).where(Order.id.in_([order_id for order_id, _ in rows])))
    }
    items = []
    for order_id, points in rows:
        order = orders[order_id or 0]
        when = (
            shop_today(order.completed_at + timedelta(days=window_days))
            if order.status == OrderStatus.completed and order.completed_at
            else None
        )
        items.append(PendingItem(order.number, int(points), when))
    return sorted(items, key=lambda i: (i.available_on is None, i.available_on or date.max, i.order_number))


def statement(session: Session, customer_id: int) -> Statement:
    settings = rules.current(session)
    return Statement(
        balance=ledger.balance(session, customer_id),
        pending=pending_items(session, customer_id, settings.return_window_days),
        expiring=maturity.expiring(session, customer_id, within_days=max(settings.warning_days, 30)),
        progress=tiers.progress(session, customer_id),
        history=ledger.entries(session, customer_id),
        return_window_days=settings.return_window_days,
        expiry_days=settings.expiry_days,
    )


@dataclass(frozen=True)
class OrderPointsView:
    spent: int  # spent and still on the order
    returned: int  # given back by a cancel/refund
    earned: int  # earned, as recorded at payment
    state: str  # «ожидают», «доступны», «отменены», «начислим после оплаты» …
    line_reversed: int = 0  # of the earned: taken back because lines were refunded


def for_order(session: Session, order: Order) -> OrderPointsView:
    state = order_points(session, [order.id])[order.id]
    returned = -sum(
        session.scalars(
            sa.select(LoyaltyEntry.available).where(
                LoyaltyEntry.order_id == order.id, LoyaltyEntry.kind == EntryKind.return_spent
            )
        )
    )
    if order.company_id is not None:
        text = "заказ компании — баллы не начисляются"
    elif not state.earned_first:
        text = "начислим после оплаты" if order.status not in (OrderStatus.cancelled, OrderStatus.refunded) else ""
    elif state.pending > 0:
        text = "ожидают окончания срока возврата"
    elif state.activated > 0:
        text = "доступны"
    else:
        text = "отменены вместе с заказом"
    return OrderPointsView(
        spent=state.spent, returned=-returned, earned=state.earned_first, state=text, line_reversed=state.line_reversed
    )
