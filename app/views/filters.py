"""Jinja filters shared by the storefront and the back office."""

from __future__ import annotations

from flask import Flask

from app.models import OrderStatus, PaymentStatus
from app.services.customers.addresses import address_one_line, delivery_text
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
    app.add_template_filter(format_phone, "phone")  # +7 916 555-44-33
    app.add_template_filter(delivery_text, "delivery_text")  # an order's stored delivery address
    app.add_template_filter(address_one_line, "address")  # a saved address: postcode, city, street, «д. 57»…


def _label(enum_cls, value: str | None) -> str:  # noqa: ANN001
    if not value:
        return "—"
    try:
        return f"«{enum_cls(value).label}»"
    except ValueError:
        return value
