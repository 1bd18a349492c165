"""Finding orders: a customer's own (and their company's by role), by number, by checkout token."""

from __future__ import annotations

from datetime import datetime, time, timedelta

import sqlalchemy as sa
from sqlalchemy.orm import Session, selectinload

from app.models import (
    Order,
    OrderLine,
    OrderStatus,
)
from app.services import paging, shoptime
from app.services.companies import members
from app.services.errors import NotFound

CUSTOMER_PAGE_SIZE = 20
# «Мои заказы» periods: key → (label, days back including today).
PERIODS: dict[str, tuple[str, int]] = {"30": ("За 30 дней", 30), "90": ("За 3 месяца", 90), "365": ("За год", 365)}


def period_start(key: str) -> datetime | None:
    """The start (shop midnight) of a «Мои заказы» period; None for all time."""
    if key not in PERIODS:
        return None
    first = shoptime.shop_today() - timedelta(days=PERIODS[key][1] - 1)
    return datetime.combine(first, time.min, tzinfo=shoptime.shop_tz())


def order_by_checkout_token(session: Session, token: str) -> Order | None:
    return session.scalar(sa.select(Order).where(Order.checkout_token == token)) if token else None


def customer_orders(session: Session, customer_id: int) -> list[Order]:
    return list(
        session.scalars(
            sa.select(Order).where(Order.customer_id == customer_id).order_by(Order.created_at.desc(), Order.id.desc())
        )
    )


def customer_orders_page(
    session: Session,
    customer_id: int,
    *,
    status: OrderStatus | None = None,
    since: datetime | None = None,
    page: int = 1,
    size: int = CUSTOMER_PAGE_SIZE,
) -> paging.Page[Order]:
    """«Мои заказы»: one page of the customer's orders, newest first, optionally of one status and placed
    since a moment (the index on customer and date serves it however many orders there are)."""
    statement = sa.select(Order).where(Order.customer_id == customer_id)
    if status is not None:
        statement = statement.where(Order.status == status)
    if since is not None:
        statement = statement.where(Order.created_at >= since)
    statement = statement.order_by(Order.created_at.desc(), Order.id.desc())
    return paging.paginate(session, statement, page=page, size=size)


def customer_order(session: Session, customer_id: int, number: str) -> Order:
    """The customer's own order, or their company's (owner, accountant); NotFound for anyone else's (the same
    answer as for no order at all)."""
    order = session.scalar(
        sa.select(Order)
        .where(
            Order.number == number,
            sa.or_(
                Order.customer_id == customer_id,
                Order.company_id.in_(members.company_ids_with(customer_id, members.ORDER_VIEW_ROLES)),
            ),
        )
        .options(selectinload(Order.lines).selectinload(OrderLine.layout_file))
    )
    if order is None:
        raise NotFound("Заказ не найден.")
    return order


def order_by_number(session: Session, number: str) -> Order:
    order = session.scalar(sa.select(Order).where(Order.number == number.strip()))
    if order is None:
        raise NotFound("Заказ не найден.")
    return order
