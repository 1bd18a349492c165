"""Back-office order management: mass actions (status, undo, labels, assignment, CSV), order and line edits.

A mixin of OrderView: FAB actions on the order list collect the selected ids and redirect to pages of
their own (target status and comment, label format, staff member); each page calls one service and
commits. «Выбрать все N заказов по фильтру» opens the same pages with `scope=filter` and the list's filter
arguments: the service then takes the filter's SELECT of ids (evaluated when the action runs) instead of ids.
Permissions: see PERMISSIONS / METHOD_PERMISSIONS and app/views/admin/permissions.py.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa
from flask import Response, abort, current_app, flash, g, redirect, request, url_for
from flask_appbuilder import expose
from flask_appbuilder.actions import action
from flask_appbuilder.security.decorators import has_access
from flask_appbuilder.urltools import get_filter_args
from sqlalchemy import func, select
from werkzeug.wrappers import Response as BaseResponse

from app.extensions import db
from app.models import DeliveryMethod, LineKind, Order, OrderStatus, Product
from app.reports import labels as label_report
from app.reports import order_export, order_timeline
from app.services.actors import Actor
from app.services.catalog import products as catalog_products
from app.services.documents import issuing as document_issuing
from app.services.errors import DomainError, NotFound, ValidationError
from app.services.money import format_money
from app.services.orders import batches
from app.services.orders import editing as order_editing
from app.services.orders import refunds as order_refunds
from app.services.orders import tracking as order_tracking
from app.services.shoptime import shop_today
from app.views.admin.forms import (
    AssignForm,
    CommentForm,
    LabelsForm,
    LayoutForm,
    LineForm,
    LineRefundForm,
    MassPaidForm,
    MassStatusForm,
    OrderDetailsForm,
    ProductChoiceForm,
    SelectedOrdersForm,
)
from app.views.common import act, form_error, parse_id
from app.views.common import error_field as first_error_field

# Permissions the mixin adds to OrderView, and the permission of each exposed method and action.
PERMISSIONS = ["can_edit_order", "can_assign", "can_print_labels", "can_export", "can_refund_line"]
METHOD_PERMISSIONS = {
    "mass_paid_action": "mark_paid",
    "mass_paid": "mark_paid",
    "mass_status_action": "change_status",
    "mass_status": "change_status",
    "undo_batch": "change_status",
    "batch": "list",
    "labels_action": "print_labels",
    "labels": "print_labels",
    "assign_action": "assign",
    "assign": "assign",
    "export_action": "export",
    "export_filter": "export",
    "edit_details": "edit_order",
    "add_line": "edit_order",
    "edit_line": "edit_order",
    "remove_line": "edit_order",
    "refund_line": "refund_line",
    "replace_layout": "edit_order",
    "add_tracking": "edit_order",
    "remove_tracking": "edit_order",
}


SHOWN = 50  # orders listed on an action page when it works on a whole filter


def filter_args() -> dict[str, list[str]]:
    """The list's filter arguments of this request (`_flt_<n>_<column>`), to carry from page to page."""
    return {key: request.args.getlist(key) for key in request.args if key.startswith("_flt_")}


def _ids_of(items) -> str:  # noqa: ANN001 - the items FAB hands to an action
    items = items if isinstance(items, list) else [items]
    return ",".join(str(item.id) for item in items if item is not None)


class OrderManagementMixin:
    """Mass actions and edit pages of OrderView."""

    if TYPE_CHECKING:  # given by OrderView and Flask-AppBuilder's ModelView

        def render_template(self, template: str, **kwargs: Any) -> str: ...

        def _can(self, permission: str) -> bool: ...

        def _order(self, pk: int) -> Order: ...

        appbuilder: Any
        search_columns: list[str]
        _base_filters: Any
        datamodel: Any

    # --- helpers ------------------------------------------------------------------------------------

    def _actor(self) -> Actor:
        return Actor.staff(g.user)

    def filter_query(self) -> sa.Select | None:
        """The SELECT of the ids of the orders the request's list filter matches; None when no filter is set
        (a mass action on every order in the shop is never what a click means)."""
        filters = self.datamodel.get_filters(self.search_columns)  # its own: FAB's `_filters` is shared
        get_filter_args(filters)
        if not any(str(part).strip() for value in filters.values for part in _as_list(value)):
            return None
        joined = filters.get_joined_filters(self._base_filters)
        return joined.apply_all(db.session.query(Order.id)).statement

    def filter_count(self, query: sa.Select) -> int:
        return db.session.scalar(select(func.count()).select_from(query.order_by(None).subquery())) or 0

    def _is_filter_scope(self) -> bool:
        return request.args.get("scope") == "filter"

    def _run_batch(self, run: Callable[[], batches.BatchReport]) -> BaseResponse | None:
        """Run one mass action in its own transaction; on success report it and open its batch page."""
        outcome = act(run)
        report = outcome.result
        if report is None:
            return None
        flash(report.summary(limit=5), "success" if not report.skipped else "warning")
        return redirect(url_for(".batch", batch_id=report.batch_id))

    def _selected_page(
        self,
        form: SelectedOrdersForm,
        template: str,
        title: str,
        run: Callable[[Any], BaseResponse | None],
        summary: Callable[[Any], dict] | None = None,
        **context: object,
    ):  # noqa: ANN202
        """The one page of every action on selected orders (status, assignment, labels).

        A valid POST goes straight to the service with the ids (it locks and reads the orders itself); the
        orders are loaded here once, only to show them on the page.
        """
        if self._is_filter_scope():
            return self._filter_page(form, template, title, run, summary, **context)
        problems = form.ids.process_errors
        if problems or not form.ids.data:
            return self._back_to_list(str(problems[0]) if problems else "Не выбрано ни одного заказа.")
        ids = list(form.ids.data)
        if request.method == "POST":
            if form.validate():
                done = run(ids)
                if done is not None:
                    return done
            else:
                flash(form_error(form), "danger")
        found = list(db.session.scalars(select(Order).where(Order.id.in_(ids)).order_by(Order.number)))
        if not found:
            return self._back_to_list("Выбранные заказы не найдены.")
        if summary is not None:
            context.update(summary(ids))
        return self.render_template(
            template, orders=found, ids=",".join(map(str, ids)), form=form, title=title, **context
        )

    def _filter_page(
        self,
        form: SelectedOrdersForm,
        template: str,
        title: str,
        run: Callable[[sa.Select], BaseResponse | None],
        summary: Callable[[Any], dict] | None = None,
        **context: object,
    ):  # noqa: ANN202
        """An action page for everything the list's filter matches: the count and the first orders are shown;
        a valid POST hands the filter's SELECT to the service, which evaluates it at that moment."""
        query = self.filter_query()
        if query is None:
            return self._back_to_list("Задайте фильтр списка: действие по фильтру применяется к найденным заказам.")
        if request.method == "POST":
            if form.validate():
                done = run(query)
                if done is not None:
                    return done
            else:
                flash(form_error(form), "danger")
        count = self.filter_count(query)
        if not count:
            return self._back_to_list("По фильтру не найдено ни одного заказа.")
        shown = list(
            db.session.scalars(
                select(Order).where(Order.id.in_(query.order_by(None))).order_by(Order.number).limit(SHOWN)
            )
        )
        if summary is not None:
            context.update(summary(query))
        return self.render_template(
            template,
            orders=shown,
            ids="",
            form=form,
            title=title,
            filter_count=count,
            filter_args=filter_args(),
            **context,
        )

    def _back_to_list(self, message: str, category: str = "danger"):  # noqa: ANN202
        flash(message, category)
        return redirect(url_for(".list"))

    def _then_refresh_invoice(self, order: Order, edit: Callable[[], Any]) -> Callable[[], Any]:
        """An edit of an unpaid order's lines, then its new счёт (when it had one), in the same transaction."""

        def run() -> Any:
            result = edit()
            document_issuing.refresh_invoice(db.session, order, actor=self._actor())
            return result

        return run

    def management_context(self, order: Order) -> dict:
        """What the order page needs for editing, labels and the timeline."""
        return {
            "timeline": order_timeline.staff_timeline(order.history),
            "can_edit_order": self._can("can_edit_order"),
            "can_print_labels": self._can("can_print_labels"),
            "lines_editable": order_editing.lines_editable(order),
            "can_refund_line": self._can("can_refund_line") and order_refunds.lines_refundable(order),
            "layout_replaceable": order_editing.layout_replaceable(order),
            "order_open": order.status not in order_editing.CLOSED_STATUSES,
            "label_formats": label_report.FORMATS.values(),
            "default_label_format": label_report.DEFAULT_FORMAT,
            "carriers": order_tracking.CARRIERS.values(),
            "tracking_link": order_tracking.link,
            "documents": document_issuing.order_documents(db.session, order.id),
            "can_read_documents": self.appbuilder.sm.has_access("can_list", "DocumentView"),
            "can_issue_documents": self.appbuilder.sm.has_access("can_issue", "DocumentView"),
        }

    # --- list actions -------------------------------------------------------------------------------

    @action("mass_status_action", "Изменить статус", None, "fa-exchange", multiple=True, single=False)
    def mass_status_action(self, items):  # noqa: ANN001, ANN201
        return redirect(url_for(".mass_status", ids=_ids_of(items)))

    @action("mass_paid_action", "Отметить оплаченными", None, "fa-rub", multiple=True, single=False)
    def mass_paid_action(self, items):  # noqa: ANN001, ANN201
        return redirect(url_for(".mass_paid", ids=_ids_of(items)))

    @action("labels_action", "Печать этикеток", None, "fa-print", multiple=True, single=False)
    def labels_action(self, items):  # noqa: ANN001, ANN201
        return redirect(url_for(".labels", ids=_ids_of(items)))

    @action("assign_action", "Назначить ответственного", None, "fa-user", multiple=True, single=False)
    def assign_action(self, items):  # noqa: ANN001, ANN201
        return redirect(url_for(".assign", ids=_ids_of(items)))

    @action("export_action", "Выгрузить в CSV", None, "fa-download", multiple=True, single=False)
    def export_action(self, items):  # noqa: ANN001, ANN201
        items = items if isinstance(items, list) else [items]
        ids = [item.id for item in items if item is not None]
        if not ids:
            return self._back_to_list("Не выбрано ни одного заказа.")
        return _csv_response(ids)

    @expose("/export-filter")
    @has_access
    def export_filter(self):  # noqa: ANN201
        """CSV of every order the list's filter matches (up to the mass-action limit)."""
        query = self.filter_query()
        if query is None:
            return self._back_to_list("Задайте фильтр списка: выгрузка по фильтру применяется к найденным заказам.")
        outcome = act(lambda: batches.matching_ids(db.session, query))
        if outcome.result is None:
            return redirect(url_for(".list", **filter_args()))
        return _csv_response(outcome.result)

    # --- mass status change and undo ----------------------------------------------------------------

    @expose("/mass-status", methods=["GET", "POST"])
    @has_access
    def mass_status(self):  # noqa: ANN201
        form = MassStatusForm(formdata=request.values)
        return self._selected_page(
            form,
            "admin/order_mass_status.html",
            "Смена статуса заказов",
            lambda scope: self._run_batch(
                lambda: batches.change_status(
                    db.session,
                    **_scope_of(scope),
                    target=form.status.data,
                    actor=self._actor(),
                    comment=form.comment.data or "",
                )
            ),
            statuses=list(OrderStatus),
            chosen=form.status.data or "",
            comment=form.comment.data or "",
        )

    @expose("/mass-paid", methods=["GET", "POST"])
    @has_access
    def mass_paid(self):  # noqa: ANN201
        """Mark many orders paid (one bank payment, a courier's cash): the sum received must match."""
        form = MassPaidForm(formdata=request.values)
        return self._selected_page(
            form,
            "admin/order_mass_paid.html",
            "Отметить оплаченными",
            lambda scope: self._run_batch(
                lambda: batches.mark_paid(
                    db.session,
                    **_scope_of(scope),
                    total=form.total.data or "",
                    actor=self._actor(),
                    comment=form.comment.data or "",
                )
            ),
            summary=lambda scope: {"payable": batches.payable(db.session, **_scope_of(scope))},
            total=form.total.data or "",
            comment=form.comment.data or "",
        )

    @expose("/batch/<batch_id>")
    @has_access
    def batch(self, batch_id: str):  # noqa: ANN201
        try:
            found = batches.get_batch(db.session, batch_id)
        except NotFound:
            abort(404)
        undone_by = batches.undo_batch_id(db.session, found.id)
        refusal = batches.undo_refusal(found, self._actor())
        target_label = found.target
        if found.kind.value in ("status", "undo"):
            target_label = OrderStatus(found.target).label
        return self.render_template(
            "admin/order_batch.html",
            batch=found,
            target_label=target_label,
            changed=batches.batch_orders(db.session, found.id),
            undone_by=undone_by,
            can_undo=refusal is None
            and undone_by is None
            and found.changed_count > 0
            and self._can("can_change_status"),
            undo_deadline=found.created_at + batches.UNDO_WINDOW,
            title="Массовая операция",
        )

    @expose("/batch/<batch_id>/undo", methods=["POST"])
    @has_access
    def undo_batch(self, batch_id: str):  # noqa: ANN201
        outcome = act(lambda: batches.undo(db.session, batch_id=batch_id, actor=self._actor()), missing_is_404=True)
        report = outcome.result
        if report is None:
            return redirect(url_for(".batch", batch_id=batch_id))
        flash("Операция отменена: " + report.summary(limit=5), "success" if not report.skipped else "warning")
        return redirect(url_for(".batch", batch_id=report.batch_id))

    # --- labels and assignment ----------------------------------------------------------------------

    @expose("/labels", methods=["GET", "POST"])
    @has_access
    def labels(self):  # noqa: ANN201
        form = LabelsForm(formdata=request.values)
        chosen = form.format.data or label_report.DEFAULT_FORMAT

        def run(scope: list[int] | sa.Select) -> BaseResponse | None:
            outcome = act(lambda: self._print_labels(_label_ids(scope), chosen))
            if outcome.result is not None:
                return outcome.result
            if form.back.data and isinstance(scope, list) and len(scope) == 1:
                return redirect(url_for(".show", pk=scope[0]))
            return None

        return self._selected_page(
            form,
            "admin/order_labels.html",
            "Печать этикеток",
            run,
            formats=label_report.FORMATS.values(),
            chosen=chosen,
        )

    def _print_labels(self, ids: list[int], chosen: str) -> Response:
        """The PDF of the labels; printing is recorded in each order's history (in the same transaction)."""
        fmt = label_report.label_format(chosen)
        data = label_report.label_data(db.session, ids)
        if not data:
            raise NotFound("Выбранные заказы не найдены.")
        pdf = label_report.render_labels(
            data,
            fmt,
            font_regular=current_app.config["PDF_FONT_REGULAR"],
            font_bold=current_app.config["PDF_FONT_BOLD"],
        )
        batches.record_labels_printed(
            db.session, order_ids=[label.order_id for label in data], format_label=fmt.title, actor=self._actor()
        )  # one entry per order, however many packages (labels) it has
        first = data[0].number if len(data) == 1 else f"{len(data)}"
        return Response(
            pdf,
            mimetype="application/pdf",
            headers={
                "Content-Disposition": f'attachment; filename="labels-{first}-{fmt.key}.pdf"',
                "Cache-Control": "no-store",
            },
        )

    @expose("/assign", methods=["GET", "POST"])
    @has_access
    def assign(self):  # noqa: ANN201
        form = AssignForm(formdata=request.values)
        return self._selected_page(
            form,
            "admin/order_assign.html",
            "Назначить ответственного",
            lambda scope: self._run_batch(
                lambda: batches.assign(
                    db.session,
                    **_scope_of(scope),
                    assignee_id=form.assignee_id.data,
                    actor=self._actor(),
                    comment=form.comment.data or "",
                )
            ),
            staff=order_editing.active_staff(db.session),
            chosen=str(form.assignee_id.data or ""),
            comment=form.comment.data or "",
        )

    # --- tracking numbers -----------------------------------------------------------------------------

    @expose("/tracking/<int:pk>", methods=["POST"])
    @has_access
    def add_tracking(self, pk: int):  # noqa: ANN201
        order = self._order(pk)
        values = _tracking_form()
        act(
            lambda: order_tracking.add_tracking(
                db.session,
                order,
                carrier=values["carrier"],
                number=values["number"],
                package=values["package"],
                actor=self._actor(),
            ),
            success=lambda entry: f"Трек-номер {entry.number} добавлен — покупатель видит его на странице заказа.",
        )
        return redirect(url_for(".show", pk=pk))

    @expose("/tracking/<int:pk>/<int:tracking_id>/remove", methods=["POST"])
    @has_access
    def remove_tracking(self, pk: int, tracking_id: int):  # noqa: ANN201
        order = self._order(pk)
        act(
            lambda: order_tracking.remove_tracking(db.session, order, tracking_id, actor=self._actor()),
            success="Трек-номер удалён.",
            missing_is_404=True,
        )
        return redirect(url_for(".show", pk=pk))

    # --- one order: details and lines ---------------------------------------------------------------

    @expose("/details/<int:pk>", methods=["GET", "POST"])
    @has_access
    def edit_details(self, pk: int):  # noqa: ANN201
        order = self._order(pk)
        form = OrderDetailsForm()
        error_field: str | None = None
        if form.validate_on_submit():
            details = order_editing.OrderDetails(
                contact_name=form.contact_name.data or "",
                contact_email=form.contact_email.data or "",
                contact_phone=form.contact_phone.data or "",
                delivery_method=form.delivery_method.data or "",
                delivery_address=form.delivery_address.data or "",
                comment=form.order_comment.data or "",
                due_date=form.due_date.data.isoformat() if form.due_date.data else "",
                packages=str(form.packages.data),
                assignee_id=str(form.assignee_id.data or ""),
            )
            outcome = act(
                lambda: order_editing.update_details(
                    db.session, order, details, actor=self._actor(), comment=form.note.data or ""
                ),
                success=lambda changed: (
                    f"Заказ {order.number}: изменено полей — {changed}." if changed else "Изменений нет."
                ),
            )
            if outcome.ok:
                return redirect(url_for(".show", pk=pk))
            error_field = outcome.error.field if outcome.error else None
            order = self._order(pk)
        elif request.method == "POST":
            flash(form_error(form), "danger")
            error_field = first_error_field(form)
        values = {
            "contact_name": order.contact_name,
            "contact_email": order.contact_email,
            "contact_phone": order.contact_phone,
            "delivery_method": order.delivery_method.value,
            "delivery_address": order.delivery_address,
            "order_comment": order.comment,
            "due_date": order.due_date.isoformat() if order.due_date else "",
            "packages": str(order.packages),
            "assignee_id": str(order.assignee_id or ""),
            "note": "",
        }
        if request.method == "POST":
            values.update({key: request.form.get(key, "") for key in values})
        status = 400 if request.method == "POST" else 200
        return self.render_template(
            "admin/order_details.html",
            order=order,
            values=values,
            error_field="comment" if error_field == "order_comment" else error_field,
            deliveries=list(DeliveryMethod),
            staff=order_editing.active_staff(db.session),
            lines_editable=order_editing.lines_editable(order),
            title=f"Заказ {order.number}: данные",
        ), status

    def _line_form(self, order: Order, product: Product, *, line=None, error_field: str | None = None):  # noqa: ANN001, ANN202
        form = request.form
        if request.method == "POST":
            chosen = {i for i in (parse_id(v) for v in form.getlist("option")) if i is not None}
            quantity = form.get("quantity", "")
            price = form.get("price", "")
        elif line is not None:
            chosen = {o.get("value_id") for o in line.options}
            quantity, price = str(line.quantity), ""
        else:
            chosen = set(catalog_products.default_option_ids(product))
            quantity, price = str(product.price_tiers[0].quantity) if product.price_tiers else "", ""
        return self.render_template(
            "admin/order_line.html",
            order=order,
            product=product,
            line=line,
            chosen=chosen,
            quantity=quantity,
            price=price,
            note=form.get("note", ""),
            error_field=error_field,
            title=f"Заказ {order.number}: " + ("позиция" if line else "новая позиция"),
        ), (400 if request.method == "POST" else 200)

    @expose("/line-add/<int:pk>", methods=["GET", "POST"])
    @has_access
    def add_line(self, pk: int):  # noqa: ANN201
        order = self._order(pk)
        if not order_editing.lines_editable(order):
            flash(f"Позиции заказа {order.number} уже не меняются.", "danger")
            return redirect(url_for(".show", pk=pk))
        choice = ProductChoiceForm(formdata=request.args, meta={"csrf": False})
        if not choice.validate():
            return self.render_template(
                "admin/order_line.html",
                order=order,
                product=None,
                products=catalog_products.active_products(db.session),
                title=f"Заказ {order.number}: новая позиция",
            ), (400 if request.args.get("product_id") else 200)
        product = db.session.get(Product, choice.product_id.data)
        if product is None:
            abort(404)
        product_id = product.id  # the rollback of a refused change expires `product`
        form = LineForm()
        if form.validate_on_submit():
            outcome = act(
                self._then_refresh_invoice(
                    order,
                    lambda: order_editing.add_line(
                        db.session,
                        order,
                        actor=self._actor(),
                        product_id=product.id,
                        quantity=str(form.quantity.data),
                        option_value_ids=form.option_ids,
                        comment=form.note.data or "",
                    ),
                ),
                success=f"В заказ {order.number} добавлена позиция «{product.name}».",
            )
            if outcome.ok:
                return redirect(url_for(".show", pk=pk))
            order = self._order(pk)
            return self._line_form(
                order, db.session.get(Product, product_id) or abort(404), error_field=_field(outcome.error)
            )
        if request.method == "POST":
            flash(form_error(form), "danger")
            return self._line_form(order, product, error_field=first_error_field(form))
        return self._line_form(order, product)

    @expose("/line/<int:pk>/<int:line_id>", methods=["GET", "POST"])
    @has_access
    def edit_line(self, pk: int, line_id: int):  # noqa: ANN201
        order = self._order(pk)
        try:
            line = order_editing.order_line(order, line_id)
        except NotFound:
            abort(404)
        if line.kind != LineKind.product or line.product_id is None:
            flash("Эту позицию нельзя изменить: можно только удалить.", "danger")
            return redirect(url_for(".show", pk=pk))
        product = db.session.get(Product, line.product_id)
        assert product is not None
        form = LineForm()
        if form.validate_on_submit():
            outcome = act(
                self._then_refresh_invoice(
                    order,
                    lambda: order_editing.change_line(
                        db.session,
                        order,
                        line_id,
                        actor=self._actor(),
                        quantity=str(form.quantity.data),
                        option_value_ids=form.option_ids,
                        price=form.price.data or "",
                        comment=form.note.data or "",
                    ),
                ),
                success=f"Позиция заказа {order.number} изменена.",
            )
            if outcome.ok:
                return redirect(url_for(".show", pk=pk))
            order = self._order(pk)
            line = order_editing.order_line(order, line_id)
            return self._line_form(order, product, line=line, error_field=_field(outcome.error))
        if request.method == "POST":
            flash(form_error(form), "danger")
            return self._line_form(order, product, line=line, error_field=first_error_field(form))
        return self._line_form(order, product, line=line)

    @expose("/line/<int:pk>/<int:line_id>/remove", methods=["POST"])
    @has_access
    def remove_line(self, pk: int, line_id: int):  # noqa: ANN201
        order = self._order(pk)
        form = CommentForm()
        if form.validate():
            act(
                self._then_refresh_invoice(
                    order,
                    lambda: order_editing.remove_line(
                        db.session, order, line_id, actor=self._actor(), comment=form.note.data or ""
                    ),
                ),
                success=f"Позиция удалена из заказа {order.number}.",
                missing_is_404=True,
            )
        else:
            flash(form_error(form), "danger")
        return redirect(url_for(".show", pk=pk))

    @expose("/line/<int:pk>/<int:line_id>/refund", methods=["POST"])
    @has_access
    def refund_line(self, pk: int, line_id: int):  # noqa: ANN201
        """«Вернуть позицию» of a paid order: the line's money and points go back, with the reason."""
        order = self._order(pk)
        form = LineRefundForm()
        if form.validate():
            act(
                lambda: order_refunds.refund_line(
                    db.session, order, line_id, actor=self._actor(), comment=form.reason.data or ""
                ),
                success=lambda refund: (
                    f"Позиция «{refund.product_name}» возвращена: к возврату покупателю "
                    f"{format_money(refund.amount)}. Заказ {refund.number}."
                ),
            )
        else:
            flash(form_error(form), "danger")
        return redirect(url_for(".show", pk=pk))

    @expose("/line/<int:pk>/<int:line_id>/layout", methods=["POST"])
    @has_access
    def replace_layout(self, pk: int, line_id: int):  # noqa: ANN201
        order = self._order(pk)
        form = LayoutForm()
        upload = form.layout.data if form.validate() else None

        def replace():  # noqa: ANN202
            if upload is None or not upload.filename:
                raise ValidationError("Выберите файл макета.", field="layout")
            return order_editing.replace_layout(
                db.session,
                order,
                line_id,
                actor=self._actor(),
                stream=upload.stream,
                filename=upload.filename,
                comment=form.note.data or "",
            )

        act(replace, success=lambda stored: f"Макет заменён: {stored.original_name}.", missing_is_404=True)
        return redirect(url_for(".show", pk=pk))


def _as_list(value: object) -> list:
    return value if isinstance(value, list) else [value]


def _tracking_form() -> dict[str, str]:
    return {key: request.form.get(key, "")[:60] for key in ("carrier", "number", "package")}


def _scope_of(scope: list[int] | sa.Select) -> dict[str, object]:
    """The keyword a batch service takes for this scope: the ticked ids or the filter's SELECT."""
    return {"order_ids": scope} if isinstance(scope, list) else {"matching": scope}


def _label_ids(scope: list[int] | sa.Select) -> list[int]:
    """Labels go into one PDF: a filter may select as many orders as a ticked selection may hold."""
    if isinstance(scope, list):
        return scope
    return batches.matching_ids(db.session, scope, limit=batches.MAX_ORDERS)


def _csv_response(ids: list[int]) -> Response:
    data = order_export.to_csv(order_export.export_rows(db.session, ids))
    name = f"orders-{shop_today():%Y-%m-%d}.csv"
    return Response(
        data,
        mimetype="text/csv",
        headers={"Content-Disposition": f'attachment; filename="{name}"', "Cache-Control": "private, no-store"},
    )


def _field(error: DomainError | None) -> str | None:
    return error.field if error is not None else None
