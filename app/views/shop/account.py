"""The customer's own area: "Мои заказы", an order's page, and «Повторить заказ» (the whole order or a line)."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_security import auth_required, current_user

from app.extensions import db
from app.models import OrderStatus
from app.reports.order_timeline import customer_timeline
from app.services.documents import access
from app.services.errors import NotFound
from app.services.layouts import preflight
from app.services.loyalty import statement as order_points
from app.services.money import format_money
from app.services.orders import lookup, tracking
from app.services.projects import projects
from app.views.common import act
from app.views.shop.forms import OrderListForm
from app.views.shop.helpers import current_cart

bp = Blueprint("account", __name__, url_prefix="/account")


@bp.get("/orders")
@auth_required()
def orders_list():
    """The customer's orders a page at a time, filtered by status and period; bad filters are refused with a
    message and the whole list is shown."""
    form = OrderListForm(formdata=request.args)
    valid = form.validate()
    status = OrderStatus(form.status.data) if valid and form.status.data else None
    listing = lookup.customer_orders_page(
        db.session,
        current_user.id,
        status=status,
        since=lookup.period_start(form.period.data) if valid else None,
        page=(form.page.data or 1) if valid else 1,
    )
    filters = {"status": form.status.data or None, "period": form.period.data or None} if valid else {}
    reorderable = {o.id for o in listing.items if projects.may_reorder(db.session, o, customer=current_user)}
    return render_template(
        "shop/orders.html",
        listing=listing,
        form=form,
        error=form.first_error,
        filters=filters,
        reorderable=reorderable,
    ), (200 if valid else 400)


@bp.get("/orders/<number>")
@auth_required()
def order(number: str):
    try:
        found = lookup.customer_order(db.session, current_user.id, number)
    except NotFound:
        abort(404)
    return render_template(
        "shop/order.html",
        order=found,
        statuses=customer_timeline(found.history),
        documents=access.order_documents_for_customer(db.session, current_user, found.id),
        may_reorder=projects.may_reorder(db.session, found, customer=current_user),
        tracking_link=tracking.link,
        points=order_points.for_order(db.session, found),
    )


def _reorder(number: str, line_id: int | None):  # noqa: ANN202
    def run() -> projects.OrderReorder:
        found = lookup.customer_order(db.session, current_user.id, number)
        cart = current_cart(create=True)
        assert cart is not None  # created on demand
        return projects.reorder_order(db.session, found, cart=cart, customer=current_user, line_id=line_id)

    outcome = act(run, missing_is_404=True)
    result = outcome.result
    if result is None:
        return redirect(url_for(".order", number=number))
    count = len(result.lines)
    flash(f"Заказ {number}: в корзину добавлено позиций — {count}. Цены сегодняшние.", "success")
    for line in result.lines:
        name = line.item.product.name
        if line.price_changed:
            flash(
                f"«{name}»: цена изменилась — в заказе {format_money(line.old_price)}, "
                f"сейчас {format_money(line.new_price)}.",
                "info",
            )
        if line.rechecked:
            report = preflight.status_label(line.item.preflight)
            flash(f"«{name}»: формат изменился — макет проверен заново: {report}.", "info")
    for problem in result.problems + result.refused:
        flash(problem, "warning")
    return redirect(url_for("cart.show"))


@bp.post("/orders/<number>/reorder")
@auth_required()
def reorder(number: str):
    return _reorder(number, None)


@bp.post("/orders/<number>/lines/<int:line_id>/reorder")
@auth_required()
def reorder_line(number: str, line_id: int):
    return _reorder(number, line_id)
