"""Catalog pages: home, category, product with live price and add-to-cart (with the layout upload)."""

from __future__ import annotations

from decimal import Decimal

from flask import Blueprint, abort, current_app, flash, jsonify, redirect, render_template, request, url_for
from flask_security import current_user
from markupsafe import Markup

from app.extensions import db
from app.models import Product
from app.services import storage
from app.services.catalog import products as catalog_products
from app.services.catalog.products import Quote
from app.services.content import banners as content_banners
from app.services.content import news
from app.services.errors import DomainError, NotFound
from app.services.loyalty import checkout as loyalty_checkout
from app.services.money import format_money
from app.services.orders import cart as cart_service
from app.views.common import act
from app.views.shop import caching
from app.views.shop.forms import AddToCartForm, ProductChoiceForm
from app.views.shop.helpers import current_cart, customer_id
from app.views.shop.reviews import product_context

bp = Blueprint("catalog", __name__)


def _home_body() -> tuple[Markup, bool]:
    """The home page's content (catalog, banners, promotions) as HTML, and whether it has a carousel."""
    banners = content_banners.active_banners(db.session)
    html = render_template(
        "shop/_home_body.html",
        categories=catalog_products.active_categories(db.session),
        products=catalog_products.active_products(db.session),
        banners=banners,
        promotions=news.current_promotions(db.session),
    )
    return Markup(html), len(banners) > 1


@bp.get("/")
def home():
    body, carousel = caching.fragment("home", _home_body)
    return render_template("shop/home.html", body=body, carousel=carousel)


def _category_body(slug: str) -> tuple[Markup, str] | None:
    """A category's content as HTML and its name; None when there is no such active category."""
    try:
        found = catalog_products.category_by_slug(db.session, slug)
    except NotFound:
        return None
    html = render_template(
        "shop/_category_body.html",
        category=found,
        products=catalog_products.active_products(db.session, found),
        categories=catalog_products.active_categories(db.session),
    )
    return Markup(html), found.name


@bp.get("/catalog/<slug>")
def category(slug: str):
    found = caching.fragment("category", lambda: _category_body(slug), slug)
    if found is None:
        abort(404)
    body, name = found
    return render_template("shop/category.html", body=body, category_name=name)


def _choice(formdata) -> ProductChoiceForm:  # noqa: ANN001 - request.args or request.form
    """Quantity and option values as asked (the price API, the no-JS recalculation): no CSRF for a GET."""
    return ProductChoiceForm(formdata=formdata, meta={"csrf": False})


def _earn(amount: Decimal) -> str:
    """«+74 балла за этот заказ» at the visitor's tier (the start tier when not logged in)."""
    customer_id = current_user.id if current_user.is_authenticated else None
    points = loyalty_checkout.earn_estimate(
        db.session, customer_id=customer_id, products_paid=amount, for_company=False
    )
    return f"+{loyalty_checkout.format_points(points)} за этот заказ" if points else ""


def _quote_json(q: Quote) -> dict:
    return {
        "ok": True,
        "earn_label": _earn(q.total),
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
        product = catalog_products.product_by_slug(db.session, slug)
    except NotFound:
        return jsonify({"ok": False, "error": "Товар не найден."}), 404
    form = _choice(request.args)
    if not form.validate():
        return jsonify({"ok": False, "error": form.first_error[0]}), 400
    try:
        q = catalog_products.quote(db.session, product=product, quantity=form.count, option_value_ids=form.option_ids)
    except DomainError as exc:
        return jsonify({"ok": False, "error": exc.message}), 400
    return jsonify(_quote_json(q))


@bp.route("/product/<slug>", methods=["GET", "POST"])
def product(slug: str):
    try:
        found = catalog_products.product_by_slug(db.session, slug)
    except NotFound:
        abort(404)
    error = error_field = None
    form = AddToCartForm() if request.method == "POST" else _choice(request.args)
    valid = form.validate()
    chosen = form.option_ids
    if request.method == "GET" and not form.chosen_raw:
        chosen = catalog_products.default_option_ids(found)
    quantity = form.quantity.data if valid else None
    q = None
    if request.method == "POST" and not valid:
        # Nothing is guessed: a quantity or an option that is not a value is refused, the cart is unchanged.
        error, error_field = form.first_error
    else:
        if request.args.get("quantity") and not valid:
            error, error_field = form.first_error
        if quantity is None and found.price_tiers:
            quantity = found.price_tiers[0].quantity
        try:
            q = catalog_products.quote(db.session, product=found, quantity=quantity or 0, option_value_ids=chosen)
        except DomainError as exc:
            error, error_field = exc.message, exc.field

    if request.method == "POST" and q is not None:
        quote = q
        outcome = act(lambda: _add_to_cart(found, quote, form), flash_error=False)
        if outcome.ok:
            flash(f"«{found.name}» ({q.quantity} шт.) добавлен в корзину.", "success")
            return redirect(url_for("cart.show"))
        assert outcome.error is not None
        error, error_field = outcome.error.message, outcome.error.field
    chosen_ids = set(chosen)
    status = 400 if request.method == "POST" else 200
    return render_template(
        "shop/product.html",
        product=found,
        quote=q,
        earn_label=_earn(q.total) if q else "",
        error=error,
        error_field=error_field,
        quantity=quantity,
        chosen_ids=chosen_ids,
        accepted=storage.ACCEPTED_LABEL,
        max_mb=current_app.config["UPLOAD_MAX_BYTES"] // (1024 * 1024),
        **product_context(found),
    ), status


def _add_to_cart(product: Product, q: Quote, form: AddToCartForm) -> None:
    upload = form.layout.data
    cart = current_cart(create=True)
    assert cart is not None
    layout = None
    if upload and upload.filename:
        layout = storage.store_upload(
            db.session,
            stream=upload.stream,
            filename=upload.filename,
            customer_id=customer_id(),
            cart_token=cart.token if customer_id() is None else None,
        )
    elif product.requires_layout:
        raise DomainError("Загрузите файл макета.", field="layout")
    cart_service.add_item(
        db.session, cart, product=product, quantity=q.quantity, option_value_ids=q.option_value_ids, layout=layout
    )
