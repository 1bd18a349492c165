"""How an order's lines are priced once their gross amounts are known — the one definition used at checkout
and when staff change an order: the discount spread over the product lines, delivery, VAT per line, totals.

The promo discount, then the bonus points spent, are allocated over the product lines in proportion to their
amounts (`money.allocate`; delivery is never discounted), so each line's VAT is extracted from what the
customer actually pays for it, and the order's totals are sums of its lines, never computed on their own.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from decimal import Decimal

from flask import current_app
from sqlalchemy.orm import Session

from app.models import DeliveryMethod, LineKind, Order, OrderLine, VatCategory
from app.services.catalog import products
from app.services.money import ZERO, allocate, extract_vat, to_money


def delivery_price(delivery: DeliveryMethod, goods_total: Decimal) -> Decimal:
    """The price of delivery for goods worth `goods_total` after discount (settings; courier free from a sum)."""
    config = current_app.config
    if delivery == DeliveryMethod.pickup:
        return ZERO
    if delivery == DeliveryMethod.courier:
        return ZERO if goods_total >= config["DELIVERY_FREE_FROM"] else to_money(config["DELIVERY_PRICE_COURIER"])
    return to_money(config["DELIVERY_PRICE_POST"])


def delivery_line_name(delivery: DeliveryMethod) -> str:
    return f"Доставка: {delivery.label}"


def new_delivery_line(session: Session, delivery: DeliveryMethod, price: Decimal, day: date) -> OrderLine:
    return OrderLine(
        kind=LineKind.delivery,
        product_name=delivery_line_name(delivery),
        options=[],
        quantity=1,
        unit_price=price,
        gross_amount=price,
        discount=ZERO,
        vat_rate=products.vat_rate_for(session, VatCategory.standard, day),
    )


def spread_discount(product_lines: Sequence[OrderLine], discount_total: Decimal) -> None:
    """Give each product line its share of the discount, in proportion to its gross amount."""
    shares = allocate(discount_total, [line.gross_amount for line in product_lines])
    for line, share in zip(product_lines, shares, strict=True):
        line.discount = share


def spread_points(product_lines: Sequence[OrderLine], points_total: Decimal) -> None:
    """Give each product line its share of the bonus points spent, in proportion to what is left of it after
    the promo discount (points never pay for delivery).

    Whole points are spread in whole points (so a line removed later gives back a whole number of them), unless
    a line's whole share would exceed what is left of it; otherwise in kopecks.
    """
    weights = [line.gross_amount - line.discount for line in product_lines]
    shares = allocate(points_total, weights)
    if points_total == points_total.to_integral_value():
        whole = [share * 100 for share in allocate(points_total / 100, weights)]
        if all(share <= weight for share, weight in zip(whole, weights, strict=True)):
            shares = whole
    for line, share in zip(product_lines, shares, strict=True):
        line.points = share


def settle(lines: Sequence[OrderLine]) -> None:
    """Each line's total (gross − discount − points) and the VAT in it, per line, rounded half up."""
    for line in lines:
        line.points = line.points or ZERO
        line.total = line.gross_amount - line.discount - line.points
        line.net_amount, line.vat_amount = extract_vat(line.total, line.vat_rate)


def recalculate_totals(order: Order) -> None:
    """Order totals are sums of its lines, never computed on their own."""
    order.goods_total = sum((line.gross_amount for line in order.lines), ZERO)
    order.discount_total = sum((line.discount for line in order.lines), ZERO)
    order.points_paid = sum((line.points or ZERO for line in order.lines), ZERO)
    order.total = order.goods_total - order.discount_total - order.points_paid
    order.vat_total = sum((line.vat_amount for line in order.lines), ZERO)
    order.amount_due = order.total
