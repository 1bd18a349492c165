"""Storefront wiring: Flask-Security for customers, CSRF, rate limits, blueprints, headers, error pages."""

from __future__ import annotations

from flask import Flask, current_app, flash, g, redirect, render_template, request, session, url_for
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_security import Security, SQLAlchemyUserDatastore, current_user
from flask_security.forms import RegisterFormV2
from flask_security.mail_util import MailUtil
from flask_security.signals import user_not_registered, user_registered
from wtforms import BooleanField
from wtforms.validators import DataRequired

from app.extensions import babel, csrf, db
from app.models import Customer, CustomerRole, utcnow
from app.services.customers import accounts
from app.services.messaging import mail, subscriptions
from app.services.orders import cart as cart_service
from app.services.orders import promises
from app.views.common import add_security_headers, bound_ids_in_urls, register_error_pages, same_site_referrer
from app.views.filters import register_template_filters
from app.views.shop.caching import init_page_cache, init_static_fingerprints
from app.views.shop.helpers import origin


class ShopMailUtil(MailUtil):
    """Account emails (password reset, confirmation) go through the shop's SMTP sender."""

    def send_mail(self, template, subject, recipient, sender, body, html, **kwargs) -> None:  # noqa: ANN001
        to = recipient if isinstance(recipient, str) else recipient[1]
        mail.send_email(to=to, subject=str(subject), text=body or "", html=html)


class ShopRegisterForm(RegisterFormV2):
    """Registration with the marketing consent checkbox (off unless ticked)."""

    newsletter_subscribed = BooleanField(subscriptions.CONSENT_TEXT, default=False)
    # 152-ФЗ: no account without the consent to personal-data processing (the policy is a CMS page).
    personal_data_consent = BooleanField(
        "Я даю согласие на обработку персональных данных",
        validators=[DataRequired("Чтобы зарегистрироваться, дайте согласие на обработку персональных данных.")],
    )


def _record_registration_consent(_app, user, **_kwargs) -> None:  # noqa: ANN001

    subscriptions.record_registration(db.session, user, origin=origin())
    subscriptions.record_personal_data_consent(db.session, user)


def _registration_with_taken_address(_app, user, existing_email: bool = False, **_kwargs) -> None:  # noqa: ANN001
    """Flask-Security answers it like a new registration; the owner of the address hears of it by email."""
    if existing_email and user is not None:
        accounts.notify_registration_attempt(db.session, user)
        db.session.commit()
        g.registration_address_taken = True


CHECK_MAIL = "Проверьте почту: мы отправили письмо на указанный адрес. Следуйте инструкциям в нём."


def _check_mail_after_taken_address(view):  # noqa: ANN001, ANN202
    """Without email confirmation a new account is signed in at once; a taken address gets «проверьте почту»."""

    def register(*args, **kwargs):  # noqa: ANN002, ANN003, ANN202
        response = view(*args, **kwargs)
        if g.pop("registration_address_taken", False) and not current_app.config["SECURITY_CONFIRMABLE"]:
            flash(CHECK_MAIL, "info")
            return redirect(url_for("security.login"))
        return response

    return register


def init_shop(app: Flask) -> None:
    from app.views.shop import account, bot, cart, catalog, checkout, companies, files, profile, projects, support

    bound_ids_in_urls(app)
    add_security_headers(app)  # before CSRF: a refused form still gets its page with the headers
    babel.init_app(app, locale_selector=lambda: "ru_RU", timezone_selector=lambda: app.config["SHOP_TIMEZONE"])
    csrf.init_app(app)
    app.config["SECURITY_DATETIME_FACTORY"] = utcnow  # aware UTC, like every timestamp we store
    datastore = SQLAlchemyUserDatastore(db, Customer, CustomerRole)
    app.extensions["shop_security"] = Security(
        app, datastore, mail_util_cls=ShopMailUtil, register_form=ShopRegisterForm
    )
    user_registered.connect(_record_registration_consent, app)
    user_not_registered.connect(_registration_with_taken_address, app)
    limiter = Limiter(
        key_func=get_remote_address,
        app=app,
        storage_uri=app.config["RATELIMIT_STORAGE_URI"],
        enabled=app.config["RATELIMIT_ENABLED"],
        headers_enabled=True,
    )
    app.extensions["shop_limiter"] = limiter  # the limiter is only weakly referenced otherwise
    for endpoint in ("security.login", "security.register", "security.forgot_password"):
        app.view_functions[endpoint] = limiter.limit(  # type: ignore[assignment]  # sync views stay sync
            app.config["LOGIN_RATE_LIMIT"],
            methods=["POST"],
            error_message="Слишком много попыток. Подождите минуту и попробуйте снова.",
        )(app.view_functions[endpoint])
    app.view_functions["security.register"] = _check_mail_after_taken_address(app.view_functions["security.register"])

    for module in (catalog, cart, checkout, account, files, companies, projects, profile, bot, support):
        app.register_blueprint(module.bp)
    from app.views.shop import content as content_pages

    app.register_blueprint(content_pages.bp)
    from app.views.shop import bonuses, referrals, reviews

    app.register_blueprint(reviews.bp)
    from app.views.shop import documents

    app.register_blueprint(documents.bp)
    app.register_blueprint(bonuses.bp)
    app.register_blueprint(referrals.bp)
    user_registered.connect(referrals.attach_on_registration, app)
    app.view_functions["referrals.landing"] = limiter.limit(  # type: ignore[assignment]
        app.config["REFERRAL_RATE_LIMIT"],
        error_message="Слишком много переходов по приглашениям. Подождите минуту и попробуйте снова.",
    )(app.view_functions["referrals.landing"])
    register_template_filters(app)

    @app.before_request
    def _adopt_anonymous_cart() -> None:
        """After login, the cart filled before it becomes the customer's cart."""
        token = session.get("cart_token")
        if token and current_user.is_authenticated:
            cart_service.merge_into_customer_cart(db.session, token=token, customer_id=current_user.id)
            db.session.commit()
            session.pop("cart_token", None)

    @app.context_processor
    def _shop_context() -> dict:
        if "cart_count" not in g:
            found = cart_service.find_cart(
                db.session,
                token=session.get("cart_token"),
                customer_id=current_user.id if current_user.is_authenticated else None,
            )
            g.cart_count = len(found.items) if found else 0
        return {
            "cart_count": g.cart_count,
            "shop_name": app.config["SHOP_NAME"],
            # When an order placed now would be ready (product page, cart, checkout).
            "ready_date": promises.ready_date,
            "ready_date_of": promises.ready_date_of,
            "working_days": promises.working_days_phrase,
        }

    def _error_page(code: int, title: str, text: str) -> str:
        return render_template("shop/error.html", code=code, title=title, text=text, back=same_site_referrer())

    max_mb = app.config["UPLOAD_MAX_BYTES"] // (1024 * 1024)
    register_error_pages(app, _error_page, {413: ("Файл слишком большой", f"Максимальный размер файла — {max_mb} МБ.")})

    app.jinja_env.globals["request_path"] = lambda: request.path
    init_page_cache(app)
    init_static_fingerprints(app)
