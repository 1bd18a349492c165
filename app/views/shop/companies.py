"""Corporate accounts in the storefront: my companies, create, requisites, members and invitations, addresses,
the company's orders. Non-members get 404; members without the right get 403."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_security import auth_required, current_user
from flask_wtf import FlaskForm

from app.extensions import db
from app.models import CompanyKind, MemberRole
from app.services.actors import Actor
from app.services.companies import addresses as company_addresses
from app.services.companies import invites as company_invites
from app.services.companies import members as company_members
from app.services.companies import registry
from app.services.companies.registry import CompanyData, RequisitesError
from app.services.errors import DomainError, NotFound, PermissionDenied
from app.services.projects import projects
from app.views.common import act, form_error
from app.views.forms import CompanyForm
from app.views.shop.forms import CompanyAddressForm, InviteForm, MemberRoleForm

bp = Blueprint("companies", __name__, url_prefix="/companies")


def _company(company_id: int, right: str = "view"):  # noqa: ANN202
    try:
        return company_members.company_for_member(db.session, company_id, current_user.id, right=right)
    except NotFound:
        abort(404)
    except PermissionDenied:
        abort(403)


def _render_form(data: CompanyData, *, company=None, errors: dict | None = None, status: int = 200):  # noqa: ANN001, ANN202
    return render_template(
        "shop/company_form.html", data=data, company=company, errors=errors or {}, kinds=list(CompanyKind)
    ), status


@bp.get("/")
@auth_required()
def index():
    return render_template(
        "shop/companies.html", memberships=company_members.customer_memberships(db.session, current_user.id)
    )


@bp.route("/new", methods=["GET", "POST"])
@auth_required()
def create():
    form = CompanyForm()
    if not form.validate_on_submit():
        return _render_form(CompanyData(email=current_user.email))
    data = form.company_data()
    outcome = act(
        lambda: registry.create_company(db.session, owner=current_user, data=data),
        success=lambda company: f"Компания «{company.short_name}» создана и отправлена на проверку.",
        flash_error=False,
    )
    if outcome.result is None:
        return _render_form(data, errors=_errors(outcome.error), status=400)
    return redirect(url_for(".show", company_id=outcome.result.id))


@bp.get("/<int:company_id>")
@auth_required()
def show(company_id: int):
    company = _company(company_id)
    member = company_members.membership(db.session, company.id, current_user.id)
    can = {right: company_members.can(member, right) for right in company_members.RIGHT_DENIED}
    invites = company_invites.open_invites(db.session, company) if can["manage_members"] else []
    return render_template(
        "shop/company.html",
        company=company,
        member=member,
        can=can,
        invites=[(i, company_invites.invite_url(i)) for i in invites],
        orders=company_members.company_orders(db.session, company) if can["view_orders"] else [],
        projects=[p for p in projects.visible_projects(db.session, current_user.id) if p.company_id == company.id],
        roles=list(MemberRole),
    )


@bp.route("/<int:company_id>/requisites", methods=["GET", "POST"])
@auth_required()
def edit(company_id: int):
    company = _company(company_id, "edit_requisites")
    form = CompanyForm()
    if not form.validate_on_submit():
        return _render_form(CompanyData.of(company), company=company)
    data = form.company_data()
    outcome = act(
        lambda: registry.update_requisites(db.session, company, data=data, actor=Actor.customer(current_user)),
        success=lambda changed: "Реквизиты сохранены." if changed else "Изменений нет.",
        flash_error=False,
    )
    if not outcome.ok:
        return _render_form(data, company=company, errors=_errors(outcome.error), status=400)
    return redirect(url_for(".show", company_id=company.id))


def _errors(exc: DomainError | None) -> dict:
    if isinstance(exc, RequisitesError):
        return exc.errors
    return {exc.field or "full_name": exc.message} if exc is not None else {}


def _do(company_id: int, right: str, form: FlaskForm, action, success: str):  # noqa: ANN001, ANN202
    """Run one member-management action on a valid form and come back to the company page with its message."""
    company = _company(company_id, right)
    if form.validate():
        act(lambda: action(company), success=success)
    else:
        flash(form_error(form), "danger")
    return redirect(url_for(".show", company_id=company_id) + "#members")


@bp.post("/<int:company_id>/invites")
@auth_required()
def invite(company_id: int):
    form = InviteForm()
    email = (form.email.data or "").strip()
    return _do(
        company_id,
        "manage_members",
        form,
        lambda c: company_invites.invite(db.session, c, email=email, role=form.role.data, by=current_user),
        f"Приглашение для {email} создано: письмо со ссылкой уйдёт в ближайшие минуты. "
        "Ссылку можно передать и самостоятельно — она ниже, в списке «Ожидают ответа».",
    )


@bp.post("/<int:company_id>/invites/<int:invite_id>/revoke")
@auth_required()
def revoke_invite(company_id: int, invite_id: int):
    return _do(
        company_id,
        "manage_members",
        FlaskForm(),
        lambda c: company_invites.revoke_invite(db.session, c, invite_id, actor=Actor.customer(current_user)),
        "Приглашение отозвано.",
    )


@bp.post("/<int:company_id>/members/<int:member_id>/role")
@auth_required()
def change_role(company_id: int, member_id: int):
    form = MemberRoleForm()
    return _do(
        company_id,
        "manage_members",
        form,
        lambda c: company_members.change_member_role(
            db.session, c, member_id, form.role.data, actor=Actor.customer(current_user)
        ),
        "Роль сотрудника изменена.",
    )


@bp.post("/<int:company_id>/members/<int:member_id>/remove")
@auth_required()
def remove_member(company_id: int, member_id: int):
    return _do(
        company_id,
        "manage_members",
        FlaskForm(),
        lambda c: company_members.remove_member(db.session, c, member_id, actor=Actor.customer(current_user)),
        "Сотрудник удалён из компании.",
    )


@bp.post("/<int:company_id>/leave")
@auth_required()
def leave(company_id: int):
    company = _company(company_id)
    outcome = act(
        lambda: company_members.leave(db.session, company, customer=current_user),
        success=f"Вы вышли из компании «{company.short_name}».",
    )
    return redirect(url_for(".index") if outcome.ok else url_for(".show", company_id=company_id))


@bp.post("/<int:company_id>/addresses")
@auth_required()
def add_address(company_id: int):
    form = CompanyAddressForm()
    return _do(
        company_id,
        "edit_requisites",
        form,
        lambda c: company_addresses.add_address(
            db.session,
            c,
            label=form.label.data or "",
            address=form.address.data or "",
            actor=Actor.customer(current_user),
        ),
        "Адрес доставки добавлен.",
    )


@bp.post("/<int:company_id>/addresses/<int:address_id>/delete")
@auth_required()
def delete_address(company_id: int, address_id: int):
    return _do(
        company_id,
        "edit_requisites",
        FlaskForm(),
        lambda c: company_addresses.remove_address(db.session, c, address_id, actor=Actor.customer(current_user)),
        "Адрес доставки удалён.",
    )


@bp.route("/invite/<token>", methods=["GET", "POST"])
def accept_invite(token: str):
    """The link from the invitation email: log in (or register) with the invited address, then join."""
    try:
        entry = company_invites.invite_by_token(db.session, token)
    except NotFound:
        abort(404)
    except DomainError as exc:
        return render_template("shop/company_invite.html", invite=None, error=exc.message, token=token), 410
    if not current_user.is_authenticated:
        return render_template("shop/company_invite.html", invite=entry, error=None, token=token)
    if request.method == "GET":
        return render_template("shop/company_invite.html", invite=entry, error=None, token=token)
    outcome = act(
        lambda: company_invites.accept_invite(db.session, token, customer=current_user),
        success=lambda member: f"Вы в компании «{member.company.short_name}» — роль «{member.role.label}».",
        flash_error=False,
    )
    if outcome.result is None:
        message = outcome.error.message if outcome.error else ""
        return render_template("shop/company_invite.html", invite=entry, error=message, token=token), 400
    return redirect(url_for(".show", company_id=outcome.result.company_id))
