"""Back-office orders: list with filters and quick search, order page, status changes, payment, files."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from flask import abort, flash, g, redirect, request, send_file, url_for
from flask_appbuilder import expose
from flask_appbuilder.models.filters import BaseFilter
from flask_appbuilder.models.sqla.filters import FilterEqual, FilterNotEqual
from flask_appbuilder.security.decorators import has_access
from markupsafe import Markup
from sqlalchemy.orm import selectinload
from wtforms import SelectField, StringField

from app.extensions import db
from app.models import (
    Category,
    Customer,
    DeliveryMethod,
    Order,
    OrderLine,
    OrderStatus,
    PaymentMethod,
    PaymentStatus,
    StoredFile,
)
from app.reports.labels import number_from_scan
from app.services.accounting import journal
from app.services.actors import Actor, staff_name
from app.services.errors import NotFound
from app.services.layouts import thumbnails
from app.services.loyalty import statement as order_points
from app.services.orders import lifecycle, lookup, search
from app.services.shoptime import shop_today
from app.views.admin.base import ShopInterface, ShopModelView, dt_cell, enum_select, label_of, link, money_cell
from app.views.admin.forms import PaymentForm, StatusForm
from app.views.admin.order_management import METHOD_PERMISSIONS, PERMISSIONS, OrderManagementMixin, filter_args
from app.views.common import act, form_error
from app.views.shop.files import send_stored

# The order list's filter «has a line of the category» (the second filter on the company column).
CATEGORY_FILTER = "_flt_1_company"


class FilterOrderSearch(BaseFilter):
    """Number, email, phone or name — one box, as staff type (or scan) it; the kind of text picks the index."""

    name = "содержит (номер, email, телефон, имя)"
    arg_name = "order_search"

    def apply(self, query, value):  # noqa: ANN001, ANN201
        found = search.classify(value)
        return query.filter(search.order_condition(found)) if found else query


class FilterCustomer(BaseFilter):
    """The customer by email or name — a text box, not a select of every customer in the database."""

    name = "email или имя содержит"
    arg_name = "customer_search"

    def apply(self, query, value):  # noqa: ANN001, ANN201
        condition = search.customer_condition(value)
        if condition is None:
            return query
        return query.filter(Order.customer_id.in_(sa.select(Customer.id).where(condition)))


class FilterBuyerKind(BaseFilter):
    """Ordered for a company, or by a private person."""

    name = "заказчик"
    arg_name = "buyer_kind"

    def apply(self, query, value):  # noqa: ANN001, ANN201
        value = value[0] if isinstance(value, list) and value else value
        if value == "company":
            return query.filter(Order.company_id.is_not(None))
        if value == "private":
            return query.filter(Order.company_id.is_(None))
        return query


class FilterOrderCategory(BaseFilter):
    """Orders having a line of the category (by the category the line was added with): the dashboard's
    «Оформлено заказов» with a category chosen opens this list."""

    name = "есть позиция категории (id)"
    arg_name = "order_category"

    def apply(self, query, value):  # noqa: ANN001, ANN201
        value = value[0] if isinstance(value, list) and value else value
        try:
            category_id = int(value)
        except (TypeError, ValueError):
            return query
        return query.filter(Order.id.in_(sa.select(OrderLine.order_id).where(OrderLine.category_id == category_id)))


def company_cell(company) -> Markup:  # noqa: ANN001
    if company is None:
        return Markup('<span class="text-muted">частное лицо</span>')
    return Markup('<span class="label label-info" title="Заказ компании">%s</span>') % company.short_name


class OrderView(OrderManagementMixin, ShopModelView):
    datamodel = ShopInterface(
        Order,
        extra_filters={
            "number": [FilterOrderSearch, FilterEqual],
            "status": [FilterEqual, FilterNotEqual],
            "customer": [FilterCustomer],
            "company": [FilterBuyerKind, FilterOrderCategory],
        },
        list_loads=[selectinload(Order.customer), selectinload(Order.company), selectinload(Order.assignee)],
    )
    list_title = "Заказы"
    show_title = "Заказ"
    base_permissions = ["can_list", "can_show", "can_download", "can_change_status", "can_mark_paid", *PERMISSIONS]
    # The quick search is part of the list; a layout's thumbnail is shown to those who may download it.
    method_permission_name = {"find": "list", "thumbnail": "download", **METHOD_PERMISSIONS}
    list_columns = [
        "number",
        "created_at",
        "customer",
        "company",
        "contact_name",
        "status",
        "payment_status",
        "delivery_method",
        "total",
        "due_date",
        "assignee",
    ]
    search_columns = [
        "number",
        "status",
        "payment_status",
        "delivery_method",
        "payment_method",
        "created_at",
        "customer",
        "company",
        "contact_email",
        "contact_phone",
        "due_date",
        "assignee",
    ]
    order_columns = ["number", "created_at", "status", "payment_status", "total", "due_date"]
    label_columns = {
        "number": "Номер",
        "created_at": "Создан",
        "customer": "Покупатель",
        "company": "Компания / частное лицо",
        "contact_name": "Получатель",
        "contact_email": "Email",
        "contact_phone": "Телефон",
        "status": "Статус",
        "payment_status": "Оплата",
        "delivery_method": "Получение",
        "payment_method": "Способ оплаты",
        "total": "Сумма",
        "due_date": "Срок",
        "assignee": "Ответственный",
    }
    search_form_extra_fields = {
        "customer": StringField("Покупатель"),
        "company": SelectField("Заказчик", choices=[("company", "Компания"), ("private", "Частное лицо")]),
        "status": enum_select(OrderStatus, "Статус"),
        "payment_status": enum_select(PaymentStatus, "Оплата"),
        "delivery_method": enum_select(DeliveryMethod, "Получение"),
        "payment_method": enum_select(PaymentMethod, "Способ оплаты"),
    }
    formatters_columns = {
        "created_at": dt_cell,
        "company": company_cell,
        "status": label_of(OrderStatus),
        "payment_status": label_of(PaymentStatus),
        "delivery_method": label_of(DeliveryMethod),
        "payment_method": label_of(PaymentMethod),
        "total": money_cell,
        "due_date": lambda d: d.strftime("%d.%m.%Y") if d else "",
        "assignee": lambda user: staff_name(user) if user else "",
        "number": lambda n: link(f"find?q={n}", n),
    }
    list_template = "admin/order_list.html"
    base_order = ("created_at", "desc")
    page_size = 50

    def _order(self, pk: int) -> Order:
        order = db.session.scalar(
            db.select(Order)
            .where(Order.id == pk)
            .options(selectinload(Order.lines).selectinload(OrderLine.layout_file), selectinload(Order.history))
        )
        if order is None:
            abort(404)
        return order

    # One-click filters above the list: (group, label, column, value); a click sets that column's filter,
    # keeping the others, and a second click on an active one takes it off.
    QUICK_FILTERS = (
        ("Статус", "Новые", "status", "new"),
        ("Статус", "Приняты", "status", "confirmed"),
        ("Статус", "В печати", "status", "in_production"),
        ("Статус", "Готовы", "status", "ready"),
        ("Оплата", "Не оплачены", "payment_status", "unpaid"),
        ("Оплата", "Оплачены", "payment_status", "paid"),
        ("Оплата", "По счёту", "payment_method", "invoice"),
        ("Получение", "Самовывоз", "delivery_method", "pickup"),
        ("Получение", "Курьер", "delivery_method", "courier"),
        ("Получение", "Почта", "delivery_method", "post"),
        ("Заказчик", "Компании", "company", "company"),
        ("Заказчик", "Частные лица", "company", "private"),
    )

    def _filter_bar(self) -> tuple[list[dict], list[dict]]:
        """The quick filters (with whether each is on and the link that toggles it) and the active filters in
        words, each with the link that removes it — so what narrows the list is always in view."""
        args = filter_args()
        active_values = dict(args)

        def url_with(changes: dict[str, str | None]) -> str:
            params: dict[str, Any] = dict(active_values)
            for key, value in changes.items():
                if value is None:
                    params.pop(key, None)
                else:
                    params[key] = [value]
            return url_for(".list", **params)

        quick = []
        for group, label, column, value in self.QUICK_FILTERS:
            key = f"_flt_0_{column}"
            on = active_values.get(key) == [value]
            quick.append({"group": group, "label": label, "on": on, "url": url_with({key: None if on else value})})
        today = shop_today().isoformat()
        key = "_flt_0_created_at"
        on = active_values.get(key) == [today]
        quick.append({"group": "Дата", "label": "Сегодня", "on": on, "url": url_with({key: None if on else today})})

        words = {value: label for _, label, _, value in self.QUICK_FILTERS}
        enums = {"status": OrderStatus, "payment_status": PaymentStatus, "delivery_method": DeliveryMethod,
                 "payment_method": PaymentMethod}  # fmt: skip
        active = []
        for key, values in active_values.items():
            column = key.split("_", 3)[-1]
            if key == CATEGORY_FILTER:
                names = [db.session.get(Category, int(v)) if v.isdigit() else None for v in values]
                shown_names = ", ".join(c.name if c else v for c, v in zip(names, values, strict=True))
                active.append({"label": "Категория в заказе", "value": shown_names, "url": url_with({key: None})})
                continue
            shown = []
            for value in values:
                if column in enums and value in enums[column]._value2member_map_:
                    shown.append(enums[column](value).label)
                else:
                    shown.append(words.get(value, value) if column == "company" else value)
            active.append(
                {
                    "label": self.label_columns.get(column, column),
                    "value": ", ".join(shown),
                    "url": url_with({key: None}),
                }
            )
        return quick, active

    @expose("/list/")
    @has_access
    def list(self):  # noqa: ANN201
        """FAB's list, and when a filter is set, «Выбрать все N заказов по фильтру» with the mass actions."""
        widgets = self._list()
        query = self.filter_query()
        return self.render_template(
            self.list_template,
            title=self.list_title,
            widgets=widgets,
            filter_count=self.filter_count(query) if query is not None else 0,
            filter_args=filter_args(),
            filter_bar=self._filter_bar(),
            can=self._can,
        )

    @expose("/show/<pk>")
    @has_access
    def show(self, pk):  # noqa: ANN001, ANN201
        order = self._order(int(pk))  # FAB's <pk> is checked to be an id before the view runs
        return self.render_template(
            "admin/order_show.html",
            order=order,
            targets=lifecycle.allowed_targets(order),
            can_change_status=self._can("can_change_status"),
            can_mark_paid=self._can("can_mark_paid") and lifecycle.can_mark_paid(order),
            can_download=self._can("can_download"),
            points=order_points.for_order(db.session, order),
            journal=(
                journal.order_balance(db.session, order.id)
                if self.appbuilder.sm.has_access("can_list", "AccountingReportsView")
                else None
            ),
            journal_days=(shop_today(order.created_at).isoformat(), shop_today().isoformat()),
            drawable={
                line.layout_file.id
                for line in order.lines
                if line.layout_file is not None and thumbnails.can_render(line.layout_file)
            },
            today=shop_today(),
            title=f"Заказ {order.number}",
            **self.management_context(order),
        )

    @expose("/find")
    @has_access
    def find(self):  # noqa: ANN201
        """Quick search: an exact (or scanned) order number opens the order, anything else filters the list."""
        text = request.args.get("q", "").strip()
        if text:
            try:
                order = lookup.order_by_number(db.session, number_from_scan(text) or text)
                return redirect(url_for(".show", pk=order.id))
            except NotFound:
                pass
        return redirect(url_for(".list", _flt_0_number=text) if text else url_for(".list"))

    @expose("/status/<int:pk>", methods=["POST"])
    @has_access
    def change_status(self, pk: int):  # noqa: ANN201
        order = self._order(pk)
        form = StatusForm()
        if form.validate():
            act(
                lambda: lifecycle.change_status(
                    db.session, order, form.status.data, actor=Actor.staff(g.user), comment=form.comment.data or ""
                ),
                success=lambda changed: f"Статус заказа {order.number}: «{order.status.label}».",
            )
        else:
            flash(form_error(form), "danger")
        return redirect(url_for(".show", pk=pk))

    @expose("/paid/<int:pk>", methods=["POST"])
    @has_access
    def mark_paid(self, pk: int):  # noqa: ANN201
        """The amount received (must equal the amount due) and its day, confirmed in the browser first."""
        order = self._order(pk)
        form = PaymentForm()
        if form.validate():
            act(
                lambda: lifecycle.mark_paid(
                    db.session,
                    order,
                    actor=Actor.staff(g.user),
                    amount=lifecycle.parse_payment_amount(form.amount.data or ""),
                    paid_at=lifecycle.paid_at_from_day(form.paid_on.data),
                    comment=form.comment.data or "",
                ),
                success=f"Заказ {order.number} отмечен оплаченным.",
            )
        else:
            flash(form_error(form), "danger")
        return redirect(url_for(".show", pk=pk))

    @expose("/file/<int:file_id>/thumbnail.png")
    @has_access
    def thumbnail(self, file_id: int):  # noqa: ANN201
        """A layout's first page as a small PNG (cached by content hash), for the order page."""
        stored = db.session.get(StoredFile, file_id)
        path = thumbnails.thumbnail(stored) if stored is not None else None
        if path is None:
            abort(404)
        response = send_file(path, mimetype="image/png", max_age=3600)
        response.headers["Cache-Control"] = "private, max-age=3600"
        return response

    @expose("/file/<int:file_id>")
    @has_access
    def download(self, file_id: int):  # noqa: ANN201
        stored = db.session.get(StoredFile, file_id)
        if stored is None:
            abort(404)
        try:
            return send_stored(stored)
        except NotFound:
            abort(404)
