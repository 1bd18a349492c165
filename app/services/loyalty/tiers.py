"""Tiers («накопительная скидка»): by the sum of a customer's completed personal orders over the last 12 months.

The tier is stored on the account so checkout and earning read one row; it is recomputed when an order is
completed or refunded (a status effect) and nightly (orders age out of the 12 months).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal

import sqlalchemy as sa
from sqlalchemy.orm import Session

from app.models import LoyaltyAccount, Order, OrderStatus, Tier
from app.services.loyalty import ledger, rules
from app.services.shoptime import now

TURNOVER_DAYS = 365


def turnovers(session: Session, customer_ids: Iterable[int], *, at: datetime | None = None) -> dict[int, Decimal]:
    """The sum of completed personal orders (after the promo discount, points included) over 12 months."""
    ids = list(customer_ids)
    moment = at or now()
    found: dict[int, Decimal] = dict.fromkeys(ids, Decimal("0"))
    if not ids:
        return found
    rows = session.execute(
        sa.select(Order.customer_id, sa.func.sum(Order.total + Order.points_paid))
        .where(
            Order.customer_id.in_(ids),
            Order.company_id.is_(None),
            Order.status == OrderStatus.completed,
            Order.completed_at > moment - timedelta(days=TURNOVER_DAYS),
            Order.completed_at <= moment,
        )
        .group_by(Order.customer_id)
    )
    for customer_id, total in rows:
        found[customer_id] = Decimal(total or 0).quantize(Decimal("0.01"))
    return found


def recompute(session: Session, customer_ids: Iterable[int]) -> dict[int, Tier]:
    """Store each customer's tier from their turnover; returns the tiers that changed."""
    settings = rules.current(session)
    changed: dict[int, Tier] = {}
    moment = now()
    for customer_id, turnover in turnovers(session, sorted(set(customer_ids))).items():
        ledger.ensure_account(session, customer_id)
        tier = settings.tier_for(turnover)
        old = session.scalar(sa.select(LoyaltyAccount.tier).where(LoyaltyAccount.customer_id == customer_id))
        session.execute(
            sa.update(LoyaltyAccount)
            .where(LoyaltyAccount.customer_id == customer_id)
            .values(tier=tier, tier_turnover=turnover, tier_computed_at=moment)
            .execution_options(synchronize_session=False)
        )
        if old != tier:
            changed[customer_id] = tier
    return changed


def recompute_all(session: Session) -> dict[int, Tier]:
    """The nightly pass: every customer with an account or a completed order."""
    ids = set(session.scalars(sa.select(LoyaltyAccount.customer_id)))
    ids |= set(
        session.scalars(
            sa.select(Order.customer_id)
            .where(Order.status == OrderStatus.completed, Order.company_id.is_(None))
            .distinct()
        )
    )
    return recompute(session, ids)


def tier_of(session: Session, customer_id: int) -> Tier:
    tier = session.scalar(sa.select(LoyaltyAccount.tier).where(LoyaltyAccount.customer_id == customer_id))
    return tier or Tier.start


@dataclass(frozen=True)
class TierProgress:
    tier: Tier
    turnover: Decimal
    rate: Decimal
    cap: Decimal
    next_tier: Tier | None
    next_needs: Decimal  # ₽ of completed orders still needed for the next tier


def progress(session: Session, customer_id: int) -> TierProgress:
    settings = rules.current(session)
    turnover = turnovers(session, [customer_id])[customer_id]
    tier = tier_of(session, customer_id)
    order = list(Tier)
    following = order[order.index(tier) + 1] if order.index(tier) + 1 < len(order) else None
    needs = max(settings.threshold(following) - turnover, Decimal("0")) if following else Decimal("0")
    return TierProgress(tier, turnover, settings.rate(tier), settings.cap(tier), following, needs)
