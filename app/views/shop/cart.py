"""The cart page: items priced with today's prices, quantity changes, removal."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for

from app.extensions import db
from app.services import cart as cart_service
from app.services.errors import DomainError
from app.services.money import ZERO
from app.views.shop.helpers import current_cart

bp = Blueprint("cart", __name__, url_prefix="/cart")


@bp.get("/")
def show():
    cart = current_cart()
    lines, total = cart_service.price_cart(db.session, cart) if cart else ([], ZERO)
    return render_template("shop/cart.html", lines=lines, total=total)


@bp.post("/items/<int:item_id>/quantity")
def change_quantity(item_id: int):
    cart = current_cart()
    try:
        if cart is None:
            raise DomainError("Корзина пуста.")
        quantity = int(request.form.get("quantity", ""))
        cart_service.change_quantity(db.session, cart, item_id, quantity)
        db.session.commit()
        flash("Тираж изменён.", "success")
    except ValueError:
        flash("Выберите тираж из списка.", "danger")
    except DomainError as exc:
        db.session.rollback()
        flash(exc.message, "danger")
    return redirect(url_for("cart.show"))


@bp.post("/items/<int:item_id>/delete")
def remove(item_id: int):
    cart = current_cart()
    try:
        if cart is None:
            raise DomainError("Корзина пуста.")
        cart_service.remove_item(db.session, cart, item_id)
        db.session.commit()
        flash("Позиция удалена из корзины.", "success")
    except DomainError as exc:
        db.session.rollback()
        flash(exc.message, "danger")
    return redirect(url_for("cart.show"))
