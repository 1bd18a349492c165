"""The customer's profile: address book, newsletter consent, notification settings, Telegram link."""

from __future__ import annotations

from flask import Blueprint, abort, current_app, flash, jsonify, redirect, render_template, request, session, url_for
from flask_security import auth_required, current_user

from app.extensions import db
from app.models import Channel, ConsentSource
from app.services.customers import addresses
from app.services.errors import DomainError, NotFound
from app.services.messaging import notifications, subscriptions, telegram
from app.services.messaging.notifications import NOTIFY_STATUSES
from app.services.shoptime import format_datetime

bp = Blueprint("profile", __name__, url_prefix="/account")

HOURS = list(range(24))


def _wants_json() -> bool:
    return request.accept_mimetypes.best == "application/json"


@bp.get("/profile")
@auth_required()
def show():
    invite = session.get("telegram_invite")
    prefs = notifications.preferences(db.session, current_user.id)
    return render_template(
        "shop/profile.html",
        addresses=addresses.addresses_of(db.session, current_user.id),
        address_limit=current_app.config["ADDRESS_LIMIT"],
        prefs=prefs,
        events=notifications.configurable_events(),
        channels=list(Channel),
        statuses=[s for s in notifications.OrderStatus if s in NOTIFY_STATUSES],
        hours=HOURS,
        telegram_link=telegram.link_of(db.session, current_user.id),
        telegram_available=bool(telegram.bot_username()),
        invite=invite,
    )


def _address_form(address=None, form=None, error=None, error_field=None, status=200):  # noqa: ANN001, ANN202
    return render_template(
        "shop/address_form.html", address=address, form=form or {}, error=error, error_field=error_field
    ), status


@bp.get("/addresses/new")
@auth_required()
def new_address():
    form = {"recipient_name": current_user.full_name, "phone": current_user.phone}
    return _address_form(form=form)


@bp.post("/addresses")
@auth_required()
def create_address():
    data = addresses.AddressData.from_form(request.form)
    try:
        addresses.add_address(
            db.session, customer_id=current_user.id, data=data, make_primary=bool(request.form.get("is_primary"))
        )
        db.session.commit()
    except DomainError as exc:
        db.session.rollback()
        return _address_form(form=request.form, error=exc.message, error_field=exc.field, status=400)
    flash("Адрес сохранён.", "success")
    return redirect(url_for(".show") + "#addresses")


def _own_address(address_id: int):  # noqa: ANN202
    try:
        return addresses.customer_address(db.session, current_user.id, address_id)
    except NotFound:
        abort(404)


@bp.get("/addresses/<int:address_id>/edit")
@auth_required()
def edit_address(address_id: int):
    address = _own_address(address_id)
    form = {name: getattr(address, name) for name in addresses.AddressData.__dataclass_fields__}
    return _address_form(address=address, form=form)


@bp.post("/addresses/<int:address_id>/edit")
@auth_required()
def update_address(address_id: int):
    address = _own_address(address_id)
    data = addresses.AddressData.from_form(request.form)
    try:
        addresses.update_address(db.session, customer_id=current_user.id, address_id=address_id, data=data)
        db.session.commit()
    except DomainError as exc:
        db.session.rollback()
        return _address_form(address=address, form=request.form, error=exc.message, error_field=exc.field, status=400)
    flash("Адрес изменён.", "success")
    return redirect(url_for(".show") + "#addresses")


@bp.post("/addresses/<int:address_id>/delete")
@auth_required()
def delete_address(address_id: int):
    _own_address(address_id)
    addresses.delete_address(db.session, customer_id=current_user.id, address_id=address_id)
    db.session.commit()
    flash("Адрес удалён.", "success")
    return redirect(url_for(".show") + "#addresses")


@bp.post("/addresses/<int:address_id>/primary")
@auth_required()
def make_primary(address_id: int):
    _own_address(address_id)
    addresses.set_primary(db.session, customer_id=current_user.id, address_id=address_id)
    db.session.commit()
    flash("Основной адрес изменён.", "success")
    return redirect(url_for(".show") + "#addresses")


@bp.post("/profile/newsletter")
@auth_required()
def newsletter_toggle():
    """The switch: a fetch() call with JS (JSON answer), a plain form submit without it (redirect)."""
    subscribed = request.form.get("subscribed") in ("1", "on", "true")
    subscriptions.set_subscription(db.session, current_user, subscribed=subscribed, source=ConsentSource.profile)
    db.session.commit()
    message = "Вы подписаны на новости и акции." if subscribed else "Вы отписались от новостей и акций."
    if _wants_json():
        return jsonify(ok=True, subscribed=subscribed, message=message)
    flash(message, "success")
    return redirect(url_for(".show") + "#newsletter")


@bp.post("/profile/notifications")
@auth_required()
def save_notifications():
    channels = {info.name: request.form.getlist(f"ch_{info.name}") for info in notifications.configurable_events()}
    try:
        notifications.save_preferences(
            db.session,
            customer_id=current_user.id,
            channels=channels,
            order_statuses=request.form.getlist("status"),
            quiet_hours=bool(request.form.get("quiet_hours")),
            quiet_from=request.form.get("quiet_from", "22"),
            quiet_to=request.form.get("quiet_to", "9"),
        )
        db.session.commit()
    except DomainError as exc:
        db.session.rollback()
        flash(exc.message, "danger")
        return redirect(url_for(".show") + "#notifications")
    flash("Настройки уведомлений сохранены.", "success")
    return redirect(url_for(".show") + "#notifications")


@bp.post("/profile/telegram")
@auth_required()
def telegram_link():
    try:
        invite = telegram.create_link_token(db.session, customer_id=current_user.id)
        db.session.commit()
    except DomainError as exc:
        db.session.rollback()
        flash(exc.message, "danger")
        return redirect(url_for(".show") + "#telegram")
    session["telegram_invite"] = {"url": invite.url, "expires": format_datetime(invite.expires_at)}
    return redirect(url_for(".show") + "#telegram")


@bp.post("/profile/telegram/unlink")
@auth_required()
def telegram_unlink():
    telegram.unlink_customer(db.session, customer_id=current_user.id)
    db.session.commit()
    session.pop("telegram_invite", None)
    flash("Telegram отключён: уведомления туда больше не придут.", "success")
    return redirect(url_for(".show") + "#telegram")
