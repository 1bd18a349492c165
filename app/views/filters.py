"""Jinja filters shared by the storefront and the back office."""

from __future__ import annotations

from flask import Flask

from app.models import OrderStatus, PaymentStatus
from app.services.customers.addresses import address_one_line, billing_text, delivery_text
from app.services.loyalty.checkout import format_points
from app.services.money import format_money, format_rate
from app.services.phones import format_phone
from app.services.shoptime import format_date_long, format_datetime


def register_template_filters(app: Flask) -> None:
    app.add_template_filter(format_money, "money")
    app.add_template_filter(format_rate, "rate")
    app.add_template_filter(format_datetime, "dt")
    app.add_template_filter(format_date_long, "date_long")
    app.add_template_filter(lambda d: d.strftime("%d.%m.%Y") if d else "", "date")
    app.add_template_filter(lambda v: _label(OrderStatus, v), "status_label")
    app.add_template_filter(lambda v: _label(PaymentStatus, v), "payment_label")
    app.add_template_filter(format_points, "points")
    app.add_template_filter(format_phone, "phone")  # +7 916 555-44-33
    app.add_template_filter(delivery_text, "delivery_text")  # an order's stored delivery address
    app.add_template_filter(billing_text, "billing")  # an order's payer: name and billing address
    app.add_template_filter(address_one_line, "address")  # a saved address: postcode, city, street, «д. 57»…
    app.add_template_filter(count_of, "count_of")


def count_of(number: int, one: str, few: str, many: str) -> str:
    """«1 заказ», «2 заказа», «1 234 заказов»: a count with the Russian plural form of its noun."""
    tail = number % 100
    if 11 <= tail <= 14:
        word = many
    elif number % 10 == 1:
        word = one
    elif 2 <= number % 10 <= 4:
        word = few
    else:
        word = many
    return f"{number:,}".replace(",", "\u00a0") + f"\u00a0{word}"


def _label(enum_cls, value: str | None) -> str:  # noqa: ANN001
    if not value:
        return "—"
    try:
        return f"«{enum_cls(value).label}»"
    except ValueError:
        return value
