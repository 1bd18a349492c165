"""Endpoints reached without a login: the Telegram webhook (authenticated by its secret) and one-click unsubscribe."""

from __future__ import annotations

import hmac
import logging

from flask import Blueprint, abort, current_app, jsonify, render_template, request

from app.extensions import csrf, db
from app.services.errors import NotFound
from app.services.messaging import subscriptions, telegram
from app.views.common import act
from app.views.shop.helpers import origin

log = logging.getLogger(__name__)

bp = Blueprint("bot", __name__)

SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"


def _authorised(path_secret: str | None) -> bool:
    """The webhook secret must match in the path and/or the header; every secret that is sent must match."""
    secret = current_app.config.get("TELEGRAM_WEBHOOK_SECRET") or ""
    header = request.headers.get(SECRET_HEADER)
    given = [value for value in (path_secret, header) if value is not None]
    return bool(secret) and bool(given) and all(hmac.compare_digest(value, secret) for value in given)


@bp.post("/telegram/webhook")
@bp.post("/telegram/webhook/<path_secret>")
@csrf.exempt
def telegram_webhook(path_secret: str | None = None):
    if current_app.config.get("TELEGRAM_MODE") != "webhook":
        abort(404)
    if not _authorised(path_secret):
        abort(403)
    update = request.get_json(silent=True)
    if not isinstance(update, dict):
        abort(400)
    outcome = telegram.handle_update(db.session, update)
    db.session.commit()
    log.info("Telegram update %s: %s", update.get("update_id"), outcome)
    return jsonify(ok=True)


@bp.route("/unsubscribe/<token>", methods=["GET", "POST"])
@csrf.exempt
def unsubscribe(token: str):
    """The link in a newsletter: POST unsubscribes, no login needed.

    A GET changes nothing (RFC 8058): mail scanners and link previews fetch links too. The page it
    returns posts its form by itself in a browser, so a person's click is still the only step; the
    button is there without JavaScript, and mail clients POST `List-Unsubscribe=One-Click`.
    """
    if request.method == "GET":
        try:
            customer = subscriptions.customer_by_token(db.session, token)
        except NotFound as exc:
            return render_template("shop/unsubscribe.html", error=exc.message), 404
        return render_template("shop/unsubscribe.html", customer=customer, confirm=True)
    outcome = act(lambda: subscriptions.unsubscribe_by_token(db.session, token, origin=origin()), flash_error=False)
    if outcome.result is None:
        return render_template("shop/unsubscribe.html", error=outcome.error.message if outcome.error else ""), 404
    if request.form.get("List-Unsubscribe") == "One-Click":
        return "Вы отписались от рассылки.", 200, {"Content-Type": "text/plain; charset=utf-8"}
    return render_template("shop/unsubscribe.html", customer=outcome.result)


@bp.route("/newsletter/confirm/<token>", methods=["GET", "POST"])
def confirm_newsletter(token: str):
    """The link in the confirmation email: the page asks, its button (POST) starts the subscription.

    A GET changes nothing — mail scanners open links too; the consent is the customer's own click.
    """
    if request.method == "GET":
        try:
            found = subscriptions.request_by_token(db.session, token)
        except NotFound as exc:
            return render_template("shop/newsletter_confirm.html", error=exc.message), 404
        return render_template("shop/newsletter_confirm.html", pending=found, consent_text=subscriptions.CONSENT_TEXT)
    outcome = act(lambda: subscriptions.confirm(db.session, token, origin=origin()), flash_error=False)
    if outcome.result is None:
        error = outcome.error
        status = 404 if isinstance(error, NotFound) else 400
        return render_template("shop/newsletter_confirm.html", error=error.message if error else ""), status
    return render_template("shop/newsletter_confirm.html", customer=outcome.result)
