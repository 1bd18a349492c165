"""Back office for bonus points: the ledger (read-only), balances per customer with tier and debts, a staff
adjustment with a reason, the programme's settings with their history, and the points liability report."""

from __future__ import annotations

import secrets

from flask import abort, g, redirect, request, url_for
from flask_appbuilder import BaseView, expose
from flask_appbuilder.models.filters import BaseFilter
from flask_appbuilder.security.decorators import has_access
from markupsafe import Markup

from app.extensions import db
from app.models import Customer, EntryKind, LoyaltyAccount, LoyaltyEntry, Tier
from app.reports import points_liability
from app.services.actors import Actor
from app.services.loyalty import ledger, rules, tiers
from app.services.loyalty.checkout import format_points
from app.services.shoptime import shop_today
from app.views.admin.base import ShopInterface, ShopModelView, dt_cell, enum_select, label_of, money_cell
from app.views.common import act, report_period


def signed_cell(value: int | None) -> Markup:
    if not value:
        return Markup("")
    css = "text-success" if value > 0 else "text-danger"
    return Markup('<span class="%s">%+d</span>') % (css, value)


def balance_cell(value: int | None) -> Markup:
    value = value or 0
    return Markup('<span class="%s">%d</span>') % ("text-danger" if value < 0 else "", value)


class FilterCustomerEmail(BaseFilter):
    name = "email покупателя содержит"
    arg_name = "points_email"

    def apply(self, query, value):  # noqa: ANN001, ANN201
        text = (value or "").strip().lower()
        if not text:
            return query
        ids = db.select(Customer.id).where(Customer.email.ilike(f"%{text}%"))
        model = self.model
        return query.filter(model.customer_id.in_(ids))


class FilterDebt(BaseFilter):
    name = "долг (баланс ниже нуля)"
    arg_name = "debt"

    def apply(self, query, value):  # noqa: ANN001, ANN201
        return query.filter(LoyaltyAccount.available < 0) if value else query


class LoyaltyEntryView(ShopModelView):
    """The ledger, read-only: nobody edits or deletes an entry (the database refuses it too)."""

    datamodel = ShopInterface(LoyaltyEntry, extra_filters={"customer_id": [FilterCustomerEmail]})
    list_title = "Бонусные баллы: журнал операций"
    show_title = "Операция с баллами"
    base_permissions = ["can_list", "can_show"]
    list_columns = ["created_at", "customer", "kind", "available", "pending", "order", "reason", "actor_name"]
    show_columns = [*list_columns, "key"]
    search_columns = ["customer_id", "kind", "order", "created_at"]
    label_columns = {
        "created_at": "Когда",
        "customer": "Покупатель",
        "customer_id": "Покупатель",
        "kind": "Операция",
        "available": "Доступные",
        "pending": "Ожидающие",
        "order": "Заказ",
        "reason": "Основание",
        "actor_name": "Кто",
        "key": "Ключ операции",
    }
    search_form_extra_fields = {"kind": enum_select(EntryKind, "Операция")}
    formatters_columns = {
        "created_at": dt_cell,
        "kind": label_of(EntryKind),
        "available": signed_cell,
        "pending": signed_cell,
    }
    base_order = ("created_at", "desc")
    page_size = 50


class LoyaltyAccountView(ShopModelView):
    """Balances per customer with tier; debts (a negative balance) by filter; a staff adjustment with a reason."""

    datamodel = ShopInterface(
        LoyaltyAccount, extra_filters={"customer_id": [FilterCustomerEmail], "available": [FilterDebt]}
    )
    list_title = "Бонусные баллы: балансы"
    show_title = "Баланс покупателя"
    base_permissions = ["can_list", "can_show", "can_adjust"]
    list_columns = ["customer", "available", "pending", "tier", "tier_turnover", "updated_at"]
    show_columns = [*list_columns, "tier_computed_at"]
    search_columns = ["customer_id", "available", "tier"]
    label_columns = {
        "customer": "Покупатель",
        "customer_id": "Покупатель",
        "available": "Доступно",
        "pending": "Ожидает",
        "tier": "Уровень",
        "tier_turnover": "Заказы за 12 мес., ₽",
        "tier_computed_at": "Уровень пересчитан",
        "updated_at": "Изменён",
    }
    search_form_extra_fields = {"tier": enum_select(Tier, "Уровень")}
    formatters_columns = {
        "available": balance_cell,
        "tier": label_of(Tier),
        "tier_turnover": money_cell,
        "updated_at": dt_cell,
        "tier_computed_at": dt_cell,
    }
    base_order = ("available", "asc")
    page_size = 50
    show_template = "admin/loyalty/account_show.html"

    @expose("/show/<pk>", methods=["GET"])
    @has_access
    def show(self, pk):  # noqa: ANN001, ANN201
        customer = db.session.get(Customer, int(pk))
        if customer is None:
            abort(404)
        account = db.session.get(LoyaltyAccount, customer.id) or LoyaltyAccount(
            customer_id=customer.id, customer=customer, available=0, pending=0, tier=Tier.start
        )
        return self.render_template(
            self.show_template,
            account=account,
            entries=ledger.entries(db.session, account.customer_id),
            progress=tiers.progress(db.session, account.customer_id),
            can_adjust=self._can("can_adjust"),
            form_key=secrets.token_urlsafe(16),
            title=f"Баллы: {account.customer}",
        )

    @expose("/adjust/<int:customer_id>", methods=["POST"])
    @has_access
    def adjust(self, customer_id: int):  # noqa: ANN201
        if db.session.get(Customer, customer_id) is None:
            abort(404)
        act(
            lambda: ledger.adjust(
                db.session,
                customer_id=customer_id,
                points=request.form.get("points", ""),
                reason=request.form.get("reason", ""),
                actor=Actor.staff(g.user),
                key=request.form.get("form_key", ""),
            ),
            success="Корректировка проведена.",
        )
        return redirect(url_for(".show", pk=customer_id))


class LoyaltySettingsView(BaseView):
    """The programme's rules; each save is a new version, listed with who changed it."""

    default_view = "index"
    method_permission_name = {"index": "list", "save": "edit"}
    base_permissions = ["can_list", "can_edit"]

    @expose("/")
    @has_access
    def index(self):  # noqa: ANN201
        return self.render_template(
            "admin/loyalty/settings.html",
            current=rules.current(db.session),
            labels=rules.LABELS,
            history=rules.history(db.session),
            can_edit=self.appbuilder.sm.has_access("can_edit", self.class_permission_name),
            title="Бонусная программа: настройки",
        )

    @expose("/save", methods=["POST"])
    @has_access
    def save(self):  # noqa: ANN201
        act(
            lambda: rules.save(
                db.session,
                {name: request.form.get(name, "") for name in rules.DEFAULTS},
                actor=Actor.staff(g.user),
                comment=request.form.get("comment", ""),
            ),
            success="Настройки бонусной программы сохранены.",
        )
        return redirect(url_for(".index"))


class PointsLiabilityView(BaseView):
    """Points outstanding at the period's ends and its movements, for the accountant."""

    default_view = "index"
    method_permission_name = {"index": "list"}
    base_permissions = ["can_list"]

    @expose("/")
    @has_access
    def index(self):  # noqa: ANN201
        start, end = report_period(
            request.args, today=shop_today(), default_start=lambda end: end.replace(day=1), max_days=10 * 366
        )
        report = points_liability.liability(db.session, start=start, end=end)
        return self.render_template(
            "admin/loyalty/liability.html",
            report=report,
            kinds=list(EntryKind),
            format_points=format_points,
            title="Обязательства по бонусным баллам",
        )
