"""The programme's figures for a period (shop calendar days, both inclusive): link openings by new visitors,
sign-ups, first orders, revenue from referred customers' paid orders, rewards granted, refusals by reason."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal

import sqlalchemy as sa
from sqlalchemy.orm import Session

from app.models import Order, OrderStatus, PaymentStatus, Referral, ReferralState, ReferralVisit
from app.services.errors import ValidationError
from app.services.shoptime import from_shop_local

R = ReferralState


@dataclass
class Figures:
    start: date
    end: date
    visits: int = 0
    registered: int = 0
    first_orders: int = 0
    revenue: Decimal = Decimal("0")
    rewarded: int = 0
    rewards_points: int = 0
    held: int = 0
    reversed: int = 0
    rejected: dict[str, int] = field(default_factory=dict)


def bounds(start: date, end: date) -> tuple[datetime, datetime]:
    if end < start:
        raise ValidationError("Конец периода раньше начала.", field="end")
    if (end - start).days > 3660:
        raise ValidationError("Период не длиннее 10 лет.", field="end")
    return (
        from_shop_local(datetime.combine(start, datetime.min.time())),
        from_shop_local(datetime.combine(end + timedelta(days=1), datetime.min.time())),
    )


def figures(session: Session, start: date, end: date) -> Figures:
    low, high = bounds(start, end)
    found = Figures(start, end)
    found.visits = int(
        session.scalar(
            sa.select(sa.func.coalesce(sa.func.sum(ReferralVisit.visits), 0)).where(
                ReferralVisit.day.between(start, end)
            )
        )
        or 0
    )
    in_period = Referral.created_at.between(low, high)
    found.registered = session.scalar(sa.select(sa.func.count()).where(in_period)) or 0
    found.first_orders = (
        session.scalar(sa.select(sa.func.count()).where(Referral.first_order_at.between(low, high))) or 0
    )
    friends = sa.select(Referral.friend_id).where(Referral.state != R.rejected)
    found.revenue = Decimal(
        session.scalar(
            sa.select(sa.func.coalesce(sa.func.sum(Order.total), 0)).where(
                Order.customer_id.in_(friends),
                Order.payment_status == PaymentStatus.paid,
                Order.status.not_in([OrderStatus.cancelled, OrderStatus.refunded]),
                Order.paid_at.between(low, high),
            )
        )
        or 0
    ).quantize(Decimal("0.01"))
    granted = session.execute(
        sa.select(
            sa.func.count(), sa.func.coalesce(sa.func.sum(Referral.reward_points + Referral.welcome_points), 0)
        ).where(Referral.state.in_([R.pending, R.rewarded]), Referral.decided_at.between(low, high))
    ).one()
    found.rewarded, found.rewards_points = int(granted[0]), int(granted[1])
    decided = Referral.decided_at.between(low, high)
    found.held = session.scalar(sa.select(sa.func.count()).where(Referral.state == R.held)) or 0
    found.reversed = session.scalar(sa.select(sa.func.count()).where(Referral.state == R.reversed, decided)) or 0
    reasons: Counter[str] = Counter()
    for reason, count in session.execute(
        sa.select(Referral.reason, sa.func.count())
        .where(Referral.state == R.rejected, decided)
        .group_by(Referral.reason)
    ):
        reasons[reason] += count
    found.rejected = dict(reasons.most_common())
    return found
