"""Staff edits of one order: contact and delivery details, due date, assignee, packages, lines and layouts.

Every edit runs inside `history.acting`, so each changed field lands in the order's history. Lines are
priced by `catalog.quote`, the promo discount is spread again over the product lines, VAT is extracted
per line (`money.extract_vat`) and the order totals are the sums of the lines (`orders.recalculate_totals`).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime
from decimal import ROUND_DOWN, Decimal, InvalidOperation
from typing import BinaryIO

import sqlalchemy as sa
from email_validator import EmailNotValidError, validate_email
from flask_appbuilder.security.sqla.models import User
from sqlalchemy.orm import Session

from app.models import (
    DeliveryMethod,
    LineKind,
    Order,
    OrderLine,
    OrderStatus,
    PaymentMethod,
    PaymentStatus,
    Product,
    StoredFile,
)
from app.services import phones, storage
from app.services.actors import Actor
from app.services.catalog import products as catalog_products
from app.services.catalog import promo
from app.services.errors import NotFound, ValidationError
from app.services.money import ZERO, to_money
from app.services.orders import pricing
from app.services.orders.history import acting
from app.services.orders.lifecycle import CLOSED_STATUSES
from app.services.shoptime import shop_today

S = OrderStatus

# Lines (and so the delivery method, which prices a line) change only before production and payment.
LINES_EDITABLE_STATUSES = frozenset({S.new, S.confirmed})
# A layout may be replaced until the order is printed.
LAYOUT_REPLACEABLE_STATUSES = frozenset({S.new, S.confirmed, S.in_production})
MAX_PACKAGES = 999
MAX_LINE_PRICE = Decimal("10000000")


@dataclass
class OrderDetails:
    """The editable fields of an order, as a form sends them (strings)."""

    contact_name: str
    contact_email: str
    contact_phone: str
    delivery_method: str
    delivery_address: str = ""
    comment: str = ""
    due_date: str | date | None = None
    packages: str | int = 1
    assignee_id: str | int | None = None


def ensure_open(order: Order) -> None:
    if order.status in CLOSED_STATUSES:
        raise ValidationError(f"Заказ {order.number} закрыт («{order.status.label}») — изменения невозможны.")


def lines_editable(order: Order) -> bool:
    return order.status in LINES_EDITABLE_STATUSES and order.payment_status == PaymentStatus.unpaid


def layout_replaceable(order: Order) -> bool:
    return order.status in LAYOUT_REPLACEABLE_STATUSES


def ensure_lines_editable(order: Order) -> None:
    if not lines_editable(order):
        raise ValidationError(
            f"Позиции и способ получения заказа {order.number} меняются только до начала печати и до оплаты."
        )


def parse_due_date(value: str | date | None) -> date | None:
    if value is None or isinstance(value, date):
        return value
    text = value.strip()
    if not text:
        return None
    for fmt in ("%Y-%m-%d", "%d.%m.%Y"):
        try:
            return datetime.strptime(text, fmt).date()
        except ValueError:
            continue
    raise ValidationError("Укажите срок в формате ДД.ММ.ГГГГ.", field="due_date")


def parse_packages(value: str | int) -> int:
    try:
        count = int(str(value).strip())
    except ValueError:
        raise ValidationError("Количество мест — целое число.", field="packages") from None
    if not 1 <= count <= MAX_PACKAGES:
        raise ValidationError(f"Количество мест — от 1 до {MAX_PACKAGES}.", field="packages")
    return count


def parse_id(value: str | int | None, *, field: str, message: str) -> int | None:
    if value is None or str(value).strip() == "":
        return None
    try:
        return int(str(value).strip())
    except ValueError:
        raise ValidationError(message, field=field) from None


def staff_member(session: Session, user_id: int) -> User:
    """An active back-office user who can be put in charge of orders."""
    user = session.get(User, user_id)
    if user is None or not user.active:
        raise ValidationError("Сотрудник не найден или отключён.", field="assignee_id")
    return user


def active_staff(session: Session) -> list[User]:
    return list(session.scalars(sa.select(User).where(User.active.is_(True)).order_by(User.last_name, User.first_name)))


def update_details(session: Session, order: Order, details: OrderDetails, *, actor: Actor, comment: str = "") -> int:
    """Check and apply the details; returns how many fields changed (each is recorded in history)."""
    ensure_open(order)
    name = details.contact_name.strip()
    if not name:
        raise ValidationError("Укажите имя получателя.", field="contact_name")
    try:
        email = validate_email(
            details.contact_email.strip(), check_deliverability=False, globally_deliverable=False
        ).normalized.lower()
    except EmailNotValidError:
        raise ValidationError("Укажите правильный email.", field="contact_email") from None
    phone = phones.normalize_phone(details.contact_phone)
    try:
        delivery = DeliveryMethod(details.delivery_method)
    except ValueError:
        raise ValidationError("Выберите способ получения.", field="delivery_method") from None
    address = "" if delivery == DeliveryMethod.pickup else details.delivery_address.strip()
    if delivery != DeliveryMethod.pickup and len(address) < 10:
        raise ValidationError("Укажите адрес доставки: город, улицу, дом.", field="delivery_address")
    if delivery == DeliveryMethod.post and order.payment_method == PaymentMethod.on_receipt:
        raise ValidationError(
            "Почтовые отправления оплачиваются заранее — заказ с оплатой при получении почтой не отправить.",
            field="delivery_method",
        )
    due = parse_due_date(details.due_date)
    packages = parse_packages(details.packages)
    assignee_id = parse_id(details.assignee_id, field="assignee_id", message="Выберите сотрудника из списка.")
    if assignee_id is not None and assignee_id != order.assignee_id:
        staff_member(session, assignee_id)
    if delivery != order.delivery_method:
        ensure_lines_editable(order)

    wanted = {
        "contact_name": name[:200],
        "contact_email": email[:255],
        "contact_phone": phone,
        "delivery_method": delivery,
        "delivery_address": address,
        "comment": details.comment.strip(),
        "due_date": due,
        "packages": packages,
        "assignee_id": assignee_id,
    }
    changes = {key: value for key, value in wanted.items() if getattr(order, key) != value}
    if not changes:
        return 0
    with acting(session, actor, comment=comment):
        for key, value in changes.items():
            setattr(order, key, value)
        if "delivery_method" in changes:
            reprice(session, order, actor)
    return len(changes)


# --- lines -----------------------------------------------------------------------------------------


def order_line(order: Order, line_id: int) -> OrderLine:
    line = next((line for line in order.lines if line.id == line_id), None)
    if line is None:
        raise NotFound("Позиция не найдена.")
    return line


def parse_quantity(value: str | int) -> int:
    try:
        quantity = int(str(value).strip())
    except ValueError:
        raise ValidationError("Укажите тираж числом.", field="quantity") from None
    if quantity <= 0:
        raise ValidationError("Тираж должен быть больше нуля.", field="quantity")
    return quantity


def parse_price(value: str | Decimal | None) -> Decimal | None:
    """A staff-set line amount (₽, VAT included), or None to take the price list's."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    try:
        price = to_money(Decimal(str(value).strip().replace(" ", "").replace("\u00a0", "").replace(",", ".")))
    except (InvalidOperation, ValueError):
        raise ValidationError("Укажите сумму позиции числом, например 1490,00.", field="price") from None
    if price <= 0 or price > MAX_LINE_PRICE:
        raise ValidationError("Сумма позиции должна быть больше нуля и не больше 10 000 000 ₽.", field="price")
    return price


def _product(session: Session, product_id: int | None) -> Product:
    product = session.get(Product, product_id) if product_id is not None else None
    if product is None:
        raise ValidationError("Товар удалён из каталога — позицию можно только удалить.", field="product_id")
    return product


def _order_day(order: Order) -> date:
    return shop_today(order.created_at) if order.created_at else shop_today()


def add_line(
    session: Session,
    order: Order,
    *,
    actor: Actor,
    product_id: int | str | None,
    quantity: int | str,
    option_value_ids: list[int] | None = None,
    comment: str = "",
) -> OrderLine:
    """Add a product line priced from the catalog (its default options unless given)."""
    ensure_lines_editable(order)
    product = _product(session, parse_id(product_id, field="product_id", message="Выберите товар."))
    count = parse_quantity(quantity)
    ids = option_value_ids if option_value_ids is not None else catalog_products.default_option_ids(product)
    quote = catalog_products.quote(session, product=product, quantity=count, option_value_ids=ids)
    vat_rate = catalog_products.vat_rate_for(session, product.vat_category, _order_day(order))
    with acting(session, actor, comment=comment):
        product_positions = [line.position for line in order.lines if line.kind == LineKind.product]
        position = max(product_positions, default=0) + 1
        last = max((line.position for line in order.lines), default=0)
        for delivery in (line for line in order.lines if line.kind == LineKind.delivery and line.position >= position):
            last += 1
            delivery.position = last  # delivery stays the last line
        line = OrderLine(
            kind=LineKind.product,
            position=position,
            product_id=product.id,
            product_name=product.name,
            options=quote.options,
            quantity=quote.quantity,
            unit_price=quote.unit_price,
            gross_amount=quote.total,
            discount=ZERO,
            vat_rate=vat_rate,
            layout_file_id=None,
        )
        order.lines.append(line)
        reprice(session, order, actor)
    return line


def change_line(
    session: Session,
    order: Order,
    line_id: int,
    *,
    actor: Actor,
    quantity: int | str,
    option_value_ids: list[int],
    price: str | Decimal | None = None,
    comment: str = "",
) -> OrderLine:
    """Change a product line's quantity and options (re-priced from the catalog) or set its amount by hand."""
    ensure_lines_editable(order)
    line = order_line(order, line_id)
    if line.kind != LineKind.product:
        raise ValidationError("Доставка пересчитывается сама — меняйте способ получения.")
    product = _product(session, line.product_id)
    count = parse_quantity(quantity)
    manual = parse_price(price)
    quote = catalog_products.quote(session, product=product, quantity=count, option_value_ids=option_value_ids)
    gross = manual if manual is not None else quote.total
    with acting(session, actor, comment=comment):
        line.quantity = quote.quantity
        line.options = quote.options
        line.gross_amount = gross
        line.unit_price = to_money(gross / quote.quantity)
        reprice(session, order, actor)
    return line


def remove_line(session: Session, order: Order, line_id: int, *, actor: Actor, comment: str = "") -> None:
    ensure_lines_editable(order)
    line = order_line(order, line_id)
    if line.kind != LineKind.product:
        raise ValidationError("Доставка пересчитывается сама — меняйте способ получения.")
    if len(order.product_lines) <= 1:
        raise ValidationError("В заказе должна остаться хотя бы одна позиция — отмените заказ, если он не нужен.")
    with acting(session, actor, comment=comment):
        order.lines.remove(line)
        reprice(session, order, actor)


def replace_layout(
    session: Session,
    order: Order,
    line_id: int,
    *,
    actor: Actor,
    stream: BinaryIO,
    filename: str | None,
    comment: str = "",
) -> StoredFile:
    """Store a new layout for a product line (checked by content like a customer's upload) and put it in place."""
    if not layout_replaceable(order):
        raise ValidationError(f"Макет заказа {order.number} уже не заменить: заказ «{order.status.label}».")
    line = order_line(order, line_id)
    if line.kind != LineKind.product:
        raise ValidationError("У доставки нет макета.")
    stored = storage.store_upload(session, stream=stream, filename=filename, customer_id=order.customer_id)
    with acting(session, actor, comment=comment):
        line.layout_file_id = stored.id
        line.layout_file = stored
    return stored


# Called after staff change an order's lines with (session, order, actor): bonus points give back what the
# order no longer spends (a removed line's points). Registered by the loyalty package.
LinesEffect = Callable[[Session, Order, Actor], None]
_LINES_EFFECTS: dict[str, LinesEffect] = {}


def on_lines_changed(fn: LinesEffect) -> LinesEffect:
    _LINES_EFFECTS[f"{fn.__module__}.{fn.__qualname__}"] = fn
    return fn


def reprice(session: Session, order: Order, actor: Actor | None = None) -> None:
    """Spread the promo discount, then the bonus points still spent, over the product lines, price delivery, split
    VAT per line, sum the totals.

    The points stay what the remaining lines carry (a removed line's points are no longer spent), never more than
    the products' amount after the discount, whole points; the registered effects settle the difference.
    """
    products = order.product_lines
    goods = sum((line.gross_amount for line in products), ZERO)
    discount_total = promo.discount_for(order.promo_code, goods) if order.promo_code is not None else ZERO
    pricing.spread_discount(products, discount_total)
    points = sum((line.points or ZERO for line in products), ZERO)
    if points:
        payable = sum((line.gross_amount - line.discount for line in products), ZERO)
        pricing.spread_points(products, min(points, payable).to_integral_value(rounding=ROUND_DOWN))
    _sync_delivery_line(session, order, goods - discount_total)
    pricing.settle(order.lines)
    pricing.recalculate_totals(order)
    if actor is not None:
        for effect in _LINES_EFFECTS.values():
            effect(session, order, actor)


def _sync_delivery_line(session: Session, order: Order, goods_after_discount: Decimal) -> None:
    price = pricing.delivery_price(order.delivery_method, goods_after_discount)
    existing = [line for line in order.lines if line.kind == LineKind.delivery]
    if price == 0:
        for line in existing:
            order.lines.remove(line)
        return
    if existing:
        line = existing[0]
        line.product_name = pricing.delivery_line_name(order.delivery_method)
        line.gross_amount = line.unit_price = price
        line.discount = ZERO
        return
    line = pricing.new_delivery_line(session, order.delivery_method, price, _order_day(order))
    line.position = max((line.position for line in order.lines), default=0) + 1
    order.lines.append(line)
