"""Orders as CSV for Russian Excel: UTF-8 with a BOM, «;» between fields, decimal commas, shop-time dates.

Excel in a Russian locale opens a double-clicked CSV with the list separator of the locale («;»,
since the comma is the decimal mark) and reads it as UTF-8 only when the file starts with a BOM
(otherwise as cp1251, and the Cyrillic turns into mojibake). So both: the BOM for the letters, the
semicolon for the columns, and amounts written «1220,50» so Excel takes them as numbers. Phones are
written «8 916 555-44-33»: a leading «+» would make Excel read the cell as a formula.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from decimal import Decimal

import sqlalchemy as sa
from sqlalchemy.orm import Session, selectinload

from app.models import LineKind, Order
from app.services.actors import staff_name
from app.services.customers.addresses import delivery_text
from app.services.phones import format_phone
from app.services.shoptime import format_datetime

COLUMNS = (
    "Номер",
    "Создан",
    "Статус",
    "Оплата",
    "Способ оплаты",
    "Получение",
    "Адрес",
    "Получатель",
    "Телефон",
    "Email",
    "Позиции",
    "Мест",
    "Срок",
    "Ответственный",
    "Сумма, ₽",
    "НДС, ₽",
    "К оплате, ₽",
    "Комментарий",
)
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def _text(value: str) -> str:
    """Free text that Excel would run as a formula gets a leading apostrophe (CSV injection)."""
    return "'" + value if value.startswith(FORMULA_STARTS) else value


def _phone(phone: str) -> str:
    formatted = format_phone(phone)
    return "8" + formatted[2:] if formatted.startswith("+7 ") else _text(formatted)


def _amount(value: Decimal) -> str:
    return format(value, "f").replace(".", ",")


def export_rows(session: Session, order_ids: Sequence[int]) -> list[list[str]]:
    """One row per order (by number), the columns of COLUMNS."""
    found: list[Order] = []
    ids = list(order_ids)
    for start in range(0, len(ids), 5000):
        found.extend(
            session.scalars(
                sa.select(Order)
                .where(Order.id.in_(ids[start : start + 5000]))
                .options(selectinload(Order.lines), selectinload(Order.assignee))
            )
        )
    rows = []
    for order in sorted(found, key=lambda o: o.number):
        items = "; ".join(
            f"{line.product_name} — {line.quantity} шт." for line in order.lines if line.kind == LineKind.product
        )
        rows.append(
            [
                order.number,
                format_datetime(order.created_at),
                order.status.label,
                order.payment_status.label,
                order.payment_method.label,
                order.delivery_method.label,
                _text(delivery_text(order.delivery_address)),
                _text(order.contact_name),
                _phone(order.contact_phone),
                _text(order.contact_email),
                _text(items),
                str(order.packages),
                f"{order.due_date:%d.%m.%Y}" if order.due_date else "",
                staff_name(order.assignee) if order.assignee else "",
                _amount(order.total),
                _amount(order.vat_total),
                _amount(order.amount_due),
                _text(order.comment),
            ]
        )
    return rows


def to_csv(rows: list[list[str]]) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=";", quoting=csv.QUOTE_MINIMAL, lineterminator="\r\n")
    writer.writerow(COLUMNS)
    writer.writerows(rows)
    return ("\ufeff" + buffer.getvalue()).encode("utf-8")
