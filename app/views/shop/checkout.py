"""Checkout: contact, delivery, payment, promo code; places the order once even if submitted twice."""

from __future__ import annotations

import secrets

from flask import Blueprint, flash, jsonify, redirect, render_template, request, session, url_for
from flask_security import auth_required, current_user
from sqlalchemy.exc import IntegrityError

from app.extensions import db
from app.models import Cart, DeliveryMethod, Order, PaymentMethod
from app.services.actors import Actor
from app.services.companies import addresses as company_addresses
from app.services.companies import members
from app.services.customers import addresses
from app.services.documents import issuing as document_issuing
from app.services.errors import DomainError, ValidationError
from app.services.loyalty import checkout as loyalty_checkout
from app.services.money import format_money
from app.services.orders import cart as cart_service
from app.services.orders import lookup, placing, promises
from app.services.phones import format_phone
from app.services.referrals import programme as referral_programme
from app.views.common import act, form_error
from app.views.common import error_field as first_error_field
from app.views.shop.forms import CheckoutForm
from app.views.shop.helpers import current_cart

bp = Blueprint("checkout", __name__, url_prefix="/checkout")
PROMO_KEY = "checkout_promo_code"

FIELDS = (
    "contact_name",
    "contact_email",
    "contact_phone",
    "delivery_method",
    "payment_method",
    "delivery_address",
    "comment",
    "promo_code",
    "checkout_token",
    "company_id",
    "address_id",
)


def _quote(cart: Cart, delivery: DeliveryMethod, form: dict, promo_code: str) -> loyalty_checkout.CheckoutQuote:
    return loyalty_checkout.quote(
        db.session,
        customer_id=current_user.id,
        cart=cart,
        delivery=delivery,
        promo_code=promo_code,
        points=form.get("points", ""),
        company_id=form.get("company_id", ""),
    )


def _render(form: dict, error: str | None = None, error_field: str | None = None, status: int = 200):
    cart = current_cart()
    priced = None
    quote = None
    promo_error = None
    try:
        delivery = DeliveryMethod(form.get("delivery_method") or DeliveryMethod.pickup)
    except ValueError:
        delivery = DeliveryMethod.pickup
    if cart and cart.items:
        try:
            quote = _quote(cart, delivery, form, form.get("promo_code", ""))
        except DomainError as exc:
            if exc.field == "promo_code":
                promo_error = exc.message
                try:
                    quote = _quote(cart, delivery, form, "")
                except DomainError as inner:
                    error = error or inner.message
            else:
                error = error or exc.message
        priced = quote.priced if quote else None
    memberships = members.customer_memberships(db.session, current_user.id)
    orderable = {c.id for c in members.ordering_companies(db.session, current_user.id)}
    return render_template(
        "shop/checkout.html",
        memberships=memberships,
        orderable=orderable,
        company_addresses={m.company_id: company_addresses.address_choices(m.company) for m in memberships},
        form=form,
        priced=priced,
        quote=quote,
        cart_lines=cart_service.price_cart(db.session, cart)[0] if cart and cart.items and priced is None else [],
        ready=promises.ready_date_of(item.product.production_days for item in cart.items) if cart else None,
        error=error,
        error_field=error_field,
        promo_error=promo_error,
        deliveries=list(DeliveryMethod),
        payments=list(PaymentMethod),
        addresses=addresses.addresses_of(db.session, current_user.id),
        billing=addresses.billing_address(db.session, current_user.id),
    ), status


@bp.get("/summary")
@auth_required()
def summary():
    """The order totals for another delivery method, so the checkout page can update without a reload."""
    cart = current_cart()
    try:
        delivery = DeliveryMethod(request.args.get("delivery_method", ""))
    except ValueError:
        return jsonify({"ok": False, "error": "Выберите способ получения."}), 400
    if cart is None or not cart.items:
        return jsonify({"ok": False, "error": "Корзина пуста."}), 400
    try:
        quote = _quote(cart, delivery, request.args.to_dict(), request.args.get("promo_code", ""))
    except DomainError as exc:
        return jsonify({"ok": False, "error": exc.message}), 400
    priced = quote.priced
    return jsonify(
        {
            "ok": True,
            "goods": format_money(priced.goods_total),
            "discount": format_money(priced.discount_total) if priced.discount_total else "",
            "delivery": format_money(priced.delivery_total) if priced.delivery_total else "бесплатно",
            "points": f"−{format_money(priced.points_total)}" if priced.points_total else "",
            "points_limit": quote.limit.limit,
            "points_note": quote.limit.note,
            "points_error": quote.error or "",
            "earn": loyalty_checkout.format_points(quote.earn) if quote.earn else "",
            "total": format_money(priced.total),
            "vat": format_money(priced.vat_total),
        }
    )


@bp.get("/")
@auth_required()
def show():
    cart = current_cart()
    if cart is None or not cart.items:
        flash("Корзина пуста — выберите товар в каталоге.", "info")
        return redirect(url_for("cart.show"))
    form = {
        "contact_name": current_user.full_name,
        "contact_email": current_user.email,
        "contact_phone": format_phone(current_user.phone),
        "delivery_method": DeliveryMethod.pickup.value,
        "payment_method": PaymentMethod.on_receipt.value,
        "checkout_token": secrets.token_urlsafe(24),
        "company_id": "",
        "promo_code": session.get(PROMO_KEY, ""),  # an applied code survives a reload of the page
    }
    # Ordering for a company (?company=<id>): bank transfer by invoice is its default payment.
    wanted = request.args.get("company", "")
    if wanted.isdigit() and int(wanted) in {c.id for c in members.ordering_companies(db.session, current_user.id)}:
        form["company_id"] = wanted
        form["payment_method"] = PaymentMethod.invoice.value
    # An invited friend's personal discount code is filled in for their first order (a code they applied wins).
    if not form["promo_code"]:
        form["promo_code"] = referral_programme.welcome_code(db.session, current_user.id) or ""
    primary = addresses.primary_address(db.session, current_user.id)
    form["address_id"] = str(primary.id) if primary else "new"
    form["save_address"] = "1"
    return _render(form)


def _choose_address(form: CheckoutForm, values: dict, data: placing.CheckoutData) -> None:
    """A saved address or a new one (saved to the book when asked): the order keeps a snapshot of it."""
    if data.delivery_method == DeliveryMethod.pickup.value or not values.get("address_id"):
        return
    if values["address_id"].startswith("company:"):
        data.delivery_address, data.address_snapshot = company_addresses.checkout_address(
            db.session, customer=current_user, choice=values["address_id"], company_id=values.get("company_id", "")
        )
        return
    new = form.new_address()
    new.recipient_name = values["contact_name"]
    new.phone = values["contact_phone"]
    try:
        chosen = addresses.checkout_address(
            db.session,
            customer_id=current_user.id,
            address_id=values["address_id"],
            new=new,
            save=bool(values.get("save_address")),
        )
    except ValidationError as exc:
        field = exc.field if exc.field in ("address_id", "phone") else f"addr_{exc.field}"
        raise ValidationError(exc.message, field="contact_phone" if field == "phone" else field) from None
    data.delivery_address = chosen.text
    data.address_snapshot = chosen.snapshot


def _place(form: CheckoutForm, values: dict, cart: Cart) -> Order:
    data = placing.CheckoutData(**{name: values[name] for name in FIELDS if name != "address_id"})
    _choose_address(form, values, data)
    order = loyalty_checkout.place_order(
        db.session, customer=current_user, cart=cart, data=data, points=values.get("points", "")
    )
    # An order paid by invoice gets its счёт with the order (the same transaction).
    document_issuing.ensure_invoice(db.session, order, actor=Actor.customer(current_user))
    if not current_user.full_name:
        current_user.full_name = order.contact_name
    if not current_user.phone:
        current_user.phone = order.contact_phone
    return order


@bp.post("/")
@auth_required()
def submit():
    form = CheckoutForm()
    values = form.values()
    if request.form.get("action") == "apply_promo":
        session[PROMO_KEY] = (values.get("promo_code") or "").strip()[:40]
        return _render(values)
    cart = current_cart()
    existing = lookup.order_by_checkout_token(db.session, values["checkout_token"])
    if existing is not None and existing.customer_id == current_user.id:
        return redirect(url_for("account.order", number=existing.number))
    if cart is None or not cart.items:
        flash("Корзина пуста — выберите товар в каталоге.", "info")
        return redirect(url_for("cart.show"))
    if not form.validate():
        # Bad input changes nothing: no order, no address saved, the form comes back with the message.
        return _render(values, form_error(form), first_error_field(form), 400)
    try:
        outcome = act(lambda: _place(form, values, cart), flash_error=False)
    except IntegrityError:
        # The same form submitted twice at once: the other request created the order.
        db.session.rollback()
        order = lookup.order_by_checkout_token(db.session, values["checkout_token"])
        if order is None or order.customer_id != current_user.id:
            raise
    else:
        if outcome.error is not None:
            return _render(values, outcome.error.message, outcome.error.field, 400)
        assert outcome.result is not None
        order = outcome.result
    session.pop(PROMO_KEY, None)
    message = f"Заказ {order.number} оформлен. Мы сообщим, когда он будет принят в работу."
    if order.payment_method == PaymentMethod.invoice:
        # The invoice is issued with the order: say where it is and when printing starts.
        message += (
            " Счёт на оплату — на странице заказа, в разделе «Документы»; "
            "в печать заказ уйдёт после поступления оплаты."
        )
    flash(message, "success")
    return redirect(url_for("account.order", number=order.number))
