"""Free reprint for a «брак / рекламация» ticket: a new order for the same customer, its lines copied at zero
price, linked to the original; the reason is written in both orders' history and the ticket's.

The new order starts as «Новый» and is accepted through the order state machine like any other, so the
customer is told of it by the usual order messages and production sees it in its queue.
"""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.orm import Session

from app.models import LineKind, Order, OrderLine, OrderReprint, OrderStatus, Ticket, TicketTopic
from app.services.actors import Actor
from app.services.errors import ValidationError
from app.services.markup import plain_text
from app.services.money import ZERO
from app.services.orders import lifecycle, placing, pricing
from app.services.orders.history import acting
from app.services.orders.history import record as record_order
from app.services.shoptime import now, shop_today
from app.services.support import tickets

# A misprint shows once the order has been printed.
PRINTED_STATUSES = frozenset({OrderStatus.ready, OrderStatus.shipped, OrderStatus.handed_over, OrderStatus.completed})
REASON_MAX = 1000


def reprint_of(session: Session, ticket: Ticket) -> OrderReprint | None:
    return session.scalar(sa.select(OrderReprint).where(OrderReprint.ticket_id == ticket.id))


def refusal(session: Session, ticket: Ticket) -> str | None:
    """Why this ticket cannot have a reprint (a Russian sentence), or None when it can."""
    if ticket.topic != TicketTopic.defect:
        return "Перепечатка — только по обращению с темой «Брак / рекламация»."
    if ticket.order is None:
        return "К обращению не привязан заказ."
    if reprint_of(session, ticket) is not None:
        return "По этому обращению перепечатка уже оформлена."
    if ticket.order.status not in PRINTED_STATUSES:
        return f"Заказ {ticket.order.number} в статусе «{ticket.order.status.label}» ещё не напечатан."
    return None


def _copy_line(line: OrderLine) -> OrderLine:
    return OrderLine(
        position=line.position,
        kind=line.kind,
        product_id=line.product_id,
        product_name=line.product_name,
        options=list(line.options or []),
        quantity=line.quantity,
        unit_price=ZERO,
        gross_amount=ZERO,
        discount=ZERO,
        total=ZERO,
        vat_rate=line.vat_rate,
        vat_amount=ZERO,
        net_amount=ZERO,
        layout_file_id=line.layout_file_id,
        preflight=line.preflight,
        print_as_is=line.print_as_is,
        project_id=line.project_id,
    )


def create_reprint(session: Session, ticket: Ticket, *, actor: Actor, reason: str) -> Order:
    """The free reprint order of the ticket's order (see the module's docstring); ValidationError if refused."""
    text = plain_text(reason, multiline=True)
    if not text:
        raise ValidationError("Укажите причину перепечатки — она попадёт в историю обоих заказов.", field="reason")
    if len(text) > REASON_MAX:
        raise ValidationError(f"Причина — не длиннее {REASON_MAX} символов.", field="reason")
    why_not = refusal(session, ticket)
    if why_not:
        raise ValidationError(why_not)
    original = ticket.order
    assert original is not None
    comment = f"Бесплатная перепечатка заказа {original.number} по обращению № {ticket.id}: {text}"
    with acting(session, actor, comment=comment):
        reprint = Order(
            number=placing.next_order_number(session, shop_today().year),
            customer_id=original.customer_id,
            company_id=original.company_id,
            status=OrderStatus.new,
            payment_method=original.payment_method,
            delivery_method=original.delivery_method,
            contact_name=original.contact_name,
            contact_email=original.contact_email,
            contact_phone=original.contact_phone,
            delivery_address=original.delivery_address,
            delivery_address_snapshot=original.delivery_address_snapshot,
            packages=original.packages,
            comment=comment,
            lines=[_copy_line(line) for line in original.lines if line.kind in (LineKind.product, LineKind.delivery)],
        )
        pricing.recalculate_totals(reprint)
        session.add(reprint)
    session.flush()
    record_order(session, reprint, actor, "reprint_of", None, original.number, comment=text)
    record_order(session, original, actor, "reprint", None, reprint.number, comment=text)
    session.add(
        OrderReprint(
            ticket_id=ticket.id,
            original_order_id=original.id,
            reprint_order_id=reprint.id,
            reason=text,
            created_at=now(),
            staff_id=actor.staff_id,
            actor_name=actor.name[:200],
        )
    )
    tickets.record(session, ticket, actor, "reprint", None, reprint.number, comment=text)
    session.flush()
    lifecycle.change_status(session, reprint, OrderStatus.confirmed, actor=actor, comment="бесплатная перепечатка")
    session.flush()
    return reprint
