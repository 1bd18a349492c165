"""Points over time: pending points become available once their order is completed and the return window has
passed; available points expire `expiry_days` after they became available, oldest first (FIFO), with a warning
`warning_days` before. Both are jobs (app/jobs), idempotent: a second run finds nothing left to do.

FIFO: every debit (spent, expired, taken back, adjusted down) uses up the oldest credits first, so what is left
of the credits older than the term is `max(0, old credits − all debits)`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.orm import Session

from app.models import EntryKind, LoyaltyAccount, LoyaltyEntry, Order, OrderStatus
from app.services.actors import Actor
from app.services.loyalty import ledger, rules
from app.services.loyalty.effects import order_points
from app.services.messaging import notifications
from app.services.shoptime import now, shop_today

JOB = Actor.system("бонусные баллы")


@dataclass
class MaturityReport:
    activated_orders: int = 0
    activated_points: int = 0
    expired_customers: int = 0
    expired_points: int = 0
    warned_customers: int = 0
    tiers_changed: int = 0
    notes: list[str] = field(default_factory=list)

    def __str__(self) -> str:
        return (
            f"activated {self.activated_points} points of {self.activated_orders} orders, "
            f"expired {self.expired_points} points of {self.expired_customers} customers, "
            f"warned {self.warned_customers}, tiers changed {self.tiers_changed}"
        )


def available_on(completed_at: datetime | None, window_days: int) -> datetime | None:
    return None if completed_at is None else completed_at + timedelta(days=window_days)


def activate_due(session: Session, *, report: MaturityReport | None = None) -> MaturityReport:
    """Make pending points available for orders completed more than the return window ago."""
    report = report or MaturityReport()
    settings = rules.current(session)
    moment = now()
    cutoff = moment - timedelta(days=settings.return_window_days)
    pending = (
        sa.select(LoyaltyEntry.order_id)
        .where(LoyaltyEntry.order_id.is_not(None))
        .group_by(LoyaltyEntry.order_id)
        .having(sa.func.sum(LoyaltyEntry.pending) > 0)
        .subquery()
    )
    due = session.execute(
        sa.select(Order.id, Order.customer_id, Order.number)
        .join(pending, pending.c.order_id == Order.id)
        .where(Order.status == OrderStatus.completed, Order.completed_at <= cutoff)
        .order_by(Order.customer_id, Order.id)
    ).all()
    for order_id, customer_id, number in due:
        ledger.lock(session, customer_id)
        state = order_points(session, [order_id])[order_id]
        if state.pending <= 0:
            continue
        key = ledger.entry_key(session, EntryKind.activate, order_id)
        if ledger.post(
            session,
            customer_id=customer_id,
            kind=EntryKind.activate,
            key=key,
            actor=JOB,
            available=state.pending,
            pending=-state.pending,
            order_id=order_id,
            reason=f"Заказ {number}: срок возврата прошёл",
        ):
            report.activated_orders += 1
            report.activated_points += state.pending
            notifications.notify(
                session,
                customer_id=customer_id,
                event=notifications.POINTS_CREDITED,
                payload={
                    "points": state.pending,
                    "reason": f"заказ {number}",
                    "balance": ledger.balance(session, customer_id).available,
                },
                order_id=order_id,
                dedupe_key=f"points_credited:{key}",
            )
    return report


@dataclass(frozen=True)
class Lot:
    """Available points credited at one moment, what is left of them (FIFO), and when they expire."""

    credited_at: datetime
    left: int
    expires_on: date


def lots(session: Session, customer_id: int, *, expiry_days: int | None = None) -> list[Lot]:
    """The customer's available points by the credit they are left from, oldest first."""
    days = expiry_days if expiry_days is not None else rules.current(session).expiry_days
    rows = session.execute(
        sa.select(LoyaltyEntry.created_at, LoyaltyEntry.available)
        .where(LoyaltyEntry.customer_id == customer_id, LoyaltyEntry.available != 0)
        .order_by(LoyaltyEntry.created_at, LoyaltyEntry.id)
    ).all()
    debits = -sum(a for _, a in rows if a < 0)
    result: list[Lot] = []
    for credited_at, amount in rows:
        if amount <= 0:
            continue
        used = min(amount, debits)
        debits -= used
        if amount - used > 0:
            result.append(Lot(credited_at, amount - used, shop_today(credited_at + timedelta(days=days))))
    return result


def expiring(session: Session, customer_id: int, *, within_days: int) -> list[Lot]:
    """Lots that expire within `within_days` from today."""
    settings = rules.current(session)
    horizon = now() + timedelta(days=within_days)
    return [
        lot
        for lot in lots(session, customer_id, expiry_days=settings.expiry_days)
        if lot.credited_at + timedelta(days=settings.expiry_days) <= horizon
    ]


def _customers_with_credits_before(session: Session, moment: datetime) -> list[int]:
    return list(
        session.scalars(
            sa.select(LoyaltyEntry.customer_id)
            .join(LoyaltyAccount, LoyaltyAccount.customer_id == LoyaltyEntry.customer_id)
            .where(LoyaltyEntry.available > 0, LoyaltyEntry.created_at <= moment, LoyaltyAccount.available > 0)
            .distinct()
            .order_by(LoyaltyEntry.customer_id)
        )
    )


def expire_due(session: Session, *, report: MaturityReport | None = None) -> MaturityReport:
    """Expire what is left of credits older than the term (FIFO); one entry per customer and day."""
    report = report or MaturityReport()
    settings = rules.current(session)
    moment = now()
    cutoff = moment - timedelta(days=settings.expiry_days)
    for customer_id in _customers_with_credits_before(session, cutoff):
        account = ledger.lock(session, customer_id)
        old = sum(
            lot.left
            for lot in lots(session, customer_id, expiry_days=settings.expiry_days)
            if lot.credited_at <= cutoff
        )
        points = min(old, account.available)
        if points <= 0:
            continue
        if ledger.post(
            session,
            customer_id=customer_id,
            kind=EntryKind.expire,
            key=f"expire:{customer_id}:{shop_today(moment).isoformat()}",
            actor=JOB,
            available=-points,
            reason=f"Срок {settings.expiry_days} дн. истёк",
        ):
            report.expired_customers += 1
            report.expired_points += points
    return report


def warn_expiring(session: Session, *, report: MaturityReport | None = None) -> MaturityReport:
    """Tell customers (by their chosen channels) about points expiring within `warning_days`; once per date."""
    report = report or MaturityReport()
    settings = rules.current(session)
    horizon = now() + timedelta(days=settings.warning_days)
    for customer_id in _customers_with_credits_before(session, horizon - timedelta(days=settings.expiry_days)):
        soon = expiring(session, customer_id, within_days=settings.warning_days)
        points = sum(lot.left for lot in soon)
        if points <= 0:
            continue
        first = min(lot.expires_on for lot in soon)
        queued = notifications.notify(
            session,
            customer_id=customer_id,
            event=notifications.POINTS_EXPIRING,
            payload={"points": points, "expires_on": first.strftime("%d.%m.%Y")},
            dedupe_key=f"points_expiring:{customer_id}:{first.isoformat()}",
        )
        if queued:
            report.warned_customers += 1
    return report


def run_daily(session: Session) -> MaturityReport:
    """The scheduled pass: activate, expire, warn, recompute tiers."""
    from app.services.loyalty import tiers

    report = MaturityReport()
    activate_due(session, report=report)
    expire_due(session, report=report)
    warn_expiring(session, report=report)
    report.tiers_changed = len(tiers.recompute_all(session))
    return report
