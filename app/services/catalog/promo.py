"""Promo codes: whether a code applies to an order, the discount it gives, its usage counter and redemptions.

Limits hold in the database, so two checkouts at the same moment cannot both take the last use: the usage
counter is raised by one conditional UPDATE, and each order's use is a `promo_redemption` row whose unique
(code, customer, seq) key refuses a customer's use beyond the code's per-customer limit.
"""

from __future__ import annotations

from collections.abc import Collection
from datetime import date
from decimal import Decimal

import sqlalchemy as sa
from sqlalchemy.engine import CursorResult
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from app.models import Order, PromoCode, PromoKind, PromoRedemption
from app.services.errors import ValidationError
from app.services.money import HUNDRED, format_money, to_money


def normalize_code(code: str) -> str:
    return (code or "").strip().upper()


def discount_for(promo: PromoCode, goods_total: Decimal) -> Decimal:
    if promo.kind == PromoKind.percent:
        return min(to_money(goods_total * promo.value / HUNDRED), goods_total)
    return min(to_money(promo.value), goods_total)


def applicable_promo(
    session: Session, *, code: str, customer_id: int | None, goods_total: Decimal, day: date
) -> PromoCode:
    """The promo code if it can be applied now to this order; ValidationError with the reason otherwise."""
    normalized = normalize_code(code)
    promo = session.scalar(sa.select(PromoCode).where(PromoCode.code == normalized)) if normalized else None
    if promo is None or not promo.is_active:
        raise ValidationError("Промокод не найден.", field="promo_code")
    if promo.valid_from and day < promo.valid_from:
        raise ValidationError(f"Промокод действует с {promo.valid_from:%d.%m.%Y}.", field="promo_code")
    if promo.valid_until and day > promo.valid_until:
        raise ValidationError(f"Срок действия промокода истёк {promo.valid_until:%d.%m.%Y}.", field="promo_code")
    if goods_total < promo.min_order_total:
        raise ValidationError(
            f"Промокод действует для заказов от {format_money(promo.min_order_total)}.", field="promo_code"
        )
    if promo.usage_limit is not None and promo.times_used >= promo.usage_limit:
        raise ValidationError("Лимит использований промокода исчерпан.", field="promo_code")
    if promo.per_customer_limit is not None and customer_id is not None:
        if len(_uses_of(session, promo.id, customer_id)) >= promo.per_customer_limit:
            raise ValidationError("Вы уже использовали этот промокод.", field="promo_code")
    return promo


def _uses_of(session: Session, promo_id: int, customer_id: int) -> list[int | None]:
    """The `seq` of each use the customer holds of the code (orders not cancelled)."""
    return list(
        session.scalars(
            sa.select(PromoRedemption.seq).where(
                PromoRedemption.promo_code_id == promo_id, PromoRedemption.customer_id == customer_id
            )
        )
    )


def usable_condition(day: date) -> sa.ColumnElement[bool]:
    """SQL: the code can still be used on this day — switched on, not expired, not run out."""
    return sa.and_(
        PromoCode.is_active.is_(True),
        sa.or_(PromoCode.valid_until.is_(None), PromoCode.valid_until >= day),
        sa.or_(PromoCode.usage_limit.is_(None), PromoCode.times_used < PromoCode.usage_limit),
    )


def is_usable(promo: PromoCode, day: date) -> bool:
    """The same rule as `usable_condition`, on a loaded code (a promotion ends when its code stops working)."""
    return (
        promo.is_active
        and (promo.valid_until is None or promo.valid_until >= day)
        and (promo.usage_limit is None or promo.times_used < promo.usage_limit)
    )


def consume(session: Session, promo: PromoCode) -> None:
    """Count one use, atomically: two orders racing for the last use cannot both get it."""
    result: CursorResult = session.execute(  # type: ignore[assignment]
        sa.update(PromoCode)
        .where(
            PromoCode.id == promo.id,
            sa.or_(PromoCode.usage_limit.is_(None), PromoCode.times_used < PromoCode.usage_limit),
        )
        .values(times_used=PromoCode.times_used + 1)
        .execution_options(synchronize_session=False)
    )
    if result.rowcount != 1:
        raise ValidationError("Лимит использований промокода исчерпан.", field="promo_code")
    session.expire(promo, ["times_used"])


def _decrement(session: Session, promo_id: int, count: int) -> None:
    session.execute(
        sa.update(PromoCode)
        .where(PromoCode.id == promo_id, PromoCode.times_used > 0)
        .values(times_used=sa.case((PromoCode.times_used >= count, PromoCode.times_used - count), else_=0))
        .execution_options(synchronize_session=False)
    )


RACE_LOST = "Промокод {code} уже применён к другому вашему заказу. Оформите заказ без него или с другим промокодом."


class RedemptionRaceLost(ValidationError):
    """Another transaction took the same use first; the session must be rolled back."""


def redeem(session: Session, promo: PromoCode, order: Order) -> PromoRedemption:
    """Take one use of the code for a placed (flushed) order: the customer's redemption row and the counter.

    Racing checkouts of one customer both pass `applicable_promo`; the database lets one redemption in and the
    other gets RedemptionRaceLost (the caller rolls back: no order with a discount it was not entitled to).
    A ValidationError raised before that (limit reached) has changed nothing.
    """
    code, seq = promo.code, None
    if promo.per_customer_limit is not None:
        taken = _uses_of(session, promo.id, order.customer_id)
        free = [n for n in range(1, promo.per_customer_limit + 1) if n not in taken]
        if not free:
            raise ValidationError("Вы уже использовали этот промокод.", field="promo_code")
        seq = free[0]
    consume(session, promo)
    redemption = PromoRedemption(promo_code_id=promo.id, customer_id=order.customer_id, order_id=order.id, seq=seq)
    session.add(redemption)
    try:
        session.flush()
    except IntegrityError:
        raise RedemptionRaceLost(RACE_LOST.format(code=code), field="promo_code") from None
    return redemption


def release_orders(session: Session, order_ids: Collection[int]) -> None:
    """Give back the uses these orders hold (they were just cancelled); safe to call twice for one order."""
    ids = list(order_ids)
    if not ids:
        return
    held = session.execute(
        sa.select(PromoRedemption.promo_code_id, sa.func.count())
        .where(PromoRedemption.order_id.in_(ids))
        .group_by(PromoRedemption.promo_code_id)
    ).all()
    session.execute(
        sa.delete(PromoRedemption).where(PromoRedemption.order_id.in_(ids)).execution_options(synchronize_session=False)
    )
    for promo_id, count in held:
        _decrement(session, promo_id, count)


def redeem_orders(session: Session, order_ids: Collection[int]) -> list[int]:
    """Take the uses back for orders whose cancellation is undone; returns the ids refused (a limit is reached).

    Call it before the orders leave «cancelled»; the refused ones must stay cancelled.
    """
    refused: list[int] = []
    orders = session.scalars(
        sa.select(Order).where(Order.id.in_(list(order_ids)), Order.promo_code_id.is_not(None)).order_by(Order.id)
    ).all()
    held = set(
        session.scalars(sa.select(PromoRedemption.order_id).where(PromoRedemption.order_id.in_(list(order_ids))))
    )
    for order in orders:
        if order.id in held:
            continue
        code = session.get(PromoCode, order.promo_code_id)
        try:
            redeem(session, code, order)  # type: ignore[arg-type]
        except RedemptionRaceLost:
            raise
        except ValidationError:
            refused.append(order.id)
    return refused
