"""Corporate accounts in the storefront: my companies, create, requisites, members and invitations, addresses,
the company's orders. Non-members get 404; members without the right get 403."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_security import auth_required, current_user

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

bp = Blueprint("companies", __name__, url_prefix="/companies")


def _company(company_id: int, right: str = "view"):  # noqa: ANN202
    try:
        return company_members.company_for_member(db.session, company_id, current_user.id, right=right)
    except NotFound:
        abort(404)
    except PermissionDenied:
        abort(403)


def _form_data() -> CompanyData:
    values = {name: request.form.get(name, "").strip() for name in CompanyData.field_names() if name != "vat_payer"}
    return CompanyData(**values, vat_payer=request.form.get("vat_payer") == "1")


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
    if request.method == "GET":
        return _render_form(CompanyData(email=current_user.email))
    data = _form_data()
    try:
        company = registry.create_company(db.session, owner=current_user, data=data)
        db.session.commit()
    except RequisitesError as exc:
        db.session.rollback()
        return _render_form(data, errors=exc.errors, status=400)
    flash(f"Компания «{company.short_name}» создана и отправлена на проверку.", "success")
    return redirect(url_for(".show", company_id=company.id))


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
    if request.method == "GET":
        return _render_form(CompanyData.of(company), company=company)
    data = _form_data()
    try:
        changed = registry.update_requisites(db.session, company, data=data, actor=Actor.customer(current_user))
        db.session.commit()
    except RequisitesError as exc:
        db.session.rollback()
        return _render_form(data, company=company, errors=exc.errors, status=400)
    flash("Реквизиты сохранены." if changed else "Изменений нет.", "success")
    return redirect(url_for(".show", company_id=company.id))


def _do(company_id: int, right: str, action, success: str):  # noqa: ANN001, ANN202
    """Run one member-management action and come back to the company page with its message."""
    company = _company(company_id, right)
    try:
        action(company)
        db.session.commit()
        flash(success, "success")
    except DomainError as exc:
        db.session.rollback()
        flash(exc.message, "danger")
    return redirect(url_for(".show", company_id=company_id) + "#members")


@bp.post("/<int:company_id>/invites")
@auth_required()
def invite(company_id: int):
    email = request.form.get("email", "")
    return _do(
        company_id,
        "manage_members",
        lambda c: company_invites.invite(
            db.session, c, email=email, role=request.form.get("role", ""), by=current_user
        ),
        f"Приглашение для {email.strip()} создано: письмо со ссылкой уйдёт в ближайшие минуты. "
        "Ссылку можно передать и самостоятельно — она ниже, в списке «Ожидают ответа».",
    )


@bp.post("/<int:company_id>/invites/<int:invite_id>/revoke")
@auth_required()
def revoke_invite(company_id: int, invite_id: int):
    return _do(
        company_id,
        "manage_members",
        lambda c: company_invites.revoke_invite(db.session, c, invite_id, actor=Actor.customer(current_user)),
        "Приглашение отозвано.",
    )


@bp.post("/<int:company_id>/members/<int:member_id>/role")
@auth_required()
def change_role(company_id: int, member_id: int):
    return _do(
        company_id,
        "manage_members",
        lambda c: company_members.change_member_role(
            db.session, c, member_id, request.form.get("role", ""), actor=Actor.customer(current_user)
        ),
        "Роль сотрудника изменена.",
    )


@bp.post("/<int:company_id>/members/<int:member_id>/remove")
@auth_required()
def remove_member(company_id: int, member_id: int):
    return _do(
        company_id,
        "manage_members",
        lambda c: company_members.remove_member(db.session, c, member_id, actor=Actor.customer(current_user)),
        "Сотрудник удалён из компании.",
    )


@bp.post("/<int:company_id>/leave")
@auth_required()
def leave(company_id: int):
    company = _company(company_id)
    try:
        company_members.leave(db.session, company, customer=current_user)
        db.session.commit()
    except DomainError as exc:
        db.session.rollback()
        flash(exc.message, "danger")
        return redirect(url_for(".show", company_id=company_id))
    flash(f"Вы вышли из компании «{company.short_name}».", "success")
    return redirect(url_for(".index"))


@bp.post("/<int:company_id>/addresses")
@auth_required()
def add_address(company_id: int):
    return _do(
        company_id,
        "edit_requisites",
        lambda c: company_addresses.add_address(
            db.session,
            c,
            label=request.form.get("label", ""),
            address=request.form.get("address", ""),
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
    try:
        member = company_invites.accept_invite(db.session, token, customer=current_user)
        db.session.commit()
    except DomainError as exc:
        db.session.rollback()
        return render_template("shop/company_invite.html", invite=entry, error=exc.message, token=token), 400
    flash(f"Вы в компании «{member.company.short_name}» — роль «{member.role.label}».", "success")
    return redirect(url_for(".show", company_id=member.company_id))
