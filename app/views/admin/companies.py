"""Back-office companies: list with filters, the company page (requisites, members, history), staff review
(approve / reject / block with a reason) and staff edits of requisites — each change in the company's history."""

from __future__ import annotations

from flask import abort, flash, g, redirect, url_for
from flask_appbuilder import expose
from flask_appbuilder.security.decorators import has_access
from sqlalchemy.orm import selectinload

from app.extensions import db
from app.models import Company, CompanyKind, CompanyMember, CompanyStatus
from app.services.actors import Actor
from app.services.companies import members as company_members
from app.services.companies import registry
from app.services.companies.registry import CompanyData, RequisitesError
from app.views.admin.base import ShopInterface, ShopModelView, bool_cell, dt_cell, enum_select, label_of
from app.views.admin.forms import ReviewForm
from app.views.common import act, form_error
from app.views.forms import CompanyForm


class CompanyView(ShopModelView):
    datamodel = ShopInterface(Company)
    list_title = "Компании"
    show_title = "Компания"
    base_permissions = ["can_list", "can_show", "can_review", "can_edit_requisites"]
    list_columns = ["short_name", "inn", "kpp", "kind", "status", "vat_payer", "created_at"]
    search_columns = ["short_name", "full_name", "inn", "kpp", "ogrn", "status", "kind", "created_at"]
    order_columns = ["short_name", "inn", "status", "created_at"]
    label_columns = {
        "short_name": "Компания",
        "full_name": "Полное наименование",
        "inn": "ИНН",
        "kpp": "КПП",
        "ogrn": "ОГРН / ОГРНИП",
        "kind": "Вид",
        "status": "Статус",
        "vat_payer": "НДС",
        "created_at": "Создана",
    }
    search_form_extra_fields = {
        "status": enum_select(CompanyStatus, "Статус"),
        "kind": enum_select(CompanyKind, "Вид"),
    }
    formatters_columns = {
        "kind": label_of(CompanyKind),
        "status": label_of(CompanyStatus),
        "vat_payer": bool_cell,
        "created_at": dt_cell,
    }
    base_order = ("created_at", "desc")

    def _company(self, pk: int) -> Company:
        company = db.session.scalar(
            db.select(Company)
            .where(Company.id == pk)
            .options(
                selectinload(Company.members).selectinload(CompanyMember.customer),
                selectinload(Company.history),
                selectinload(Company.addresses),
            )
        )
        if company is None:
            abort(404)
        return company

    @expose("/show/<pk>")
    @has_access
    def show(self, pk):  # noqa: ANN001, ANN201
        company = self._company(int(pk))  # FAB's <pk> is checked to be an id before the view runs
        return self.render_template(
            "admin/company_show.html",
            company=company,
            targets=sorted(registry.STATUS_TRANSITIONS[company.status], key=list(CompanyStatus).index),
            orders=company_members.company_orders(db.session, company)[:20],
            can_review=self._can("can_review"),
            can_edit=self._can("can_edit_requisites"),
            labels=registry.FIELD_LABELS,
            status_labels={s.value: s.label for s in CompanyStatus},
            title=f"Компания {company.short_name}",
        )

    @expose("/review/<int:pk>", methods=["POST"])
    @has_access
    def review(self, pk: int):  # noqa: ANN201
        company = self._company(pk)
        form = ReviewForm()
        if form.validate():
            act(
                lambda: registry.review(
                    db.session, company, form.status.data, actor=Actor.staff(g.user), reason=form.reason.data or ""
                ),
                success=lambda _: f"Компания «{company.short_name}»: «{company.status.label}».",
            )
        else:
            flash(form_error(form), "danger")
        return redirect(url_for(".show", pk=pk))

    @expose("/requisites/<int:pk>", methods=["GET", "POST"])
    @has_access
    def edit_requisites(self, pk: int):  # noqa: ANN201
        company = self._company(pk)
        errors: dict = {}
        form = CompanyForm()
        if form.validate_on_submit():
            data = form.company_data()
            outcome = act(
                lambda: registry.update_requisites(db.session, company, data=data, actor=Actor.staff(g.user)),
                success=lambda changed: f"Реквизиты сохранены (изменено полей: {len(changed)}).",
                flash_error=False,
            )
            if outcome.ok:
                return redirect(url_for(".show", pk=pk))
            error = outcome.error
            if isinstance(error, RequisitesError):
                errors = error.errors
            elif error is not None:
                errors = {error.field or "full_name": error.message}
            flash("Проверьте поля, отмеченные красным.", "danger")
        else:
            data = CompanyData.of(company)
        return self.render_template(
            "admin/company_requisites.html",
            company=company,
            data=data,
            errors=errors,
            kinds=list(CompanyKind),
            labels=registry.FIELD_LABELS,
            title=f"Реквизиты: {company.short_name}",
        ), (400 if errors else 200)
