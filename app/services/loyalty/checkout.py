"""Bonus points at checkout: how many the customer may spend on this order (and why not more), how many the order
will earn, and placing an order that pays part of its products with points.

Spending rules: whole points only; at most the tier's share of the products' amount after the promo discount
(never delivery); only when the products come to at least the minimum order; never more than the available
balance. A company's order neither spends nor earns a person's points (companies pay by invoice).
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_DOWN, Decimal

from sqlalchemy.orm import Session

from app.models import Cart, Customer, DeliveryMethod, EntryKind, Order, Tier
from app.services.actors import Actor
from app.services.companies import members
from app.services.errors import ValidationError
from app.services.loyalty import ledger, rules, tiers
from app.services.loyalty.effects import points_for
from app.services.money import format_money, format_rate
from app.services.orders import lookup, placing

MAX_POINTS_TEXT = 9
COMPANY_NOTE = "Заказ компании оплачивается по счёту: личные баллы в нём не списываются и не начисляются."


@dataclass(frozen=True)
class SpendLimit:
    """What the customer may spend on an order, and the rule that limits it (shown on the page)."""

    limit: int
    available: int
    tier: Tier
    cap_percent: Decimal
    rate: Decimal
    note: str  # «можно списать до 1 250 баллов» or why none

    @property
    def allowed(self) -> bool:
        return self.limit > 0


def points_word(n: int) -> str:
    n = abs(n)
    if n % 10 == 1 and n % 100 != 11:
        return "балл"
    if 2 <= n % 10 <= 4 and not 12 <= n % 100 <= 14:
        return "балла"
    return "баллов"


def format_points(n: int) -> str:
    return f"{n:,}".replace(",", "\u00a0") + f"\u00a0{points_word(n)}"


def spend_limit(session: Session, *, customer_id: int, products_amount: Decimal, for_company: bool) -> SpendLimit:
    """The most points this order may take (see the module docstring for the rules)."""
    settings = rules.current(session)
    tier = tiers.tier_of(session, customer_id)
    available = ledger.balance(session, customer_id).available
    cap = settings.cap(tier)

    def result(limit: int, note: str) -> SpendLimit:
        return SpendLimit(limit, available, tier, cap, settings.rate(tier), note)

    if for_company:
        return result(0, COMPANY_NOTE)
    if available <= 0:
        return result(0, "Баллов для списания пока нет.")
    if products_amount < settings.min_order_total:
        return result(0, f"Баллами можно оплатить заказ с товарами от {format_money(settings.min_order_total)}.")
    by_cap = int((products_amount * cap / Decimal("100")).to_integral_value(rounding=ROUND_DOWN))
    limit = max(min(by_cap, available), 0)
    if limit <= 0:
        return result(0, "Для этого заказа баллы списать нельзя.")
    return result(
        limit,
        f"Можно списать до {format_points(limit)} — не больше {format_rate(cap)} стоимости товаров "
        f"(уровень «{tier.label}»), доставка баллами не оплачивается.",
    )


def earn_estimate(session: Session, *, customer_id: int | None, products_paid: Decimal, for_company: bool) -> int:
    """Points the order would earn when paid (at the customer's tier today; the recorded amount is fixed at
    payment)."""
    if for_company:
        return 0
    settings = rules.current(session)
    tier = tiers.tier_of(session, customer_id) if customer_id is not None else Tier.start
    return points_for(products_paid, settings.rate(tier))


def parse_points(value: str | int | None) -> int:
    text = str(value if value is not None else "").strip().replace(" ", "").replace("\u00a0", "")
    if not text:
        return 0
    if len(text) > MAX_POINTS_TEXT or not text.isdigit():
        raise ValidationError("Укажите целое число баллов (без копеек), например 300.", field="points")
    return int(text)


def place_order(
    session: Session, *, customer: Customer, cart: Cart, data: placing.CheckoutData, points: str | int | None = ""
) -> Order:
    """Place the order and spend `points` on it in one transaction, or refuse with the rule that limits them
    (nothing is placed). Idempotent on the checkout token: a second submit returns the first order and spends
    nothing more."""
    existing = lookup.order_by_checkout_token(session, data.checkout_token)
    if existing is not None:
        return placing.place_order(session, customer=customer, cart=cart, data=data)
    wanted = parse_points(points)
    if wanted == 0:
        return placing.place_order(session, customer=customer, cart=cart, data=data)
    company = members.company_for_order(session, customer=customer, company_id=data.company_id)
    if company is not None:
        raise ValidationError(COMPANY_NOTE, field="points")
    delivery, _, _ = placing.validate_checkout(data)
    priced = placing.price_order(
        session, customer_id=customer.id, cart=cart, delivery=delivery, promo_code=data.promo_code
    )
    limit = spend_limit(
        session,
        customer_id=customer.id,
        products_amount=priced.products_after_discount,
        for_company=False,
    )
    if not limit.allowed:
        raise ValidationError(limit.note, field="points")
    if wanted > limit.limit:
        raise ValidationError(
            f"Можно списать не больше {format_points(limit.limit)} (доступно {format_points(max(limit.available, 0))}, "
            f"не больше {format_rate(limit.cap_percent)} стоимости товаров).",
            field="points",
        )
    order = placing.place_order(session, customer=customer, cart=cart, data=data, points=Decimal(wanted))
    ledger.spend(
        session,
        customer_id=customer.id,
        points=wanted,
        key=f"{EntryKind.spend.value}:{order.id}:1",
        actor=Actor.customer(customer),
        order_id=order.id,
        reason=f"Оплата заказа {order.number}",
    )
    return order


@dataclass
class CheckoutQuote:
    """The checkout page's totals with the points the customer typed: what may be spent, what is spent, what the
    order will earn, and the message when the typed amount is refused (then the totals are without points)."""

    priced: placing.PricedOrder
    limit: SpendLimit
    points: int
    earn: int
    error: str | None = None


def quote(
    session: Session,
    *,
    customer_id: int,
    cart: Cart,
    delivery: DeliveryMethod,
    promo_code: str = "",
    points: str | int | None = "",
    company_id: str = "",
) -> CheckoutQuote:
    """Price the cart for the checkout page (DomainError for a bad promo code, as `placing.price_order`)."""
    for_company = bool(str(company_id or "").strip())
    priced = placing.price_order(session, customer_id=customer_id, cart=cart, delivery=delivery, promo_code=promo_code)
    limit = spend_limit(
        session, customer_id=customer_id, products_amount=priced.products_after_discount, for_company=for_company
    )
    error = None
    try:
        wanted = parse_points(points)
    except ValidationError as exc:
        wanted, error = 0, exc.message
    if wanted and not limit.allowed:
        wanted, error = 0, limit.note
    elif wanted > limit.limit:
        wanted, error = 0, f"Можно списать не больше {format_points(limit.limit)}."
    if wanted:
        priced = placing.price_order(
            session,
            customer_id=customer_id,
            cart=cart,
            delivery=delivery,
            promo_code=promo_code,
            points=Decimal(wanted),
        )
    earn = earn_estimate(
        session, customer_id=customer_id, products_paid=priced.products_paid_in_money, for_company=for_company
    )
    return CheckoutQuote(priced, limit, wanted, earn, error)
