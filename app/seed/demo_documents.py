"""Demo closing documents: two orders of ООО «Ромашка» — one awaiting payment by invoice (its счёт), one handed
over (its УПД). Idempotent."""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.orm import Session

from app.models import Company, Customer, Document, OrderStatus, Product
from app.seed.demo import demo_pdf
from app.services import storage
from app.services.accounting import seller
from app.services.actors import Actor
from app.services.documents import issuing
from app.services.layouts import preflight
from app.services.orders import cart as cart_service
from app.services.orders import lifecycle, placing


def load_demo_documents(session: Session) -> str:
    actor = Actor.system("demo")
    if seller.in_force(session) is None:  # the shop's requisites come with the accounting demo data
        return "Документы: реквизиты магазина не заданы — документы не выставлены."
    company = session.scalar(sa.select(Company).where(Company.inn == "7707083893"))
    if company is None or session.scalar(sa.select(Document.id).limit(1)) is not None:
        return "Документы: без изменений."
    owner = session.get(Customer, company.members[0].customer_id)
    product = session.scalar(sa.select(Product).where(Product.slug == "vizitki-standart"))
    if owner is None or product is None:
        return "Документы: без изменений."
    ids = [v.id for g in product.option_groups for v in g.values if v.is_default]
    spec = preflight.spec_for_ids(product, ids)
    orders = []
    for n in (1, 2):
        cart = cart_service.get_or_create_cart(session, token=None, customer_id=owner.id)
        cart_service.add_item(
            session,
            cart,
            product=product,
            quantity=product.price_tiers[0].quantity,
            option_value_ids=ids,
            layout=storage.store_bytes(
                session, data=demo_pdf(spec.full_width, spec.full_height), filename="maket.pdf", customer_id=owner.id
            ),
        )
        orders.append(
            placing.place_order(
                session,
                customer=owner,
                cart=cart,
                data=placing.CheckoutData(
                    contact_name=owner.full_name or "Покупатель",
                    contact_email=owner.email,
                    contact_phone=owner.phone or "+79990001122",
                    delivery_method="pickup",
                    payment_method="invoice",
                    checkout_token=f"demo-documents-{n}",
                    company_id=str(company.id),
                ),
            )
        )
        issuing.ensure_invoice(session, orders[-1], actor=actor)
    realised = orders[1]
    lifecycle.mark_paid(session, realised, actor=actor)
    for status in (OrderStatus.confirmed, OrderStatus.in_production, OrderStatus.ready, OrderStatus.handed_over):
        lifecycle.change_status(session, realised, status, actor=actor)
    count = session.scalar(sa.select(sa.func.count()).select_from(Document))
    return f"Документы: выставлено {count} (счета и УПД ООО «Ромашка»)."
