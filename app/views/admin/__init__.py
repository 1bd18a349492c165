"""Back-office wiring: Flask-AppBuilder (AUTH_DB, roles in code), CSRF, headers, and every admin view."""

from __future__ import annotations

import importlib.util
from pathlib import Path

from flask import Blueprint, Flask, abort, g, render_template, request
from flask_appbuilder import AppBuilder, IndexView, expose
from flask_appbuilder.const import AUTH_DB
from flask_login import current_user

from app.extensions import csrf, db
from app.views.admin.permissions import build_fab_roles
from app.views.common import add_security_headers, bound_ids_in_urls, register_error_pages, same_site_referrer
from app.views.filters import register_template_filters

STATIC_DIR = Path(__file__).resolve().parents[2] / "static" / "admin"
# BokehJS inside the installed bokeh package, found without importing bokeh (~50 MB a worker needs only for the
# dashboard): what bokeh.util.paths.bokehjs_path() returns.
BOKEHJS_DIR = Path(importlib.util.find_spec("bokeh").origin).parent / "server" / "static"  # type: ignore[union-attr,arg-type]


class AdminIndexView(IndexView):
    """The back office's start page: each role sees only what it may open — orders waiting for staff by
    status and the order search for those who work orders, and the sections of its menu."""

    index_template = "admin/index.html"

    @expose("/")
    def index(self):  # noqa: ANN201
        from app.reports import office

        signed_in = bool(g.user and g.user.is_authenticated)
        sm = self.appbuilder.sm
        # The order search is part of the order list («find» is mapped to «can_list» in OrderView).
        can_list = signed_in and sm.has_access("can_list", "OrderView")
        return self.render_template(
            self.index_template,
            appbuilder=self.appbuilder,
            signed_in=signed_in,
            summary=office.order_summary(db.session) if can_list else None,
            can_find=can_list,
            sections=[s for s in self.appbuilder.menu.get_data() if isinstance(s, dict)] if signed_in else [],
        )


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
        "FAB_BASE_TEMPLATE": "admin/layout.html",
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

    # Support first: it registers its notification events, which the outbox view lists.
    from app.views.admin.support import CannedReplyView, SlaTargetView, TicketView

    app.config.update(admin_settings(app))
    # Flask-AppBuilder's own show/edit/delete/action routes take `<pk>` as a string: bounded like `<int:…>`.
    bound_ids_in_urls(app, view_args=("pk",))
    add_security_headers(app, inline_styles=True)  # before CSRF: a refused form still gets its page and headers
    csrf.init_app(app)  # FAB's mass-action POST (action_post) is not CSRF-checked without it
    register_template_filters(app)
    # The back office's own CSS and JS (FAB serves its files from /admin/static/appbuilder).
    app.register_blueprint(Blueprint("office", __name__, static_folder=STATIC_DIR, static_url_path="/office"))
    # BokehJS from the installed bokeh package (the dashboard's charts): never a CDN.
    app.register_blueprint(
        Blueprint("bokehjs", __name__, static_folder=BOKEHJS_DIR / "js", static_url_path="/bokeh/js")
    )

    appbuilder = AppBuilder(update_perms=False)
    with app.app_context():
        appbuilder.init_app(app, db.session)

        def _error_page(code: int, title: str, text: str) -> str:
            if "user" not in g:  # refused before FAB's own before_request set it
                g.user = current_user
            return render_template(
                "admin/error.html",
                appbuilder=appbuilder,
                base_template=appbuilder.base_template,
                code=code,
                title=title,
                text=text,
                back=same_site_referrer(),
            )

        register_error_pages(app, _error_page)
        _refuse_unknown_actions(app, appbuilder)
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
        from app.views.admin.dashboard import DashboardView

        add(DashboardView, "DashboardView", label="Дашборд", icon="fa-line-chart", category="Sales")
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
            TicketView,
            "TicketView",
            label="Обращения",
            icon="fa-life-ring",
            category="Support",
            category_label="Поддержка",
            category_icon="fa-life-ring",
        )
        appbuilder.add_link(
            "SupportBreaches",
            href="/admin/ticketview/list/?_flt_0_sla_due_at=breached",
            label="Нарушения SLA",
            icon="fa-exclamation-triangle",
            category="Support",
        )
        add(CannedReplyView, "CannedReplyView", label="Шаблоны ответов", icon="fa-comments-o", category="Support")
        add(SlaTargetView, "SlaTargetView", label="Сроки SLA", icon="fa-clock-o", category="Support")
        appbuilder.add_link(
            "SupportStats", href="TicketView.stats", label="Показатели", icon="fa-bar-chart", category="Support"
        )
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
        from app.views.admin.accounting import (
            AccountingReportsView,
            ExpenseCategoryView,
            ExpenseView,
            JournalEntryView,
            SellerRequisitesView,
        )

        add(
            AccountingReportsView,
            "AccountingReportsView",
            label="Отчёты: НДС, прибыль, расходы, дебиторка",
            icon="fa-calculator",
            category="Accounting",
            category_label="Бухгалтерия",
            category_icon="fa-calculator",
        )
        add(ExpenseView, "ExpenseView", label="Расходы", icon="fa-credit-card", category="Accounting")
        add(
            ExpenseCategoryView,
            "ExpenseCategoryView",
            label="Категории расходов",
            icon="fa-tags",
            category="Accounting",
        )
        add(JournalEntryView, "JournalEntryView", label="Журнал реализации", icon="fa-book", category="Accounting")
        add(
            SellerRequisitesView,
            "SellerRequisitesView",
            label="Реквизиты магазина",
            icon="fa-id-card-o",
            category="Accounting",
        )
        from app.views.admin.documents import DocumentView

        add(DocumentView, "DocumentView", label="Документы", icon="fa-file-text-o", category="Accounting")
        from app.views.admin.loyalty import (
            LoyaltyAccountView,
            LoyaltyEntryView,
            LoyaltySettingsView,
            PointsLiabilityView,
        )

        add(
            LoyaltyAccountView,
            "LoyaltyAccountView",
            label="Балансы",
            icon="fa-users",
            category="Loyalty",
            category_label="Бонусы",
            category_icon="fa-gift",
        )
        add(LoyaltyEntryView, "LoyaltyEntryView", label="Журнал баллов", icon="fa-list", category="Loyalty")
        add(
            PointsLiabilityView,
            "PointsLiabilityView",
            label="Обязательства по баллам",
            icon="fa-balance-scale",
            category="Loyalty",
        )
        add(LoyaltySettingsView, "LoyaltySettingsView", label="Настройки программы", icon="fa-cog", category="Loyalty")
        from app.views.admin.referrals import (
            ReferralFiguresView,
            ReferralReviewView,
            ReferralSettingsView,
            ReferralView,
        )

        for view, label, icon in (
            (ReferralView, "Приглашения друзей", "fa-user-plus"),
            (ReferralReviewView, "Приглашения на проверке", "fa-flag"),
            (ReferralFiguresView, "Показатели приглашений", "fa-bar-chart"),
            (ReferralSettingsView, "Настройки приглашений", "fa-cogs"),
        ):
            add(view, view.__name__, label=label, icon=icon, category="Loyalty")


def _refuse_unknown_actions(app: Flask, appbuilder: AppBuilder) -> None:
    """FAB's action routes (`/action/<name>/<pk>`, `/action_post`) fail with a 500 on a name the view does not
    declare or a record that does not exist, and its list paging on a page number past 2^63: answer 404 instead."""

    @app.before_request
    def _list_pages_in_range() -> None:
        """FAB's list paging (`page_<View>`, `psize_<View>`) goes into OFFSET/LIMIT: a page past any list is 404."""
        for key, value in request.args.items():
            if key.startswith(("page_", "psize_")) and (not value.isdigit() or len(value) > 6):
                abort(404)

    @app.before_request
    def _known_action() -> None:
        endpoint = request.endpoint or ""
        if not endpoint.endswith((".action", ".action_post")):
            return
        view = next((v for v in appbuilder.baseviews if v.endpoint == endpoint.rsplit(".", 1)[0]), None)
        args = request.view_args or {}
        name = args.get("name") if endpoint.endswith(".action") else request.form.get("action")
        if view is None or name not in getattr(view, "actions", {}):
            abort(404)
        if "pk" in args and view.datamodel.get(args["pk"]) is None:
            abort(404)
