"""Back-office wiring: Flask-AppBuilder (AUTH_DB, roles in code), CSRF, headers, and every admin view."""

from __future__ import annotations

import secrets

from flask import Flask, g
from flask_appbuilder import AppBuilder, IndexView, expose
from flask_appbuilder.const import AUTH_DB

from app.extensions import csrf, db
from app.views.admin.permissions import build_fab_roles
from app.views.filters import register_template_filters


class AdminIndexView(IndexView):
    """The back office's start page: orders waiting for staff, by status."""

    index_template = "admin/index.html"

    @expose("/")
    def index(self):  # noqa: ANN201
        from app.reports import office

        summary = office.order_summary(db.session) if g.user and g.user.is_authenticated else None
        return self.render_template(self.index_template, appbuilder=self.appbuilder, summary=summary)


def admin_settings(app: Flask) -> dict:
    return {
        "APP_NAME": app.config["ADMIN_APP_NAME"],
        "AUTH_TYPE": AUTH_DB,
        "AUTH_ROLE_ADMIN": "Admin",
        "AUTH_ROLE_PUBLIC": "Public",
        "AUTH_USER_REGISTRATION": False,
        "AUTH_RATE_LIMITED": app.config["RATELIMIT_ENABLED"],
        "AUTH_RATE_LIMIT": app.config["LOGIN_RATE_LIMIT"],
        "FAB_ROLES": build_fab_roles(),
        "FAB_UPDATE_PERMS": False,
        "FAB_CREATE_DB": False,
        "FAB_ADD_SECURITY_VIEWS": True,
        "FAB_ADD_SECURITY_PERMISSION_VIEW": False,
        "FAB_ADD_SECURITY_VIEW_MENU_VIEW": False,
        "FAB_ADD_SECURITY_PERMISSION_VIEWS_VIEW": False,
        "FAB_SECURITY_MANAGER_CLASS": "app.views.admin.security.StaffSecurityManager",
        "FAB_INDEX_VIEW": "app.views.admin.AdminIndexView",
        "FAB_API_SWAGGER_UI": False,
        "BABEL_DEFAULT_LOCALE": "ru",
        "LANGUAGES": {"ru": {"flag": "ru", "name": "Русский"}},
        "SESSION_COOKIE_NAME": "admin_session",
        "REMEMBER_COOKIE_NAME": "admin_remember",
        "SESSION_COOKIE_PATH": "/admin",
        "REMEMBER_COOKIE_PATH": "/admin",
        "STAFF_ARGON2_OPTIONS": (
            {"time_cost": 1, "memory_cost": 256, "parallelism": 1} if app.config.get("TESTING") else {}
        ),
    }


def init_admin(app: Flask) -> None:
    from app.views.admin.catalog import (
        CategoryView,
        OptionGroupView,
        OptionValueView,
        PriceTierView,
        ProductView,
        VatRateView,
    )
    from app.views.admin.customers import CustomerView
    from app.views.admin.notifications import NewsletterConsentView, NotificationView, SubscriberView
    from app.views.admin.orders import OrderView
    from app.views.admin.promo import PromoCodeView
    from app.views.admin.reviews import ReviewFiguresView, ReviewSettingsView, ReviewView

    app.config.update(admin_settings(app))
    csrf.init_app(app)  # FAB's mass-action POST (action_post) is not CSRF-checked without it
    register_template_filters(app)

    @app.before_request
    def _nonce() -> None:
        g.csp_nonce = secrets.token_urlsafe(16)

    # A global, not a context processor: FAB renders its widgets with the bare Jinja environment.
    app.jinja_env.globals["csp_nonce"] = lambda: g.get("csp_nonce", "")

    @app.after_request
    def _headers(response):  # noqa: ANN001, ANN202
        nonce = g.get("csp_nonce", "")
        # FAB's pages use nonce'd scripts but some inline style attributes.
        response.headers.setdefault(
            "Content-Security-Policy",
            f"default-src 'self'; script-src 'self' 'nonce-{nonce}'; style-src 'self' 'unsafe-inline'; "
            "img-src 'self' data:; font-src 'self' data:; object-src 'none'; base-uri 'self'; "
            "form-action 'self'; frame-ancestors 'none'",
        )
        response.headers.setdefault("X-Frame-Options", "DENY")
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("Referrer-Policy", "same-origin")
        return response

    appbuilder = AppBuilder(update_perms=False)
    with app.app_context():
        appbuilder.init_app(app, db.session)
        add = appbuilder.add_view
        add(
            OrderView,
            "OrderView",
            label="Заказы",
            icon="fa-shopping-cart",
            category="Sales",
            category_label="Продажи",
            category_icon="fa-rub",
        )
        add(PromoCodeView, "PromoCodeView", label="Промокоды", icon="fa-ticket", category="Sales")
        add(
            CustomerView,
            "CustomerView",
            label="Покупатели",
            icon="fa-users",
            category="Customers",
            category_label="Покупатели",
            category_icon="fa-users",
        )
        add(
            CategoryView,
            "CategoryView",
            label="Категории",
            icon="fa-folder",
            category="Catalog",
            category_label="Каталог",
            category_icon="fa-th",
        )
        add(ProductView, "ProductView", label="Товары", icon="fa-cube", category="Catalog")
        appbuilder.add_view_no_menu(OptionGroupView)
        appbuilder.add_view_no_menu(OptionValueView)
        appbuilder.add_view_no_menu(PriceTierView)
        add(VatRateView, "VatRateView", label="Ставки НДС", icon="fa-percent", category="Catalog")
        from app.views.admin.companies import CompanyView

        add(CompanyView, "CompanyView", label="Компании", icon="fa-building", category="Customers")
        add(NotificationView, "NotificationView", label="Уведомления", icon="fa-envelope", category="Customers")
        add(SubscriberView, "SubscriberView", label="Подписчики рассылки", icon="fa-newspaper-o", category="Customers")
        add(
            NewsletterConsentView,
            "NewsletterConsentView",
            label="История согласий",
            icon="fa-history",
            category="Customers",
        )
        from app.views.admin.content import BannerView, ContentImageView, NewsItemView, PageView

        add(
            PageView,
            "PageView",
            label="Страницы",
            icon="fa-file-text-o",
            category="Content",
            category_label="Сайт",
            category_icon="fa-globe",
        )
        add(NewsItemView, "NewsItemView", label="Новости и акции", icon="fa-newspaper-o", category="Content")
        add(BannerView, "BannerView", label="Баннеры на главной", icon="fa-picture-o", category="Content")
        add(ContentImageView, "ContentImageView", label="Изображения", icon="fa-image", category="Content")
        add(
            ReviewView,
            "ReviewView",
            label="Отзывы",
            icon="fa-star",
            category="Reviews",
            category_label="Отзывы",
            category_icon="fa-star-half-o",
        )
        add(ReviewFiguresView, "ReviewFiguresView", label="Показатели", icon="fa-bar-chart", category="Reviews")
        add(ReviewSettingsView, "ReviewSettingsView", label="Настройки отзывов", icon="fa-cog", category="Reviews")
