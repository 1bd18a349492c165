"""The cart page: items priced with today's prices, quantity changes, removal."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for

from app.extensions import db
from app.services.catalog import products
from app.services.errors import DomainError
from app.services.money import ZERO
from app.services.orders import cart as cart_service
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


@bp.route("/items/<int:item_id>/edit", methods=["GET", "POST"])
def edit_item(item_id: int):
    """Change quantity and options (paper, format…) of a line without uploading the layout again."""
    cart = current_cart()
    try:
        item = cart_service.cart_item(cart, item_id) if cart else None
    except DomainError:
        item = None
    if item is None:
        abort(404)
    error = None
    chosen = {int(v) for v in item.option_value_ids}
    quantity = item.quantity
    if request.method == "POST":
        chosen_raw = [v for key in request.form if key.startswith("opt_") for v in request.form.getlist(key)]
        try:
            quantity = int(request.form.get("quantity", ""))
            cart_service.change_options(
                db.session, cart, item_id, quantity=quantity, option_value_ids=products.parse_ids(chosen_raw)
            )
            db.session.commit()
        except ValueError:
            error = "Выберите тираж из списка."
        except DomainError as exc:
            db.session.rollback()
            error = exc.message
        else:
            flash("Параметры позиции изменены.", "success")
            return redirect(url_for("cart.show"))
        chosen = {int(v) for v in chosen_raw if v.isdigit()}
    return render_template("shop/cart_item_edit.html", item=item, chosen_ids=chosen, quantity=quantity, error=error), (
        400 if error else 200
    )


@bp.post("/items/<int:item_id>/as-is")
def print_as_is(item_id: int):
    """«Печатать как есть»: the customer accepts the preflight errors of this line's layout."""
    cart = current_cart()
    try:
        if cart is None:
            raise DomainError("Корзина пуста.")
        accepted = request.form.get("accept") == "1"
        cart_service.accept_as_is(db.session, cart, item_id, accepted=accepted)
        db.session.commit()
        flash("Макет будет напечатан как есть." if accepted else "Подтверждение снято.", "success")
    except DomainError as exc:
        db.session.rollback()
        flash(exc.message, "danger")
    return redirect(url_for("cart.show"))
