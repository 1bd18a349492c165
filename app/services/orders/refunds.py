"""«Вернуть позицию»: staff give back the money for one product line of a paid order (a customer returning part of
an order, also after it was delivered or completed).

The line leaves the order; the lines that stay keep exactly the amounts the customer paid for them (their promo
discount, bonus points, VAT and delivery are not recomputed: the customer gets back what they paid for the
returned line — `line.total` — and the kept lines' sale and closing documents stay what they were). The order's
totals are the sums of what is left (`pricing.recalculate_totals`), so the amount paid becomes the new total.

Everything happens in the caller's transaction, under a lock of the order row (a double click waits for the first
and then finds the line gone, changing nothing), inside `history.acting` (the timeline says «вернула позицию …»
with the amount), and the registered effects settle the rest, each by the recorded amounts:

- the sales journal (`accounting.journal`): the line's money as a partial refund of the payment and, for a
  realised order, the sale corrected (`repost_orders`, reason «Исправление»);
- bonus points (`loyalty.effects`): the points the line spent come back, the points the order earned are taken
  back in proportion to the line's share of the money paid for products;
- closing documents (`documents`): a company order already realised gets its УКД;
- the customer hears of it by their settings (`order_line_refunded`: the line and the amount given back).

A whole order is refunded by the status «Возврат» (`lifecycle`), never line by line: the last product line, the
delivery line, an unpaid order (its lines are edited before production instead) are refused with the reason.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

import sqlalchemy as sa
from sqlalchemy.orm import Session

from app.models import LineKind, Order, OrderHistory, OrderStatus, PaymentStatus, Review
from app.services.actors import Actor
from app.services.errors import NotFound, ValidationError
from app.services.messaging import notifications
from app.services.money import ZERO, format_money
from app.services.orders import history, pricing
from app.services.orders.lifecycle import is_realised
from app.services.shoptime import now

S = OrderStatus
HISTORY_FIELD = "line_refunded"
MAX_REASON = 1000


@dataclass(frozen=True)
class LineRefund:
    """One refunded line, as every effect receives it (amounts as recorded on the line)."""

    session: Session
    actor: Actor
    moment: datetime
    comment: str
    order_id: int
    number: str
    customer_id: int
    company_id: int | None
    serial: int  # the order's n-th line refund: the idempotency keys of what the effects post
    position: int
    product_name: str
    amount: Decimal  # the money paid for the line (its total), given back
    points: Decimal  # bonus points the line spent
    products_paid: Decimal  # the money paid for the order's products before the refund
    realised: bool


RefundEffect = Callable[[LineRefund], None]
_EFFECTS: list[tuple[int, str, RefundEffect]] = []


def on_line_refunded(*, order: int) -> Callable[[RefundEffect], RefundEffect]:
    """Register an effect of a line refund; effects run in `order` (journal 10, points 20, documents 30)."""

    def decorate(fn: RefundEffect) -> RefundEffect:
        name = f"{fn.__module__}.{fn.__qualname__}"
        _EFFECTS[:] = [e for e in _EFFECTS if e[1] != name]
        _EFFECTS.append((order, name, fn))
        _EFFECTS.sort(key=lambda e: (e[0], e[1]))
        return fn

    return decorate


def refund_refusal(order: Order) -> str | None:
    """Why no line of this order can be refunded (a Russian sentence), or None when its lines can be."""
    if order.status in (S.cancelled, S.refunded) or order.payment_status == PaymentStatus.refunded:
        return f"Заказ {order.number} в статусе «{order.status.label}» — позицию уже не вернуть."
    if order.payment_status != PaymentStatus.paid:
        return (
            f"Заказ {order.number} не оплачен — возвращать нечего: позицию убирают правкой заказа "
            "(«Удалить позицию»), пока заказ не в печати."
        )
    return None


def lines_refundable(order: Order) -> bool:
    """Whether the order page offers «Вернуть позицию» (a paid order with more than one product line)."""
    return refund_refusal(order) is None and len(order.product_lines) > 1


def _lock(session: Session, order: Order) -> None:
    """Lock the order row until the transaction ends and read the order and its lines afresh."""
    session.execute(sa.select(Order.id).where(Order.id == order.id).with_for_update())
    session.refresh(order)
    session.expire(order, ["lines"])


def refund_line(session: Session, order: Order, line_id: int, *, actor: Actor, comment: str) -> LineRefund:
    """Refund one product line of a paid order; ValidationError (NotFound for a line not in the order) with the
    reason, changing nothing, when it cannot be refunded. Does not commit."""
    reason = " ".join((comment or "").split())
    if len(reason) < 3:
        raise ValidationError("Укажите причину возврата позиции.", field="comment")
    if len(reason) > MAX_REASON:
        raise ValidationError("Причина возврата — не длиннее 1000 символов.", field="comment")
    _lock(session, order)
    refusal = refund_refusal(order)
    if refusal:
        raise ValidationError(refusal)
    line = next((line for line in order.lines if line.id == line_id), None)
    if line is None:
        raise NotFound("Такой позиции в заказе нет — возможно, её уже вернули. Обновите страницу.")
    if line.kind != LineKind.product:
        raise ValidationError("Доставка отдельно не возвращается — верните весь заказ статусом «Возврат».")
    if len(order.product_lines) <= 1:
        raise ValidationError(
            f"Это последняя позиция заказа {order.number} — верните заказ целиком статусом «{S.refunded.label}»."
        )
    if session.scalar(sa.select(Review.id).where(Review.order_line_id == line.id)) is not None:
        raise ValidationError(
            "На эту позицию покупатель написал отзыв, он ссылается на покупку — отдельно её не вернуть; "
            f"верните заказ целиком статусом «{S.refunded.label}»."
        )
    serial = 1 + (
        session.scalar(
            sa.select(sa.func.count())
            .select_from(OrderHistory)
            .where(OrderHistory.order_id == order.id, OrderHistory.field == HISTORY_FIELD)
        )
        or 0
    )
    refund = LineRefund(
        session=session,
        actor=actor,
        moment=now(),
        comment=reason,
        order_id=order.id,
        number=order.number,
        customer_id=order.customer_id,
        company_id=order.company_id,
        serial=serial,
        position=line.position,
        product_name=line.product_name,
        amount=line.total,
        points=line.points or ZERO,
        products_paid=sum((product.total for product in order.product_lines), ZERO),
        realised=is_realised(order),
    )
    with history.refunding(session, line, line.total), history.acting(session, actor, comment=reason):
        order.lines.remove(line)
        pricing.recalculate_totals(order)
    for _, _, effect in _EFFECTS:
        effect(refund)
    session.flush()
    return refund


@on_line_refunded(order=100)
def tell_the_customer(refund: LineRefund) -> None:
    """The customer hears which line was refunded and how much money goes back (by their notification settings)."""
    notifications.notify(
        refund.session,
        customer_id=refund.customer_id,
        event=notifications.ORDER_LINE_REFUNDED,
        payload={
            "number": refund.number,
            "product": refund.product_name,
            "amount": format_money(refund.amount),
            "points": refund.company_id is None,  # a personal order's points were settled too
        },
        order_id=refund.order_id,
        dedupe_key=f"order_line_refunded:{refund.order_id}:{refund.serial}",
    )
