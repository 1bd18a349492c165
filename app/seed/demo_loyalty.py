"""Demo bonus points: a history for each demo customer (a gift, earnings on paid orders, an order partly paid with
points, points that expired and points about to expire), made through the loyalty services; idempotent."""

from __future__ import annotations

from datetime import timedelta

import sqlalchemy as sa
from sqlalchemy.orm import Session

from app.models import Customer, EntryKind, LoyaltyEntry, Order, OrderStatus, PaymentStatus, Product
from app.services import storage
from app.services.actors import Actor
from app.services.catalog.products import default_option_ids
from app.services.layouts import preflight
from app.services.loyalty import checkout, ledger, maturity, tiers
from app.services.orders import cart as cart_service
from app.services.orders import lifecycle, placing
from app.services.shoptime import now

DEMO = Actor.system("demo")


def _gift(session: Session, customer: Customer, points: int, reason: str, days_ago: int) -> None:
    ledger.post(
        session,
        customer_id=customer.id,
        kind=EntryKind.adjust,
        key=f"adjust:demo:{customer.id}:{days_ago}",
        actor=DEMO,
        available=points,
        reason=reason,
        moment=now() - timedelta(days=days_ago),
    )


def _order_with_points(session: Session, customer: Customer, points: int) -> Order:
    product = session.scalars(sa.select(Product).where(Product.slug == "vizitki-standart")).one()
    ids = default_option_ids(product)
    spec = preflight.spec_for_ids(product, ids)
    from app.seed.demo import demo_pdf

    layout = storage.store_bytes(
        session, data=demo_pdf(spec.full_width, spec.full_height), filename="vizitki.pdf", customer_id=customer.id
    )
    cart = cart_service.get_or_create_cart(session, token=None, customer_id=customer.id)
    cart_service.add_item(session, cart, product=product, quantity=1000, option_value_ids=ids, layout=layout)
    return checkout.place_order(
        session,
        customer=customer,
        cart=cart,
        data=placing.CheckoutData(
            contact_name=customer.full_name,
            contact_email=customer.email,
            contact_phone=customer.phone,
            delivery_method="pickup",
            payment_method="on_receipt",
            checkout_token=f"demo-points-{customer.id}",
        ),
        points=points,
    )


def load_demo_loyalty(session: Session, customers: list[Customer]) -> str:
    if session.scalar(sa.select(LoyaltyEntry.id).where(LoyaltyEntry.key.like("adjust:demo:%")).limit(1)):
        return "Бонусы: уже загружены."
    ivan, olga, anna = customers[:3]
    # Иван: a welcome gift, an order partly paid with points, earnings on it once paid.
    _gift(session, ivan, 500, "Приветственные баллы", 60)
    order = _order_with_points(session, ivan, 250)
    lifecycle.mark_paid(session, order, actor=DEMO)
    # Ольга: an old gift that has expired, and a newer one that expires in a few days.
    _gift(session, olga, 300, "Подарок ко дню рождения", 400)
    _gift(session, olga, 150, "Компенсация задержки заказа", 355)
    maturity.expire_due(session)
    # Анна: the realised and paid banner completed — its points wait for the return window.
    for banner in session.scalars(
        sa.select(Order).where(
            Order.customer_id == anna.id,
            Order.status == OrderStatus.handed_over,
            Order.payment_status == PaymentStatus.paid,
        )
    ):
        lifecycle.change_status(session, banner, OrderStatus.completed, actor=DEMO)
    tiers.recompute_all(session)
    session.flush()
    entries = session.scalar(sa.select(sa.func.count()).select_from(LoyaltyEntry))
    return f"Бонусы: записей в журнале {entries}."
