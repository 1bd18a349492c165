"""The customer's own area: "Мои заказы" and an order's page."""

from __future__ import annotations

from flask import Blueprint, abort, render_template, request
from flask_security import auth_required, current_user

from app.extensions import db
from app.models import OrderStatus
from app.reports.order_timeline import customer_timeline
from app.services.errors import NotFound
from app.services.orders import lookup
from app.views.shop.forms import OrderListForm

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
    return render_template("shop/orders.html", listing=listing, form=form, error=form.first_error, filters=filters), (
        200 if valid else 400
    )


@bp.get("/orders/<number>")
@auth_required()
def order(number: str):
    try:
        found = lookup.customer_order(db.session, current_user.id, number)
    except NotFound:
        abort(404)
    return render_template("shop/order.html", order=found, statuses=customer_timeline(found.history))
