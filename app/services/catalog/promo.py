"""Promo codes: whether a code applies to an order, the discount it gives, and its usage counter."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import sqlalchemy as sa
from sqlalchemy.engine import CursorResult
from sqlalchemy.orm import Session

from app.models import Order, OrderStatus, PromoCode, PromoKind
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
        used = session.scalar(
            sa.select(sa.func.count())
            .select_from(Order)
            .where(
                Order.promo_code_id == promo.id,
                Order.customer_id == customer_id,
                Order.status != OrderStatus.cancelled,
            )
        )
        if used >= promo.per_customer_limit:
            raise ValidationError("Вы уже использовали этот промокод.", field="promo_code")
    return promo


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


def release(session: Session, promo_id: int, count: int = 1) -> None:
    """Give uses back (orders were cancelled), never below zero."""
    session.execute(
        sa.update(PromoCode)
        .where(PromoCode.id == promo_id, PromoCode.times_used > 0)
        .values(times_used=sa.case((PromoCode.times_used >= count, PromoCode.times_used - count), else_=0))
        .execution_options(synchronize_session=False)
    )


def consume_many(session: Session, promo_id: int, count: int) -> bool:
    """Count `count` uses at once if the limit allows them all (a cancellation undone); False otherwise."""
    result: sa.CursorResult = session.execute(  # type: ignore[assignment]
        sa.update(PromoCode)
        .where(
            PromoCode.id == promo_id,
            sa.or_(PromoCode.usage_limit.is_(None), PromoCode.times_used + count <= PromoCode.usage_limit),
        )
        .values(times_used=PromoCode.times_used + count)
        .execution_options(synchronize_session=False)
    )
    return result.rowcount == 1
