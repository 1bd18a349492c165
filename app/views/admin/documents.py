"""Back-office closing documents: the list (type, number, date, buyer, sum, state) with filters, the PDF, ZIP of
the chosen documents or of a period, «Отправить» by email, and issue / cancel / исправление actions by right.
Issued documents are never edited here: there is no add, edit or delete."""

from __future__ import annotations

import io
import zipfile
from datetime import date

import sqlalchemy as sa
from flask import Response, abort, flash, g, redirect, request, url_for
from flask_appbuilder import expose
from flask_appbuilder.actions import action
from flask_appbuilder.security.decorators import has_access

from app.extensions import db
from app.models import Company, Document, DocumentKind, Order
from app.services.actors import Actor
from app.services.documents import dispatch, issuing, statements
from app.services.errors import ValidationError
from app.views.admin.base import ShopInterface, ShopModelView, dt_cell, enum_select, label_of, money_cell
from app.views.common import act

MAX_ZIP = 2000


def _actor() -> Actor:
    return Actor.staff(g.user)


def _day(value: str | None, field: str) -> date:
    try:
        return date.fromisoformat((value or "").strip())
    except ValueError:
        raise ValidationError("Дата указывается как ГГГГ-ММ-ДД.", field=field) from None


def pdf_response(document: Document, *, download: bool) -> Response:
    response = Response(issuing.pdf_bytes(document), mimetype="application/pdf")
    disposition = "attachment" if download else "inline"
    response.headers["Content-Disposition"] = f'{disposition}; filename="{document.filename}"'
    response.headers["Cache-Control"] = "private, no-store"
    return response


def zip_response(documents: list[Document], name: str) -> Response:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        for document in documents:
            archive.writestr(document.filename, issuing.pdf_bytes(document))
    response = Response(out.getvalue(), mimetype="application/zip")
    response.headers["Content-Disposition"] = f'attachment; filename="{name}"'
    response.headers["Cache-Control"] = "private, no-store"
    return response


class DocumentView(ShopModelView):
    datamodel = ShopInterface(Document)
    list_title = "Документы"
    show_title = "Документ"
    base_permissions = ["can_list", "can_show", "can_download", "can_issue", "can_cancel", "can_fix", "can_send"]
    list_columns = ["day", "kind", "number", "revision", "buyer_name", "buyer_inn", "order", "total", "state_label"]
    search_columns = ["day", "kind", "number", "buyer_name", "buyer_inn"]
    order_columns = ["day", "number", "total", "buyer_name"]
    base_order = ("id", "desc")
    show_template = "admin/document_show.html"
    list_template = "admin/document_list.html"
    page_size = 50
    label_columns = {
        "day": "Дата",
        "kind": "Документ",
        "number": "№",
        "revision": "Исправление",
        "buyer_name": "Покупатель",
        "buyer_inn": "ИНН",
        "order": "Заказ",
        "company": "Компания",
        "total": "Сумма, ₽",
        "state_label": "Состояние",
    }
    search_form_extra_fields = {"kind": enum_select(DocumentKind, "Документ")}
    formatters_columns = {
        "kind": label_of(DocumentKind),
        "day": lambda d: d.strftime("%d.%m.%Y") if d else "",
        "total": money_cell,
        "revision": lambda r: str(r) if r else "",
        "issued_at": dt_cell,
    }

    @expose("/show/<pk>")
    @has_access
    def show(self, pk):  # noqa: ANN001, ANN201
        document = db.session.get(Document, int(pk))
        if document is None:
            abort(404)
        related = db.session.scalars(
            sa.select(Document).where(sa.or_(Document.base_id == document.id, Document.id == document.base_id))
        ).all()
        return self.render_template(
            self.show_template,
            document=document,
            related=related,
            title=document.title,
            can_cancel=self._can("can_cancel") and not document.is_cancelled,
            can_fix=self._can("can_fix") and document.kind in issuing.FIXABLE and not document.is_cancelled,
            can_send=self._can("can_send"),
        )

    @expose("/pdf/<int:pk>")
    @has_access
    def pdf(self, pk: int):  # noqa: ANN201
        document = db.session.get(Document, pk)
        if document is None:
            abort(404)
        return pdf_response(document, download=request.args.get("download") == "1")

    @expose("/zip")
    @has_access
    def zip_period(self):  # noqa: ANN201
        """All documents dated in a period (a month by default), as one ZIP."""
        try:
            start = _day(request.args.get("start"), "start")
            end = _day(request.args.get("end"), "end")
            if start > end:
                raise ValidationError("Начало периода позже его конца.")
        except ValidationError as exc:
            flash(exc.message, "danger")
            return redirect(url_for(".list"))
        documents = list(
            db.session.scalars(
                sa.select(Document).where(Document.day.between(start, end)).order_by(Document.id).limit(MAX_ZIP + 1)
            )
        )
        if not documents:
            flash("За этот период документов нет.", "warning")
            return redirect(url_for(".list"))
        if len(documents) > MAX_ZIP:
            flash(f"Больше {MAX_ZIP} документов: выберите период короче.", "danger")
            return redirect(url_for(".list"))
        return zip_response(documents, f"documents-{start}-{end}.zip")

    @action("zip", "Скачать ZIP", None, "fa-file-archive-o", multiple=True, single=False)
    def zip_selected(self, items):  # noqa: ANN001, ANN201
        items = list(items)[:MAX_ZIP]
        if not items:
            flash("Выберите документы.", "warning")
            return redirect(url_for(".list"))
        return zip_response(items, "documents.zip")

    @action("send", "Отправить по email", "Отправить выбранные документы покупателям?", "fa-envelope", single=False)
    def send(self, items):  # noqa: ANN001, ANN201
        if not self._can("can_send"):
            abort(403)
        outcome = act(lambda: dispatch.send_documents(db.session, list(items), actor=_actor()))
        if outcome.result is not None:
            queued, skipped = outcome.result
            flash(f"Писем в очереди: {queued}.", "success")
            for reason in skipped:
                flash(reason, "warning")
        return redirect(url_for(".list"))

    @expose("/cancel/<int:pk>", methods=["POST"])
    @has_access
    def cancel(self, pk: int):  # noqa: ANN201
        document = db.session.get(Document, pk)
        if document is None:
            abort(404)
        act(
            lambda: issuing.cancel_document(
                db.session, document, actor=_actor(), reason=request.form.get("reason", "")
            ),
            success="Документ аннулирован; его номер остаётся занятым.",
        )
        return redirect(url_for(".show", pk=pk))

    @expose("/fix/<int:pk>", methods=["POST"])
    @has_access
    def fix(self, pk: int):  # noqa: ANN201
        document = db.session.get(Document, pk)
        if document is None:
            abort(404)
        outcome = act(
            lambda: issuing.issue_revision(db.session, document, actor=_actor()),
            success=lambda d: f"Выставлен исправленный документ: {d.title}.",
        )
        return redirect(url_for(".show", pk=outcome.result.id if outcome.result is not None else pk))

    @expose("/issue/<int:order_id>", methods=["POST"])
    @has_access
    def issue(self, order_id: int):  # noqa: ANN201
        """From the order page: the счёт (kind=invoice) or the closing documents of the journal's postings."""
        order = db.session.get(Order, order_id)
        if order is None:
            abort(404)
        if request.form.get("kind") == "invoice":
            act(
                lambda: issuing.issue_invoice(db.session, order, actor=_actor()),
                success=lambda d: f"Счёт: {d.title}.",
            )
        else:
            outcome = act(lambda: issuing.issue_order_documents(db.session, [order.id], actor=_actor()))
            if outcome.result is not None:
                made = outcome.result
                flash(
                    "Выставлено: " + ", ".join(d.title for d in made) if made else "Новых документов нет.",
                    "success" if made else "info",
                )
        return redirect(url_for("OrderView.show", pk=order_id))

    @expose("/statement", methods=["POST"])
    @has_access
    def statement(self):  # noqa: ANN201
        """Акт сверки of a company for a period."""

        def run() -> Document:
            company = db.session.get(Company, int(request.form.get("company_id") or 0))
            if company is None:
                raise ValidationError("Выберите компанию.", field="company_id")
            start = _day(request.form.get("start"), "start")
            end = _day(request.form.get("end"), "end")
            return statements.issue_statement(db.session, company, start, end, actor=_actor())

        outcome = act(run, success=lambda d: f"Выставлен {d.title}.")
        if outcome.result is not None:
            return redirect(url_for(".show", pk=outcome.result.id))
        return redirect(url_for(".list"))

    def _list_extra(self) -> dict:
        return {
            "companies": db.session.execute(
                sa.select(Company.id, Company.short_name, Company.inn).order_by(Company.short_name)
            ).all(),
            "can_issue": self._can("can_issue"),
        }

    @expose("/list/")
    @has_access
    def list(self):  # noqa: ANN201
        widgets = self._list()
        return self.render_template(self.list_template, title=self.list_title, widgets=widgets, **self._list_extra())


DocumentView.method_permission_name = {
    "pdf": "download",
    "zip_period": "download",
    "zip_selected": "download",
    "send": "send",
    "cancel": "cancel",
    "fix": "fix",
    "issue": "issue",
    "statement": "issue",
}
