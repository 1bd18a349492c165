"""Points in the order messages: the «order placed» and «order status» emails and Telegram texts name the points
the order spent and earned (with their state), rendered at delivery from the ledger — so a cancelled order's
message says they came back. Registered as a wrapper around each message's own renderer."""

from __future__ import annotations

from decimal import Decimal

from sqlalchemy.orm import object_session

from app.models import Order
from app.services.loyalty import statement
from app.services.messaging import messages, notifications
from app.services.messaging.messages import MessageContext, Rendered


def points_lines(ctx: MessageContext) -> list[str]:
    """«Оплачено баллами: 250 баллов», «Начислено: 67 баллов — ожидают …» for the message's order, or nothing."""
    session = object_session(ctx.notification)
    order_id = ctx.notification.order_id
    if session is None or order_id is None:
        return []
    order = session.get(Order, order_id)
    if order is None or order.company_id is not None:
        return []
    from app.services.loyalty.checkout import format_points

    view = statement.for_order(session, order)
    lines = []
    if view.spent:
        lines.append(f"Оплачено баллами: {format_points(view.spent)}")
    if view.returned:
        lines.append(f"Возвращено баллов: {format_points(view.returned)}")
    if view.earned:
        lines.append(f"Бонусные баллы за заказ: {format_points(view.earned)} — {view.state}")
    elif view.state == "начислим после оплаты":
        from app.services.loyalty.checkout import earn_estimate

        paid = sum((line.total for line in order.product_lines), Decimal("0"))
        estimate = earn_estimate(session, customer_id=order.customer_id, products_paid=paid, for_company=False)
        if estimate:
            lines.append(f"После оплаты начислим: {format_points(estimate)}")
    return lines


def _wrap(previous: messages.Renderer) -> messages.Renderer:
    def render(ctx: MessageContext) -> Rendered:
        ctx.extra.setdefault("points_lines", points_lines(ctx))
        return previous(ctx)

    render.__name__ = "with_points"
    return render


def register() -> None:
    for event in (notifications.ORDER_PLACED, notifications.ORDER_STATUS):
        current = messages.RENDERERS.get(event, messages.template_renderer)
        if getattr(current, "__name__", "") != "with_points":
            messages.register_renderer(event, _wrap(current))


register()
