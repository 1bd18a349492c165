"""The customer's own area: "Мои заказы" and an order's page."""

from __future__ import annotations

from flask import Blueprint, abort, render_template
from flask_security import auth_required, current_user

from app.extensions import db
from app.reports.order_timeline import customer_timeline
from app.services.documents import access
from app.services.errors import NotFound
from app.services.orders import lookup

bp = Blueprint("account", __name__, url_prefix="/account")


@bp.get("/orders")
@auth_required()
def orders_list():
    return render_template("shop/orders.html", orders=lookup.customer_orders(db.session, current_user.id))


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
    )
