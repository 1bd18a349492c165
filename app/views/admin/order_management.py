"""Back-office order management: mass actions (status, undo, labels, assignment, CSV), order and line edits.

A mixin of OrderView: FAB actions on the order list collect the selected ids and redirect to pages of
their own (target status and comment, label format, staff member); each page calls one service and
commits. Permissions: see PERMISSIONS / METHOD_PERMISSIONS and app/views/admin/permissions.py.
"""

from __future__ import annotations

from flask import Response, abort, current_app, flash, g, redirect, request, url_for
from flask_appbuilder import expose
from flask_appbuilder.actions import action
from flask_appbuilder.security.decorators import has_access
from sqlalchemy import select

from app.extensions import db
from app.models import DeliveryMethod, LineKind, Order, OrderStatus, Product
from app.reports import labels as label_report
from app.reports import order_export, order_timeline
from app.services.actors import Actor
from app.services.catalog import products as catalog_products
from app.services.errors import DomainError, NotFound, ValidationError
from app.services.orders import batches
from app.services.orders import editing as order_editing
from app.services.shoptime import shop_today

# Permissions the mixin adds to OrderView, and the permission of each exposed method and action.
PERMISSIONS = ["can_edit_order", "can_assign", "can_print_labels", "can_export"]
METHOD_PERMISSIONS = {
    "mass_status_action": "change_status",
    "mass_status": "change_status",
    "undo_batch": "change_status",
    "batch": "list",
    "labels_action": "print_labels",
    "labels": "print_labels",
    "assign_action": "assign",
    "assign": "assign",
    "export_action": "export",
    "edit_details": "edit_order",
    "add_line": "edit_order",
    "edit_line": "edit_order",
    "remove_line": "edit_order",
    "replace_layout": "edit_order",
}


def _ids_of(items) -> str:  # noqa: ANN001 - the items FAB hands to an action
    items = items if isinstance(items, list) else [items]
    return ",".join(str(item.id) for item in items if item is not None)


class OrderManagementMixin:
    """Mass actions and edit pages of OrderView."""

    # --- helpers ------------------------------------------------------------------------------------

    def _actor(self) -> Actor:
        return Actor.staff(g.user)

    def _selected(self) -> tuple[list[int], list[Order]]:
        """The orders whose ids the request carries (?ids=1,2,3 or a form field), by number."""
        raw = request.values.get("ids", "")
        ids = batches.parse_ids(raw)
        found = list(db.session.scalars(select(Order).where(Order.id.in_(ids)).order_by(Order.number)))
        if not found:
            raise NotFound("Выбранные заказы не найдены.")
        return ids, found

    def _run_batch(self, run):  # noqa: ANN001, ANN202
        """Run one mass action in its own transaction; on success report it and open its batch page."""
        try:
            report = run()
            db.session.commit()
        except DomainError as exc:
            db.session.rollback()
            flash(exc.message, "danger")
            return None
        flash(report.summary(limit=5), "success" if not report.skipped else "warning")
        return redirect(url_for(".batch", batch_id=report.batch_id))

    def _back_to_list(self, message: str, category: str = "danger"):  # noqa: ANN202
        flash(message, category)
        return redirect(url_for(".list"))

    def management_context(self, order: Order) -> dict:
        """What the order page needs for editing, labels and the timeline."""
        return {
            "timeline": order_timeline.staff_timeline(order.history),
            "can_edit_order": self._can("can_edit_order"),
            "can_print_labels": self._can("can_print_labels"),
            "lines_editable": order_editing.lines_editable(order),
            "layout_replaceable": order_editing.layout_replaceable(order),
            "order_open": order.status not in order_editing.CLOSED_STATUSES,
            "label_formats": label_report.FORMATS.values(),
            "default_label_format": label_report.DEFAULT_FORMAT,
        }

    # --- list actions -------------------------------------------------------------------------------

    @action("mass_status_action", "Изменить статус", None, "fa-exchange", multiple=True, single=False)
    def mass_status_action(self, items):  # noqa: ANN001, ANN201
        return redirect(url_for(".mass_status", ids=_ids_of(items)))

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
        data = order_export.to_csv(order_export.export_rows(db.session, ids))
        name = f"orders-{shop_today():%Y-%m-%d}.csv"
        return Response(
            data,
            mimetype="text/csv",
            headers={"Content-Disposition": f'attachment; filename="{name}"', "Cache-Control": "private, no-store"},
        )

    # --- mass status change and undo ----------------------------------------------------------------

    @expose("/mass-status", methods=["GET", "POST"])
    @has_access
    def mass_status(self):  # noqa: ANN201
        try:
            ids, found = self._selected()
        except DomainError as exc:
            return self._back_to_list(exc.message)
        if request.method == "POST":
            done = self._run_batch(
                lambda: batches.change_status(
                    db.session,
                    order_ids=ids,
                    target=request.form.get("status", ""),
                    actor=self._actor(),
                    comment=request.form.get("comment", ""),
                )
            )
            if done is not None:
                return done
        return self.render_template(
            "admin/order_mass_status.html",
            orders=found,
            ids=",".join(str(i) for i in ids),
            statuses=list(OrderStatus),
            chosen=request.form.get("status", ""),
            comment=request.form.get("comment", ""),
            title="Смена статуса заказов",
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
        try:
            report = batches.undo(db.session, batch_id=batch_id, actor=self._actor())
            db.session.commit()
        except NotFound:
            db.session.rollback()
            abort(404)
        except DomainError as exc:
            db.session.rollback()
            flash(exc.message, "danger")
            return redirect(url_for(".batch", batch_id=batch_id))
        flash("Операция отменена: " + report.summary(limit=5), "success" if not report.skipped else "warning")
        return redirect(url_for(".batch", batch_id=report.batch_id))

    # --- labels and assignment ----------------------------------------------------------------------

    @expose("/labels", methods=["GET", "POST"])
    @has_access
    def labels(self):  # noqa: ANN201
        try:
            ids, found = self._selected()
        except DomainError as exc:
            return self._back_to_list(exc.message)
        chosen = request.form.get("format", label_report.DEFAULT_FORMAT)
        if request.method == "POST":
            try:
                fmt = label_report.label_format(chosen)
                data = label_report.label_data(db.session, ids)
                pdf = label_report.render_labels(
                    data,
                    fmt,
                    font_regular=current_app.config["PDF_FONT_REGULAR"],
                    font_bold=current_app.config["PDF_FONT_BOLD"],
                )
                batches.record_labels_printed(
                    db.session,
                    order_ids=[label.order_id for label in data],
                    format_label=fmt.title,
                    actor=self._actor(),
                )
                db.session.commit()
            except DomainError as exc:
                db.session.rollback()
                flash(exc.message, "danger")
            else:
                first = data[0].number if len(data) == 1 else f"{len(data)}"
                name = f"labels-{first}-{fmt.key}.pdf"
                return Response(
                    pdf,
                    mimetype="application/pdf",
                    headers={"Content-Disposition": f'attachment; filename="{name}"', "Cache-Control": "no-store"},
                )
            back = request.form.get("back")
            if back and len(found) == 1:
                return redirect(url_for(".show", pk=found[0].id))
        return self.render_template(
            "admin/order_labels.html",
            orders=found,
            ids=",".join(str(i) for i in ids),
            formats=label_report.FORMATS.values(),
            chosen=chosen,
            title="Печать этикеток",
        )

    @expose("/assign", methods=["GET", "POST"])
    @has_access
    def assign(self):  # noqa: ANN201
        try:
            ids, found = self._selected()
        except DomainError as exc:
            return self._back_to_list(exc.message)
        if request.method == "POST":
            done = self._run_batch(
                lambda: batches.assign(
                    db.session,
                    order_ids=ids,
                    assignee_id=order_editing.parse_id(
                        request.form.get("assignee_id", ""),
                        field="assignee_id",
                        message="Выберите сотрудника из списка.",
                    ),
                    actor=self._actor(),
                    comment=request.form.get("comment", ""),
                )
            )
            if done is not None:
                return done
        return self.render_template(
            "admin/order_assign.html",
            orders=found,
            ids=",".join(str(i) for i in ids),
            staff=order_editing.active_staff(db.session),
            chosen=request.form.get("assignee_id", ""),
            comment=request.form.get("comment", ""),
            title="Назначить ответственного",
        )

    # --- one order: details and lines ---------------------------------------------------------------

    @expose("/details/<int:pk>", methods=["GET", "POST"])
    @has_access
    def edit_details(self, pk: int):  # noqa: ANN201
        order = self._order(pk)
        form = request.form
        error: DomainError | None = None
        if request.method == "POST":
            details = order_editing.OrderDetails(
                contact_name=form.get("contact_name", ""),
                contact_email=form.get("contact_email", ""),
                contact_phone=form.get("contact_phone", ""),
                delivery_method=form.get("delivery_method", ""),
                delivery_address=form.get("delivery_address", ""),
                comment=form.get("order_comment", ""),
                due_date=form.get("due_date", ""),
                packages=form.get("packages", ""),
                assignee_id=form.get("assignee_id", ""),
            )
            try:
                changed = order_editing.update_details(
                    db.session, order, details, actor=self._actor(), comment=form.get("note", "")
                )
                db.session.commit()
            except DomainError as exc:
                db.session.rollback()
                error = exc
                flash(exc.message, "danger")
                order = self._order(pk)
            else:
                flash(f"Заказ {order.number}: изменено полей — {changed}." if changed else "Изменений нет.", "success")
                return redirect(url_for(".show", pk=pk))
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
            values.update({key: form.get(key, "") for key in values})
        return self.render_template(
            "admin/order_details.html",
            order=order,
            values=values,
            error_field=error.field if error else None,
            deliveries=list(DeliveryMethod),
            staff=order_editing.active_staff(db.session),
            lines_editable=order_editing.lines_editable(order),
            title=f"Заказ {order.number}: данные",
        )

    def _line_form(self, order: Order, product: Product, *, line=None, error: DomainError | None = None):  # noqa: ANN001, ANN202
        form = request.form
        if request.method == "POST":
            chosen = {int(v) for v in form.getlist("option") if v.isdigit()}
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
            error_field=error.field if error else None,
            title=f"Заказ {order.number}: " + ("позиция" if line else "новая позиция"),
        )

    @expose("/line-add/<int:pk>", methods=["GET", "POST"])
    @has_access
    def add_line(self, pk: int):  # noqa: ANN201
        order = self._order(pk)
        if not order_editing.lines_editable(order):
            flash(f"Позиции заказа {order.number} уже не меняются.", "danger")
            return redirect(url_for(".show", pk=pk))
        product_id = request.values.get("product_id", "")
        if not product_id.isdigit():
            return self.render_template(
                "admin/order_line.html",
                order=order,
                product=None,
                products=catalog_products.active_products(db.session),
                title=f"Заказ {order.number}: новая позиция",
            )
        product = db.session.get(Product, int(product_id))
        if product is None:
            abort(404)
        if request.method == "POST":
            try:
                order_editing.add_line(
                    db.session,
                    order,
                    actor=self._actor(),
                    product_id=product.id,
                    quantity=request.form.get("quantity", ""),
                    option_value_ids=catalog_products.parse_ids(request.form.getlist("option")),
                    comment=request.form.get("note", ""),
                )
                db.session.commit()
            except DomainError as exc:
                db.session.rollback()
                flash(exc.message, "danger")
                order = self._order(pk)
                return self._line_form(order, db.session.get(Product, product.id), error=exc)
            flash(f"В заказ {order.number} добавлена позиция «{product.name}».", "success")
            return redirect(url_for(".show", pk=pk))
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
        if request.method == "POST":
            try:
                order_editing.change_line(
                    db.session,
                    order,
                    line_id,
                    actor=self._actor(),
                    quantity=request.form.get("quantity", ""),
                    option_value_ids=catalog_products.parse_ids(request.form.getlist("option")),
                    price=request.form.get("price", ""),
                    comment=request.form.get("note", ""),
                )
                db.session.commit()
            except DomainError as exc:
                db.session.rollback()
                flash(exc.message, "danger")
                order = self._order(pk)
                line = order_editing.order_line(order, line_id)
                return self._line_form(order, db.session.get(Product, line.product_id), line=line, error=exc)
            flash(f"Позиция заказа {order.number} изменена.", "success")
            return redirect(url_for(".show", pk=pk))
        return self._line_form(order, product, line=line)

    @expose("/line/<int:pk>/<int:line_id>/remove", methods=["POST"])
    @has_access
    def remove_line(self, pk: int, line_id: int):  # noqa: ANN201
        order = self._order(pk)
        try:
            order_editing.remove_line(
                db.session, order, line_id, actor=self._actor(), comment=request.form.get("note", "")
            )
            db.session.commit()
            flash(f"Позиция удалена из заказа {order.number}.", "success")
        except NotFound:
            db.session.rollback()
            abort(404)
        except DomainError as exc:
            db.session.rollback()
            flash(exc.message, "danger")
        return redirect(url_for(".show", pk=pk))

    @expose("/line/<int:pk>/<int:line_id>/layout", methods=["POST"])
    @has_access
    def replace_layout(self, pk: int, line_id: int):  # noqa: ANN201
        order = self._order(pk)
        upload = request.files.get("layout")
        try:
            if upload is None or not upload.filename:
                raise ValidationError("Выберите файл макета.", field="layout")
            stored = order_editing.replace_layout(
                db.session,
                order,
                line_id,
                actor=self._actor(),
                stream=upload.stream,
                filename=upload.filename,
                comment=request.form.get("note", ""),
            )
            db.session.commit()
            flash(f"Макет заменён: {stored.original_name}.", "success")
        except NotFound:
            db.session.rollback()
            abort(404)
        except DomainError as exc:
            db.session.rollback()
            flash(exc.message, "danger")
        return redirect(url_for(".show", pk=pk))
