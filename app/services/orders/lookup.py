"""Finding orders: a customer's own (and their company's by role), by number, by checkout token."""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.orm import Session, selectinload

from app.models import (
    Order,
    OrderLine,
)
from app.services.companies import members
from app.services.errors import NotFound


def order_by_checkout_token(session: Session, token: str) -> Order | None:
    return session.scalar(sa.select(Order).where(Order.checkout_token == token)) if token else None


def customer_orders(session: Session, customer_id: int) -> list[Order]:
    return list(
        session.scalars(
            sa.select(Order).where(Order.customer_id == customer_id).order_by(Order.created_at.desc(), Order.id.desc())
        )
    )


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
