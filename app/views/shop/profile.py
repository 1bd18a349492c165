"""The customer's profile: address book, newsletter consent, notification settings, Telegram link."""

from __future__ import annotations

from flask import Blueprint, abort, current_app, flash, jsonify, redirect, render_template, request, session, url_for
from flask_security import auth_required, current_user
from flask_wtf import FlaskForm

from app.extensions import db
from app.models import Channel, ConsentSource
from app.services.customers import addresses
from app.services.errors import NotFound, ValidationError
from app.services.messaging import notifications, subscriptions, telegram
from app.services.messaging.notifications import NOTIFY_STATUSES
from app.services.shoptime import format_datetime
from app.views.common import Outcome, act, form_error
from app.views.common import error_field as first_error_field
from app.views.shop.forms import AddressForm, NewsletterForm, NotificationSettingsForm
from app.views.shop.helpers import origin

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
        billing=addresses.billing_address(db.session, current_user.id),
        address_limit=current_app.config["ADDRESS_LIMIT"],
        prefs=prefs,
        events=notifications.configurable_events(),
        channels=list(Channel),
        statuses=[s for s in notifications.OrderStatus if s in NOTIFY_STATUSES],
        hours=HOURS,
        telegram_link=telegram.link_of(db.session, current_user.id),
        telegram_available=bool(telegram.bot_username()),
        invite=invite,
        newsletter_pending=subscriptions.pending_request(db.session, current_user.id),
        consent_text=subscriptions.CONSENT_TEXT,
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
    form = AddressForm()
    outcome = _run_valid(
        form,
        lambda: addresses.add_address(
            db.session,
            customer_id=current_user.id,
            data=form.address(),
            make_primary=bool(form.is_primary.data),
            make_billing=bool(form.is_billing.data),
        ),
        "Адрес сохранён.",
    )
    if outcome.error is not None:
        return _address_form(
            form=request.form, error=outcome.error.message, error_field=outcome.error.field, status=400
        )
    return redirect(url_for(".show") + "#addresses")


def _run_valid(form: FlaskForm, run, success: str) -> Outcome:  # noqa: ANN001
    """The service call of a form that parsed; a form that did not is refused like the service would be."""
    if not form.validate():
        return Outcome(error=ValidationError(form_error(form), field=first_error_field(form)))
    return act(run, success=success, flash_error=False)


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
    form = AddressForm()
    outcome = _run_valid(
        form,
        lambda: addresses.update_address(
            db.session, customer_id=current_user.id, address_id=address_id, data=form.address()
        ),
        "Адрес изменён.",
    )
    if outcome.error is not None:
        error = outcome.error
        return _address_form(
            address=address, form=request.form, error=error.message, error_field=error.field, status=400
        )
    return redirect(url_for(".show") + "#addresses")


@bp.post("/addresses/<int:address_id>/delete")
@auth_required()
def delete_address(address_id: int):
    _own_address(address_id)
    act(
        lambda: addresses.delete_address(db.session, customer_id=current_user.id, address_id=address_id),
        success="Адрес удалён.",
    )
    return redirect(url_for(".show") + "#addresses")


@bp.post("/addresses/<int:address_id>/primary")
@auth_required()
def make_primary(address_id: int):
    _own_address(address_id)
    act(
        lambda: addresses.set_primary(db.session, customer_id=current_user.id, address_id=address_id),
        success="Адрес доставки по умолчанию изменён.",
    )
    return redirect(url_for(".show") + "#addresses")


@bp.post("/addresses/<int:address_id>/billing")
@auth_required()
def make_billing(address_id: int):
    _own_address(address_id)
    act(
        lambda: addresses.set_billing(db.session, customer_id=current_user.id, address_id=address_id),
        success="Адрес для документов изменён.",
    )
    return redirect(url_for(".show") + "#addresses")


@bp.post("/addresses/billing/clear")
@auth_required()
def clear_billing():
    act(
        lambda: addresses.clear_billing(db.session, customer_id=current_user.id),
        success="В документах будет адрес доставки по умолчанию.",
    )
    return redirect(url_for(".show") + "#addresses")


@bp.post("/profile/newsletter")
@auth_required()
def newsletter_toggle():
    """The switch: a fetch() call with JS (JSON answer), a plain form submit without it (redirect)."""
    wanted = NewsletterForm().wanted
    if wanted:
        act(
            lambda: subscriptions.request_subscription(
                db.session, current_user, source=ConsentSource.profile, origin=origin()
            )
        )
    else:
        act(
            lambda: subscriptions.set_subscription(
                db.session, current_user, subscribed=False, source=ConsentSource.profile, origin=origin()
            )
        )
    subscribed = bool(current_user.newsletter_subscribed)
    if subscribed:
        message = "Вы подписаны на новости и акции."
    elif wanted:
        message = f"Мы отправили письмо на {current_user.email}: подписка начнётся, когда вы подтвердите её по ссылке."
    else:
        message = "Вы отписались от новостей и акций."
    if _wants_json():
        return jsonify(ok=True, subscribed=subscribed, pending=wanted and not subscribed, message=message)
    flash(message, "success")
    return redirect(url_for(".show") + "#newsletter")


@bp.post("/profile/notifications")
@auth_required()
def save_notifications():
    form = NotificationSettingsForm()
    if not form.validate():
        flash(form_error(form), "danger")
        return redirect(url_for(".show") + "#notifications")
    act(
        lambda: notifications.save_preferences(
            db.session,
            customer_id=current_user.id,
            channels=form.channels([info.name for info in notifications.configurable_events()]),
            order_statuses=form.status.data or [],
            quiet_hours=bool(form.quiet_hours.data),
            quiet_from=22 if form.quiet_from.data is None else form.quiet_from.data,
            quiet_to=9 if form.quiet_to.data is None else form.quiet_to.data,
            quiet_email=bool(form.quiet_email.data),
        ),
        success="Настройки уведомлений сохранены.",
    )
    return redirect(url_for(".show") + "#notifications")


@bp.post("/profile/telegram")
@auth_required()
def telegram_link():
    outcome = act(lambda: telegram.create_link_token(db.session, customer_id=current_user.id))
    invite = outcome.result
    if invite is None:
        return redirect(url_for(".show") + "#telegram")
    session["telegram_invite"] = {"url": invite.url, "expires": format_datetime(invite.expires_at)}
    return redirect(url_for(".show") + "#telegram")


@bp.post("/profile/telegram/unlink")
@auth_required()
def telegram_unlink():
    act(
        lambda: telegram.unlink_customer(db.session, customer_id=current_user.id),
        success="Telegram отключён: уведомления туда больше не придут.",
    )
    session.pop("telegram_invite", None)
    return redirect(url_for(".show") + "#telegram")
