"""The cart page: items priced with today's prices, quantity changes, removal."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_security import current_user

from app.extensions import db
from app.models import Cart
from app.services import storage
from app.services.errors import DomainError
from app.services.loyalty import checkout as loyalty_checkout
from app.services.money import ZERO
from app.services.orders import cart as cart_service
from app.views.common import act
from app.views.shop.forms import CartItemForm, CartLayoutForm, CartQuantityForm, PrintAsIsForm
from app.views.shop.helpers import current_cart

bp = Blueprint("cart", __name__, url_prefix="/cart")


@bp.get("/")
def show():
    cart = current_cart()
    lines, total = cart_service.price_cart(db.session, cart) if cart else ([], ZERO)
    customer_id = current_user.id if current_user.is_authenticated else None
    earn = loyalty_checkout.earn_estimate(db.session, customer_id=customer_id, products_paid=total, for_company=False)
    return render_template("shop/cart.html", lines=lines, total=total, earn=earn)


def _cart() -> Cart:
    """The current cart; called inside `act`, so «no cart» is shown like any refusal."""
    cart = current_cart()
    if cart is None:
        raise DomainError("Корзина пуста.")
    return cart


@bp.post("/items/<int:item_id>/quantity")
def change_quantity(item_id: int):
    form = CartQuantityForm()
    if form.validate():
        act(
            lambda: cart_service.change_quantity(db.session, _cart(), item_id, form.count),
            success="Тираж изменён.",
        )
    else:
        flash(form.quantity.errors[0] if form.quantity.errors else "Выберите тираж из списка.", "danger")
    return redirect(url_for("cart.show"))


@bp.post("/items/<int:item_id>/delete")
def remove(item_id: int):
    act(lambda: cart_service.remove_item(db.session, _cart(), item_id), success="Позиция удалена из корзины.")
    return redirect(url_for("cart.show"))


@bp.route("/items/<int:item_id>/edit", methods=["GET", "POST"])
def edit_item(item_id: int):
    """Change quantity and options (paper, format…) of a line without uploading the layout again."""
    cart = current_cart()
    try:
        item = cart_service.cart_item(cart, item_id) if cart else None
    except DomainError:
        item = None
    if item is None or cart is None:
        abort(404)
    error = None
    chosen = {int(v) for v in item.option_value_ids}
    quantity = item.quantity
    if request.method == "POST":
        form = CartItemForm()
        if form.validate():
            outcome = act(
                lambda: cart_service.change_options(
                    db.session, cart, item_id, quantity=form.count, option_value_ids=form.option_ids
                ),
                success="Параметры позиции изменены.",
                flash_error=False,
            )
            if outcome.ok:
                return redirect(url_for("cart.show"))
            assert outcome.error is not None
            error = outcome.error.message
        else:
            error = form.first_error[0]
        quantity = form.quantity.data or quantity
        chosen = set(form.option_ids)
    return render_template("shop/cart_item_edit.html", item=item, chosen_ids=chosen, quantity=quantity, error=error), (
        400 if error else 200
    )


@bp.post("/items/<int:item_id>/layout")
def replace_layout(item_id: int):
    """Upload another file for a line (its preflight runs again); the cart shows the new report."""
    form = CartLayoutForm()
    upload = form.layout.data
    if not form.validate() or not upload or not upload.filename:
        flash("Выберите файл макета.", "danger")
        return redirect(url_for("cart.show") + f"#item-{item_id}")

    def replace() -> None:
        cart = _cart()
        cart_service.cart_item(cart, item_id)  # an unknown line is refused before anything is stored
        layout = storage.store_upload(
            db.session,
            stream=upload.stream,
            filename=upload.filename,
            customer_id=cart.customer_id,
            cart_token=cart.token if cart.customer_id is None else None,
        )
        cart_service.replace_layout(db.session, cart, item_id, layout)

    act(replace, success="Макет заменён и проверен заново.")
    return redirect(url_for("cart.show") + f"#item-{item_id}")


@bp.post("/items/<int:item_id>/as-is")
def print_as_is(item_id: int):
    """«Печатать как есть»: the customer accepts the preflight errors of this line's layout."""
    form = PrintAsIsForm()
    if not form.validate():
        flash("Неверный запрос: обновите страницу и попробуйте ещё раз.", "danger")
        return redirect(url_for("cart.show"))
    accepted = form.accept.data == "1"
    act(
        lambda: cart_service.accept_as_is(db.session, _cart(), item_id, accepted=accepted),
        success="Макет будет напечатан как есть." if accepted else "Подтверждение снято.",
    )
    return redirect(url_for("cart.show"))
