"""Catalog pages: home, category, product with live price and add-to-cart (with the layout upload)."""

from __future__ import annotations

from flask import Blueprint, abort, current_app, flash, jsonify, redirect, render_template, request, url_for

from app.extensions import db
from app.services import cart as cart_service
from app.services import catalog, content, storage
from app.services.catalog import Quote
from app.services.errors import DomainError, NotFound
from app.services.money import format_money
from app.views.shop.helpers import current_cart, customer_id
from app.views.shop.reviews import product_context

bp = Blueprint("catalog", __name__)


@bp.get("/")
def home():
    categories = catalog.active_categories(db.session)
    products = catalog.active_products(db.session)
    banners = content.active_banners(db.session)
    promotions = content.current_promotions(db.session)
    return render_template(
        "shop/home.html", categories=categories, products=products, banners=banners, promotions=promotions
    )


@bp.get("/catalog/<slug>")
def category(slug: str):
    try:
        found = catalog.category_by_slug(db.session, slug)
    except NotFound:
        abort(404)
    return render_template(
        "shop/category.html",
        category=found,
        products=catalog.active_products(db.session, found),
        categories=catalog.active_categories(db.session),
    )


def _form_choice() -> tuple[int | None, list[str]]:
    """Quantity and chosen option value ids: `option=` (the price API) or one `opt_<group>` per group (the form)."""
    try:
        quantity = int(request.values.get("quantity", ""))
    except ValueError:
        quantity = None
    chosen = request.values.getlist("option")
    for key in request.values:
        if key.startswith("opt_"):
            chosen.extend(request.values.getlist(key))
    return quantity, chosen


def _quote_json(q: Quote) -> dict:
    return {
        "ok": True,
        "total": str(q.total),
        "unit_price": str(q.unit_price),
        "total_label": format_money(q.total),
        "unit_price_label": format_money(q.unit_price),
        "quantity": q.quantity,
    }


@bp.get("/api/price/<slug>")
def price(slug: str):
    """The server's price for a configuration: the product page asks it on every change."""
    try:
        product = catalog.product_by_slug(db.session, slug)
    except NotFound:
        return jsonify({"ok": False, "error": "Товар не найден."}), 404
    quantity, options = _form_choice()
    if quantity is None:
        return jsonify({"ok": False, "error": "Выберите тираж."}), 400
    try:
        q = catalog.quote(db.session, product=product, quantity=quantity, option_value_ids=options)
    except DomainError as exc:
        return jsonify({"ok": False, "error": exc.message}), 400
    return jsonify(_quote_json(q))


@bp.route("/product/<slug>", methods=["GET", "POST"])
def product(slug: str):
    try:
        found = catalog.product_by_slug(db.session, slug)
    except NotFound:
        abort(404)
    error = error_field = None
    quantity, chosen = _form_choice()
    if request.method == "GET" and not chosen:
        chosen = [str(i) for i in catalog.default_option_ids(found)]
    if quantity is None and found.price_tiers:
        quantity = found.price_tiers[0].quantity
    q = None
    try:
        q = catalog.quote(db.session, product=found, quantity=quantity or 0, option_value_ids=chosen)
    except DomainError as exc:
        error = exc.message

    if request.method == "POST" and q is not None:
        upload = request.files.get("layout")
        try:
            cart = current_cart(create=True)
            layout = None
            if upload and upload.filename:
                layout = storage.store_upload(
                    db.session,
                    stream=upload.stream,
                    filename=upload.filename,
                    customer_id=customer_id(),
                    cart_token=cart.token if customer_id() is None else None,
                )
            elif found.requires_layout:
                raise DomainError("Загрузите файл макета.", field="layout")
            cart_service.add_item(
                db.session,
                cart,
                product=found,
                quantity=q.quantity,
                option_value_ids=q.option_value_ids,
                layout=layout,
            )
            db.session.commit()
        except DomainError as exc:
            db.session.rollback()
            error, error_field = exc.message, exc.field
        else:
            flash(f"«{found.name}» ({q.quantity} шт.) добавлен в корзину.", "success")
            return redirect(url_for("cart.show"))
    chosen_ids = {int(c) for c in chosen if str(c).isdigit()}
    status = 400 if request.method == "POST" else 200
    return render_template(
        "shop/product.html",
        product=found,
        quote=q,
        error=error,
        error_field=error_field,
        quantity=quantity,
        chosen_ids=chosen_ids,
        accepted=storage.ACCEPTED_LABEL,
        max_mb=current_app.config["UPLOAD_MAX_BYTES"] // (1024 * 1024),
        **product_context(found),
    ), status
