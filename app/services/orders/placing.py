"""Placing an order: checkout data, numbering, pricing the cart (promo discount and VAT per line) and storing it."""

from __future__ import annotations

from dataclasses import dataclass, replace
from decimal import Decimal

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from app.models import (
    Cart,
    Customer,
    DeliveryMethod,
    LineKind,
    Order,
    OrderLine,
    OrderNumberCounter,
    OrderStatus,
    PaymentMethod,
    PaymentStatus,
    Project,
    PromoCode,
)
from app.services.actors import Actor
from app.services.catalog import products, promo
from app.services.companies import members
from app.services.customers import addresses
from app.services.errors import ValidationError
from app.services.layouts import preflight
from app.services.messaging import notifications
from app.services.money import ZERO
from app.services.orders import pricing, promises
from app.services.orders.history import acting
from app.services.orders.lookup import order_by_checkout_token
from app.services.phones import normalize_phone
from app.services.shoptime import shop_today


def next_order_number(session: Session, year: int) -> str:
    """Allocate the next number of the year atomically: 2026-000123."""
    dialect = session.get_bind().dialect.name
    insert = (postgresql.insert if dialect == "postgresql" else sqlite.insert)(OrderNumberCounter)
    session.execute(insert.values(year=year, last_value=0).on_conflict_do_nothing(index_elements=["year"]))
    value = session.execute(
        sa.update(OrderNumberCounter)
        .where(OrderNumberCounter.year == year)
        .values(last_value=OrderNumberCounter.last_value + 1)
        .returning(OrderNumberCounter.last_value)
        .execution_options(synchronize_session=False)
    ).scalar_one()
    return f"{year}-{value:06d}"


@dataclass
class CheckoutData:
    contact_name: str
    contact_email: str
    contact_phone: str
    delivery_method: str
    payment_method: str
    checkout_token: str
    delivery_address: str = ""
    comment: str = ""
    promo_code: str = ""
    company_id: str = ""  # "" = лично; else the company the order is placed for
    # The address used, as saved with the order (see app/services/customers/addresses.py checkout_address).
    address_snapshot: dict | None = None


def validate_checkout(data: CheckoutData) -> tuple[DeliveryMethod, PaymentMethod, str]:
    if not data.contact_name.strip():
        raise ValidationError("Укажите имя получателя.", field="contact_name")
    phone = normalize_phone(data.contact_phone)
    try:
        delivery = DeliveryMethod(data.delivery_method)
    except ValueError:
        raise ValidationError("Выберите способ получения.", field="delivery_method") from None
    try:
        payment = PaymentMethod(data.payment_method)
    except ValueError:
        raise ValidationError("Выберите способ оплаты.", field="payment_method") from None
    if payment == PaymentMethod.card_online:
        raise ValidationError("Оплата картой онлайн пока недоступна.", field="payment_method")
    if payment == PaymentMethod.on_receipt and delivery == DeliveryMethod.post:
        raise ValidationError(
            "Почтовые отправления оплачиваются заранее — выберите оплату по счёту.", field="payment_method"
        )
    if delivery != DeliveryMethod.pickup and len(data.delivery_address.strip()) < 10:
        raise ValidationError("Укажите адрес доставки: город, улицу, дом.", field="delivery_address")
    if not data.checkout_token or len(data.checkout_token) > 64:
        raise ValidationError("Форма устарела — обновите страницу и отправьте заказ ещё раз.")
    return delivery, payment, phone


@dataclass
class PricedOrder:
    """The lines of an order-to-be with discount and VAT split per line, before anything is stored."""

    lines: list[OrderLine]
    promo_code: PromoCode | None

    @property
    def goods_total(self) -> Decimal:
        return sum((line.gross_amount for line in self.lines if line.kind == LineKind.product), ZERO)

    @property
    def delivery_total(self) -> Decimal:
        return sum((line.total for line in self.lines if line.kind == LineKind.delivery), ZERO)

    @property
    def discount_total(self) -> Decimal:
        return sum((line.discount for line in self.lines), ZERO)

    @property
    def points_total(self) -> Decimal:
        return sum((line.points or ZERO for line in self.lines), ZERO)

    @property
    def products_after_discount(self) -> Decimal:
        """What the product lines cost after the promo discount: the base bonus points may pay a share of."""
        return sum((line.gross_amount - line.discount for line in self.lines if line.kind == LineKind.product), ZERO)

    @property
    def products_paid_in_money(self) -> Decimal:
        """The product lines' totals (after discount and points): what bonus points are earned on."""
        return sum((line.total for line in self.lines if line.kind == LineKind.product), ZERO)

    @property
    def total(self) -> Decimal:
        return sum((line.total for line in self.lines), ZERO)

    @property
    def vat_total(self) -> Decimal:
        return sum((line.vat_amount for line in self.lines), ZERO)


def price_order(
    session: Session,
    *,
    customer_id: int | None,
    cart: Cart,
    delivery: DeliveryMethod,
    promo_code: str = "",
    points: Decimal = ZERO,
) -> PricedOrder:
    """Re-price every cart item with today's prices, apply the promo code, add delivery, split VAT per line.

    The promo discount, then the bonus `points` (already checked against the programme's limits by
    `loyalty.checkout`), are allocated over the product lines in proportion to their amounts (delivery
    is not discounted), so each line's VAT is computed on what the customer actually pays for it.
    """
    if not cart.items:
        raise ValidationError("Корзина пуста.")
    today = shop_today()
    lines: list[OrderLine] = []
    for item in cart.items:
        q = products.quote(
            session, product=item.product, quantity=item.quantity, option_value_ids=item.option_value_ids
        )
        if item.product.requires_layout and item.layout_file_id is None:
            raise ValidationError(f"Загрузите макет для «{item.product.name}».", field="layout")
        if preflight.blocks_ordering(item.preflight, item.print_as_is):
            raise ValidationError(
                f"Макет «{item.layout_file.original_name if item.layout_file else ''}» для «{item.product.name}» "
                "не прошёл проверку. Замените файл или отметьте в корзине «печатать как есть».",
                field="layout",
            )
        lines.append(
            OrderLine(
                kind=LineKind.product,
                product_id=item.product.id,
                product_name=item.product.name,
                options=q.options,
                quantity=q.quantity,
                unit_price=q.unit_price,
                gross_amount=q.total,
                vat_rate=products.vat_rate_for(session, item.product.vat_category, today),
                layout_file_id=item.layout_file_id,
                preflight=item.preflight,
                print_as_is=item.print_as_is,
                project_id=item.project_id,
            )
        )
    goods_total = sum((line.gross_amount for line in lines), ZERO)

    found_promo = None
    discount_total = ZERO
    if promo_code.strip():
        found_promo = promo.applicable_promo(
            session, code=promo_code, customer_id=customer_id, goods_total=goods_total, day=today
        )
        discount_total = promo.discount_for(found_promo, goods_total)
    pricing.spread_discount(lines, discount_total)
    if points:
        pricing.spread_points(lines, points)
    shipping = pricing.delivery_price(delivery, goods_total - discount_total)
    if shipping > 0:
        lines.append(pricing.new_delivery_line(session, delivery, shipping, today))
    for position, line in enumerate(lines, start=1):
        line.position = position
    pricing.settle(lines)
    return PricedOrder(lines=lines, promo_code=found_promo)


def place_order(
    session: Session, *, customer: Customer, cart: Cart, data: CheckoutData, points: Decimal = ZERO
) -> Order:
    """Turn the cart into an order (see price_order), numbered, recorded, with the promo use counted.

    Idempotent on `data.checkout_token`: submitting the same checkout form twice returns the first order.
    Bonus `points` are priced in here; spending them from the balance is `loyalty.checkout.place_order`'s,
    which calls this.
    """
    existing = order_by_checkout_token(session, data.checkout_token)
    if existing is not None:
        if existing.customer_id != customer.id:
            raise ValidationError("Форма устарела — обновите страницу и отправьте заказ ещё раз.")
        return existing
    if not customer.active:
        raise ValidationError("Учётная запись заблокирована — оформление заказов недоступно.")
    company = members.company_for_order(session, customer=customer, company_id=data.company_id)
    if company is not None and not data.payment_method:
        data.payment_method = PaymentMethod.invoice.value  # companies pay by bank transfer unless they choose
    delivery, payment, phone = validate_checkout(data)
    priced = price_order(
        session, customer_id=customer.id, cart=cart, delivery=delivery, promo_code=data.promo_code, points=points
    )
    found_promo = priced.promo_code
    # The history names the customer, not their email: the name given at checkout when the profile has none.
    actor = Actor.customer(customer)
    if not customer.full_name and data.contact_name.strip():
        actor = replace(actor, name=data.contact_name.strip())
    with acting(session, actor):
        order = Order(
            number=next_order_number(session, shop_today().year),
            customer_id=customer.id,
            company_id=company.id if company is not None else None,
            status=OrderStatus.new,
            payment_status=PaymentStatus.unpaid,
            payment_method=payment,
            delivery_method=delivery,
            contact_name=data.contact_name.strip()[:200],
            contact_email=data.contact_email.strip().lower()[:255],
            contact_phone=phone,
            delivery_address="" if delivery == DeliveryMethod.pickup else data.delivery_address.strip(),
            delivery_address_snapshot=None if delivery == DeliveryMethod.pickup else data.address_snapshot,
            # A company's documents carry its legal address; a private customer's, their billing address.
            billing_address_snapshot=None
            if company is not None
            else addresses.billing_snapshot(
                session, customer.id, None if delivery == DeliveryMethod.pickup else data.address_snapshot
            ),
            comment=data.comment.strip(),
            promo_code_id=found_promo.id if found_promo else None,
            promo_code_text=found_promo.code if found_promo else "",
            checkout_token=data.checkout_token,
            expected_date=promises.ready_date_of(
                item.product.production_days for item in cart.items if item.product is not None
            ),
            lines=priced.lines,
        )
        pricing.recalculate_totals(order)
        session.add(order)
        session.flush()
        if found_promo is not None:
            promo.redeem(session, found_promo, order)
    mark_projects_ordered(session, order)
    notifications.order_placed(session, order)
    cart.items.clear()
    session.flush()
    return order


def mark_projects_ordered(session: Session, order: Order) -> None:
    """An order of a project's line updates the project's last order date and price."""
    for line in order.lines:
        if line.project_id is None:
            continue
        project = session.get(Project, line.project_id)
        if project is not None:
            project.last_ordered_at = order.created_at
            project.last_price = line.gross_amount
